"""Make moto's DynamoDB atomic per request, as real DynamoDB is per item.

moto checks a ConditionExpression and then writes without a lock, so two threads can both pass the
same condition; our exactness claims (one token refresh, prize stock never oversold) would then be
tested against a weaker store than production. One lock around every DynamoDB action fixes that
(throughput locally is not the point).
"""

from __future__ import annotations

import copy
import logging
import threading

_LOCK = threading.RLock()
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self):
        with _LOCK:
            return original(self)

    DynamoHandler.call_action = call_action
    _cheap_transactions()
    _installed = True


def _cheap_transactions() -> None:
    """moto backs up every table a transaction touches with a deep copy, so each draw of a campaign costs
    O(items in its tables) and a 2,000-draw run exhausts memory. Under our lock nothing else writes during
    a transaction, so backing up only the items it addresses, and restoring those on cancel, is equivalent."""
    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    class NoTableCopies:
        def deepcopy(self, value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        def __getattr__(self, name):
            return getattr(copy, name)

    models.copy = NoTableCopies()
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        backup = []
        for table, h, r in _addressed(self, transact_items, DynamoType):
            bucket = table.items.get(h) if table.range_key_attr else table.items
            current = (bucket or {}).get(r if table.range_key_attr else h)
            backup.append((table, h, r, copy.deepcopy(current)))
        try:
            return original(self, transact_items)
        except Exception:
            _restore(backup)
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items


def _addressed(backend, transact_items, dynamo_type):
    """(table, hash value, range value) of each item a transaction addresses (`dynamo_type`: moto's DynamoType)."""
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        key = op.get("Key") or op.get("Item")
        if table is None or not key or table.hash_key_attr not in key:
            continue
        hash_value = dynamo_type(key[table.hash_key_attr])
        range_value = dynamo_type(key[table.range_key_attr]) if table.range_key_attr in key else None
        yield table, hash_value, range_value


def _restore(backup) -> None:
    """Put back the items a cancelled transaction addressed (None: it did not exist)."""
    for table, h, r, item in reversed(backup):
        if table.range_key_attr:
            if item is None:
                table.items.get(h, {}).pop(r, None)
            else:
                table.items[h][r] = item
        elif item is None:
            table.items.pop(h, None)
        else:
            table.items[h] = item


def main() -> None:
    """`python -m local.moto_atomic -p PORT`: moto in server mode with atomic DynamoDB."""
    install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per AWS call drowns the banner
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()
