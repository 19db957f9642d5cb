"""What the API answers: one model per success body, the shapes the services really return (the OpenAPI
document's response schemas are generated from them: functions/contract.py). `Answer` allows fields beyond
the ones named, so a model names what a client may rely on; tests/integration/test_admin_openapi.py checks
real answers against them (schemathesis).

Shared shapes: `Error` (every error answer, scrm.errors.answer), `page_of(Model)` (every list: `items` and
`next_cursor`).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel, create_model

from . import Answer as _Answer
from .edge_bodies import ReassignmentPolicy  # noqa: F401  (the policy's answer is the policy)
from .fields import Instant
from .replies import ReplyContent, WelcomeSettings  # noqa: F401
from .tags import TagRef


class Answer(_Answer):
    """Base of the answers here: a field's docstring is its description in the document."""

    model_config = ConfigDict(use_attribute_docstrings=True)




class FieldError(Answer):
    field: str
    message: str


class ErrorDetails(Answer):
    """For errors about the caller's request, what is wrong (a bad body: `errors`, every field that is wrong);
    for any other error (configuration, internal) only `request_id`: the answer is generic and the cause is in
    the server's log under that id."""

    request_id: str | None = None
    errors: list[FieldError] | None = None


class ErrorBody(Answer):
    code: str
    message: str
    field: str | None = None
    details: ErrorDetails | None = None
    request_id: str | None = None


class Error(Answer):
    """Every error answer: `{"error": {"code", "message", "field"?, "details"?, "request_id"?}}`."""

    error: ErrorBody


class Page(Answer):
    """One page of a list: pass `next_cursor` as `?cursor=` for the next one (null: the last page)."""

    items: list[Any]
    next_cursor: str | None


@cache
def page_of(item: type) -> type[Page]:
    """The page model of a list of `item`s (component `<Item>Page`)."""
    return create_model(
        f"{item.__name__}Page",
        __base__=Page,
        __module__=__name__,
        items=(list[item], ...),
        __doc__=f"One page of {item.__name__} (`next_cursor`: null on the last page).",
    )


class ReassignmentPlan(Answer):
    plan_id: str
    account_id: str
    handover_userid: str
    mode: Literal["resigned", "onjob"]
    trigger: Literal["callback", "admin", "sweep"] | None = None
    strategy: str | None = None
    takeovers: list[str] | None = None
    status: Literal["running", "done"]
    counts: dict[str, int]
    created_at: Instant | None = None
    updated_at: Instant | None = None
    finished_at: Instant | None = None
    rounds: int | None = None
    error: str | None = None
    notices: list[dict[str, Any]] | None = None
    notice_counts: dict[str, int] | None = None
    """the notices by delivery: recorded (no notify_agentid), sent, failed (WeCom refused), unsent (the account has
    no Secret for the app notify_agentid: set agent_secrets)"""


class ReassignmentItem(Answer):
    plan_id: str | None = None
    kind: Literal["customer", "chat"]
    id: str
    status: Literal["waiting", "done", "refused", "limit_exceeded", "failed"]
    state: str
    takeover_userid: str | None = None
    tried: list[str] | None = None
    errcode: int | None = None
    reason: str | None = None
    submitted_at: Instant | None = None
    updated_at: Instant | None = None
    history: list[dict[str, Any]] | None = None


class EligibilityView(Answer):
    must_follow: bool = True
    must_be_customer: bool | None = None
    channels: list[str] | None = None
    tags: list[str] | None = None
    """
    OA tag ids
    """
    follow_channel: str | None = None
    """
    the oa_qr channel whose code the campaign page shows to a user who does not follow yet
    """


class LimitsView(Answer):
    draws_per_day: Annotated[int | None, Field(ge=1)] = None
    draws_total: Annotated[int | None, Field(ge=1)] = None
    wins_total: Annotated[int | None, Field(ge=0)] = None


