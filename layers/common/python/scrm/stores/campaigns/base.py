"""The campaign store: every read and write the campaign use cases make, behind one interface.

Two implementations honour the same conditions and raise the same errors: `DynamoCampaignStore` (PynamoDB, one
TransactWriteItems where several items change together; see scrm.data.draw_ledger and scrm.data.campaign_changes)
and `MemoryCampaignStore` (one lock, copies out), the twin the unit tests run on. Both check tenancy: every
method names an account and the store's Scope must allow it.

What the store guarantees (the exactness rules of DESIGN.md):
- a campaign is created once (with its stock, or not at all), and every later change of its configuration names
  the version it was computed from: a stale change is refused whole, stock included (`StaleVersion`);
- prize stock never goes below zero and never changes apart from the configuration that says so;
- a draw writes its record, the user's counters (total, per day, wins), the stock and the coupon code together or
  not at all; a retried draw id draws once (`DuplicateDraw`), a limit refuses (`LimitReached`);
- each coupon code sits in one slot and is handed out once; uploads to one prize run one at a time (the lease);
- a share threshold is granted once; a viewer or onward sharer counts once.

Rows handed out are frozen copies: changing one never changes the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from ...domain.campaigns import Prize

# ---------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class CampaignRow:
    """One campaign: its validated configuration (a JSON document) and its lottery state."""

    account_id: str
    campaign_id: str
    config: dict
    status: str
    starts_at: float
    ends_at: float
    version: int = 1
    lottery_state: str | None = None  # pending -> drawing -> drawn
    lottery_commitment: str | None = None  # sha256(seed), published before the end; the seed stays in SSM
    lottery_result: dict | None = None
    created_at: float = 0.0
    updated_at: float = 0.0


@dataclass(frozen=True)
class ShardStock:
    """One stock shard of a prize: `stock` units in total, `issued` handed out (issued <= stock, always)."""

    prize_id: str
    shard: int
    kind: str
    stock: int = 0
    issued: int = 0


@dataclass(frozen=True)
class ShardChange:
    """Stock added to one shard with a configuration change."""

    prize_id: str
    shard: int
    kind: str
    add: int = 0  # physical/points: units added
    seen: int | None = None  # coupons: the shard's stock when the upload read it...
    to: int | None = None  # ...and the stock that covers the slots it wrote


@dataclass(frozen=True)
class DrawRow:
    """One draw (instant, lottery or share reward); a win is a draw with a prize."""

    account_id: str
    campaign_id: str
    draw_id: str
    openid: str
    source: str  # instant | lottery | share
    outcome: str  # win | thanks
    created_at: int
    prize_id: str | None = None
    prize_kind: str | None = None
    prize_name: str | None = None
    code: str | None = None
    points: int | None = None
    shard: int | None = None
    day: str | None = None
    fallback: str | None = None  # why a picked prize became thanks (out_of_stock, win_limit)
    redeemed_at: int | None = None
    redeemed_by: str | None = None
    redemption_note: str | None = None
    notify_pending: bool = False  # a win waiting for its winner notification
    notified_at: int | None = None
    notify_error: str | None = None
    notify_attempts: int | None = None


@dataclass(frozen=True)
class Participant:
    """A user's counters in one campaign (the items that make per-user limits exact)."""

    openid: str
    draws: int = 0  # instant draws, all days
    wins: int = 0
    bonus_draws: int = 0  # earned by sharing
    entered_at: int | None = None  # joined the lottery
    first_seen_at: int | None = None


@dataclass(frozen=True)
class ShareLink:
    """One participant's share link: distinct viewers, distinct onward sharers, thresholds granted."""

    share_id: str
    owner: str
    parent: str | None = None
    views: int = 0
    shares: int = 0
    granted: frozenset[str] = frozenset()
    created_at: int = 0


@dataclass(frozen=True)
class UploadLease:
    """The right to add codes to one prize's pool (one upload at a time; expires so a crash frees it)."""

    account_id: str
    campaign_id: str
    prize_id: str
    owner: str


