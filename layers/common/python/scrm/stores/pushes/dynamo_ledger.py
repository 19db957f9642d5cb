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
