"""The quota ledger on DynamoDB: reservations and releases in transactions of at most TX_MAX conditional writes.

DynamoPushStore's ledger methods (base.PushStore: reserve_many, release_many, used_many) check tenancy and call
these; `store` is the store whose `round_trips` counts the transactions.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.constants import ALL_OLD
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ...data.quota_ledger import QuotaLedgerRecord as Q
from .layout import TX_CONFLICT_RETRIES, TX_MAX


def transact(store, keys: list[str], add) -> dict[str, dict | None]:
    """Conditional ledger writes in transactions of at most TX_MAX (one round trip each, not one per
    recipient). `add(tx, key)` adds one conditional update. A transaction that any row refuses is
    cancelled whole; its CancellationReasons say which rows (with their item, ALL_OLD), those are
    left out and the rest retried: at most ceil(n / TX_MAX) round trips plus one per cancellation.
    Returns {key: None if written, else the refused row's old item (raw, may be {})}."""
    connection = Q._get_connection().connection
    out: dict[str, dict | None] = {}
    order = list(dict.fromkeys(keys))  # a transaction may address an item only once
    for start in range(0, len(order), TX_MAX):
        pending, conflicts = order[start:start + TX_MAX], 0
        while pending:
            store.round_trips += 1
            try:
                with TransactWrite(connection=connection) as tx:
                    for key in pending:
                        add(tx, key)
            except TransactWriteError as exc:
                reasons = exc.cancellation_reasons or []
                if len(reasons) != len(pending):
                    raise
                refused = {}
                for key, reason in zip(pending, reasons, strict=True):
                    code = getattr(reason, "code", None) if reason is not None else None
                    if code in (None, "None"):
                        continue
                    if code == "ConditionalCheckFailed":
                        refused[key] = reason.raw_item or {}
                    elif code != "TransactionConflict":  # throttled, validation, ...: not ours to hide
                        raise
                if not refused:  # only conflicts with a concurrent transaction: run it again
                    conflicts += 1
                    if conflicts > TX_CONFLICT_RETRIES:
                        raise
                    continue
                out.update(refused)
                pending = [k for k in pending if k not in refused]
                continue
            out.update(dict.fromkeys(pending))
            break
    return out


def reserve_many(store, keys: list[str], limit: int, holder: str, ttl: int) -> list[bool]:
    when = datetime.fromtimestamp(ttl, UTC)
    if limit < 1:
        return [False] * len(keys)
    cond = (Q.used.does_not_exist() | (Q.used < limit)) & ~Q.holders.contains(holder)

    def add(tx, key):
        tx.update(Q(key), actions=[Q.used.add(1), Q.holders.add({holder}), Q.ttl.set(when)], condition=cond,
                  return_values=ALL_OLD)

    result = transact(store, keys, add)

    def granted(key):
        old = result[key]
        # refused: at quota, or this holder already has its slot (a rerun): the old item says which
        return old is None or holder in ((old.get("holders") or {}).get("SS") or [])

    return [granted(k) for k in keys]


def release_many(store, keys: list[str], holder: str) -> None:

    def add(tx, key):  # refused when this holder has no slot there: nothing to give back
        tx.update(Q(key), actions=[Q.used.add(-1), Q.holders.delete({holder})],
                  condition=Q.holders.contains(holder))

    transact(store, keys, add)


def used_many(keys: list[str]) -> dict[str, int]:
    out = {}
    for start in range(0, len(keys), 100):
        for row in Q.batch_get(keys[start:start + 100], attributes_to_get=["key", "used"]):
            out[row.key] = int(row.used or 0)
    return out


# ---- amounts: an account-wide count of messages (a template cap), reserved by the batch
def _holding(key: str, holder: str) -> str:
    """The row that records what `holder` reserved on `key`: a rerun finds it and takes nothing more."""
    return f"{key}|{holder}"


def _used(item: dict | None) -> int:
    return int(((item or {}).get("used") or {}).get("N") or 0)


def _refused(reason) -> str | None:
    code = getattr(reason, "code", None) if reason is not None else None
    return None if code in (None, "None") else code


def reserve_amount(store, key: str, amount: int, limit: int, holder: str, ttl: int) -> int:
    """The holding and the count move in one transaction: the count never passes `limit`, and a holder's
    second reservation is refused by its holding row, whose amount is then the answer."""
    when = datetime.fromtimestamp(ttl, UTC)
    connection = Q._get_connection().connection
    want, conflicts = min(amount, limit), 0
    while want > 0:
        store.round_trips += 1
        try:
            with TransactWrite(connection=connection) as tx:
                tx.update(Q(_holding(key, holder)), actions=[Q.used.set(want), Q.ttl.set(when)],
                          condition=Q.key.does_not_exist(), return_values=ALL_OLD)
                tx.update(Q(key), actions=[Q.used.add(want), Q.ttl.set(when)],
                          condition=Q.used.does_not_exist() | (Q.used <= limit - want), return_values=ALL_OLD)
            return want
        except TransactWriteError as exc:
            held, count = (list(exc.cancellation_reasons or []) + [None, None])[:2]
            if _refused(held) == "ConditionalCheckFailed":
                return _used(held.raw_item)  # a rerun: what it reserved the first time
            if _refused(count) == "ConditionalCheckFailed":
                want = min(amount, limit - _used(count.raw_item))  # what is left now
                continue
            if "TransactionConflict" in (_refused(held), _refused(count)) and conflicts < TX_CONFLICT_RETRIES:
                conflicts += 1
                continue
            raise
    return 0


def release_amount(store, key: str, amount: int, holder: str) -> None:
    """Give back `amount`, conditioned on the holder still holding it: one round trip when it does (the usual
    case). When it holds less (a release ran before), the refusal carries what it holds, and that is given back."""
    connection = Q._get_connection().connection
    give, conflicts = amount, 0
    while give > 0:
        store.round_trips += 1
        try:
            with TransactWrite(connection=connection) as tx:
                tx.update(Q(_holding(key, holder)), actions=[Q.used.add(-give)], condition=Q.used >= give,
                          return_values=ALL_OLD)
                tx.update(Q(key), actions=[Q.used.add(-give)])
            return
        except TransactWriteError as exc:
            held, count = (list(exc.cancellation_reasons or []) + [None, None])[:2]
            if _refused(held) == "ConditionalCheckFailed":
                smaller = min(amount, _used(held.raw_item))
                if smaller >= give:  # cannot happen unless the row changed between the check and the answer
                    raise
                give = smaller
                continue
            if "TransactionConflict" in (_refused(held), _refused(count)) and conflicts < TX_CONFLICT_RETRIES:
                conflicts += 1
                continue
            raise
