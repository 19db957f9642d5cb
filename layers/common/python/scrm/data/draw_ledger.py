"""The draw transaction: stock, code, per-user limits and the draw (win) record, all or nothing.

One DynamoDB TransactWriteItems per attempt holds:
  put    draws/<draw_id>                 attribute_not_exists  -> a retried request id draws once
  update participants/u#<openid>         draws < cap (total, incl. share bonus) [and wins < max]
  update participants/d#<openid>#<day>   draws < per-day limit
  update prizes/<prize>#<shard>          issued < stock        (coupons: issued = :seen, the code slot)
  update coupon_codes/slot#<shard>#<n>   code exists and not claimed
If the transaction is cancelled, nothing was written; the cancellation reasons say which condition
failed and the ledger decides: duplicate -> return the first result; limit -> refuse; stock -> try the
next shard, then fall back to "thanks for playing" (still counting the draw); contention -> retry.

Ceiling: every winning draw writes its shard item; DynamoDB gives one item ~1,000 WCU/s and a
transactional write costs 2 WCU, so one shard takes at most ~500 winning draws/s, fewer under
transaction conflicts (concurrent transactions on one item cancel each other). Stock is therefore
split over K shard items (`Prize.shards`); the ceiling is about K x 500 winning draws/s per prize, and
losing draws never touch the shard.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from ..domain.campaigns import DAILY_LIMIT, TOTAL_LIMIT, Prize, shard_order
from .coupon_codes import CouponCode, pool_key, slot_sk
from .draws import DrawRecord
from .participants import ParticipantRecord, day_sk, user_sk
from .prizes import PrizeShard, shard_key

MAX_ATTEMPTS = 64
DAY_ITEM_TTL = 3 * 86400


class DuplicateDraw(Exception):
    def __init__(self, record: DrawRecord):
        super().__init__(f"draw {record.draw_id} already exists")
        self.record = record


class LimitReached(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class LedgerBusy(Exception):
    """Too much contention on the same items; nothing was written, the same request id may be retried."""


@dataclass
class DrawPlan:
    account_id: str
    campaign_id: str
    campaign_key: str
    draw_id: str
    openid: str
    source: str  # instant | lottery | share
    now: float
    prize: Prize | None
    day: str | None = None
    daily_cap: int | None = None  # instant draws: per-day limit
    total_cap: int | None = None  # instant draws: total limit + share bonus
    wins_cap: int | None = None
    counts_as_draw: bool = True
    notify: bool = False
    enter_lottery: bool = False  # an instant draw also enters the user in the campaign's lottery


@lru_cache(maxsize=1)
def _connection():
    from pynamodb.connection import Connection

    from ..config import settings

    return Connection(region=settings().region)


def _reasons(error) -> list[str | None]:
    try:
        reasons = error.cancellation_reasons or []
    except Exception:
        reasons = []
    return [r.code if r is not None else None for r in reasons]


class _Txn:
    """TransactWrite that remembers the item order (PynamoDB sends checks, deletes, puts, updates)."""

    def __init__(self, token: str):
        from pynamodb.transactions import TransactWrite

        self.tw = TransactWrite(connection=_connection(), client_request_token=token)
        self.puts: list[str] = []
        self.updates: list[str] = []

    def put(self, label, model, condition=None):
        self.tw.save(model, condition=condition)
        self.puts.append(label)

    def update(self, label, model, actions, condition=None):
        self.tw.update(model, actions=actions, condition=condition)
        self.updates.append(label)

    def commit(self):
        self.tw._commit()

    def labels(self) -> list[str]:
        return self.puts + self.updates


def _read_shard(campaign_key: str, prize_id: str, shard: int) -> PrizeShard | None:
    try:
        return PrizeShard.get(campaign_key, shard_key(prize_id, shard), consistent_read=True)
    except PrizeShard.DoesNotExist:
        return None


def _code_at(pool: str, shard: int, n: int) -> str | None:
    try:
        return CouponCode.get(pool, slot_sk(shard, n), consistent_read=True).code
    except CouponCode.DoesNotExist:
        return None


def _existing(plan: DrawPlan) -> DrawRecord:
    return DrawRecord.get(plan.campaign_key, plan.draw_id, consistent_read=True)


def commit_draw(plan: DrawPlan, rng=None, sleep=time.sleep) -> DrawRecord:
    """Record one draw exactly; see the module docstring. Returns the draw record written (or found)."""
    rng = rng or random.SystemRandom()
    prize = plan.prize
    fallback = None
    wins_cap = plan.wins_cap
    if prize is not None and not prize.is_thanks and wins_cap is not None and wins_cap <= 0:
        prize, fallback = None, "win_limit"  # `wins < 0` would pass on a missing attribute
    order = shard_order(prize.shards, rng) if prize else []
    pool = pool_key(plan.account_id, plan.campaign_id, prize.prize_id) if prize and prize.kind == "coupon" else None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        code = seen = None
        shard = None
        if prize is not None:
            if not order:
                prize, fallback = None, "out_of_stock"
            else:
                shard = order[0]
                if pool is not None:  # the code slot is the shard's next issue number
                    item = _read_shard(plan.campaign_key, prize.prize_id, shard)
                    if item is None or item.issued >= item.stock:
                        order.pop(0)
                        continue
                    seen = int(item.issued)
                    code = _code_at(pool, shard, seen)
                    if code is None:  # stock without a code (an upload in progress): skip this shard
                        order.pop(0)
                        continue
        win = prize is not None and not prize.is_thanks
        token = hashlib.sha256(f"{plan.campaign_key}|{plan.draw_id}|{attempt}".encode()).hexdigest()[:36]
        txn = _Txn(token)
        record = DrawRecord(
            plan.campaign_key, plan.draw_id, openid=plan.openid, source=plan.source,
            outcome="win" if win else "thanks", created_at=int(plan.now), day=plan.day, fallback=fallback)
        if prize is not None:
            record.prize_id, record.prize_kind, record.prize_name = prize.prize_id, prize.kind, prize.name
            if prize.kind == "points":
                record.points = prize.points
        if win:
            record.shard = shard
            record.code = code
            if plan.notify:
                record.notify_campaign = plan.campaign_key
        txn.put("draw", record, condition=DrawRecord.draw_id.does_not_exist())

        user = ParticipantRecord(plan.campaign_key, user_sk(plan.openid))
        actions = [ParticipantRecord.openid.set(plan.openid),
                   ParticipantRecord.first_seen_at.set(ParticipantRecord.first_seen_at | int(plan.now))]
        if plan.enter_lottery:
            actions.append(ParticipantRecord.entered_at.set(ParticipantRecord.entered_at | int(plan.now)))
        condition = None
        if plan.counts_as_draw:
            actions.append(ParticipantRecord.draws.add(1))
            if plan.total_cap is not None:
                condition = ParticipantRecord.draws.does_not_exist() | (ParticipantRecord.draws < plan.total_cap)
        if win:
            actions.append(ParticipantRecord.wins.add(1))
            if wins_cap is not None:
                c = ParticipantRecord.wins.does_not_exist() | (ParticipantRecord.wins < wins_cap)
                condition = c if condition is None else condition & c
        txn.update("user", user, actions, condition)

        if plan.counts_as_draw and plan.day:
            day_item = ParticipantRecord(plan.campaign_key, day_sk(plan.openid, plan.day))
            day_actions = [ParticipantRecord.draws.add(1), ParticipantRecord.openid.set(plan.openid),
                           ParticipantRecord.expires_at.set(datetime.fromtimestamp(plan.now + DAY_ITEM_TTL, UTC))]
            day_cond = None
            if plan.daily_cap is not None:
                day_cond = ParticipantRecord.draws.does_not_exist() | (ParticipantRecord.draws < plan.daily_cap)
            txn.update("day", day_item, day_actions, day_cond)

        if prize is not None and not prize.is_thanks:
            shard_item = PrizeShard(plan.campaign_key, shard_key(prize.prize_id, shard))
            if pool is not None:
                stock_cond = (PrizeShard.issued == seen) & (PrizeShard.issued < PrizeShard.stock)
            else:
                stock_cond = PrizeShard.issued < PrizeShard.stock
            txn.update("stock", shard_item, [PrizeShard.issued.add(1)], stock_cond)
            if pool is not None:
                slot = CouponCode(pool, slot_sk(shard, seen))
                txn.update("code", slot, [CouponCode.claimed_by.set(plan.openid),
                                          CouponCode.draw_id.set(plan.draw_id),
                                          CouponCode.claimed_at.set(int(plan.now))],
                           CouponCode.code.exists() & CouponCode.claimed_by.does_not_exist())
        try:
            txn.commit()
            return record
        except Exception as exc:
            from pynamodb.exceptions import TransactWriteError

            if not isinstance(exc, TransactWriteError):
                raise
            reasons = dict(zip(txn.labels(), _reasons(exc), strict=False))
            if not any(reasons.values()):
                raise
            failed = {k for k, v in reasons.items() if v == "ConditionalCheckFailed"}
            if "draw" in failed:
                raise DuplicateDraw(_existing(plan)) from None
            if "day" in failed:
                raise LimitReached(DAILY_LIMIT) from None
            if "user" in failed:
                if win and wins_cap is not None:
                    try:
                        current = ParticipantRecord.get(plan.campaign_key, user_sk(plan.openid),
                                                        consistent_read=True)
                    except ParticipantRecord.DoesNotExist:
                        current = None
                    draws = int(current.draws or 0) if current else 0
                    wins = int(current.wins or 0) if current else 0
                    if plan.total_cap is not None and plan.counts_as_draw and draws >= plan.total_cap:
                        raise LimitReached(TOTAL_LIMIT) from None
                    if wins >= wins_cap:  # the user won enough: the draw still counts, as thanks
                        prize, fallback, order = None, "win_limit", []
                    continue
                raise LimitReached(TOTAL_LIMIT) from None
            if "stock" in failed:
                if pool is None:
                    order.pop(0)  # issued < stock failed: this shard is empty
                continue  # coupons: re-read the shard (another draw took slot `seen`) and retry
            if "code" in failed:
                order.pop(0)
                continue
            # TransactionConflict / ThrottlingError: someone else holds an item; back off and retry
            sleep(min(0.2, 0.005 * attempt) * rng.random())
    raise LedgerBusy(f"draw {plan.draw_id}: too much contention after {MAX_ATTEMPTS} attempts")


def grant_bonus_draws(campaign_key: str, share_sk: str, owner: str, threshold_id: str, extra: int, now: float) -> bool:
    """Mark a share threshold granted and add bonus draws to its owner, in one transaction, once."""
    from .shares import ShareRecord

    token = hashlib.sha256(f"{campaign_key}|{share_sk}|{threshold_id}".encode()).hexdigest()[:36]
    txn = _Txn(token)
    txn.update("share", ShareRecord(campaign_key, share_sk), [ShareRecord.granted.add({threshold_id})],
               ShareRecord.sk.exists() & ~ShareRecord.granted.contains(threshold_id))
    txn.update("user", ParticipantRecord(campaign_key, user_sk(owner)),
               [ParticipantRecord.bonus_draws.add(extra), ParticipantRecord.openid.set(owner),
                ParticipantRecord.first_seen_at.set(ParticipantRecord.first_seen_at | int(now))])
    try:
        txn.commit()
        return True
    except Exception as exc:
        from pynamodb.exceptions import TransactWriteError

        if isinstance(exc, TransactWriteError) and "ConditionalCheckFailed" in _reasons(exc):
            return False
        raise
