"""The account store on DynamoDB: table `accounts` (scrm.data.accounts) and the Token claims of
`callback_claims` (scrm.data.callback_claims). `DynamoAccountReads` is the read side the system uses everywhere
(bootstrap.account_reads), `DynamoAccountList` the sweep's Scan (bootstrap.account_list); `DynamoAccountStore` is
all of it, with the admin reads and the writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from pynamodb.exceptions import DeleteError, PutError, UpdateError

from ...data import callback_claims
from ...data.accounts import AccountRecord
from ...errors import Conflict, NotFound
from ...tenancy import Scope
from .base import REGISTERING, AccountRow, check_changes

FIELDS = ("account_id", "kind", "app_id", "name", "created_at", "updated_at", "original_id", "message_mode",
          "account_type", "status")


def row_of(rec: AccountRecord) -> AccountRow:
    options = rec.options
    options = options.as_dict() if hasattr(options, "as_dict") else dict(options or {})
    return AccountRow(**{name: getattr(rec, name) for name in FIELDS}, options=options)


def record_of(row: AccountRow) -> AccountRecord:
    return AccountRecord(**{name: getattr(row, name) for name in FIELDS}, options=dict(row.options))


def _refused(exc) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def _load(account_id: str) -> AccountRow | None:
    try:
        return row_of(AccountRecord.get(account_id, consistent_read=True))
    except AccountRecord.DoesNotExist:
        return None


def _scoped(scope: Scope, account_id: str) -> AccountRow:
    scope.check(account_id)
    row = _load(account_id)
    if row is None:
        raise NotFound(f"no account {account_id!r}")
    return row


class DynamoAccountReads:
    def load_account(self, account_id: str) -> AccountRow | None:
        return _load(account_id)

    def account_exists(self, account_id: str) -> bool:
        try:
            AccountRecord.get(account_id, attributes_to_get=["account_id"])
            return True
        except AccountRecord.DoesNotExist:
            return False

    def account_status(self, account_id: str) -> str | None:
        try:
            return AccountRecord.get(account_id, consistent_read=True, attributes_to_get=["status"]).status
        except AccountRecord.DoesNotExist:
            return None



class DynamoAccountList:
    """The one read of every account (a schedule's sweep, bootstrap.account_list): a Scan only it is granted."""

    def every_account(self) -> Iterator[AccountRow]:
        for rec in AccountRecord.scan():
            yield row_of(rec)


class DynamoAccountStore(DynamoAccountReads, DynamoAccountList):
    def claim_account_id(self, row: AccountRow, stale_before: datetime) -> None:
        try:
            record_of(row.changed(status=REGISTERING)).save(
                condition=AccountRecord.account_id.does_not_exist()
                | ((AccountRecord.status == REGISTERING) & (AccountRecord.updated_at < stale_before)))
        except PutError as exc:
            if _refused(exc):
                raise Conflict(f"account {row.account_id!r} exists already") from None
            raise

    def abandon_account_claim(self, account_id: str) -> None:
        try:
            AccountRecord(account_id).delete(condition=AccountRecord.status == REGISTERING)
        except DeleteError as exc:
            if not _refused(exc):
                raise

    def save_account(self, row: AccountRow) -> None:
        record_of(row).save()

    def get_account(self, scope: Scope, account_id: str) -> AccountRow:
        return _scoped(scope, account_id)

    def accounts_page(self, scope: Scope, *, limit: int, start: dict | None = None
                      ) -> tuple[list[AccountRow], dict | None]:
        if scope.account_id is not None:
            row = _load(scope.check(scope.account_id))
            return ([row] if row is not None else []), None
        results = AccountRecord.scan(limit=limit, last_evaluated_key=start)
        rows = [row_of(r) for r in results]
        return rows, results.last_evaluated_key

    def update_account(self, scope: Scope, account_id: str, changes: dict, now: datetime) -> AccountRow:
        scope.check(account_id)
        check_changes(changes)
        actions = [getattr(AccountRecord, name).set(value) for name, value in changes.items()]
        actions.append(AccountRecord.updated_at.set(now))
        rec = AccountRecord(account_id)
        try:
            rec.update(actions=actions, condition=AccountRecord.account_id.exists())
        except UpdateError as exc:
            if _refused(exc):
                raise NotFound(f"no account {account_id!r}") from None
            raise
        return row_of(rec)

    def claim_token(self, account_id: str, token: str) -> None:
        callback_claims.claim_token(account_id, token)

    def release_token(self, account_id: str, token: str) -> None:
        callback_claims.release_token(account_id, token)