class PrizeView(Answer):
    prize_id: str
    name: str
    kind: Literal["coupon", "physical", "points", "thanks"]
    weight: Annotated[float | None, Field(ge=0.0)] = None
    probability: Annotated[float | None, Field(ge=0.0, le=1.0)] = None
    stock: int | None = None
    """
    physical/points; coupons: the codes uploaded
    """
    shards: Annotated[int | None, Field(ge=1, le=64)] = None
    """
    stock items (hot prizes); default 1 below 200 units, else 8; fixed for physical/points, may grow for coupons
    (uploads grow it with the codes)
    """
    points: int | None = None


class RewardView(Answer):
    extra_draws: int | None = None
    prize_id: str | None = None


class ShareThresholdView(Answer):
    threshold_id: str | None = None
    views: int | None = None
    shares: int | None = None
    reward: RewardView | None = None


class ShareView(Answer):
    thresholds: list[ShareThresholdView] | None = None


class LotteryView(Answer):
    prize_id: str | None = None
    winners: Annotated[int | None, Field(ge=1)] = None


class NotifyView(Answer):
    template_id: str | None = None
    text: str | None = None


class VoteOptionView(Answer):
    option_id: str
    title: str
    description: str | None = None
    image: str | None = None
    """
    an https URL or a media path (/media/…)
    """


class VotingView(Answer):
    votes_per_day: int
    one_per_option: bool | None = None
    shards: int | None = None


class VoteResult(Answer):
    vote_id: str
    option_id: str
    day: str
    """
    the campaign-local day (China by default) the vote counts on
    """
    replayed: bool
    """
    true when this request id had already voted: counted once
    """
    votes_today: int
    votes_left: int


class OptionCount(Answer):
    option_id: str
    title: str
    votes: int


class DayCount(Answer):
    day: str
    votes: int
    new_voters: int
    """
    people whose first vote was that day
    """


class VoteResults(Answer):
    campaign_id: str
    status: str
    votes: int
    voters: int
    """
    distinct voters
    """
    options: list[OptionCount]
    days: list[DayCount]


class CampaignConfig(Answer):
    campaign_id: Annotated[str | None, Field(pattern="^[a-z0-9][a-z0-9_-]{0,47}$")] = None
    name: Annotated[str, Field(max_length=200)]
    starts_at: Instant
    """
    on PUT also epoch seconds, or ISO 8601 with any offset
    """
    ends_at: Instant
    """
    on PUT also epoch seconds, or ISO 8601 with any offset
    """
    status: Literal["draft", "active", "paused", "ended"] | None = None
    tz_minutes: int | None = None
    """
    offset for per-day limits (default 480, China)
    """
    version: int | None = None
    """
    on PUT: the version read (409 if it changed)
    """
    eligibility: EligibilityView | None = None
    limits: LimitsView | None = None
    prizes: Annotated[list[PrizeView] | None, Field(max_length=17)] = None
    share: ShareView | None = None
    lottery: LotteryView | None = None
    notify: NotifyView | None = None
    kind: Literal["wheel", "vote"] | None = None
    """
    wheel (大转盘, when absent) or vote (投票)
    """
    options: Annotated[list[VoteOptionView] | None, Field(max_length=50)] = None
    voting: VotingView | None = None


class Campaign(CampaignConfig):
    lottery_state: str | None = None
    campaign_id: Annotated[str, Field(pattern="^[a-z0-9][a-z0-9_-]{0,47}$")]
    version: int
    """
    on PUT: the version read (409 if it changed)
    """


class DrawPrize(Answer):
    prize_id: str | None = None
    name: str | None = None
    kind: str | None = None
    code: str | None = None
    points: int | None = None


class DrawResult(Answer):
    draw_id: str
    outcome: Literal["win", "thanks"]
    replayed: bool | None = None
    fallback: str | None = None
    """
    why a picked prize became thanks: out_of_stock, win_limit
    """
    prize: DrawPrize | None = None


class LotteryRecord(Answer):
    state: str | None = None
    commitment: str | None = None
    algorithm: str | None = None
    participants_count: int | None = None
    participants_digest: str | None = None
    winners: list[str] | None = None
    seed: str | None = None


