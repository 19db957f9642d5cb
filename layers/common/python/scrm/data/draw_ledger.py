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
from datetime import UTC, datetime

from ..config import settings
from ..container import slot
from ..domain.campaigns import DAILY_LIMIT, TOTAL_LIMIT, shard_order
from ..stores.campaigns.base import DrawPlan, DuplicateDraw, LedgerBusy, LimitReached
from .campaigns import campaign_key
from .coupon_codes import CouponCode, pool_key, slot_sk
from .draws import DrawRecord
from .participants import ParticipantRecord, day_sk, user_sk
from .prizes import PrizeShard, shard_key

__all__ = ["DrawPlan", "DuplicateDraw", "LedgerBusy", "LimitReached", "commit_draw", "grant_bonus_draws"]

MAX_ATTEMPTS = 64
DAY_ITEM_TTL = 3 * 86400


@slot
def draw_connection(_):
    """The container's PynamoDB connection the draw transactions are sent on."""
    from pynamodb.connection import Connection

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

        self.tw = TransactWrite(connection=draw_connection(), client_request_token=token)
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


def _failed_conditions(txn: _Txn, exc: Exception) -> set[str]:
    """The labels whose condition cancelled the transaction; re-raises what is not a cancellation."""
    from pynamodb.exceptions import TransactWriteError

    if not isinstance(exc, TransactWriteError):
        raise exc
    reasons = dict(zip(txn.labels(), _reasons(exc), strict=False))
    if not any(reasons.values()):
        raise exc
    return {k for k, v in reasons.items() if v == "ConditionalCheckFailed"}


