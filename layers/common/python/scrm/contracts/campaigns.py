"""Campaign requests: the campaign document (POST, PUT), prize code uploads, signed links, redemptions, and the
user API's draw and share bodies.

The campaign document is read back from storage through the same model (`scrm.domain.campaigns.parse_campaign`),
so its unknown fields are ignored rather than refused. Rules that need the stored campaign (a coupon's stock is
its codes, prizes cannot be removed, shards only grow) stay in the domain; everything one body can say about
itself is here.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .fields import Document, StrictBody, bad, instant, nonblank, number, refuse

MAX_PRIZES = 17
MAX_SHARDS = 64
MAX_THRESHOLDS = 10
PRIZE_KINDS = ("coupon", "physical", "points", "thanks")
STATUSES = ("draft", "active", "paused", "ended")
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,47}$"
DEFAULT_TZ_MINUTES = 480  # China Standard Time: per-day limits roll over at local midnight
MAX_CODES_PER_UPLOAD = 5000
KINDS = ("wheel", "vote")  # 大转盘 (default) or 投票
MIN_OPTIONS, MAX_OPTIONS = 2, 50
MAX_VOTES_PER_DAY = 20
MAX_TALLY_SHARDS = 16
DEFAULT_TALLY_SHARDS = 4
# an option's image: an https URL, or a same-origin media path (no "..", a picture's extension)
MEDIA_PATH = re.compile(r"^/(?:media|static)/(?:[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}/){0,4}"
                        r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.(?:png|jpe?g|gif|webp)$")

Id = Annotated[str, Field(pattern=ID_PATTERN, description="1-48 lowercase letters, digits, '-' or '_'")]
Count = Annotated[int, Field(ge=0, le=100_000)]


class PrizeInput(Document):
    """One prize on the wheel. Exactly one of `weight` (chance = weight / sum of weights) or `probability`
    (chance as given; the rest lands on nothing), the same one for every prize of a campaign."""

    prize_id: Id = Field(description="the prize's id within the campaign (1-48 of a-z 0-9 - _)", examples=["c10"])
    name: nonblank(100, "what the user sees (奖品名称)", examples=["10元优惠券"])
    kind: Literal[PRIZE_KINDS] = Field(description="coupon (codes uploaded), physical, points, or thanks "
                                                   "(谢谢参与, no prize)")
    weight: number(ge=0) | None = Field(None, description="relative weight (>= 0)")
    probability: number(ge=0, le=1) | None = Field(
        None, description="probability of winning it, 0..1")
    stock: Annotated[int, Field(ge=0, le=10_000_000)] | None = Field(
        None, description="physical/points: units available (can only grow); coupons: the codes uploaded "
                          "(a value given here is ignored)")
    shards: Annotated[int, Field(ge=1, le=MAX_SHARDS)] | None = Field(
        None, description="stock items (hot prizes); default 1 below 200 units, else 8; fixed for "
                          "physical/points, may grow for coupons (uploads grow it with the codes)")
    points: Annotated[int, Field(ge=1)] | None = Field(None, description="points granted (points prizes)")

    @model_validator(mode="after")
    def _kind_rules(self):
        problems = []
        if (self.weight is None) == (self.probability is None):
            problems.append(("weight", "needs exactly one of weight or probability"))
        if self.kind in ("physical", "points") and self.stock is None:
            problems.append(("stock", f"is required for a {self.kind} prize"))
        if self.kind == "points" and not self.points:
            problems.append(("points", "is required for a points prize"))
        refuse(problems, "PrizeInput")
        return self


class Eligibility(Document):
    """Who may draw: every rule given must hold (channels and tags: any one of them)."""

    must_follow: bool = Field(True, description="only users following the Official Account")
    must_be_customer: bool = Field(False, description="only people some staff member lists as a WeCom customer")
    channels: list[nonblank(128, "a channel id")] | None = Field(
        None, description="only people brought by one of these channels (or carrying one of the tags)")
    tags: list[nonblank(128, "a tag id")] | None = Field(None, description="OA tag ids (or WeCom corp tag ids)")
    follow_channel: nonblank(128, "a channel id") | None = Field(
        None, description="an oa_qr channel of this account whose code the campaign page shows to a user who does "
                          "not follow yet (GET /u/{account_id}/campaigns/{campaign_id}/follow-qr.svg)")


class Limits(Document):
    """Per-user draw limits; null is unlimited."""

    draws_per_day: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        None, description="draws a user may make per campaign-local day")
    draws_total: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None, description="draws a user may make in all (plus those earned by sharing)")
    wins_total: Annotated[int, Field(ge=0, le=100_000)] | None = Field(
        None, description="prizes a user may win in all")


class Reward(Document):
    """Exactly one of extra draws or a prize."""

    extra_draws: Annotated[int, Field(ge=0, le=100)] = Field(0, description="draws added to the user's limit")
    prize_id: str | None = Field(None, description="a prize of this campaign, granted once")


class ShareThreshold(Document):
    """A reward for a share link reaching `views` views and `shares` onward shares."""

    threshold_id: Id | None = Field(None, description="default t1, t2, ... by position")
    views: Count = Field(0, description="views of the user's share link needed")
    shares: Count = Field(0, description="onward shares needed")
    reward: Reward | None = Field(None, description="{extra_draws} or {prize_id}")

    @model_validator(mode="after")
    def _something_to_reach(self):
        reward = self.reward or Reward()
        refuse(([((), "needs views or shares > 0")] if not (self.views or self.shares) else [])
               + ([("reward", "needs exactly one of extra_draws or prize_id")]
                  if bool(reward.extra_draws) == bool(reward.prize_id) else []), "ShareThreshold")
        return self


class Share(Document):
    thresholds: Annotated[list[ShareThreshold], Field(max_length=MAX_THRESHOLDS)] | None = Field(
        None, description=f"at most {MAX_THRESHOLDS} thresholds")


class Lottery(Document):
    """A lottery drawn once after the campaign ends, with a committed seed (verifiable)."""

    prize_id: str | None = Field(None, description="the prize drawn (not a thanks prize)")
    winners: Count = Field(0, description="how many win (>= 1 with a prize; at most its stock unless a coupon)")


class Notify(Document):
    """How a winner is told."""

    template_id: str | None = Field(None, description="OA template message id")
    text: str | None = Field(None, description="customer-service text")


def _image(value: str) -> str:
    if value.startswith("https://"):
        host = value[8:].split("/", 1)[0]
        if host and not any(c in value for c in ' "\'<>\\`') and "@" not in host:
            return value
        raise bad("must be an https URL with a host and no spaces, quotes or angle brackets")
    if ".." not in value and MEDIA_PATH.match(value):
        return value
    raise bad("must be an https:// URL or a media path such as /media/option-1.jpg")


class VoteOption(Document):
    """One option of a vote campaign (投票选项)."""

    option_id: Id = Field(description="the option's id within the campaign (1-48 of a-z 0-9 - _); never removed "
                                      "once created", examples=["o1"])
    title: nonblank(100, "what the voter sees (shown as text, never markup)", examples=["红色款"])
    description: Annotated[str, Field(max_length=500)] | None = Field(None, description="a line under the title")
    image: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_image)] | None = Field(
        None, description="an https:// URL or a media path (/media/… or /static/… ending .png .jpg .jpeg .gif "
                          ".webp)", examples=["https://img.example.com/o1.jpg"])


class Voting(Document):
    """A vote campaign's rules (per user, per campaign-local day: China by default)."""

    votes_per_day: Annotated[int, Field(ge=1, le=MAX_VOTES_PER_DAY)] = Field(
        1, description=f"votes a user may cast per campaign-local day (1..{MAX_VOTES_PER_DAY})")
    one_per_option: bool = Field(False, description="at most one vote per option per user per day")
    shards: Annotated[int, Field(ge=1, le=MAX_TALLY_SHARDS)] | None = Field(
        None, description=f"counter items per option (a hot option is spread over them; default "
                          f"{DEFAULT_TALLY_SHARDS}); can only grow")