class Secrets(Answer):
    """
    masked (last characters only)
    """

    app_secret: str | None = None
    token: str | None = None
    aes_key: str | None = None
    console_login_secret: str | None = None
    """
    WeCom: "****" when the console login app's Secret is set, "" when not (never any of its characters)
    """
    agent_secrets: dict[str, str] | None = None
    """
    WeCom: the self-built apps whose Secret is set, by AgentId, each "****" (never any of its characters)
    """


class Account(Answer):
    account_id: str
    kind: Literal["oa", "wecom"]
    app_id: str
    name: str
    original_id: str | None = None
    account_type: str | None = None
    message_mode: Literal["plaintext", "compatible", "safe"] | None = None
    status: Literal["active", "disabled"]
    options: dict[str, Any] | None = None
    callback_url: str
    created_at: Instant | None = None
    updated_at: Instant | None = None
    secrets: Secrets
    """
    masked (last characters only)
    """


class Setup(Answer):
    account_id: str
    callback_url: str
    token: Annotated[str | None, Field(...)]
    """
    null in an Idempotency-Key replay (see SecretsWithheld)
    """
    aes_key: Annotated[str | None, Field(...)]
    """
    null in an Idempotency-Key replay (see SecretsWithheld)
    """
    encrypt_mode: str | None = None


class CallbackCheck(Answer):
    account_id: str
    callback_url: str
    ok: bool
    """the URL answered WeChat's GET check with the echo"""
    status: int | None
    """the URL's HTTP status; null when it did not answer"""
    detail: str
    checked_at: Instant


class SecretsWithheld(Answer):
    """
    Present only in an Idempotency-Key replay of a create whose first response held secrets: those values were
    shown once, in the first response, are stored nowhere, and are null here; the message says how to get new
    ones (revoke and create a key; GET /accounts/{account_id}/setup for the Token and EncodingAESKey).
    """

    fields: list[str]
    """
    paths of the withheld fields, e.g. setup.token
    """
    message: str


class AccountWithSetup(Account):
    setup: Setup
    secrets_withheld: SecretsWithheld | None = None


class ContactBook(Answer):
    book_id: str
    members: list[str]


class Key(Answer):
    key_id: str
    account_id: str
    role: Literal["read-only", "operator", "admin"]
    name: str | None = None
    status: Literal["active", "revoked", "expired"]
    created_at: Instant
    created_by: str | None = None
    expires_at: Instant | None = None
    revoked_at: Instant | None = None


class KeyWithSecret(Key):
    key: Annotated[str | None, Field(...)]
    """
    the API key; shown once (null in an Idempotency-Key replay)
    """
    secrets_withheld: SecretsWithheld | None = None


class AuditLogEntry(Answer):
    at: Instant
    key_id: str
    action: str
    object: str
    method: str | None = None
    outcome: Literal["ok", "error", "denied"]
    status: int
    detail: str | None = None
    request_id: str | None = None


class RefusedKeyword(Answer):
    keyword: str
    reason: str


class ReplyRule(Answer):
    rule_id: str
    match: Literal["exact", "contains", "regex", "click"]
    keywords: list[str]
    reply: ReplyContent
    priority: int
    enabled: bool
    name: str | None = None
    updated_at: Instant | None = None
    refused_keywords: list[RefusedKeyword] | None = None
    """
    Only on regex rules stored before rules ran in RE2: the keywords RE2 will not run (they never match; the
    callback path skips and logs them), and why. Rewrite them in RE2 syntax.
    """


class Recipient(RootModel[str]):
    root: Annotated[str, Field(max_length=64)]


class PushAudienceView(Answer):
    """
    all | tags (tag_ids) | channel (channel_ids) | channel_group (group) | segment (segment_id) | list
    (recipients: openids or external_userids) | staff (WeCom userids) | groups (WeCom customer groups: owners,
    group_tags, chat_ids)
    """

    type: Literal["all", "tags", "channel", "channel_group", "segment", "list", "staff", "groups"]
    tag_ids: list[Any] | None = None
    channel_ids: list[str] | None = None
    group: str | None = None
    segment_id: str | None = None
    recipients: list[Recipient] | None = None
    userids: list[str] | None = None
    owners: list[str] | None = None
    group_tags: list[str] | None = None
    chat_ids: list[str] | None = None


