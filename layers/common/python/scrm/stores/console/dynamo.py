"""The console access store on DynamoDB (table `console_access`, scrm.data.console_access)."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import DeleteError, PutError

from ...data.console_access import ConsoleItem
from ...errors import Conflict
from ...tenancy import Scope
from .base import LoginState, Session, StaffRole

ONE = "-"  # the range key of items that are alone in their partition (sessions, states)


def _session_pk(id_hash: str) -> str:
    return f"session#{id_hash}"


def _state_pk(state_hash: str) -> str:
    return f"state#{state_hash}"


def _failures_pk(source_hash: str) -> str:
    return f"failures#{source_hash}"


def _staff_pk(account_id: str) -> str:
    return f"staff#{account_id}"


def _ttl(expires_at: float) -> datetime:
    return datetime.fromtimestamp(int(expires_at) + 1, UTC)


def _condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", "") == "ConditionalCheckFailedException"


def _role_of(item: ConsoleItem) -> StaffRole:
    return StaffRole(account_id=item.account_id, userid=item.sk, role=item.role, updated_at=float(item.created_at),
                     updated_by=item.updated_by or "")


class DynamoConsoleStore:
    # ---- sessions
    def create_session(self, session: Session) -> None:
        item = ConsoleItem(_session_pk(session.id_hash), ONE, principal_kind=session.principal_kind,
                           key_id=session.key_id, account_id=session.account_id, corpid=session.corpid,
                           userid=session.userid, role=session.role, csrf_token=session.csrf_token,
                           created_at=session.created_at, expires_at=session.expires_at,
                           ttl=_ttl(session.expires_at))
        try:
            item.save(condition=ConsoleItem.pk.does_not_exist())
        except PutError as exc:
            if _condition_failed(exc):
                raise Conflict("a session with this id exists") from None
            raise

    def get_session(self, id_hash: str, now: float) -> Session | None:
        try:
            item = ConsoleItem.get(_session_pk(id_hash), ONE, consistent_read=True)
        except ConsoleItem.DoesNotExist:
            return None
        if item.expires_at is None or float(item.expires_at) <= now:
            return None  # TTL deletes late: an expired session is gone as of its expiry
        return Session(id_hash=id_hash, principal_kind=item.principal_kind, role=item.role,
                       account_id=item.account_id, csrf_token=item.csrf_token, created_at=float(item.created_at),
                       expires_at=float(item.expires_at), key_id=item.key_id, corpid=item.corpid,
                       userid=item.userid)

    def delete_session(self, id_hash: str) -> None:
        ConsoleItem(_session_pk(id_hash), ONE).delete()

    # ---- login states
    def put_login_state(self, state: LoginState) -> None:
        item = ConsoleItem(_state_pk(state.state_hash), ONE, account_id=state.account_id,
                           expires_at=state.expires_at, ttl=_ttl(state.expires_at))
        try:
            item.save(condition=ConsoleItem.pk.does_not_exist())
        except PutError as exc:
            if _condition_failed(exc):
                raise Conflict("this login state exists") from None
            raise

    def take_login_state(self, state_hash: str, now: float) -> LoginState | None:
        # one conditional delete answering the old item: of two takes only one gets it
        old = _delete_returning(_state_pk(state_hash), ONE)
        if old is None:
            return None
        expires = float((old.get("expires_at") or {}).get("N", 0))
        return LoginState(state_hash, old["account_id"]["S"], expires) if expires > now else None

    # ---- failed sign-ins
    def add_sign_in_failure(self, source_hash: str, window: int, expires_at: float) -> int:
        item = ConsoleItem(_failures_pk(source_hash), str(window))
        item.update(actions=[ConsoleItem.failures.add(1), ConsoleItem.expires_at.set(expires_at),
                             ConsoleItem.ttl.set(_ttl(expires_at))])  # ADD: concurrent failures all count
        return int(item.failures)

    def sign_in_failures(self, source_hash: str, window: int, now: float) -> int:
        try:
            item = ConsoleItem.get(_failures_pk(source_hash), str(window), consistent_read=True)
        except ConsoleItem.DoesNotExist:
            return 0
        return int(item.failures or 0) if float(item.expires_at or 0) > now else 0

    # ---- staff roles
    def put_staff_role(self, scope: Scope, role: StaffRole) -> None:
        scope.check(role.account_id)
        ConsoleItem(_staff_pk(role.account_id), role.userid, account_id=role.account_id, userid=role.userid,
                    role=role.role, created_at=role.updated_at, updated_by=role.updated_by).save()

    def get_staff_role(self, account_id: str, userid: str) -> StaffRole | None:
        try:
            return _role_of(ConsoleItem.get(_staff_pk(account_id), userid, consistent_read=True))
        except ConsoleItem.DoesNotExist:
            return None

    def list_staff_roles(self, scope: Scope, account_id: str, *, limit: int,
                         start: dict | None = None) -> tuple[list[StaffRole], dict | None]:
        scope.check(account_id)
        after = (start or {}).get("userid")
        last = {"pk": {"S": _staff_pk(account_id)}, "sk": {"S": after}} if isinstance(after, str) else None
        # one more than asked: the page knows whether another follows (no empty last page)
        items = list(ConsoleItem.query(_staff_pk(account_id), limit=limit + 1, last_evaluated_key=last,
                                       consistent_read=True))
        chunk = [_role_of(i) for i in items[:limit]]
        return chunk, ({"userid": chunk[-1].userid} if len(items) > limit else None)

    def delete_staff_role(self, scope: Scope, account_id: str, userid: str) -> StaffRole | None:
        scope.check(account_id)
        old = _delete_returning(_staff_pk(account_id), userid)
        if old is None:
            return None
        return StaffRole(account_id=account_id, userid=userid, role=old["role"]["S"],
                         updated_at=float(old["created_at"]["N"]),
                         updated_by=(old.get("updated_by") or {}).get("S", ""))


def _delete_returning(pk: str, sk: str) -> dict | None:
    """Delete the item if it exists and return its attributes as DynamoDB holds them; None if there was none."""
    try:
        answer = ConsoleItem._get_connection().delete_item(pk, range_key=sk, condition=ConsoleItem.pk.exists(),
                                                           return_values="ALL_OLD")
    except DeleteError as exc:
        if _condition_failed(exc):
            return None
        raise
    return (answer or {}).get("Attributes") or None
