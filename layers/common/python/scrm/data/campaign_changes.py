"""A campaign's configuration and the prize stock it lays out change in one DynamoDB transaction.

  put|update campaigns/<account>/<campaign>   attribute_not_exists (create) | version = :seen (every change)
  update     prizes/<prize>#<shard>            physical/points: ADD stock (never read first)
                                               coupons: stock = :seen -> :seen + codes (the upload's slots)
  check      coupon_codes/<pool>/lease         the upload still holds the prize's upload lease

So a change computed from a stale read (another admin's update, a concurrent upload, a rename) is cancelled
whole: the shards never hold stock the configuration does not say, and no whole-map rewrite lands without the
version it was computed from. A transaction holds at most 100 items: a change touching more shard items is
refused before anything is written.
"""

from __future__ import annotations

import time
import uuid

from ..stores.campaigns.base import MAX_ITEMS, ShardChange, ShardMoved, StaleVersion, TooManyItems, check_item_count
from .campaigns import CampaignRecord, campaign_key
from .prizes import PrizeShard, shard_key

__all__ = ["MAX_ITEMS", "ShardChange", "ShardMoved", "StaleVersion", "TooManyItems", "commit"]

CONFLICT_RETRIES = 5


def _shard_update(txn, key: str, change: ShardChange, index: int) -> None:
    item = PrizeShard(key, shard_key(change.prize_id, change.shard))
    actions = [PrizeShard.prize_id.set(change.prize_id), PrizeShard.shard.set(change.shard),
               PrizeShard.kind.set(change.kind), PrizeShard.issued.set(PrizeShard.issued | 0)]
    condition = None
    if change.seen is None:
        actions.append(PrizeShard.stock.add(change.add))
    else:
        actions.append(PrizeShard.stock.set(change.to))
        condition = PrizeShard.stock == change.seen
        if change.seen == 0:
            condition = PrizeShard.stock.does_not_exist() | condition
    txn.update(f"shard{index}", item, actions, condition)


def commit(record: CampaignRecord, changes: list[ShardChange], *, version: int | None = None, actions=None,
           lease=None, sleep=time.sleep) -> None:
    """Create `record` (version None) or apply `actions` to it at `version`, with the shard changes, atomically."""
    from pynamodb.exceptions import TransactWriteError

    from .draw_ledger import _reasons, _Txn

    changes = check_item_count(changes, lease=lease is not None)
    key = campaign_key(record.account_id, record.campaign_id)
    for attempt in range(1, CONFLICT_RETRIES + 1):
        txn = _Txn(uuid.uuid4().hex)
        if lease is not None:
            lease_model, lease_condition = lease
            txn.tw.condition_check(type(lease_model), lease_model.pool_key, lease_model.sk, condition=lease_condition)
        if version is None:
            txn.put("campaign", record, condition=CampaignRecord.campaign_id.does_not_exist())
        else:
            txn.update("campaign", record, actions, condition=CampaignRecord.version == version)
        for i, change in enumerate(changes):
            _shard_update(txn, key, change, i)
        try:
            txn.commit()
            return
        except TransactWriteError as exc:
            codes = _reasons(exc)
            offset = 1 if lease is not None else 0  # condition checks come first
            if lease is not None and codes and codes[0] == "ConditionalCheckFailed":
                raise ShardMoved("the upload lease was lost; retry the upload") from None
            reasons = dict(zip(txn.labels(), codes[offset:], strict=False))
            if reasons.get("campaign") == "ConditionalCheckFailed":
                raise StaleVersion(record.campaign_id) from None
            if any(v == "ConditionalCheckFailed" for v in reasons.values()):
                raise ShardMoved(record.campaign_id) from None
            if not any(codes):
                raise
            sleep(0.02 * attempt)  # TransactionConflict with a concurrent draw on a shard: nothing written
    raise ShardMoved(f"campaign {record.campaign_id}: stock shards busy, retry")
