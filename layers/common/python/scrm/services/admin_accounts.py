"""Account administration: register, show (secrets masked), update, disable/enable, setup values.

Secrets go to SSM through `scrm.accounts` / `scrm.secrets` and are never returned in full, except the callback
Token and EncodingAESKey on the setup view (admins need them for the WeChat console; that view is audited).
"""

from __future__ import annotations

import secrets as random
from datetime import UTC, datetime

from .. import accounts
from .. import secrets as secret_store
from ..bootstrap import account_store, container
from ..contracts import accounts as contract
from ..contracts import parse
from ..domain import account_options
from ..domain.instants import answer_time
from ..errors import ConfigError, Conflict, Forbidden, ValidationError
from ..tenancy import Scope
from .admin_requests import ShownOnce

ACCOUNT_TYPES = contract.ACCOUNT_TYPES
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
            "options": dict(rec.options or {}), "callback_url": callback_url(base_url, rec.kind, rec.account_id),
            "created_at": answer_time(rec.created_at), "updated_at": answer_time(rec.updated_at),
            "secrets": _masked(rec.kind, secrets)}


def _masked(kind: str, secrets: dict) -> dict:
    shown = {n: mask(secrets.get(n)) for n in accounts.SECRET_NAMES}
    if kind == "wecom":  # the apps' Secrets are never answered, not even their last characters: set or not
        shown[accounts.LOGIN_SECRET] = "****" if secrets.get(accounts.LOGIN_SECRET) else ""
        shown["agent_secrets"] = dict.fromkeys(sorted(accounts.agent_secrets_of(secrets), key=int), "****")
    return shown


def check_options(options) -> dict:
    """Every option known and within its bounds (scrm.domain.account_options); 400 naming `options.<name>`."""
    return account_options.check(options)


def generate_token() -> str:
    return random.token_hex(16)


def generate_aes_key() -> str:
    return "".join(random.choice(_ALNUM) for _ in range(43))


def create(scope: Scope, base_url: str, *, account_id: str, kind: str, app_id: str, name: str, app_secret: str,
           token: str | None = None, aes_key: str | None = None, original_id: str | None = None,
           account_type: str | None = None, options: dict | None = None, message_mode: str | None = None,
           console_login_secret: str | None = None, agent_secrets: dict | None = None) -> dict:
    """Register an account (platform scope). Returns its view plus `setup` (the callback values, once)."""
    if scope.account_id is not None:
        raise Forbidden("only a platform key may register accounts")
    parse(contract.AccountRegistration, _given(
        account_id=account_id, kind=kind, app_id=app_id, name=name, app_secret=app_secret, token=token or None,
        aes_key=aes_key or None, original_id=original_id, account_type=account_type, options=options,
        message_mode=message_mode, console_login_secret=console_login_secret,
        agent_secrets=agent_secrets))  # every wrong field, named
    token = token or generate_token()
    aes_key = aes_key or generate_aes_key()
    message_mode = _check_message_mode(kind, message_mode or "safe")
    if account_store().account_exists(account_id):
        raise Conflict(f"account {account_id!r} exists already")
    # the exists() check above is for a clear error; create_only closes the race
    accounts.register(account_id, kind, app_id, name, app_secret=app_secret, token=token, aes_key=aes_key,
                      original_id=original_id, account_type=account_type or "service", options=options or {},
                      create_only=True, message_mode=message_mode, console_login_secret=console_login_secret,
                      agent_secrets=agent_secrets)
    rec = account_store().get_account(Scope.system(account_id), account_id)
    secrets = {"app_secret": app_secret, "token": token, "aes_key": aes_key,
               accounts.LOGIN_SECRET: console_login_secret or "", **accounts.agent_secret_names(agent_secrets)}
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


def _now() -> datetime:
    return datetime.fromtimestamp(container().now(), UTC)


def _given(**fields) -> dict:
    """The fields a request gave (None is "not given", as the API reads an absent or null field)."""
    return {k: v for k, v in fields.items() if v is not None}


def show(scope: Scope, account_id: str, base_url: str) -> dict:
    return view(account_store().get_account(scope, account_id), base_url)


def require(scope: Scope, account_id: str) -> None:
    """NotFound unless the account exists (and the scope may see it)."""
    account_store().get_account(scope, account_id)


def setup(scope: Scope, account_id: str, base_url: str) -> dict:
    rec = account_store().get_account(scope, account_id)
    return setup_values(rec, base_url, secret_store.account_secrets(account_id))


def query(scope: Scope, *, limit: int, start: dict | None = None):
    return account_store().accounts_page(scope, limit=limit, start=start)


def update(scope: Scope, account_id: str, base_url: str, **changes) -> dict:
    rec = account_store().get_account(scope, account_id)
    secret_changes = {n: changes.pop(n) for n in (*accounts.SECRET_NAMES, accounts.LOGIN_SECRET)
                      if changes.get(n) is not None}
    agent_secrets = changes.pop("agent_secrets", None)
    parse(contract.AccountUpdate, _given(**changes, **secret_changes, agent_secrets=agent_secrets))  # every wrong one
    if agent_secrets and rec.kind != "wecom":
        raise ValidationError("agent_secrets apply to WeCom corps only", field="agent_secrets")
    secret_changes = {**secret_changes, **accounts.agent_secret_names(agent_secrets)}  # other apps' Secrets stay
    if rec.kind == "wecom":
        for f in ("original_id", "account_type"):
            if changes.get(f) is not None:
                raise ValidationError(f"{f} applies to Official Accounts only", field=f)
    elif secret_changes.get(accounts.LOGIN_SECRET) is not None:
        raise ValidationError(f"{accounts.LOGIN_SECRET} applies to WeCom corps only", field=accounts.LOGIN_SECRET)
    if changes.get("message_mode") is not None:
        _check_message_mode(rec.kind, changes["message_mode"])
    record_changes = {k: v for k, v in changes.items() if v is not None}
    old_token = None
    if secret_changes.get("token"):
        old_token = secret_store.account_secrets(account_id).get("token")
        account_store().claim_token(account_id, secret_changes["token"])  # Conflict if another account has it
    if secret_changes:
        secret_store.put_account_secrets(account_id, secret_changes)
    if old_token and old_token != secret_changes.get("token"):
        account_store().release_token(account_id, old_token)
    rec = account_store().update_account(scope, account_id, record_changes, _now())
    accounts.forget_cache()
    return view(rec, base_url)


def set_status(scope: Scope, account_id: str, status: str, base_url: str) -> dict:
    rec = account_store().update_account(scope, account_id, {"status": status}, _now())
    accounts.forget_cache()
    return view(rec, base_url)
