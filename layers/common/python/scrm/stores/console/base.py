"""The console access store: sign-in sessions, WeCom login states and WeCom staff's console roles.

Sessions and states are addressed by the SHA-256 of their secret (the caller hashes; the store never sees a
session id). Every read of a session or state checks its expiry against the `now` it is given (DynamoDB's TTL
removes expired items late, the in-memory twin never). A login state is taken once: two concurrent takes of one
state give it to one of them. Staff roles are an account's own: every staff method checks the Scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ...tenancy import Scope

KEY = "key"
WECOM_STAFF = "wecom_staff"


@dataclass(frozen=True)
class Session:
    id_hash: str
    principal_kind: str  # KEY | WECOM_STAFF
    role: str  # the role when signed in (a staff session uses the staff member's current role)
    account_id: str | None  # the key's account (None: a platform key) or the staff member's
    csrf_token: str
    created_at: float
    expires_at: float
    key_id: str | None = None
    corpid: str | None = None
    userid: str | None = None


@dataclass(frozen=True)
class LoginState:
    state_hash: str
    account_id: str
    expires_at: float


@dataclass(frozen=True)
class StaffRole:
    account_id: str
    userid: str
    role: str  # viewer | operator | admin
    updated_at: float
    updated_by: str


class ConsoleStore(Protocol):
    # ---- sessions
    def create_session(self, session: Session) -> None:
        """Store a new session (Conflict if one with this hash exists: never overwrite a session)."""

    def get_session(self, id_hash: str, now: float) -> Session | None:
        """The session, or None when there is none or it has expired by `now`."""

    def delete_session(self, id_hash: str) -> None:
        """Idempotent."""

    # ---- WeCom login states (login CSRF)
    def put_login_state(self, state: LoginState) -> None:
        """Store a new state (Conflict if it exists)."""

    def take_login_state(self, state_hash: str, now: float) -> LoginState | None:
        """Delete the state and return it if it existed and had not expired by `now`; else None. Single use:
        of two takes of one state, one gets it."""

    # ---- staff roles
    # ---- failed sign-ins (the rate limit): a count per source hash and window, gone after `expires_at`
    def add_sign_in_failure(self, source_hash: str, window: int, expires_at: float) -> int:
        """Count one failure (atomically); the window's count after it."""
        ...

    def sign_in_failures(self, source_hash: str, window: int, now: float) -> int:
        ...

    def put_staff_role(self, scope: Scope, role: StaffRole) -> None:
        """Create or replace the staff member's role."""

    def get_staff_role(self, account_id: str, userid: str) -> StaffRole | None:
        """Authentication lookup (strongly consistent; no scope yet: this is how a staff session gets one)."""

    def list_staff_roles(self, scope: Scope, account_id: str, *, limit: int,
                         start: dict | None = None) -> tuple[list[StaffRole], dict | None]:
        """One page of the account's staff roles by userid, and the position after it (None: no more)."""

    def delete_staff_role(self, scope: Scope, account_id: str, userid: str) -> StaffRole | None:
        """Remove the role and return it; None if there was none."""