@dataclass(frozen=True)
class CodeSlot:
    """Where an uploaded code sits: `draw_id` is the draw that got it (None: not handed out yet)."""

    code: str
    draw_id: str | None = None


@dataclass
class DrawPlan:
    """One draw to record: the prize picked (None or thanks: a losing draw) and the limits it is held to."""

    account_id: str
    campaign_id: str
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


@dataclass(frozen=True)
class VoteRow:
    """One vote cast (a ballot): who, for which option, on which campaign-local day."""

    account_id: str
    campaign_id: str
    vote_id: str
    openid: str
    option_id: str
    day: str
    created_at: int


@dataclass
class VotePlan:
    """One vote to record and the limits it is held to (per user per campaign-local day)."""

    account_id: str
    campaign_id: str
    vote_id: str
    openid: str
    option_id: str
    day: str
    now: float
    daily_cap: int
    one_per_option: bool = False
    shards: int = 1


@dataclass(frozen=True)
class VoteTally:
    """A vote campaign's live counts: votes per option, distinct voters, votes (and first-time voters) per day."""

    options: dict[str, int]
    voters: int
    days: dict[str, int]
    new_voters: dict[str, int]

    @property
    def votes(self) -> int:
        return sum(self.options.values())


def vote_id(openid: str, request_id: str) -> str:
    """A vote's id: a retried (or double-tapped) request finds its first vote."""
    return f"{openid}#{request_id}"


def instant_id(openid: str, request_id: str) -> str:
    """An instant draw's id: a retried request finds its first result."""
    return f"i#{openid}#{request_id}"


def lottery_id(openid: str) -> str:
    return f"l#{openid}"


def share_reward_id(share_id: str, threshold_id: str) -> str:
    return f"s#{share_id}#{threshold_id}"


# ---------------------------------------------------------------------------------------------- refusals


class StaleVersion(Exception):
    """The campaign is not at the version (or not absent, for a create) the change was computed from."""


class ShardMoved(Exception):
    """A coupon shard's stock moved since it was read (another upload committed first), or the lease was lost."""


class TooManyItems(ValueError):
    """The change touches more items than one transaction holds; nothing was written."""


class UploadBusy(Exception):
    """Another upload to this prize holds the lease."""


class AlreadyRedeemed(Exception):
    def __init__(self, record: DrawRow):
        super().__init__(f"draw {record.draw_id} already redeemed")
        self.record = record


class DuplicateDraw(Exception):
    """The draw id exists: `record` is the first result (nothing new was written)."""

    def __init__(self, record):
        super().__init__(f"draw {record.draw_id} already exists")
        self.record = record


class LimitReached(Exception):
    """A per-user limit refuses the draw (`reason`: rules.DAILY_LIMIT or rules.TOTAL_LIMIT); nothing was written."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DuplicateVote(Exception):
    """The vote id exists: `record` is the first vote (nothing new was written)."""

    def __init__(self, record):  # a VoteRow (the data layer raises it with its own item)
        super().__init__("the vote exists")
        self.record = record


class LedgerBusy(Exception):
    """Too much contention on the same items; nothing was written, the same request id may be retried."""


MAX_ITEMS = 100  # one transaction: the campaign item, the lease check and at most 98 shard items


def check_item_count(changes: list[ShardChange], lease: bool) -> list[ShardChange]:
    """The changes that write something, or TooManyItems if one transaction cannot hold them."""
    changes = [c for c in changes if c.add or c.seen is not None]
    if 1 + len(changes) + (1 if lease else 0) > MAX_ITEMS:
        raise TooManyItems(f"this change touches {len(changes)} stock shard items; one change may touch at most "
                           f"{MAX_ITEMS - 2}: change fewer prizes (or fewer shards) at once")
    return changes


class DerivedReads:
    """Reads both stores make the same way from their primitive ones."""

    def user_wins(self, account_id: str, campaign_id: str, openid: str) -> list[DrawRow]:
        """The user's wins: on the wheel, then in the lottery, then share rewards."""
        rows = self.query_draws(account_id, campaign_id, instant_id(openid, ""), outcome="win")
        for prefix in (lottery_id(openid), "s#"):
            rows += self.query_draws(account_id, campaign_id, prefix, outcome="win", openid=openid)
        return rows


