"""The admin key store: admin API keys, kept as a SHA-256 of the key, never the key itself (table `admin_keys`,
model in scrm.data.admin_keys).

A key belongs to an account, or to `_platform` (platform keys). Its id starts with the owner
(`<account>.k<hex>`), so a presented key names its own record: one strongly consistent read authenticates it.

Tenancy: `create_key`, `key_of`, `keys_page` and `revoke_key` take the caller's scope and refuse (Forbidden)
another account's keys; only the system scope creates platform keys (never an API caller). `find_key` and
`platform_keys` are the system's own reads (authentication, bootstrapping), with no scope.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from ...errors import Forbidden, NotFound
from ...tenancy import Scope

PLATFORM = "_platform"  # not a valid account_id (scrm.accounts.ACCOUNT_ID), so it never collides
MAX_KEY_ID = 200


def key_status(revoked_at: datetime | None, expires_at: datetime | None, now: datetime | None = None) -> str:
    """revoked, expired (at `now`, default the wall clock) or active."""
    if revoked_at:
        return "revoked"
    if expires_at and expires_at <= (now or datetime.now(UTC)):
        return "expired"
    return "active"


@dataclass(frozen=True)
class KeyRow:
    account_id: str  # owning account, or PLATFORM
    key_id: str  # "<account_id>.k<hex>": the visible prefix of the key
    key_hash: str  # sha256 hex of the whole presented key
    role: str  # read-only | operator | admin
    created_at: datetime
    name: str = ""
    created_by: str = ""
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def status(self, now: datetime | None = None) -> str:
        return key_status(self.revoked_at, self.expires_at, now)

    def revoked(self, at: datetime, by: str) -> KeyRow:
        return replace(self, revoked_at=at, revoked_by=by)


def check_owner(scope: Scope, account_id: str) -> None:
    """A scope may create keys of the accounts it acts for; platform keys only the system itself."""
    if account_id != PLATFORM:
        scope.check(account_id)
    elif scope.key_id != "system":
        raise Forbidden(f"key {scope.key_id} may not create platform keys")


def names_own_key(account_id: str, key_id: str) -> bool:
    """A key id names a key of this account (else there is nothing to read: NotFound, not a stray read)."""
    return key_id.startswith(f"{account_id}.") and len(key_id) <= MAX_KEY_ID


def read_key(scope: Scope, account_id: str, key_id: str, lookup) -> KeyRow:
    """`key_of` of either store: the scope checked, then `find_key(account_id, key_id)`; NotFound if none."""
    scope.check(account_id)
    row = lookup(account_id, key_id) if names_own_key(account_id, key_id) else None
    if row is None:
        raise NotFound(f"no key {key_id!r} in account {account_id!r}")
    return row




class AdminKeyStore(Protocol):
    def find_key(self, account_id: str, key_id: str) -> KeyRow | None:
        """Authentication (strongly consistent: a revocation counts at once); no scope, this is how one is had."""

    def create_key(self, scope: Scope, row: KeyRow) -> KeyRow:
        """Store a new key, only if its id is not taken (Conflict otherwise; nothing is overwritten)."""

    def key_of(self, scope: Scope, account_id: str, key_id: str) -> KeyRow:
        """NotFound unless the account has this key."""

    def keys_page(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None
                  ) -> tuple[list[KeyRow], dict | None]:
        """The account's keys in key-id order: (rows, cursor of the next page or None)."""

    def revoke_key(self, scope: Scope, account_id: str, key_id: str, at: datetime) -> KeyRow:
        """Mark the key revoked by `scope.key_id` at `at`, only if it is not revoked yet: the first revocation is
        the one kept (time and who). NotFound for a key the account does not have. Returns the key as stored."""

    def platform_keys(self) -> list[KeyRow]:
        """Every platform key (bootstrapping checks for an active one)."""