class CampaignBody(Document):
    """A campaign's configuration (抽奖活动 or 投票活动): POST creates it, PUT replaces it (then `version` guards).
    `kind` vote takes `options` and `voting` instead of prizes; the kind never changes."""

    campaign_id: Id | None = Field(None, description="required on POST; on PUT the path names it",
                                   examples=["spring-2027"])
    name: nonblank(200, "the campaign's name", examples=["新春大转盘"])
    starts_at: instant("when draws open: ISO-8601 with a timezone, or epoch seconds")
    ends_at: instant("when draws close (after starts_at): ISO-8601 with a timezone, or epoch seconds")
    status: Literal[STATUSES] | None = Field(None, description="default draft (on PUT: unchanged)")
    tz_minutes: Annotated[int, Field(ge=-720, le=840)] | None = Field(
        None, description=f"UTC offset in minutes of the day per-day limits count (default {DEFAULT_TZ_MINUTES}, "
                          "China)")
    version: int | None = Field(None, description="on PUT: the version read (409 if it changed)")
    eligibility: Eligibility | None = None
    limits: Limits | None = None
    prizes: Annotated[list[PrizeInput], Field(max_length=MAX_PRIZES)] | None = Field(
        None, description=f"at most {MAX_PRIZES}")
    share: Share | None = None
    lottery: Lottery | None = None
    notify: Notify | None = None
    kind: Literal[KINDS] | None = Field(None, description="wheel (大转盘, default) or vote (投票)")
    options: Annotated[list[VoteOption], Field(max_length=MAX_OPTIONS)] | None = Field(
        None, description=f"kind vote: {MIN_OPTIONS}..{MAX_OPTIONS} options")
    voting: Voting | None = None

    @model_validator(mode="after")
    def _coherent(self):
        prizes = self.prizes or []
        ids = [p.prize_id for p in prizes]
        problems = [("ends_at", "must be after starts_at")] if self.ends_at <= self.starts_at else []
        problems += _vote_problems(self)
        problems += _prize_problems(prizes)
        problems += _threshold_problems((self.share and self.share.thresholds) or [], ids)
        problems += _lottery_problems(self.lottery, prizes)
        refuse(problems, "CampaignBody")
        return self


