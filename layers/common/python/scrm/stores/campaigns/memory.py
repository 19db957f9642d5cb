"""The in-memory campaign store: the twin of DynamoCampaignStore for unit tests (same conditions, same errors).

One lock makes every method one atomic step, as one DynamoDB transaction is; rows handed out are frozen copies.
"""

from __future__ import annotations

import copy
import random
import threading
from dataclasses import replace

from ...domain.campaigns import DAILY_LIMIT, DAILY_VOTE_LIMIT, OPTION_VOTE_LIMIT, TOTAL_LIMIT, shard_order
from ...tenancy import Scope
from .base import (
    AlreadyRedeemed,
    CampaignRow,
    CodeSlot,
    DerivedReads,
    DrawPlan,
    DrawRow,
    DuplicateDraw,
    DuplicateVote,
    LimitReached,
    Participant,
    ShardChange,
    ShardMoved,
    ShardStock,
    ShareLink,
    StaleVersion,
    UploadBusy,
    UploadLease,
    VotePlan,
    VoteRow,
    VoteTally,
    check_item_count,
)
from .memory_privacy import MemoryCampaignPrivacy


class _Pool:
    """One coupon prize's codes: slots (shard, n) -> code and claim, markers code -> slot, the upload lease."""

    def __init__(self):
        self.slots: dict[tuple[int, int], dict] = {}
        self.markers: dict[str, tuple[int, int] | None] = {}
        self.lease: tuple[str, float] | None = None  # (owner, until)