class _Draw:
    """One draw being recorded: the prize still in play, the shard (and code slot) the next attempt takes."""

    def __init__(self, plan: DrawPlan, rng):
        self.plan = plan
        self.rng = rng
        self.key = campaign_key(plan.account_id, plan.campaign_id)
        self.prize = plan.prize
        self.fallback = None
        if self.win and plan.wins_cap is not None and plan.wins_cap <= 0:
            self.prize, self.fallback = None, "win_limit"  # `wins < 0` would pass on a missing attribute
        self.order = shard_order(self.prize.shards, rng) if self.prize else []
        coupon = self.prize is not None and self.prize.kind == "coupon"
        self.pool = pool_key(plan.account_id, plan.campaign_id, self.prize.prize_id) if coupon else None
        self.shard = self.seen = self.code = None
        self.record: DrawRecord | None = None

    @property
    def win(self) -> bool:
        return self.prize is not None and not self.prize.is_thanks

    def choose_shard(self) -> bool:
        """Pick the shard of this attempt; False when the shard turned out empty (the attempt is skipped)."""
        self.shard = self.seen = self.code = None
        if self.prize is None:
            return True
        if not self.order:
            self.prize, self.fallback = None, "out_of_stock"
            return True
        self.shard = self.order[0]
        if self.pool is None:
            return True
        item = _read_shard(self.key, self.prize.prize_id, self.shard)  # the code slot is the next issue number
        if item is not None and item.issued < item.stock:
            self.seen = int(item.issued)
            self.code = _code_at(self.pool, self.shard, self.seen)
            if self.code is not None:
                return True
        self.order.pop(0)  # empty, or stock without a code (an upload in progress): skip this shard
        return False

    def transaction(self, attempt: int) -> _Txn:
        """The attempt's transaction: the draw record, the user's counters, the day counter, stock and code."""
        plan = self.plan
        token = hashlib.sha256(f"{self.key}|{plan.draw_id}|{attempt}".encode()).hexdigest()[:36]
        txn = _Txn(token)
        self.record = self._draw_record()
        txn.put("draw", self.record, condition=DrawRecord.draw_id.does_not_exist())
        self._count_user(txn)
        if plan.counts_as_draw and plan.day:
            self._count_day(txn)
        if self.win:
            self._take_stock(txn)
        return txn

    def _draw_record(self) -> DrawRecord:
        plan, prize = self.plan, self.prize
        record = DrawRecord(self.key, plan.draw_id, openid=plan.openid, source=plan.source,
                            outcome="win" if self.win else "thanks", created_at=int(plan.now), day=plan.day,
                            fallback=self.fallback)
        if prize is not None:
            record.prize_id, record.prize_kind, record.prize_name = prize.prize_id, prize.kind, prize.name
            if prize.kind == "points":
                record.points = prize.points
        if self.win:
            record.shard = self.shard
            record.code = self.code
            if plan.notify:
                record.notify_campaign = self.key
        return record

    def _count_user(self, txn: _Txn) -> None:
        plan = self.plan
        actions = [ParticipantRecord.openid.set(plan.openid),
                   ParticipantRecord.first_seen_at.set(ParticipantRecord.first_seen_at | int(plan.now))]
        if plan.enter_lottery:
            actions.append(ParticipantRecord.entered_at.set(ParticipantRecord.entered_at | int(plan.now)))
        condition = None
        if plan.counts_as_draw:
            actions.append(ParticipantRecord.draws.add(1))
            if plan.total_cap is not None:
                condition = ParticipantRecord.draws.does_not_exist() | (ParticipantRecord.draws < plan.total_cap)
        if self.win:
            actions.append(ParticipantRecord.wins.add(1))
            if plan.wins_cap is not None:
                c = ParticipantRecord.wins.does_not_exist() | (ParticipantRecord.wins < plan.wins_cap)
                condition = c if condition is None else condition & c
        txn.update("user", ParticipantRecord(self.key, user_sk(plan.openid)), actions, condition)

    def _count_day(self, txn: _Txn) -> None:
        plan = self.plan
        day_item = ParticipantRecord(self.key, day_sk(plan.openid, plan.day))
        actions = [ParticipantRecord.draws.add(1), ParticipantRecord.openid.set(plan.openid),
                   ParticipantRecord.expires_at.set(datetime.fromtimestamp(plan.now + DAY_ITEM_TTL, UTC))]
        condition = None
        if plan.daily_cap is not None:
            condition = ParticipantRecord.draws.does_not_exist() | (ParticipantRecord.draws < plan.daily_cap)
        txn.update("day", day_item, actions, condition)

    def _take_stock(self, txn: _Txn) -> None:
        shard_item = PrizeShard(self.key, shard_key(self.prize.prize_id, self.shard))
        if self.pool is None:
            txn.update("stock", shard_item, [PrizeShard.issued.add(1)], PrizeShard.issued < PrizeShard.stock)
            return
        txn.update("stock", shard_item, [PrizeShard.issued.add(1)],
                   (PrizeShard.issued == self.seen) & (PrizeShard.issued < PrizeShard.stock))
        slot = CouponCode(self.pool, slot_sk(self.shard, self.seen))
        txn.update("code", slot, [CouponCode.claimed_by.set(self.plan.openid),
                                  CouponCode.draw_id.set(self.plan.draw_id),
                                  CouponCode.claimed_at.set(int(self.plan.now))],
                   CouponCode.code.exists() & CouponCode.claimed_by.does_not_exist())

    def refused(self, failed: set[str]) -> bool:
        """Decide on a cancelled attempt: raise (duplicate, limit), or change course; True: back off first."""
        if "draw" in failed:
            raise DuplicateDraw(DrawRecord.get(self.key, self.plan.draw_id, consistent_read=True))
        if "day" in failed:
            raise LimitReached(DAILY_LIMIT)
        if "user" in failed:
            self._user_refused()
            return False
        if "stock" in failed:
            if self.pool is None:
                self.order.pop(0)  # issued < stock failed: this shard is empty
            return False  # coupons: re-read the shard (another draw took slot `seen`) and retry
        if "code" in failed:
            self.order.pop(0)
            return False
        return True  # TransactionConflict / ThrottlingError: someone else holds an item

    def _user_refused(self) -> None:
        """The user's condition failed: the total limit (refused), or the win limit (the draw counts, as thanks)."""
        plan = self.plan
        if not (self.win and plan.wins_cap is not None):
            raise LimitReached(TOTAL_LIMIT)
        try:
            current = ParticipantRecord.get(self.key, user_sk(plan.openid), consistent_read=True)
        except ParticipantRecord.DoesNotExist:
            current = None
        draws = int(current.draws or 0) if current else 0
        wins = int(current.wins or 0) if current else 0
        if plan.total_cap is not None and plan.counts_as_draw and draws >= plan.total_cap:
            raise LimitReached(TOTAL_LIMIT)
        if wins >= plan.wins_cap:  # the user won enough: the draw still counts, as thanks
            self.prize, self.fallback, self.order = None, "win_limit", []


def commit_draw(plan: DrawPlan, rng=None, sleep=time.sleep) -> DrawRecord:
    """Record one draw exactly; see the module docstring. Returns the draw record written (or found)."""
    rng = rng or random.SystemRandom()
    draw = _Draw(plan, rng)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if not draw.choose_shard():
            continue
        txn = draw.transaction(attempt)
        try:
            txn.commit()
            return draw.record
        except Exception as exc:
            failed = _failed_conditions(txn, exc)
        if draw.refused(failed):
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
