"""The menu store's click counters on DynamoDB (table `menu_stats`, scrm.data.menu_stats): a click, its user and its
event marker are one transaction conditioned on the markers' absence; reads sum the shards. A class of its own, so
that the event worker, which only counts, is granted the counters' writes only (infra/access.py grants per class)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ...data.menu_stats import MARKER_SK, MenuStatItem
from ...errors import Conflict
from ...tenancy import Scope
from ..channels.dynamo import shard_key  # the channel counters' shard keys: `<account_id>#<shard:02d>`
from .base import COUNTED, DUPLICATE, REPEAT_USER, SHARDS

TX_CONFLICT_RETRIES = 5


class DynamoMenuCounters:
    # ---- click counters
    def count_click(self, scope: Scope, account_id: str, entry_id: str, day: str, event_hash: str,
                    user_hash: str, expires_at: int, label: str = "", rng=None) -> str:
        scope.check(account_id)
        rng = rng or random
        with_user = True
        for _ in range(TX_CONFLICT_RETRIES + 1):
            try:
                self._count(account_id, entry_id, day, event_hash, user_hash if with_user else None, expires_at,
                            rng.randrange(SHARDS), label)
                return COUNTED if with_user else REPEAT_USER
            except TransactWriteError as exc:
                codes = [getattr(r, "code", None) if r is not None else None
                         for r in (exc.cancellation_reasons or [])]
                if not codes:
                    raise
                if codes[0] == "ConditionalCheckFailed":
                    return DUPLICATE  # the event's marker: counted before
                if with_user and len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                    with_user = False  # this user was counted on this entry today: count the click only
                    continue
                if "TransactionConflict" not in codes:
                    raise
        raise Conflict("menu click counter: too many concurrent transactions, retry")

    def _count(self, account_id, entry_id, day, event_hash, user_hash, expires_at, shard, label) -> None:
        absent = MenuStatItem.pk.does_not_exist()
        expires = datetime.fromtimestamp(expires_at, UTC)
        with TransactWrite(connection=MenuStatItem._get_connection().connection) as tx:
            tx.save(MenuStatItem("e#" + event_hash, MARKER_SK, expires=expires), condition=absent)
            if user_hash:
                tx.save(MenuStatItem("u#" + user_hash, MARKER_SK, expires=expires), condition=absent)
            actions = [MenuStatItem.account_id.set(account_id), MenuStatItem.entry_id.set(entry_id),
                       MenuStatItem.day.set(day), MenuStatItem.label.set(label[:200]), MenuStatItem.clicks.add(1)]
            if user_hash:
                actions.append(MenuStatItem.users.add(1))
            tx.update(MenuStatItem(shard_key(account_id, shard), f"{day}#{entry_id}"), actions=actions)

    def read_counts(self, scope: Scope, account_id: str, start: str, end: str
                    ) -> tuple[dict[tuple[str, str], dict], int]:
        scope.check(account_id)

        def one(shard: int) -> list:
            return list(MenuStatItem.query(shard_key(account_id, shard),
                                           MenuStatItem.sk.between(f"{start}#", f"{end}#~")))

        with ThreadPoolExecutor(max_workers=8) as pool:
            rows = [r for part in pool.map(one, range(SHARDS)) for r in part]
        out: dict[tuple[str, str], dict] = {}
        for r in rows:
            total = out.setdefault((r.entry_id, r.day), {"clicks": 0, "users": 0, "label": r.label or ""})
            total["clicks"] += int(r.clicks or 0)
            total["users"] += int(r.users or 0)
        return out, len(rows)