class MemoryCampaignStore(MemoryCampaignPrivacy, DerivedReads):
    def __init__(self, scope: Scope | None = None):
        self.scope = scope or Scope.system()
        self.lock = threading.RLock()
        self.campaigns: dict[tuple[str, str], CampaignRow] = {}
        self.shards: dict[tuple[str, str], dict[tuple[str, int], ShardStock]] = {}
        self.pools: dict[tuple[str, str, str], _Pool] = {}
        self.draws: dict[tuple[str, str], dict[str, DrawRow]] = {}
        self.people: dict[tuple[str, str], dict[str, Participant]] = {}
        self.days: dict[tuple[str, str, str, str], int] = {}
        self.links: dict[tuple[str, str], dict[str, ShareLink]] = {}
        self.marks: set[tuple[str, str, str, str, str]] = set()
        self.votes: dict[tuple[str, str], dict[str, VoteRow]] = {}

    def _c(self, account_id: str, campaign_id: str | None = None) -> tuple[str, str]:
        return self.scope.check(account_id), campaign_id

    # ---- campaigns
    def get_campaign(self, account_id, campaign_id):
        key = self._c(account_id, campaign_id)
        with self.lock:
            row = self.campaigns.get(key)
            return copy.deepcopy(row)

    def page_campaigns(self, account_id, limit, after=None):
        self._c(account_id)
        with self.lock:
            ids = sorted(c for a, c in self.campaigns if a == account_id and (after is None or c > after))
            rows = [copy.deepcopy(self.campaigns[(account_id, c)]) for c in ids[:limit]]
        return rows, (ids[limit - 1] if len(ids) > limit else None)

    def all_campaigns(self):
        with self.lock:
            rows = [copy.deepcopy(r) for (a, _), r in sorted(self.campaigns.items())
                    if self.scope.account_id in (None, a)]
        return rows

    def create_campaign(self, row: CampaignRow, changes):
        key = self._c(row.account_id, row.campaign_id)
        changes = check_item_count(changes, lease=False)
        with self.lock:
            if key in self.campaigns:
                raise StaleVersion(row.campaign_id)
            self._check_shards(key, changes)
            self.campaigns[key] = copy.deepcopy(row)
            self._apply_shards(key, changes)

    def change_campaign(self, account_id, campaign_id, version, fields, changes, lease=None):
        key = self._c(account_id, campaign_id)
        changes = check_item_count(changes, lease=lease is not None)
        with self.lock:
            if lease is not None and not self._holds(lease):
                raise ShardMoved("the upload lease was lost; retry the upload")
            row = self.campaigns.get(key)
            if row is None or row.version != version:
                raise StaleVersion(campaign_id)
            self._check_shards(key, changes)
            self.campaigns[key] = replace(row, **copy.deepcopy(fields), version=version + 1)
            self._apply_shards(key, changes)

    def _check_shards(self, key, changes: list[ShardChange]) -> None:
        shards = self.shards.get(key, {})
        for change in changes:
            if change.seen is not None:
                have = shards.get((change.prize_id, change.shard))
                if (have.stock if have else 0) != change.seen:
                    raise ShardMoved(key[1])

    def _apply_shards(self, key, changes: list[ShardChange]) -> None:
        shards = self.shards.setdefault(key, {})
        for change in changes:
            have = shards.get((change.prize_id, change.shard)) or ShardStock(change.prize_id, change.shard,
                                                                             change.kind)
            stock = have.stock + change.add if change.seen is None else change.to
            shards[(change.prize_id, change.shard)] = replace(have, kind=change.kind, stock=stock)

    def set_lottery(self, account_id, campaign_id, state, result, expect_state=None):
        key = self._c(account_id, campaign_id)
        with self.lock:
            row = self.campaigns.get(key)
            if row is None or (expect_state is not None and row.lottery_state != expect_state):
                return False
            self.campaigns[key] = replace(row, lottery_state=state, lottery_result=copy.deepcopy(result))
            return True

    # ---- stock and codes
    def shard_stock(self, account_id, campaign_id, prize_id=None):
        key = self._c(account_id, campaign_id)
        with self.lock:
            return [s for (p, _), s in sorted(self.shards.get(key, {}).items()) if prize_id in (None, p)]

    def _pool(self, account_id, campaign_id, prize_id) -> _Pool:
        self._c(account_id, campaign_id)
        return self.pools.setdefault((account_id, campaign_id, prize_id), _Pool())

    def take_upload_lease(self, account_id, campaign_id, prize_id, now, seconds):
        import uuid

        with self.lock:
            pool = self._pool(account_id, campaign_id, prize_id)
            if pool.lease is not None and pool.lease[1] >= int(now):
                raise UploadBusy(prize_id)
            lease = UploadLease(account_id, campaign_id, prize_id, uuid.uuid4().hex)
            pool.lease = (lease.owner, int(now + seconds))
            return lease

    def _holds(self, lease: UploadLease) -> bool:
        pool = self._pool(lease.account_id, lease.campaign_id, lease.prize_id)
        return pool.lease is not None and pool.lease[0] == lease.owner

    def release_upload_lease(self, lease):
        with self.lock:
            if self._holds(lease):
                self._pool(lease.account_id, lease.campaign_id, lease.prize_id).lease = None

    def claim_code(self, account_id, campaign_id, prize_id, code, stock):
        with self.lock:
            pool = self._pool(account_id, campaign_id, prize_id)
            if code not in pool.markers:
                pool.markers[code] = None
                return True
            slot = pool.markers[code]
            if slot is None or slot[1] >= stock.get(slot[0], 0):
                return True
            held = pool.slots.get(slot)
            return held is None or held["code"] != code

    def put_code(self, account_id, campaign_id, prize_id, shard, n, code):
        with self.lock:
            pool = self._pool(account_id, campaign_id, prize_id)
            pool.slots[(shard, n)] = {"code": code}
            pool.markers[code] = (shard, n)

    def find_code(self, account_id, campaign_id, prize_id, code):
        with self.lock:
            pool = self._pool(account_id, campaign_id, prize_id)
            if code not in pool.markers:
                return None
            slot = pool.markers[code]
            held = pool.slots.get(slot) if slot else None
            return CodeSlot(code, held.get("draw_id") if held else None)

    # ---- draws
    def commit_draw(self, plan: DrawPlan, rng=None):
        rng = rng or random.SystemRandom()
        key = self._c(plan.account_id, plan.campaign_id)
        with self.lock:
            draws = self.draws.setdefault(key, {})
            if plan.draw_id in draws:
                raise DuplicateDraw(draws[plan.draw_id])
            user = self.people.get(key, {}).get(plan.openid) or Participant(plan.openid)
            self._check_limits(key, plan, user)
            prize, fallback, shard, code = self._pick_stock(key, plan, user, rng)
            win = prize is not None and not prize.is_thanks
            record = DrawRow(plan.account_id, plan.campaign_id, plan.draw_id, plan.openid, plan.source,
                             "win" if win else "thanks", int(plan.now), day=plan.day, fallback=fallback)
            if prize is not None:
                record = replace(record, prize_id=prize.prize_id, prize_kind=prize.kind, prize_name=prize.name,
                                 points=prize.points if prize.kind == "points" else None)
            if win:
                record = replace(record, shard=shard, code=code, notify_pending=plan.notify)
                self._issue(key, plan, prize.prize_id, shard, code)
            draws[plan.draw_id] = record
            self._count(key, plan, user, win)
            return record

    def _check_limits(self, key, plan: DrawPlan, user: Participant) -> None:
        if not plan.counts_as_draw:
            return
        if plan.day and plan.daily_cap is not None and \
                self.days.get((*key, plan.openid, plan.day), 0) >= plan.daily_cap:
            raise LimitReached(DAILY_LIMIT)
        if plan.total_cap is not None and user.draws >= plan.total_cap:
            raise LimitReached(TOTAL_LIMIT)

    def _pick_stock(self, key, plan: DrawPlan, user: Participant, rng):
        """(prize, fallback, shard, code): the prize with the shard (and code) it takes, or thanks and why."""
        prize = plan.prize
        if prize is None or prize.is_thanks:
            return prize, None, None, None
        if plan.wins_cap is not None and user.wins >= plan.wins_cap:
            return None, "win_limit", None, None
        shards = self.shards.get(key, {})
        pool = self.pools.get((*key, prize.prize_id)) if prize.kind == "coupon" else None
        for shard in shard_order(prize.shards, rng):
            item = shards.get((prize.prize_id, shard))
            if item is None or item.issued >= item.stock:
                continue
            if prize.kind != "coupon":
                return prize, None, shard, None
            slot = pool.slots.get((shard, item.issued)) if pool else None
            if slot is not None and "claimed_by" not in slot:
                return prize, None, shard, slot["code"]
        return None, "out_of_stock", None, None

    def _issue(self, key, plan: DrawPlan, prize_id: str, shard: int, code: str | None) -> None:
        item = self.shards[key][(prize_id, shard)]
        if code is not None:
            self.pools[(*key, prize_id)].slots[(shard, item.issued)].update(
                claimed_by=plan.openid, draw_id=plan.draw_id, claimed_at=int(plan.now))
        self.shards[key][(prize_id, shard)] = replace(item, issued=item.issued + 1)

    def _count(self, key, plan: DrawPlan, user: Participant, win: bool) -> None:
        now = int(plan.now)
        user = replace(user, first_seen_at=user.first_seen_at or now, draws=user.draws + plan.counts_as_draw,
                       wins=user.wins + win)
        if plan.enter_lottery and user.entered_at is None:
            user = replace(user, entered_at=now)
        self.people.setdefault(key, {})[plan.openid] = user
        if plan.counts_as_draw and plan.day:
            day = (*key, plan.openid, plan.day)
            self.days[day] = self.days.get(day, 0) + 1

    def get_draw(self, account_id, campaign_id, draw_id):
        key = self._c(account_id, campaign_id)
        with self.lock:
            return self.draws.get(key, {}).get(draw_id)

    def query_draws(self, account_id, campaign_id, prefix="", outcome=None, openid=None):
        key = self._c(account_id, campaign_id)
        with self.lock:
            rows = [r for i, r in sorted(self.draws.get(key, {}).items()) if i.startswith(prefix)]
        return [r for r in rows if outcome in (None, r.outcome) and openid in (None, r.openid)]

    def page_draws(self, account_id, campaign_id, outcome, limit, after=None):
        key = self._c(account_id, campaign_id)
        with self.lock:
            ids = sorted(i for i in self.draws.get(key, {}) if after is None or i > after)
            read = [self.draws[key][i] for i in ids[:limit]]
        return [r for r in read if outcome in (None, r.outcome)], (ids[limit - 1] if len(ids) > limit else None)

    def redeem_draw(self, account_id, campaign_id, draw_id, at, by, note=None):
        key = self._c(account_id, campaign_id)
        with self.lock:
            row = self.draws[key][draw_id]
            if row.redeemed_at is not None:
                raise AlreadyRedeemed(row)
            row = replace(row, redeemed_at=at, redeemed_by=by, redemption_note=note or row.redemption_note)
            self.draws[key][draw_id] = row
            return row

    def pending_notifications(self, account_id, campaign_id, limit):
        key = self._c(account_id, campaign_id)
        with self.lock:
            return [r for _, r in sorted(self.draws.get(key, {}).items()) if r.notify_pending][:limit]

    def mark_notified(self, account_id, campaign_id, draw_id, at):
        self._update_draw(account_id, campaign_id, draw_id, notify_pending=False, notified_at=at, notify_error=None)

    def mark_notify_failed(self, account_id, campaign_id, draw_id, error, attempts, give_up):
        changes = {"notify_attempts": attempts, "notify_error": error}
        if give_up:
            changes["notify_pending"] = False
        self._update_draw(account_id, campaign_id, draw_id, **changes)

    def _update_draw(self, account_id, campaign_id, draw_id, **changes) -> None:
        key = self._c(account_id, campaign_id)
        with self.lock:
            self.draws[key][draw_id] = replace(self.draws[key][draw_id], **changes)

    # ---- votes
    def commit_vote(self, plan: VotePlan, rng=None):
        key = self._c(plan.account_id, plan.campaign_id)
        with self.lock:
            votes = self.votes.setdefault(key, {})
            if plan.vote_id in votes:
                raise DuplicateVote(votes[plan.vote_id])
            today = [v for v in votes.values() if v.openid == plan.openid and v.day == plan.day]
            if len(today) >= plan.daily_cap:
                raise LimitReached(DAILY_VOTE_LIMIT)
            if plan.one_per_option and any(v.option_id == plan.option_id for v in today):
                raise LimitReached(OPTION_VOTE_LIMIT)
            record = VoteRow(plan.account_id, plan.campaign_id, plan.vote_id, plan.openid, plan.option_id, plan.day,
                             int(plan.now))
            votes[plan.vote_id] = record
            return record

    def get_vote(self, account_id, campaign_id, vote_id):
        key = self._c(account_id, campaign_id)
        with self.lock:
            return self.votes.get(key, {}).get(vote_id)

    def votes_on(self, account_id, campaign_id, openid, day):
        key = self._c(account_id, campaign_id)
        with self.lock:
            mine = sorted((v for v in self.votes.get(key, {}).values() if v.openid == openid and v.day == day),
                          key=lambda v: v.vote_id)
        return len(mine), [v.option_id for v in mine]

    def vote_tally(self, account_id, campaign_id):
        key = self._c(account_id, campaign_id)
        options: dict[str, int] = {}
        days: dict[str, int] = {}
        first: dict[str, str] = {}  # openid -> the first day they voted
        with self.lock:
            for v in sorted(self.votes.get(key, {}).values(), key=lambda v: (v.created_at, v.vote_id)):
                options[v.option_id] = options.get(v.option_id, 0) + 1
                days[v.day] = days.get(v.day, 0) + 1
                first.setdefault(v.openid, v.day)
        new_voters: dict[str, int] = {}
        for day in first.values():
            new_voters[day] = new_voters.get(day, 0) + 1
        return VoteTally(options, len(first), dict(sorted(days.items())), dict(sorted(new_voters.items())))

    # ---- participants
    def participant(self, account_id, campaign_id, openid):
        key = self._c(account_id, campaign_id)
        with self.lock:
            return self.people.get(key, {}).get(openid)

    def draws_on(self, account_id, campaign_id, openid, day):
        key = self._c(account_id, campaign_id)
        with self.lock:
            return self.days.get((*key, openid, day), 0)

    def participants(self, account_id, campaign_id):
        key = self._c(account_id, campaign_id)
        with self.lock:
            return [p for _, p in sorted(self.people.get(key, {}).items())]

    def enter_lottery(self, account_id, campaign_id, openid, now):
        key = self._c(account_id, campaign_id)
        with self.lock:
            people = self.people.setdefault(key, {})
            user = people.get(openid) or Participant(openid)
            people[openid] = replace(user, entered_at=user.entered_at or int(now),
                                     first_seen_at=user.first_seen_at or int(now))

    def lottery_entrants(self, account_id, campaign_id, wins_below=None):
        return [p.openid for p in self.participants(account_id, campaign_id)
                if p.entered_at is not None and (wins_below is None or p.wins < wins_below)]

    # ---- shares
    def create_share_link(self, account_id, campaign_id, link):
        key = self._c(account_id, campaign_id)
        with self.lock:
            links = self.links.setdefault(key, {})
            if link.share_id in links:
                return False
            links[link.share_id] = link
            return True

    def share_link(self, account_id, campaign_id, share_id):
        key = self._c(account_id, campaign_id)
        with self.lock:
            return self.links.get(key, {}).get(share_id)

    def share_links(self, account_id, campaign_id):
        key = self._c(account_id, campaign_id)
        with self.lock:
            return [s for _, s in sorted(self.links.get(key, {}).items())]

    def first_mark(self, account_id, campaign_id, kind, share_id, openid, now):
        key = self._c(account_id, campaign_id)
        mark = (*key, kind, share_id, openid)
        with self.lock:
            if mark in self.marks:
                return False
            self.marks.add(mark)
            return True

    def count_share(self, account_id, campaign_id, share_id, counter):
        key = self._c(account_id, campaign_id)
        with self.lock:
            link = self.links[key][share_id]
            self.links[key][share_id] = replace(link, **{counter: getattr(link, counter) + 1})

    def mark_threshold(self, account_id, campaign_id, share_id, threshold_id):
        key = self._c(account_id, campaign_id)
        with self.lock:
            link = self.links[key][share_id]
            self.links[key][share_id] = replace(link, granted=link.granted | {threshold_id})

    def grant_bonus_draws(self, account_id, campaign_id, share_id, owner, threshold_id, extra, now):
        key = self._c(account_id, campaign_id)
        with self.lock:
            link = self.links.get(key, {}).get(share_id)
            if link is None or threshold_id in link.granted:
                return False
            self.links[key][share_id] = replace(link, granted=link.granted | {threshold_id})
            people = self.people.setdefault(key, {})
            user = people.get(owner) or Participant(owner)
            people[owner] = replace(user, bonus_draws=user.bonus_draws + extra,
                                    first_seen_at=user.first_seen_at or int(now))
            return True
