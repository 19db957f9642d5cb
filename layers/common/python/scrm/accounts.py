"""The account registry: an account is one Official Account or one WeCom corp, with its secrets.

Records live in the `accounts` table; AppSecret, callback Token and EncodingAESKey live in SSM.
Lookups are cached per container so the callback path does not pay a read per event.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from . import secrets as secret_store
from .errors import AccountDisabled, ConfigError, UnknownAccount

KINDS = ("oa", "wecom")
SECRET_NAMES = ("app_secret", "token", "aes_key")
ACCOUNT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")
CACHE_SECONDS = 60


@dataclass(frozen=True)
class Account:
    account_id: str
    kind: str
    app_id: str
    name: str
    original_id: str | None = None
    account_type: str = "service"
    status: str = "active"
    options: dict = field(default_factory=dict)
    app_secret: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    aes_key: str = field(default="", repr=False)

    @property
    def is_oa(self) -> bool:
        return self.kind == "oa"


def validate_secrets(kind: str, secrets: dict) -> None:
    missing = [n for n in SECRET_NAMES if not secrets.get(n)]
    if missing:
        raise ConfigError(f"{kind} account is missing {', '.join(missing)}")
    if not AES_KEY.match(secrets["aes_key"]):
        raise ConfigError("aes_key (EncodingAESKey) must be 43 letters and digits")
    if not re.match(r"^[A-Za-z0-9]{3,32}$", secrets["token"]):
        raise ConfigError("token must be 3-32 letters and digits")


_CACHE: dict[str, tuple[float, Account]] = {}


def _record_model():
    from .data.accounts import AccountRecord

    return AccountRecord


def register(account_id: str, kind: str, app_id: str, name: str, *, app_secret: str, token: str,
             aes_key: str, original_id: str | None = None, account_type: str = "service",
             options: dict | None = None, create_only: bool = False) -> Account:
    """Create or replace an account: secrets to SSM first, then the record (so a record never lacks them).

    With `create_only`, the id is first claimed with a conditional write (status "registering"), so two
    concurrent registrations of one id cannot both write secrets: the loser gets Conflict and touches nothing.
    A claim left behind by a crash can be taken over after CLAIM_SECONDS.
    """
    if not ACCOUNT_ID.match(account_id or ""):
        raise ConfigError("account_id must be 2-63 lowercase letters, digits or dashes")
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {KINDS}, got {kind!r}")
    secrets = {"app_secret": app_secret, "token": token, "aes_key": aes_key}
    validate_secrets(kind, secrets)
    now = datetime.now(UTC)
    model = _record_model()
    record = model(account_id=account_id, kind=kind, app_id=app_id, name=name, original_id=original_id,
                   account_type=account_type, status="active", created_at=now, updated_at=now,
                   options=options or {})
    if create_only:
        _claim(model, record, now)
    secret_store.put_account_secrets(account_id, secrets)
    record.status = "active"
    record.save()
    _CACHE.pop(account_id, None)
    return get(account_id)


CLAIM_SECONDS = 60


def _claim(model, record, now) -> None:
    from datetime import timedelta

    from pynamodb.exceptions import PutError

    from .errors import Conflict

    record.status = "registering"
    stale = now - timedelta(seconds=CLAIM_SECONDS)
    try:
        record.save(condition=model.account_id.does_not_exist()
                    | ((model.status == "registering") & (model.updated_at < stale)))
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"account {record.account_id!r} exists already") from None
        raise


def get(account_id: str, *, allow_disabled: bool = False) -> Account:
    hit = _CACHE.get(account_id)
    if hit and hit[0] > time.monotonic():
        account = hit[1]
    else:
        model = _record_model()
        try:
            rec = model.get(account_id)
        except model.DoesNotExist:
            raise UnknownAccount(account_id) from None
        secrets = secret_store.account_secrets(account_id)
        missing = [n for n in SECRET_NAMES if not secrets.get(n)]
        if missing:
            raise ConfigError(f"account {account_id!r} has no {', '.join(missing)} in SSM")
        account = Account(account_id=rec.account_id, kind=rec.kind, app_id=rec.app_id, name=rec.name,
                          original_id=rec.original_id, account_type=rec.account_type, status=rec.status,
                          options=_plain(rec.options), **{n: secrets[n] for n in SECRET_NAMES})
        _CACHE[account_id] = (time.monotonic() + CACHE_SECONDS, account)
    if account.status == "registering":
        raise ConfigError(f"registration of account {account_id!r} has not completed; register it again")
    if account.status != "active" and not allow_disabled:
        raise AccountDisabled(account_id)
    return account


def _plain(options) -> dict:
    """A stored options map as a plain dict (a raw PynamoDB MapAttribute is not a mapping)."""
    if options is None:
        return {}
    return options.as_dict() if hasattr(options, "as_dict") else dict(options)


def forget_cache() -> None:
    _CACHE.clear()
    secret_store.forget_cache()