class PushContentView(Answer):
    """
    text (text), image (media_id, or media_ids for several; optional recommend), news (media_id), template
    (template_id, data, url), wecom (text, attachments); OA text/image may set delivery: custom (customer-
    service, within the follower's allowance, one image). Image mass sends go out in WeChat's current
    `images.media_ids` shape
    """

    type: Literal["text", "image", "news", "template", "wecom"]
    text: str | None = None
    media_id: str | None = None
    media_ids: Annotated[list[str] | None, Field(max_length=20, min_length=1)] = None
    recommend: Annotated[str | None, Field(max_length=300)] = None
    template_id: str | None = None
    data: dict[str, Any] | None = None
    url: str | None = None
    attachments: list[dict[str, Any]] | None = None
    delivery: Literal["mass", "custom"] | None = None


class RecurrenceView(Answer):
    freq: Literal["daily", "weekly", "monthly"] | None = None
    interval: Annotated[int | None, Field(ge=1, le=366)] = None
    count: Annotated[int | None, Field(ge=1, le=1000)] = None
    until: str | None = None


class PushConfig(Answer):
    name: Annotated[str | None, Field(max_length=128)] = None
    content: PushContentView
    """
    text (text), image (media_id, or media_ids for several; optional recommend), news (media_id), template
    (template_id, data, url), wecom (text, attachments); OA text/image may set delivery: custom (customer-
    service, within the follower's allowance, one image). Image mass sends go out in WeChat's current
    `images.media_ids` shape
    """
    audience: PushAudienceView
    send_at: str
    """
    ISO 8601; without an offset it is read in `timezone`
    """
    timezone: str | None = None
    """
    IANA zone, default Asia/Shanghai
    """
    recurrence: RecurrenceView | None = None


class PushPreview(Answer):
    audience: int
    """
    people who can still receive it (followers still following; WeCom customers still a customer of the staff
    member, for a channel audience the one the channel brought them to)
    """
    left_out: dict[str, int] | None = None
    """
    people of the audience's definition who cannot receive it any more, per reason: unfollowed (OA), left_staff
    (no longer a customer of the channel's staff member), not_a_customer (no staff member serves them now); for
    a groups audience: dismissed, unknown_group (no callback told us of it), no_owner
    """
    left_out_total: int | None = None
    over_quota: int
    """
    people already at quota (left out and counted)
    """
    eligible: int
    estimated: bool | None = None
    """
    true when over_quota is estimated from a sample (large audiences)
    """
    account_quota_used: bool | None = None
    batches: int | None = None
    api_calls: int | None = None
    strategy: str | None = None
    quota_rules: list[dict[str, Any]] | None = None
    groups: int | None = None
    """
    a groups audience: the customer groups it will be sent to (live groups, at most one message a day each)
    """
    owners: int | None = None
    """
    a groups audience: the group owners who each get one task (add_msg_template, chat_type group)
    """
    sent_today: int | None = None
    """
    a groups audience: groups that already received a group message today (skipped, counted in over_quota)
    """


class Push(Answer):
    push_id: str
    account_id: str | None = None
    name: str | None = None
    status: Literal["draft", "scheduled", "running", "completed", "failed", "cancelled"]
    platform: str | None = None
    delivery: Literal["mass", "template", "custom", "groupmsg"] | None = None
    strategy: str | None = None
    content: dict[str, Any]
    audience: dict[str, Any]
    send_at: Instant
    timezone: str
    recurrence: dict[str, Any] | None = None
    run_no: int | None = None
    next_run_at: Instant | None = None
    preview: PushPreview | None = None
    runs: list[dict[str, Any]] | None = None
    """
    per run: outcome and figures (recipients, eligible, over_quota, outside_window, sent, failed, delivered,
    errors, ...)
    """
    current_run: dict[str, Any] | None = None
    last_error: str | None = None
    created_at: Instant | None = None
    created_by: str | None = None


class Segment(Answer):
    segment_id: str
    account_id: str | None = None
    name: str
    audience: dict[str, Any]
    created_at: Instant | None = None


