"""The console access store's in-memory twin: the same conditions as DynamoDB under one lock."""

from __future__ import annotations

import threading

from ...errors import Conflict
from ...tenancy import Scope
from .base import LoginState, Session, StaffRole


class MemoryConsoleStore:
    def __init__(self):
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.states: dict[str, LoginState] = {}
        self.staff: dict[tuple[str, str], StaffRole] = {}
        self.failures: dict[tuple[str, int], tuple[int, float]] = {}  # (source hash, window) -> (count, expiry)

    # ---- sessions
    def create_session(self, session: Session) -> None:
        with self.lock:
            if session.id_hash in self.sessions:
                raise Conflict("a session with this id exists")
            self.sessions[session.id_hash] = session

    def get_session(self, id_hash: str, now: float) -> Session | None:
        with self.lock:
            session = self.sessions.get(id_hash)
        return session if session is not None and session.expires_at > now else None

    def delete_session(self, id_hash: str) -> None:
        with self.lock:
            self.sessions.pop(id_hash, None)

    # ---- login states
    def put_login_state(self, state: LoginState) -> None:
        with self.lock:
            if state.state_hash in self.states:
                raise Conflict("this login state exists")
            self.states[state.state_hash] = state

    def take_login_state(self, state_hash: str, now: float) -> LoginState | None:
        with self.lock:
            state = self.states.pop(state_hash, None)
        return state if state is not None and state.expires_at > now else None

    # ---- failed sign-ins
    def add_sign_in_failure(self, source_hash: str, window: int, expires_at: float) -> int:
        with self.lock:
            count = self.failures.get((source_hash, window), (0, 0.0))[0] + 1
            self.failures[(source_hash, window)] = (count, expires_at)
        return count

    def sign_in_failures(self, source_hash: str, window: int, now: float) -> int:
        with self.lock:
            count, expires_at = self.failures.get((source_hash, window), (0, 0.0))
        return count if expires_at > now else 0

    # ---- staff roles
    def put_staff_role(self, scope: Scope, role: StaffRole) -> None:
        scope.check(role.account_id)
        with self.lock:
            self.staff[(role.account_id, role.userid)] = role

    def get_staff_role(self, account_id: str, userid: str) -> StaffRole | None:
        with self.lock:
            return self.staff.get((account_id, userid))

    def list_staff_roles(self, scope: Scope, account_id: str, *, limit: int,
                         start: dict | None = None) -> tuple[list[StaffRole], dict | None]:
        scope.check(account_id)
        after = (start or {}).get("userid")
        with self.lock:
            mine = sorted((r for (a, _u), r in self.staff.items() if a == account_id), key=lambda r: r.userid)
        mine = [r for r in mine if after is None or r.userid > after]
        chunk = mine[:limit]
        return chunk, ({"userid": chunk[-1].userid} if len(mine) > limit else None)

    def delete_staff_role(self, scope: Scope, account_id: str, userid: str) -> StaffRole | None:
        scope.check(account_id)
        with self.lock:
            return self.staff.pop((account_id, userid), None)
