"""Account administration: register, show (secrets masked), update, disable/enable, setup values.

Secrets go to SSM through `scrm.accounts` / `scrm.secrets` and are never returned in full, except the callback
Token and EncodingAESKey on the setup view (admins need them for the WeChat console; that view is audited).
"""

from __future__ import annotations

import re
import secrets as random

from .. import accounts
from .. import secrets as secret_store
from ..data import accounts as records
from ..data import callback_claims
from ..domain import account_options
from ..errors import ConfigError, Conflict, Forbidden, ValidationError
from ..tenancy import Scope
from .admin_requests import ShownOnce

ACCOUNT_TYPES = ("service", "subscription")
TOKEN = re.compile(r"^[A-Za-z0-9]{3,32}$")
AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def mask(value: str | None) -> str:
    if not value:
        return ""
    return "****" + value[-4:] if len(value) > 12 else "****"


def callback_url(base_url: str, kind: str, account_id: str) -> str:
    return f"{base_url.rstrip('/')}/wechat/{'oa' if kind == 'oa' else 'wecom'}/{account_id}"


def view(rec, base_url: str, secrets: dict | None = None) -> dict:
    if secrets is None:
        try:
            secrets = secret_store.account_secrets(rec.account_id)
        except Exception:  # a view must not fail for want of SSM; show nothing
            secrets = {}
    return {"account_id": rec.account_id, "kind": rec.kind, "app_id": rec.app_id, "name": rec.name,
            "original_id": rec.original_id, "account_type": rec.account_type, "status": rec.status,
            "message_mode": rec.message_mode or "safe",
            "options": _plain(rec.options), "callback_url": callback_url(base_url, rec.kind, rec.account_id),
            "created_at": rec.created_at.isoformat() if rec.created_at else None,
            "updated_at": rec.updated_at.isoformat() if rec.updated_at else None,
            "secrets": {n: mask(secrets.get(n)) for n in accounts.SECRET_NAMES}}


def _plain(options) -> dict:
    if options is None:
        return {}
    if hasattr(options, "as_dict"):
        return options.as_dict()
    return dict(options)


def check_options(options) -> dict:
    """Every option known and within its bounds (scrm.domain.account_options); 400 naming `options.<name>`."""
    return account_options.check(options)


def generate_token() -> str:
    return random.token_hex(16)


def generate_aes_key() -> str:
    return "".join(random.choice(_ALNUM) for _ in range(43))


def create(scope: Scope, base_url: str, *, account_id: str, kind: str, app_id: str, name: str, app_secret: str,
           token: str | None = None, aes_key: str | None = None, original_id: str | None = None,
           account_type: str | None = None, options: dict | None = None, message_mode: str | None = None) -> dict:
    """Register an account (platform scope). Returns its view plus `setup` (the callback values, once)."""
    if scope.account_id is not None:
        raise Forbidden("only a platform key may register accounts")
    if not accounts.ACCOUNT_ID.match(account_id):
        raise ValidationError("account_id must be 2-63 lowercase letters, digits or dashes", field="account_id")
    if kind not in accounts.KINDS:
        raise ValidationError(f"kind must be one of {', '.join(accounts.KINDS)}", field="kind")
    token = token or generate_token()
    aes_key = aes_key or generate_aes_key()
    _check_secret_formats(token=token, aes_key=aes_key)
    if account_type is not None and account_type not in ACCOUNT_TYPES:
        raise ValidationError(f"account_type must be one of {', '.join(ACCOUNT_TYPES)}", field="account_type")
    if kind == "wecom" and (original_id or account_type):
        field = "original_id" if original_id else "account_type"
        raise ValidationError(f"{field} applies to Official Accounts only", field=field)
    if options is not None:
        check_options(options)
    if kind == "oa" and not original_id:  # callbacks are checked against it (ToUserName)
        raise ValidationError("original_id (the OA's gh_... id, ToUserName of its callbacks) is required",
                              field="original_id")
    message_mode = _check_message_mode(kind, message_mode or "safe")
    if records.exists(account_id):
        raise Conflict(f"account {account_id!r} exists already")
    # the exists() check above is for a clear error; create_only closes the race
    accounts.register(account_id, kind, app_id, name, app_secret=app_secret, token=token, aes_key=aes_key,
                      original_id=original_id, account_type=account_type or "service", options=options or {},
                      create_only=True, message_mode=message_mode)
    rec = records.get_record(Scope.system(account_id), account_id)
    secrets = {"app_secret": app_secret, "token": token, "aes_key": aes_key}
    return {**view(rec, base_url, secrets), "setup": setup_values(rec, base_url, secrets, shown_once=True)}


