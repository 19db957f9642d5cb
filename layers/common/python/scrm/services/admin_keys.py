"""Admin API keys: issue, authenticate, list, revoke, and bootstrap the first ones.

A key is `scrm.<key_id>.<secret>`: `key_id` (e.g. `demo-oa.k1a2b3c4d5e6f7a8`) is the visible, non-secret
prefix and starts with the owning account (`_platform` for platform keys); `secret` is 256 random bits.
Only SHA-256(key) is stored. Platform keys (account `_platform`, role admin) may act on every account and
are the only ones that may register accounts; they are created by `bootstrap_*`, never over the API.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .. import accounts
from ..contracts import keys as contract
from ..contracts import parse
from ..data import admin_keys
from ..data.accounts import status_of
from ..data.admin_keys import AdminKeyRecord
from ..errors import KeyOfDisabledAccount, ScrmError, Unauthorized, ValidationError
from ..tenancy import Scope

PREFIX = "scrm."
PLATFORM = "_platform"
KEY_FORMAT = re.compile(r"^scrm\.(?P<account>_platform|[a-z0-9][a-z0-9-]{1,62})\.(?P<rand>k[0-9a-f]{16})"
                        r"\.(?P<secret>[0-9a-f]{64})$")
MAX_EXPIRY_DAYS = contract.MAX_EXPIRY_DAYS


@dataclass(frozen=True)
class KeyInfo:
    """An authenticated caller."""

    key_id: str
    account_id: str  # PLATFORM for platform keys
    role: str
    expires_at: datetime | None = None  # the key's own expiry (a console session signed in with it ends by then)

    @property
    def platform(self) -> bool:
        return self.account_id == PLATFORM

    def scope_for(self, account_id: str | None) -> Scope:
        """The scope this key acts with on `account_id` (None: no particular account)."""
        if self.platform:
            return Scope(account_id=account_id, key_id=self.key_id, role=self.role)
        return Scope(account_id=self.account_id, key_id=self.key_id, role=self.role)


def hash_key(presented: str) -> str:
    return hashlib.sha256(presented.encode()).hexdigest()


def authenticate(presented: str | None) -> KeyInfo:
    """Return who the key belongs to, or raise Unauthorized (missing, malformed, unknown, revoked, expired;
    its account gone) or KeyOfDisabledAccount (403: its account is not active)."""
    if not presented:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    m = KEY_FORMAT.match(presented.strip())
    if not m:
        raise Unauthorized("malformed API key: expected scrm.<key id>.<secret>")
    account_id, key_id = m["account"], f"{m['account']}.{m['rand']}"
    rec = admin_keys.lookup(account_id, key_id)
    if rec is None or not hmac.compare_digest(rec.key_hash, hash_key(presented.strip())):
        raise Unauthorized("unknown API key")
    return _in_force(rec, datetime.now(UTC))


def still_valid(key_id: str, now: float) -> KeyInfo:
    """The key `key_id` as of `now` (epoch seconds), for a console session signed in with it: Unauthorized once the
    key is unknown, revoked or expired (its sessions stop at once), KeyOfDisabledAccount while its account is
    disabled. The key itself is not needed: the session proved it when it was opened."""
    account_id, _, rand = (key_id or "").rpartition(".")
    rec = admin_keys.lookup(account_id, key_id) if account_id and rand.startswith("k") else None
    if rec is None:
        raise Unauthorized(f"API key {key_id} no longer exists")
    return _in_force(rec, datetime.fromtimestamp(now, UTC))


def _in_force(rec: AdminKeyRecord, now: datetime) -> KeyInfo:
    account_id, key_id = rec.account_id, rec.key_id
    status = rec.status(now)
    if status != "active":
        raise Unauthorized(f"API key {key_id} is {status}")
    if account_id != PLATFORM:  # platform keys work whatever an account's state (they re-enable accounts)
        account_status = status_of(account_id)
        if account_status is None:
            raise Unauthorized(f"API key {key_id} belongs to no registered account")
        if account_status != "active":
            raise KeyOfDisabledAccount(account_id)
    return KeyInfo(key_id=key_id, account_id=account_id, role=rec.role, expires_at=rec.expires_at)


def _expiry(expires_in_days) -> datetime | None:
    if expires_in_days is None:
        return None
    return datetime.now(UTC) + timedelta(days=expires_in_days)


def issue(scope: Scope, account_id: str, *, role: str, name: str = "", expires_in_days=None,
          expires_at: datetime | None = None) -> tuple[dict, str]:
    """Create a key; returns (public view, the key itself). The key is shown once and never stored."""
    request = parse(contract.KeyRequest, {"role": role, "name": name, "expires_in_days": expires_in_days})
    if account_id != PLATFORM and not scope.can(role):
        raise ValidationError(f"a {scope.role} key cannot create a {role} key", field="role")
    key_id = f"{account_id}.k{secrets.token_hex(8)}"
    presented = f"{PREFIX}{key_id}.{secrets.token_hex(32)}"
    rec = AdminKeyRecord(account_id=account_id, key_id=key_id, key_hash=hash_key(presented), role=role, name=name,
                         created_at=datetime.now(UTC), created_by=scope.key_id,
                         expires_at=expires_at or _expiry(request.expires_in_days))
    admin_keys.save(scope, rec)
    return view(rec), presented


def view(rec) -> dict:
    return {"key_id": rec.key_id, "account_id": rec.account_id, "role": rec.role, "name": rec.name,
            "status": rec.status(), "created_at": rec.created_at.isoformat(), "created_by": rec.created_by,
            "expires_at": rec.expires_at.isoformat() if rec.expires_at else None,
            "revoked_at": rec.revoked_at.isoformat() if rec.revoked_at else None}


def list_keys(scope: Scope, account_id: str, *, limit: int, start: dict | None = None):
    """A PynamoDB result iterator of the account's keys (for the admin API's cursor pagination)."""
    return admin_keys.query(scope, account_id, limit=limit, start=start)


def get_key(scope: Scope, account_id: str, key_id: str) -> dict:
    return view(admin_keys.get(scope, account_id, key_id))


def revoke(scope: Scope, account_id: str, key_id: str) -> dict:
    admin_keys.revoke(scope, account_id, key_id)
    return view(admin_keys.get(scope, account_id, key_id))


# --- bootstrapping: the first keys, made with the system scope (never reachable over the API)


def bootstrap_platform_key(name: str = "bootstrap", *, force: bool = False, expires_in_days=None) -> dict:
    """Create a platform admin key. Refuses when an active platform key exists, unless force."""
    active = [r.key_id for r in admin_keys.platform_keys() if r.status() == "active"]
    if active and not force:
        raise ValidationError(f"active platform keys exist ({', '.join(active)}); pass force to add another",
                              field="force")
    public, presented = issue(Scope.system(), PLATFORM, role="admin", name=name, expires_in_days=expires_in_days)
    return {**public, "key": presented}


def list_platform_keys() -> list[dict]:
    return [view(r) for r in admin_keys.platform_keys()]


def revoke_platform_key(key_id: str) -> dict:
    return revoke(Scope.system(), PLATFORM, key_id)


def bootstrap_local_key() -> dict:
    """Local stack: a platform admin key plus an admin key for each demo account that exists."""
    info = {}
    platform = bootstrap_platform_key("local platform admin", force=True)
    info["admin key"] = platform["key"]
    for account_id in ("demo-oa", "demo-wecom"):
        try:
            accounts.get(account_id, allow_disabled=True)
        except ScrmError:
            continue
        _, presented = issue(Scope.system(account_id), account_id, role="admin", name="local demo admin")
        info[f"{account_id} admin key"] = presented
    return info