class WelcomeLinkView(Answer):
    title: str | None = None
    url: str | None = None
    description: str | None = None
    picurl: str | None = None


class WelcomeView(Answer):
    text: str | None = None
    link: WelcomeLinkView | None = None


class Weekday(RootModel[int]):
    root: Annotated[int, Field(ge=1, le=7)]


class WorkingHoursView(Answer):
    days: list[Weekday] | None = None
    """
    1 = Monday
    """
    start: Annotated[str | None, Field(examples=["09:00"])] = None
    end: Annotated[str | None, Field(examples=["18:00"])] = None


class Channel(Answer):
    channel_id: str
    kind: Literal["oa_qr", "wecom_contact_way", "wecom_group"]
    name: str
    group: str
    status: Literal["active", "archived"]
    scene: str | None = None
    """
    OA: the scene as it arrives in EventKey; WeCom: the state
    """
    welcome: dict[str, Any] | None = None
    tags: list[Any] | None = None
    ticket: str | None = None
    url: str | None = None
    """
    the content of the OA QR code
    """
    expires_at: Instant | None = None
    config_id: str | None = None
    qr_code: str | None = None
    """
    WeCom's image URL of the contact way
    """
    users: list[str] | None = None
    """
    staff currently on the contact way
    """
    chat_ids: list[str] | None = None
    """
    wecom_group: the pool of groups the code rotates through
    """
    in_code: list[str] | None = None
    """
    wecom_group: the groups on the code now (at most 5)
    """
    group_cap: int | None = None
    welcome_template: str | None = None
    """wecom_group: the group welcome template's template_id"""
    vip: bool | None = None
    """wecom_group: a customer leaving one of the code's groups is a loss alert"""
    members_only: bool | None = None
    """
    wecom_group: the code is shown only to verified members, on its page /m/{account_id}/{channel_id}
    """
    sign_in_account: str | None = None
    created_at: Instant | None = None
    updated_at: Instant | None = None
    users_updated_at: Instant | None = None
    tag_names: list[TagRef] | None = None
    """WeCom: each corp tag with its name (`deleted` once the catalogue no longer holds it)"""


class ChannelStatsRow(Answer):
    channel_id: str | None = None
    name: str | None = None
    group: str | None = None
    day: str | None = None
    scans: int | None = None
    new_follows: int | None = None
    refollows: int | None = None
    unfollows: int | None = None
    net_growth: int | None = None
    customers_added: int | None = None
    customers_lost: int | None = None
    joins: int | None = None
    lost_d1: int | None = None
    """joiners of the day who left within 1 day (the counter the retention figures are derived from)"""
    lost_d7: int | None = None
    """joiners of the day who left within 7 days"""
    lost_d30: int | None = None
    """joiners of the day who left within 30 days"""
    group_joins: int | None = None
    """customers who joined a customer group through the channel's group code (wecom_group; part of joins)"""
    group_quits: int | None = None
    """of those, left the group"""
    still_following_d1: int | None = None
    """
    null until the day is a day old
    """
    still_following_d7: int | None = None
    still_following_d30: int | None = None
    retention_d1: float | None = None
    """
    totals only: still following / joined, over cohort days old enough
    """
    retention_d7: float | None = None
    retention_d30: float | None = None


class ChannelStats(Answer):
    next_cursor: Annotated[str | None, Field(...)]
    items_read: int | None = None
    """
    counter items this request read (one page of channels)
    """
    account_id: str
    from_: Annotated[str, Field(alias="from")]
    to: str
    today: str | None = None
    shards: int | None = None
    days: list[ChannelStatsRow]
    channels: list[ChannelStatsRow]
    groups: list[dict[str, Any]]
    """
    totals per group of this page's channels
    """


class Contact(Answer):
    contact_id: str
    unionid: str | None = None
    identities: list[str] | None = None
    first_touch: dict[str, Any] | None = None
    last_touch: dict[str, Any] | None = None
    relations: dict[str, Any] | None = None
    touches: list[dict[str, Any]] | None = None


class HealthAnswer(Answer):
    status: str


