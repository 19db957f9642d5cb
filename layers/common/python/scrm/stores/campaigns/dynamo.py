"""The DynamoDB campaign store: PynamoDB models of scrm.data (campaigns, prizes, coupon_codes, draws, participants,
shares); the multi-item steps are scrm.data.campaign_changes (configuration + stock) and scrm.data.draw_ledger
(the draw transaction). Keys are built here and in those modules only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ...data import campaign_changes, draw_ledger, vote_ledger
from ...data.campaigns import CampaignRecord, campaign_key
from ...data.coupon_codes import CouponCode, code_sk, pool_key, slot_sk
from ...data.draws import DrawRecord
from ...data.participants import ParticipantRecord, day_sk, user_sk
from ...data.prizes import PrizeShard
from ...data.shares import ShareRecord, forward_sk, link_sk, view_sk
from ...data.votes import VoteRecord, ballot_sk
from ...tenancy import Scope
from .base import (
    AlreadyRedeemed,
    CampaignRow,
    CodeSlot,
    DerivedReads,
    DrawRow,
    DuplicateDraw,
    DuplicateVote,
    Participant,
    ShardStock,
    ShareLink,
    UploadBusy,
    UploadLease,
    VoteRow,
    VoteTally,
)
from .dynamo_privacy import DynamoCampaignPrivacy

_STAMPS = ("created_at", "updated_at")
_MARKS = {"view": view_sk, "forward": forward_sk}


def _failed(exc: Exception) -> bool:
    """A conditional write refused (anything else is re-raised by the caller)."""
    return "ConditionalCheckFailed" in str(exc)


def _stamp(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def campaign_row(r: CampaignRecord) -> CampaignRow:
    return CampaignRow(r.account_id, r.campaign_id, dict(r.config), r.status, r.starts_at, r.ends_at,
                       int(r.version), r.lottery_state, r.lottery_commitment,
                       dict(r.lottery_result) if r.lottery_result else None,
                       r.created_at.timestamp(), r.updated_at.timestamp())


def draw_row(account_id: str, campaign_id: str, r: DrawRecord) -> DrawRow:
    def num(v):
        return None if v is None else int(v)

    return DrawRow(account_id, campaign_id, r.draw_id, r.openid, r.source, r.outcome, int(r.created_at),
                   r.prize_id, r.prize_kind, r.prize_name, r.code, num(r.points), num(r.shard), r.day, r.fallback,
                   num(r.redeemed_at), r.redeemed_by, r.redemption_note, r.notify_campaign is not None,
                   num(r.notified_at), r.notify_error, num(r.notify_attempts))


def participant_row(r: ParticipantRecord) -> Participant:
    return Participant(r.openid, int(r.draws or 0), int(r.wins or 0), int(r.bonus_draws or 0),
                       None if r.entered_at is None else int(r.entered_at),
                       None if r.first_seen_at is None else int(r.first_seen_at))


def share_row(r: ShareRecord) -> ShareLink:
    return ShareLink(r.share_id, r.owner, r.parent, int(r.views or 0), int(r.shares or 0),
                     frozenset(r.granted or ()), int(r.created_at or 0))


# Helpers are module functions, not methods: infra.access follows calls to functions (it does not follow
# `self.<method>` calls), so what they touch is granted to the functions whose use cases reach them.


def _draw(account_id: str, campaign_id: str, key: str, draw_id: str) -> DrawRow | None:
    try:
        return draw_row(account_id, campaign_id, DrawRecord.get(key, draw_id, consistent_read=True))
    except DrawRecord.DoesNotExist:
        return None


def _participant_item(key: str, sk: str) -> ParticipantRecord | None:
    try:
        return ParticipantRecord.get(key, sk, consistent_read=True)
    except ParticipantRecord.DoesNotExist:
        return None


class _Scoped:
    def __init__(self, scope: Scope | None = None):
        self.scope = scope or Scope.system()

    def _key(self, account_id: str, campaign_id: str) -> str:
        return campaign_key(self.scope.check(account_id), campaign_id)


# One class per table group: infra.access reads a method's tables from the models its class names, so each
# function is granted only the tables its methods really touch.


class _Campaigns(_Scoped):
    """Table `campaigns` (and the stock shards in `prizes` that change with it)."""

    def get_campaign(self, account_id, campaign_id):
        self.scope.check(account_id)
        try:
            return campaign_row(CampaignRecord.get(account_id, campaign_id, consistent_read=True))
        except CampaignRecord.DoesNotExist:
            return None

    def page_campaigns(self, account_id, limit, after=None):
        self.scope.check(account_id)
        start = {"account_id": {"S": account_id}, "campaign_id": {"S": after}} if after else None
        result = CampaignRecord.query(account_id, limit=limit, last_evaluated_key=start)
        rows = [campaign_row(r) for r in result]
        last = result.last_evaluated_key
        return rows, (last["campaign_id"]["S"] if last else None)

    def all_campaigns(self):
        for record in CampaignRecord.scan():
            if self.scope.account_id in (None, record.account_id):
                yield campaign_row(record)

    def create_campaign(self, row, changes):
        self.scope.check(row.account_id)
        record = CampaignRecord(row.account_id, row.campaign_id, config=row.config, status=row.status,
                                starts_at=row.starts_at, ends_at=row.ends_at, version=row.version,
                                lottery_state=row.lottery_state, lottery_commitment=row.lottery_commitment,
                                created_at=_stamp(row.created_at), updated_at=_stamp(row.updated_at))
        campaign_changes.commit(record, changes)

    def change_campaign(self, account_id, campaign_id, version, fields, changes, lease=None):
        self.scope.check(account_id)
        record = CampaignRecord(account_id, campaign_id)
        actions = [CampaignRecord.version.set(version + 1)]
        for name, value in fields.items():
            attribute = getattr(CampaignRecord, name)
            actions.append(attribute.set(_stamp(value) if name in _STAMPS else value))
        campaign_changes.commit(record, changes, version=version, actions=actions,
                                lease=self._lease_check(lease) if lease else None)

    def set_lottery(self, account_id, campaign_id, state, result, expect_state=None):
        self.scope.check(account_id)
        record = CampaignRecord(account_id, campaign_id)
        condition = CampaignRecord.campaign_id.exists()
        if expect_state is not None:
            condition &= CampaignRecord.lottery_state == expect_state
        try:
            record.update(actions=[CampaignRecord.lottery_state.set(state), CampaignRecord.lottery_result.set(result)],
                          condition=condition)
            return True
        except Exception as exc:
            if not _failed(exc):
                raise
            return False

    def shard_stock(self, account_id, campaign_id, prize_id=None):
        key = self._key(account_id, campaign_id)
        cond = PrizeShard.shard_key.startswith(f"{prize_id}#") if prize_id else None
        return [ShardStock(s.prize_id, int(s.shard), s.kind, int(s.stock), int(s.issued))
                for s in PrizeShard.query(key, cond, consistent_read=True)]


class _CouponCodes(_Scoped):
    """Table `coupon_codes`: code slots, code markers, the upload lease."""

    def _pool(self, account_id, campaign_id, prize_id) -> str:
        return pool_key(self.scope.check(account_id), campaign_id, prize_id)

    def take_upload_lease(self, account_id, campaign_id, prize_id, now, seconds):
        # the lease item lives in the prize's pool: `code` is its owner, `claimed_at` its expiry
        lease = UploadLease(account_id, campaign_id, prize_id, uuid.uuid4().hex)
        item = CouponCode(self._pool(account_id, campaign_id, prize_id), "lease", code=lease.owner,
                          claimed_at=int(now + seconds))
        try:
            item.save(condition=CouponCode.sk.does_not_exist() | (CouponCode.claimed_at < int(now)))
        except Exception as exc:
            if _failed(exc):
                raise UploadBusy(prize_id) from None
            raise
        return lease

    def _lease_check(self, lease: UploadLease):
        item = CouponCode(self._pool(lease.account_id, lease.campaign_id, lease.prize_id), "lease")
        return item, CouponCode.code == lease.owner

    def release_upload_lease(self, lease):
        item, mine = self._lease_check(lease)
        try:
            item.delete(condition=mine)
        except Exception as exc:
            if not _failed(exc):
                raise

    def claim_code(self, account_id, campaign_id, prize_id, code, stock):
        pool = self._pool(account_id, campaign_id, prize_id)
        try:
            CouponCode(pool, code_sk(code), code=code).save(condition=CouponCode.sk.does_not_exist())
            return True
        except Exception as exc:
            if not _failed(exc):
                raise
        marker = CouponCode.get(pool, code_sk(code), consistent_read=True)
        if not marker.slot:
            return True
        _, shard, n = marker.slot.split("#")
        if int(n) >= stock.get(int(shard), 0):
            return True
        try:  # covered by stock: a duplicate, unless a later upload reused that slot for another code
            return CouponCode.get(pool, marker.slot, consistent_read=True).code != code
        except CouponCode.DoesNotExist:
            return True

    def put_code(self, account_id, campaign_id, prize_id, shard, n, code):
        pool = self._pool(account_id, campaign_id, prize_id)
        slot = slot_sk(shard, n)
        CouponCode(pool, slot, code=code).save()
        CouponCode(pool, code_sk(code)).update(actions=[CouponCode.slot.set(slot)])

    def find_code(self, account_id, campaign_id, prize_id, code):
        pool = self._pool(account_id, campaign_id, prize_id)
        try:
            marker = CouponCode.get(pool, code_sk(code))
        except CouponCode.DoesNotExist:
            return None
        if not marker.slot:
            return CodeSlot(code)
        try:
            return CodeSlot(code, CouponCode.get(pool, marker.slot, consistent_read=True).draw_id)
        except CouponCode.DoesNotExist:
            return CodeSlot(code)


class _Draws(_Scoped):
    """Table `draws` (the draw transaction itself is scrm.data.draw_ledger)."""

    def commit_draw(self, plan, rng=None):
        self.scope.check(plan.account_id)
        try:
            record = draw_ledger.commit_draw(plan, rng=rng)
        except DuplicateDraw as dup:
            raise DuplicateDraw(draw_row(plan.account_id, plan.campaign_id, dup.record)) from None
        return draw_row(plan.account_id, plan.campaign_id, record)

    def get_draw(self, account_id, campaign_id, draw_id):
        return _draw(account_id, campaign_id, self._key(account_id, campaign_id), draw_id)

    def query_draws(self, account_id, campaign_id, prefix="", outcome=None, openid=None):
        key = self._key(account_id, campaign_id)
        cond = None
        if outcome is not None:
            cond = DrawRecord.outcome == outcome
        if openid is not None:
            cond = DrawRecord.openid == openid if cond is None else cond & (DrawRecord.openid == openid)
        sk = DrawRecord.draw_id.startswith(prefix) if prefix else None
        return [draw_row(account_id, campaign_id, d) for d in DrawRecord.query(key, sk, filter_condition=cond)]

    def page_draws(self, account_id, campaign_id, outcome, limit, after=None):
        key = self._key(account_id, campaign_id)
        start = {"campaign_key": {"S": key}, "draw_id": {"S": after}} if after else None
        cond = DrawRecord.outcome == outcome if outcome else None
        result = DrawRecord.query(key, filter_condition=cond, limit=limit, last_evaluated_key=start)
        rows = [draw_row(account_id, campaign_id, d) for d in result]
        last = result.last_evaluated_key
        return rows, (last["draw_id"]["S"] if last else None)

    def redeem_draw(self, account_id, campaign_id, draw_id, at, by, note=None):
        key = self._key(account_id, campaign_id)
        record = DrawRecord.get(key, draw_id, consistent_read=True)
        actions = [DrawRecord.redeemed_at.set(at), DrawRecord.redeemed_by.set(by)]
        if note:
            actions.append(DrawRecord.redemption_note.set(note))
        try:
            record.update(actions=actions, condition=DrawRecord.redeemed_at.does_not_exist())
        except Exception as exc:
            if _failed(exc):
                raise AlreadyRedeemed(_draw(account_id, campaign_id, key, draw_id)) from None
            raise
        return draw_row(account_id, campaign_id, record)

    def pending_notifications(self, account_id, campaign_id, limit):
        key = self._key(account_id, campaign_id)
        rows = []
        for pending in DrawRecord.notify_index.query(key, limit=limit):  # the index is eventually consistent
            row = _draw(account_id, campaign_id, key, pending.draw_id)
            if row is not None and row.notify_pending:
                rows.append(row)
        return rows

    def mark_notified(self, account_id, campaign_id, draw_id, at):
        DrawRecord(self._key(account_id, campaign_id), draw_id).update(actions=[
            DrawRecord.notify_campaign.remove(), DrawRecord.notified_at.set(at), DrawRecord.notify_error.remove()])

    def mark_notify_failed(self, account_id, campaign_id, draw_id, error, attempts, give_up):
        actions = [DrawRecord.notify_attempts.set(attempts), DrawRecord.notify_error.set(error)]
        if give_up:
            actions.append(DrawRecord.notify_campaign.remove())
        DrawRecord(self._key(account_id, campaign_id), draw_id).update(actions=actions)


class _Participants(_Scoped):
    """Table `participants`: per-user counters."""

    def participant(self, account_id, campaign_id, openid):
        item = _participant_item(self._key(account_id, campaign_id), user_sk(openid))
        return participant_row(item) if item else None

    def draws_on(self, account_id, campaign_id, openid, day):
        item = _participant_item(self._key(account_id, campaign_id), day_sk(openid, day))
        return int(item.draws or 0) if item else 0

    def participants(self, account_id, campaign_id):
        key = self._key(account_id, campaign_id)
        return [participant_row(p) for p in ParticipantRecord.query(key, ParticipantRecord.sk.startswith("u#"))]

    def enter_lottery(self, account_id, campaign_id, openid, now):
        ParticipantRecord(self._key(account_id, campaign_id), user_sk(openid)).update(actions=[
            ParticipantRecord.openid.set(openid),
            ParticipantRecord.entered_at.set(ParticipantRecord.entered_at | int(now)),
            ParticipantRecord.first_seen_at.set(ParticipantRecord.first_seen_at | int(now))])

    def lottery_entrants(self, account_id, campaign_id, wins_below=None):
        key = self._key(account_id, campaign_id)
        entered = ParticipantRecord.entered_at.exists()
        if wins_below is not None:
            entered &= ParticipantRecord.wins.does_not_exist() | (ParticipantRecord.wins < wins_below)
        return [p.openid for p in ParticipantRecord.query(key, ParticipantRecord.sk.startswith("u#"),
                                                          filter_condition=entered)]


class _Shares(_Scoped):
    """Table `shares`: links and the markers of distinct viewers and onward sharers."""

    def create_share_link(self, account_id, campaign_id, link):
        item = ShareRecord(self._key(account_id, campaign_id), link_sk(link.share_id), share_id=link.share_id,
                           owner=link.owner, parent=link.parent, views=0, shares=0, created_at=link.created_at)
        try:
            item.save(condition=ShareRecord.sk.does_not_exist())
            return True
        except Exception as exc:
            if not _failed(exc):
                raise
            return False

    def share_link(self, account_id, campaign_id, share_id):
        try:
            return share_row(ShareRecord.get(self._key(account_id, campaign_id), link_sk(share_id),
                                             consistent_read=True))
        except ShareRecord.DoesNotExist:
            return None

    def share_links(self, account_id, campaign_id):
        key = self._key(account_id, campaign_id)
        return [share_row(s) for s in ShareRecord.query(key, ShareRecord.sk.startswith("s#"))]

    def first_mark(self, account_id, campaign_id, kind, share_id, openid, now):
        item = ShareRecord(self._key(account_id, campaign_id), _MARKS[kind](share_id, openid), created_at=int(now))
        try:
            item.save(condition=ShareRecord.sk.does_not_exist())
            return True
        except Exception as exc:
            if _failed(exc):
                return False
            raise

    def count_share(self, account_id, campaign_id, share_id, counter):
        ShareRecord(self._key(account_id, campaign_id), link_sk(share_id)).update(
            actions=[getattr(ShareRecord, counter).add(1)])

    def mark_threshold(self, account_id, campaign_id, share_id, threshold_id):
        ShareRecord(self._key(account_id, campaign_id), link_sk(share_id)).update(
            actions=[ShareRecord.granted.add({threshold_id})])

    def grant_bonus_draws(self, account_id, campaign_id, share_id, owner, threshold_id, extra, now):
        return draw_ledger.grant_bonus_draws(self._key(account_id, campaign_id), link_sk(share_id), owner,
                                             threshold_id, extra, now)


def vote_row(account_id: str, campaign_id: str, r: VoteRecord) -> VoteRow:
    return VoteRow(account_id, campaign_id, r.sk[2:], r.openid, r.option_id, r.day, int(r.created_at))


class _Votes(_Scoped):
    """Table `votes` (the vote transaction itself is scrm.data.vote_ledger)."""

    def commit_vote(self, plan, rng=None):
        self.scope.check(plan.account_id)
        try:
            record = vote_ledger.commit_vote(plan, rng=rng)
        except DuplicateVote as dup:
            raise DuplicateVote(vote_row(plan.account_id, plan.campaign_id, dup.record)) from None
        return vote_row(plan.account_id, plan.campaign_id, record)

    def get_vote(self, account_id, campaign_id, vote_id):
        try:
            record = VoteRecord.get(self._key(account_id, campaign_id), ballot_sk(vote_id), consistent_read=True)
        except VoteRecord.DoesNotExist:
            return None
        return vote_row(account_id, campaign_id, record)

    def votes_on(self, account_id, campaign_id, openid, day):
        key = self._key(account_id, campaign_id)
        mine = [r.option_id for r in VoteRecord.query(key, VoteRecord.sk.startswith(ballot_sk(f"{openid}#")),
                                                      filter_condition=VoteRecord.day == day, consistent_read=True)]
        return len(mine), mine

    def vote_tally(self, account_id, campaign_id):
        key = self._key(account_id, campaign_id)
        options: dict[str, int] = {}
        for r in VoteRecord.query(key, VoteRecord.sk.startswith("c#"), consistent_read=True):
            options[r.option_id] = options.get(r.option_id, 0) + int(r.votes or 0)
        days: dict[str, int] = {}
        new_voters: dict[str, int] = {}
        for r in VoteRecord.query(key, VoteRecord.sk.startswith("t#"), consistent_read=True):
            days[r.day] = days.get(r.day, 0) + int(r.votes or 0)
            new_voters[r.day] = new_voters.get(r.day, 0) + int(r.voters or 0)
        return VoteTally(options, sum(new_voters.values()), days, {d: n for d, n in new_voters.items() if n})


class DynamoCampaignStore(_Campaigns, _CouponCodes, _Draws, _Participants, _Shares, _Votes, DynamoCampaignPrivacy,
                          DerivedReads):
    """The campaign store on DynamoDB (see base.CampaignStore for each method's conditions)."""