def _vote_problems(body: CampaignBody) -> list:
    if body.kind != "vote":
        return [(name, "only a vote campaign (kind vote) has it") for name in ("options", "voting")
                if getattr(body, name) is not None]
    options = body.options or []
    problems = [(name, "a vote campaign has no " + name) for name, given in (
        ("prizes", bool(body.prizes)), ("lottery", bool(body.lottery and body.lottery.prize_id)),
        ("share", bool(body.share and body.share.thresholds))) if given]
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        problems.append(("options", f"a vote campaign needs {MIN_OPTIONS}..{MAX_OPTIONS} options"))
    ids = [o.option_id for o in options]
    if len(set(ids)) != len(ids):
        problems.append(("options", "option_id values must be unique"))
    return problems


def _prize_problems(prizes: list[PrizeInput]) -> list:
    ids = [p.prize_id for p in prizes]
    problems = [("prizes", "prize_id values must be unique")] if len(set(ids)) != len(ids) else []
    modes = {"probability" if p.probability is not None else "weight" for p in prizes}
    if len(modes) > 1:
        problems.append(("prizes", "use either weight for every prize or probability for every prize"))
    elif modes == {"probability"} and sum(p.probability for p in prizes) > 1 + 1e-9:
        problems.append(("prizes", "prize probabilities add up to more than 1"))
    return problems


def _threshold_problems(thresholds: list[ShareThreshold], prize_ids: list[str]) -> list:
    problems = []
    for i, t in enumerate(thresholds):
        if t.reward and t.reward.prize_id and t.reward.prize_id not in prize_ids:
            problems.append((("share", "thresholds", i, "reward", "prize_id"), "names no prize of this campaign"))
    ids = [t.threshold_id or f"t{i + 1}" for i, t in enumerate(thresholds)]
    if len(set(ids)) != len(ids):
        problems.append((("share", "thresholds"), "threshold_id values must be unique"))
    return problems


def _lottery_problems(lottery: Lottery | None, prizes: list[PrizeInput]) -> list:
    if lottery is None or lottery.prize_id is None:
        return []
    prize = next((p for p in prizes if p.prize_id == lottery.prize_id), None)
    if prize is None:
        return [(("lottery", "prize_id"), "names no prize of this campaign")]
    if prize.kind == "thanks":
        return [(("lottery", "prize_id"), "cannot be a thanks-for-playing prize")]
    if not lottery.winners:
        return [(("lottery", "winners"), "must be >= 1")]
    if prize.kind != "coupon" and lottery.winners > (prize.stock or 0):
        return [(("lottery", "winners"), "exceeds the prize's stock")]
    return []


class CodeUpload(StrictBody):
    """Redemption codes for a coupon prize (duplicates skipped)."""

    codes: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]],
                     Field(max_length=MAX_CODES_PER_UPLOAD)] = Field(
        description=f"at most {MAX_CODES_PER_UPLOAD} codes a call, each at most 64 characters")


class LinkRequest(StrictBody):
    """A signed campaign link for one OA user."""

    openid: Annotated[str, Field(min_length=1, max_length=128)] = Field(description="the user's OA openid")
    ttl_seconds: Annotated[int, Field(ge=60, le=2_592_000)] | None = Field(
        None, description="how long the link works (60 s .. 30 days)")


class Redemption(StrictBody):
    """POST …/campaigns/{campaign_id}/redemptions: the prize handed over, by its draw or by its coupon code."""

    draw_id: Annotated[str, Field(max_length=256)] | None = Field(
        None, description="the draw that won (as the draws list names it)")
    code: Annotated[str, Field(max_length=64)] | None = Field(None, description="or the coupon code the winner shows")
    note: Annotated[str, Field(max_length=500)] | None = Field(
        None, description="what the staff noted (shown in the draws list)")

    @model_validator(mode="after")
    def _names_the_prize(self):
        refuse([] if self.draw_id or self.code else [((), "give draw_id or code")], "Redemption")
        return self


class DrawRequest(Document):
    """A spin of the wheel (user API); retrying with the same request_id returns the same draw. The user API
answers its own error codes (scrm.services.campaigns.DrawRefused), so its routes read these for documentation."""

    request_id: Annotated[str, Field(min_length=8, max_length=64)] | None = Field(
        None, description="the client's idempotency id; required here or as the Idempotency-Key header")


class VoteRequest(Document):
    """A vote (user API); retrying with the same request_id counts once and answers the first vote."""

    option_id: Annotated[str, Field(min_length=1, max_length=48)] = Field(description="the option voted for")
    request_id: Annotated[str, Field(min_length=8, max_length=64)] | None = Field(
        None, description="the client's idempotency id; required here or as the Idempotency-Key header")


class ShareRequest(Document):
    """The user's share link; `parent` also counts an onward share for that link."""

    parent: str | None = Field(None, description="the share id of the link the user arrived by")


class OAuthExchange(Document):
    """A WeChat web-OAuth code (snsapi_base) to exchange for a user token."""

    code: Annotated[str, Field(min_length=1, max_length=512)] = Field(
        description="the `code` WeChat put on the redirect")