class AccountContactBookAnswer(Answer):
    book_id: Annotated[str | None, Field(...)]
    """
    the shared book; null: the account's own
    """
    shared: bool
    members: list[str]


class Identifiers(Answer):
    openid: list[str] | None = None
    external_userid: list[str] | None = None
    unionid: list[str] | None = None


class ExportPersonAnswer(Answer):
    account_id: str
    identifiers: Identifiers
    tables: dict[str, list[dict[str, Any]]]
    """
    table name -> the person's items in it
    """
    exported_at: Instant | None = None


class ErasureRequestAnswer(Answer):
    request_id: str
    account_id: str
    status: Literal["pending", "running", "done", "failed"]
    kind: Literal["openid", "external_userid", "unionid"]
    """
    the identifier the person was named by (never the identifier itself)
    """
    requested_by: str
    requested_at: Instant
    updated_at: Instant
    finished_at: Instant | None = None
    tables_done: int
    tables: int
    steps: int
    erased: dict[str, int]
    """
    table name -> the person's items erased or pseudonymised in it
    """
    items: int
    error: str | None = None
    status_url: str


class MatchedRule(Answer):
    rule_id: str
    name: str
    match: Literal["exact", "contains", "regex"]
    keywords: list[str]
    priority: int


class SkippedPattern(Answer):
    rule_id: str
    keyword: str | None
    """None: the whole rule is left out (over the account's RE2 budget)"""
    reason: str


class ReplyTestAnswer(Answer):
    text: str
    answered_by: Literal["rule", "default_reply", "nothing"]
    """which answers: a keyword rule, the default reply (no rule matched), or nothing (no rule, no default)"""
    rule: MatchedRule | None
    """the rule that matched (None unless answered_by is rule)"""
    reply: ReplyContent | None
    """the reply that would be sent (a news reply answering a message sends its first article only)"""
    skipped: list[SkippedPattern]
    """stored regex patterns the matcher leaves out (stored before RE2 and its budgets), as the callback does"""


class DeleteReplyRuleAnswer(Answer):
    deleted: str


class UploadCodesAnswer(Answer):
    prize_id: str
    added: int
    duplicates: int
    stock: int
    shards: int
    """
    the prize's stock shard items after this upload
    """


class IssueLinkAnswer(Answer):
    token: str
    expires_at: Instant
    path: Annotated[str, Field(pattern="^/u/[^/?#]+/campaigns/[^/?#]+#t=")]
    """
    the campaign page route, GET /u/{account_id}/campaigns/{campaign_id}, with the token in the fragment
    (`#t=<token>`: never sent to a server)
    """


class ReportAnswer(Answer):
    campaign_id: str
    participants: int
    lottery_entries: int | None = None
    draws: int
    wins: int
    wins_by_source: dict[str, Any] | None = None
    thanks: int | None = None
    fell_back_to_thanks: int | None = None
    prizes: list[dict[str, Any]]
    shares: dict[str, Any]
    lottery: dict[str, Any] | None = None
    votes: VoteResults | None = None
    """
    a vote campaign's live results
    """


class CampaignPageAnswer(Answer):
    campaign_id: str
    name: str
    status: str
    starts_at: Instant
    ends_at: Instant
    prizes: list[dict[str, Any]]
    lottery: dict[str, Any] | None = None
    """
    the published seed commitment (and the result once drawn)
    """
    api: dict[str, Any]
    kind: Literal["vote"] | None = None
    options: list[VoteOptionView] | None = None
    voting: VotingView | None = None


class SharePageAnswer(Answer):
    campaign: dict[str, Any]
    share_id: str
    api: dict[str, Any]


class UserOauthAnswer(Answer):
    openid: str
    token: str
    expires_at: Instant


class SignInUrl(Answer):
    url: str
    """WeChat's authorize URL: connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope=snsapi_base
    &state#wechat_redirect"""


class JssdkConfig(Answer):
    appId: str
    timestamp: int
    nonceStr: str
    signature: str
    """SHA-1 of jsapi_ticket, noncestr, timestamp and url (JS-SDK 附录1)"""


