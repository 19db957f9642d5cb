"""The menu store's click counters on DynamoDB (table `menu_stats`, scrm.data.menu_stats): the user's marker for the
entry and day is claimed first (a conditional put, in its own partition), then the click (and the user when the claim
succeeded) and the event's marker are one transaction conditioned on that marker's absence; reads sum the shards.
A class of its own, so that the event worker, which only counts, is granted the counters' writes only
(infra/access.py grants per class)."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from pynamodb.exceptions import PutError, TransactWriteError
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
        expires = datetime.fromtimestamp(expires_at, UTC)
        new_user = self._claim_user(user_hash, event_hash, expires)
        for _ in range(TX_CONFLICT_RETRIES + 1):
            try:
                self._count(account_id, entry_id, day, event_hash, new_user, expires, rng.randrange(SHARDS), label)
                return COUNTED if new_user else REPEAT_USER
            except TransactWriteError as exc:
                codes = [getattr(r, "code", None) if r is not None else None
                         for r in (exc.cancellation_reasons or [])]
                if codes and codes[0] == "ConditionalCheckFailed":
                    return DUPLICATE  # the event's marker: counted before
                if "TransactionConflict" not in codes:
                    raise
        raise Conflict("menu click counter: too many concurrent transactions, retry")

    @staticmethod
    def _claim_user(user_hash: str, event_hash: str, expires: datetime) -> bool:
        """The user's marker for (entry, day), claimed by this event: True when it is the user's first event there
        (or this very event claimed it before and crashed before counting: its redelivery counts the user then)."""
        try:
            MenuStatItem("u#" + user_hash, MARKER_SK, by=event_hash, expires=expires).save(
                condition=MenuStatItem.pk.does_not_exist() | (MenuStatItem.by == event_hash))
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @staticmethod
    def _count(account_id, entry_id, day, event_hash, new_user, expires, shard, label) -> None:
        """One transaction: the event's marker (only if absent) and one click (and user) on a counter shard, so the
        counter item takes exactly one transactional write per click."""
        with TransactWrite(connection=MenuStatItem._get_connection().connection) as tx:
            tx.save(MenuStatItem("e#" + event_hash, MARKER_SK, expires=expires),
                    condition=MenuStatItem.pk.does_not_exist())
            actions = [MenuStatItem.account_id.set(account_id), MenuStatItem.entry_id.set(entry_id),
                       MenuStatItem.day.set(day), MenuStatItem.label.set(label[:200]), MenuStatItem.clicks.add(1)]
            if new_user:
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
