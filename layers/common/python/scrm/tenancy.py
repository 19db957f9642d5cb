"""Tenancy: every data access is made on behalf of a Scope, and the data layer checks it.

A Scope is who is asking (an admin key of one account, or the system itself in workers). A
repository call for another account's data raises Forbidden, whatever route or bug led there.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Forbidden

ROLES = ("read-only", "operator", "admin")


@dataclass(frozen=True)
class Scope:
    account_id: str | None  # None only for the system scope (workers, schedules)
    key_id: str = "system"
    role: str = "admin"

    @classmethod
    def system(cls, account_id: str | None = None) -> Scope:
        return cls(account_id=account_id, key_id="system", role="admin")

    def check(self, account_id: str) -> str:
        """Return account_id if this scope may touch it, else raise Forbidden."""
        if self.key_id != "system" and self.account_id != account_id:
            raise Forbidden(f"key {self.key_id} may not access account {account_id}")
        if self.key_id == "system" and self.account_id not in (None, account_id):
            raise Forbidden(f"system scope of {self.account_id} may not access account {account_id}")
        return account_id

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)