class UserEnterAnswer(Answer):
    entered: bool | None = None


class UserShareAnswer(Answer):
    share_id: str
    path: str
    granted: list[str] | None = None


class UserViewShareAnswer(Answer):
    counted: bool
    granted: list[str]
    campaign: dict[str, Any] | None = None


class PushBatchesItem(Answer):
    pass


class PreviewPlanAnswer(Answer):
    handover_userid: str
    mode: Literal["resigned", "onjob"]
    strategy: str | None = None
    takeovers: list[str]
    customers: int
    chats: int
    blocked_by_90_day_rule: list[str] | None = None
    per_takeover: dict[str, Any]
    current_loads: dict[str, Any] | None = None
    customer_batches: int | None = None
    chat_batches: int | None = None
    assignment_sample: dict[str, str] | None = None


class AdvancePlanAnswer(Answer):
    plan_id: str
    status: str
    queued: bool


class StaffView(Answer):
    userid: str | None = None
    daily_cap: Annotated[int | None, Field(ge=1)] = None
    hours: list[WorkingHoursView] | None = None


class ChannelConfig(Answer):
    """
    OA (`oa_qr`): qr_type, scene_id or scene_str, expire_seconds (temporary). WeCom (`wecom_contact_way`):
    staff, backup_staff, daily_cap, hours, state. Fields of the other kind are refused (400 naming them).
    """

    kind: Literal["oa_qr", "wecom_contact_way"] | None = None
    name: Annotated[str | None, Field(max_length=64)] = None
    group: Annotated[str, Field(max_length=32)] = "default"
    welcome: WelcomeView | None = None
    tags: list[Any] | None = None
    """
    OA tag ids (integers) or WeCom corp tag ids (strings)
    """
    qr_type: Literal["temporary", "permanent"] = "permanent"
    scene_id: int | None = None
    """
    permanent 1..100000; temporary non-zero 32-bit
    """
    scene_str: Annotated[str | None, Field(max_length=64, min_length=1)] = None
    expire_seconds: Annotated[int | None, Field(ge=60, le=2592000)] = None
    state: Annotated[str | None, Field(max_length=30)] = None
    staff: Annotated[list[str | StaffView] | None, Field(max_length=100)] = None
    backup_staff: list[Any] | None = None
    daily_cap: Annotated[int | None, Field(ge=1, le=100000)] = None
    hours: list[WorkingHoursView] | None = None
    skip_verify: bool | None = None


# ---- customer groups (scrm.services.groups)

class CustomerGroup(Answer):
    chat_id: str
    name: str | None = None
    owner: str | None = None
    """the owner's userid"""
    status: Literal["active", "dismissed"]
    size: int
    """members now (staff and customers), from the change_external_chat events applied"""
    vip: bool = False
    """a customer leaving it is a loss alert (PUT .../vip; or its group code's `vip`)"""
    tags: list[str] = []
    """its customer group tags' ids (客户群标签, PUT .../tags)"""
    created_at: Instant | None = None
    updated_at: Instant | None = None
    dismissed_at: Instant | None = None


class CustomerGroupMember(Answer):
    userid: str
    """a staff userid or a customer's external_userid"""
    type: int | None = None
    """1 staff, 2 external contact"""
    in_group: bool
    join_scene: int | None = None
    """1 invited directly, 2 by a link, 3 by the group's QR code (groupchat/get), or the event's JoinScene"""
    invitor: str | None = None
    join_time: Instant | None = None
    quit_time: Instant | None = None
    quit_scene: int | None = None
    """0 left, 1 removed by the owner or an admin"""
    state: str | None = None
    """the join way's state the member came in by"""
    channel_id: str | None = None
    """the group code channel that state belongs to"""


class CustomerGroupDay(Answer):
    day: str
    joins: int
    quits: int
    size: int
    """at the end of the day's last change"""


class CustomerGroupSizes(Answer):
    chat_id: str
    size: int
    from_: Annotated[str, Field(alias="from")]
    to: str
    days: list[CustomerGroupDay]
    """the days with a change; a day without one kept the size of the day before"""