def setup_values(rec, base_url: str, secrets: dict, *, shown_once: bool = False) -> dict:
    """The callback values for the WeChat / WeCom console. `shown_once` (registration) marks the Token and
    EncodingAESKey so that a stored copy of the response (Idempotency-Key) never holds them."""
    token, aes_key = secrets.get("token", ""), secrets.get("aes_key", "")
    if shown_once:
        again = (f"GET /accounts/{rec.account_id}/setup (admin role, audited) shows the Token and "
                 "EncodingAESKey.")
        token, aes_key = ShownOnce(token, again), ShownOnce(aes_key, again)
    return {"account_id": rec.account_id, "callback_url": callback_url(base_url, rec.kind, rec.account_id),
            "token": token, "aes_key": aes_key,
            "encrypt_mode": rec.message_mode or "safe"}


def _check_message_mode(kind: str, mode: str) -> str:
    try:
        return accounts.check_message_mode(kind, mode)
    except ConfigError as exc:
        raise ValidationError(str(exc), field="message_mode") from None


def _check_secret_formats(*, token=None, aes_key=None):
    if token is not None and not TOKEN.match(token):
        raise ValidationError("token must be 3-32 letters and digits", field="token")
    if aes_key is not None and not AES_KEY.match(aes_key):
        raise ValidationError("aes_key (EncodingAESKey) must be 43 letters and digits", field="aes_key")


def show(scope: Scope, account_id: str, base_url: str) -> dict:
    return view(records.get_record(scope, account_id), base_url)


def require(scope: Scope, account_id: str) -> None:
    """NotFound unless the account exists (and the scope may see it)."""
    records.get_record(scope, account_id)


def setup(scope: Scope, account_id: str, base_url: str) -> dict:
    rec = records.get_record(scope, account_id)
    return setup_values(rec, base_url, secret_store.account_secrets(account_id))


def query(scope: Scope, *, limit: int, start: dict | None = None):
    return records.query_records(scope, limit=limit, start=start)


def update(scope: Scope, account_id: str, base_url: str, **changes) -> dict:
    rec = records.get_record(scope, account_id)
    secret_changes = {n: changes.pop(n) for n in accounts.SECRET_NAMES if changes.get(n) is not None}
    _check_secret_formats(token=secret_changes.get("token"), aes_key=secret_changes.get("aes_key"))
    if changes.get("account_type") is not None and changes["account_type"] not in ACCOUNT_TYPES:
        raise ValidationError(f"account_type must be one of {', '.join(ACCOUNT_TYPES)}", field="account_type")
    if rec.kind == "wecom":
        for f in ("original_id", "account_type"):
            if changes.get(f) is not None:
                raise ValidationError(f"{f} applies to Official Accounts only", field=f)
    if changes.get("options") is not None:
        check_options(changes["options"])
    if changes.get("message_mode") is not None:
        _check_message_mode(rec.kind, changes["message_mode"])
    record_changes = {k: v for k, v in changes.items() if v is not None}
    if not record_changes and not secret_changes:
        raise ValidationError("nothing to change: send at least one field", field="body")
    old_token = None
    if secret_changes.get("token"):
        old_token = secret_store.account_secrets(account_id).get("token")
        callback_claims.claim_token(account_id, secret_changes["token"])  # Conflict if another account has it
    if secret_changes:
        secret_store.put_account_secrets(account_id, secret_changes)
    if old_token and old_token != secret_changes.get("token"):
        callback_claims.release_token(account_id, old_token)
    rec = records.update_record(scope, account_id, **record_changes)
    accounts.forget_cache()
    return view(rec, base_url)


def set_status(scope: Scope, account_id: str, status: str, base_url: str) -> dict:
    rec = records.update_record(scope, account_id, status=status)
    accounts.forget_cache()
    return view(rec, base_url)