# ---------------------------------------------------------------------------------------------- the interface


class CampaignStore(Protocol):
    # ---- campaigns
    def get_campaign(self, account_id: str, campaign_id: str) -> CampaignRow | None:
        """The campaign as last written (a consistent read), or None."""

    def page_campaigns(self, account_id: str, limit: int, after: str | None = None
                       ) -> tuple[list[CampaignRow], str | None]:
        """One page of the account's campaigns by id after `after`, and the id to continue after (None: done)."""

    def all_campaigns(self) -> Iterable[CampaignRow]:
        """Every campaign the store's scope may see (the schedule; campaigns are few)."""

    def create_campaign(self, row: CampaignRow, changes: list[ShardChange]) -> None:
        """Create the campaign with its stock in one step: StaleVersion if the id exists (nothing written),
        TooManyItems if the stock touches more shard items than one transaction holds."""

    def change_campaign(self, account_id: str, campaign_id: str, version: int, fields: dict,
                        changes: list[ShardChange], lease: UploadLease | None = None) -> None:
        """Set `fields` and version+1, with the shard changes, only if the campaign is at `version`.

        All or nothing: StaleVersion (another change landed first), ShardMoved (a coupon shard's stock is not
        `seen`, or `lease` is no longer held), TooManyItems. A contention that persists raises ShardMoved."""

    def set_lottery(self, account_id: str, campaign_id: str, state: str, result: dict,
                    expect_state: str | None = None) -> bool:
        """Set the lottery state and result; with `expect_state`, only from that state (False if not)."""

    # ---- stock and codes
    def shard_stock(self, account_id: str, campaign_id: str, prize_id: str | None = None) -> list[ShardStock]:
        """The stock shards (of one prize, or all), consistent."""

    def take_upload_lease(self, account_id: str, campaign_id: str, prize_id: str, now: float,
                          seconds: float) -> UploadLease:
        """Hold the prize's upload lease until now+seconds; UploadBusy if another holder's has not expired."""

    def release_upload_lease(self, lease: UploadLease) -> None:
        """Give the lease back (a no-op if it expired and someone else holds it now)."""

    def claim_code(self, account_id: str, campaign_id: str, prize_id: str, code: str,
                   stock: dict[int, int]) -> bool:
        """Claim the code in the prize's pool; True unless it already sits in a slot a draw can reach.

        `stock` is the shard stock the upload read: a code whose slot lies beyond it was left by a failed upload
        (no draw can see it) and is placed again."""

    def put_code(self, account_id: str, campaign_id: str, prize_id: str, shard: int, n: int, code: str) -> None:
        """Write the code into slot n of the shard (beyond its stock: no draw reads it until the stock covers it)."""

    def find_code(self, account_id: str, campaign_id: str, prize_id: str, code: str) -> CodeSlot | None:
        """The code's slot (with the draw that got it), or None if the code is not in the pool."""

    # ---- draws
    def commit_draw(self, plan: DrawPlan, rng=None) -> DrawRow:
        """Record one draw exactly (see scrm.data.draw_ledger): the record, the counters, the stock and the code
        together. A prize out of stock falls back to thanks (`fallback`), as does a win over `wins_cap`.
        DuplicateDraw (the first result), LimitReached, LedgerBusy: nothing was written."""

    def get_draw(self, account_id: str, campaign_id: str, draw_id: str) -> DrawRow | None:
        ...

    def query_draws(self, account_id: str, campaign_id: str, prefix: str = "", outcome: str | None = None,
                    openid: str | None = None) -> list[DrawRow]:
        """The draws whose id starts with `prefix` (filtered by outcome and openid), by id."""

    def user_wins(self, account_id: str, campaign_id: str, openid: str) -> list[DrawRow]:
        """The user's wins: on the wheel, then in the lottery, then share rewards (DerivedReads)."""

    def page_draws(self, account_id: str, campaign_id: str, outcome: str | None, limit: int,
                   after: str | None = None) -> tuple[list[DrawRow], str | None]:
        """One page of draws by id after `after` (`limit` read, then filtered by outcome: a page may be short),
        and the draw id to continue after (None: done)."""

    def redeem_draw(self, account_id: str, campaign_id: str, draw_id: str, at: int, by: str,
                    note: str | None = None) -> DrawRow:
        """Mark the draw redeemed, once: AlreadyRedeemed (with the stored draw) if it was."""

    def pending_notifications(self, account_id: str, campaign_id: str, limit: int) -> list[DrawRow]:
        """Wins waiting for their winner notification (consistent)."""

    def mark_notified(self, account_id: str, campaign_id: str, draw_id: str, at: int) -> None:
        ...

    def mark_notify_failed(self, account_id: str, campaign_id: str, draw_id: str, error: str, attempts: int,
                           give_up: bool) -> None:
        """Record a failed notification; `give_up` takes the win off the pending list."""

    # ---- participants
    def participant(self, account_id: str, campaign_id: str, openid: str) -> Participant | None:
        ...

    def draws_on(self, account_id: str, campaign_id: str, openid: str, day: str) -> int:
        """The user's instant draws that campaign-local day."""

    def participants(self, account_id: str, campaign_id: str) -> list[Participant]:
        ...

    def enter_lottery(self, account_id: str, campaign_id: str, openid: str, now: float) -> None:
        """Enter the user in the lottery (the first entry time is kept)."""

    def lottery_entrants(self, account_id: str, campaign_id: str, wins_below: int | None = None) -> list[str]:
        """The openids entered in the lottery (with fewer than `wins_below` wins, when given)."""

    # ---- votes
    def commit_vote(self, plan: VotePlan, rng=None) -> VoteRow:
        """Record one vote exactly (see scrm.data.vote_ledger): the ballot, the user's day counter (and option
        marker), the voter and the option's and day's counter shards together. DuplicateVote (the first vote),
        LimitReached (DAILY_VOTE_LIMIT, OPTION_VOTE_LIMIT), LedgerBusy: nothing was written."""

    def get_vote(self, account_id: str, campaign_id: str, vote_id: str) -> VoteRow | None:
        ...

    def votes_on(self, account_id: str, campaign_id: str, openid: str, day: str) -> tuple[int, list[str]]:
        """The user's votes that campaign-local day, and the options they went to (by vote id)."""

    def vote_tally(self, account_id: str, campaign_id: str) -> VoteTally:
        """The live counts (the counter shards summed; consistent)."""

    # ---- shares
    def create_share_link(self, account_id: str, campaign_id: str, link: ShareLink) -> bool:
        """Create the link once; False (and nothing changed) if it exists."""

    def share_link(self, account_id: str, campaign_id: str, share_id: str) -> ShareLink | None:
        ...

    def share_links(self, account_id: str, campaign_id: str) -> list[ShareLink]:
        ...

    def first_mark(self, account_id: str, campaign_id: str, kind: str, share_id: str, openid: str,
                   now: float) -> bool:
        """Put the (view|forward, share, person) marker once; True only the first time (each person counts once)."""

    def count_share(self, account_id: str, campaign_id: str, share_id: str, counter: str) -> None:
        """Add one to the link's `views` or `shares`."""

    def mark_threshold(self, account_id: str, campaign_id: str, share_id: str, threshold_id: str) -> None:
        """Remember that the link's threshold was rewarded (a set: idempotent)."""

    def grant_bonus_draws(self, account_id: str, campaign_id: str, share_id: str, owner: str, threshold_id: str,
                          extra: int, now: float) -> bool:
        """Mark the threshold granted and add `extra` bonus draws to the owner, in one step, once (False: already)."""
