"""Journey (SOP) requests and answers: a trigger, then steps run once per person in order, with exits.

Triggers are events: `followed` (OA subscribe, optionally only through one channel's QR scene),
`customer_added` (WeCom add_external_contact, optionally only through one contact way's `state`), `won_prize` (an
OA follower won a campaign prize, at the wheel or in the lottery; optionally only in one `campaign_id`),
`joined_group` (a WeCom customer joined a customer group; optionally only one `chat_id`, or through one group code
`channel_id`), `tag_added` (the person got an OA user tag or a WeCom corp tag, through a channel's tagging or a
journey's tag step; optionally only one `tag_id`). Steps: `wait` (seconds), `custom` (an OA customer-service
message, only within the allowance a follower opens (a message 5
in 48 hours, a click, follow or scan 3 in a minute): `msgtype` text, image, news (a link), mpnews or miniprogrampage),
`template` (an OA template
message, within the account's daily template cap), `wecom` (a WeCom single message task to the customer from the
staff member they added: add_msg_template, once a day per customer), `tag` (OA user tag or WeCom corp tag, add or
remove). Exits: unfollowing / deleting the staff member always ends a person's journey; the goal ends it:
`goal_tag_id` when a tag step or a channel's tagging gives the person that tag, `goal_prize` when they win a prize
(any, or only in its `campaign_id`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .answers import Answer, Instant
from .fields import Document, nonblank, refuse

STEPS_MAX = 20
WAIT_MAX = 90 * 86400
TEXT_MAX = 2000  # a customer-service text message is at most 2048 bytes in practice; keep a margin

TagId = nonblank(64, "an OA user tag id (number as text) or a WeCom corp tag id")
CampaignId = nonblank(64, "a campaign's id")
TRIGGER_KINDS = Literal["followed", "customer_added", "won_prize", "joined_group", "tag_added"]
CUSTOM_TYPES = Literal["text", "image", "news", "mpnews", "miniprogrampage"]
# which narrowing each trigger kind may name (domain.journeys.TRIGGER_FILTERS)
FILTERS = ("scene", "state", "campaign_id", "chat_id", "channel_id", "tag_id")


class JourneyTrigger(Document):
    kind: TRIGGER_KINDS = Field(
        description="followed: an OA follow (subscribe); customer_added: a WeCom customer added a staff member; "
                    "won_prize: an OA follower won a campaign prize (wheel or lottery); joined_group: a WeCom "
                    "customer joined a customer group; tag_added: the person got an OA or WeCom tag")
    scene: nonblank(64, "followed: only follows through this channel's QR scene (qrscene_ value)") | None = None
    state: nonblank(30, "customer_added: only customers added through this contact way's state") | None = None
    campaign_id: CampaignId | None = Field(None, description="won_prize: only wins in this campaign")
    chat_id: nonblank(128, "joined_group: only joins of this customer group") | None = None
    channel_id: nonblank(64, "joined_group: only joins through this group code (a wecom_group channel)") | None = None
    tag_id: TagId | None = Field(None, description="tag_added: only this tag")

    @model_validator(mode="after")
    def _filters(self):
        from ..domain.journeys import TRIGGER_FILTERS

        allowed = TRIGGER_FILTERS[self.kind]
        refuse([(f, f"does not narrow a {self.kind} trigger (it takes {', '.join(allowed)})")
                for f in FILTERS if getattr(self, f) is not None and f not in allowed], "JourneyTrigger")
        return self


class GoalPrize(Document):
    campaign_id: CampaignId | None = Field(None, description="only a prize of this campaign (any campaign if absent)")


Url = Annotated[str, Field(max_length=1024, pattern=r"^https?://")]


class JourneyStep(Document):
    type: Literal["wait", "custom", "template", "wecom", "tag"]
    seconds: Annotated[int, Field(ge=1, le=WAIT_MAX)] | None = Field(None, description="wait: how long")
    msgtype: CUSTOM_TYPES | None = Field(
        None, description="custom: text (the default: text), image (media_id), news (a link: title, url, "
                          "description, picurl), mpnews (media_id of a news item), miniprogrampage (title, appid, "
                          "pagepath, thumb_media_id)")
    text: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)] | None = Field(
        None, description="custom text / wecom: the text sent")
    media_id: nonblank(128, "custom image: the image's media id; custom mpnews: the news item's media id") | None \
        = None
    title: nonblank(64, "custom news / miniprogrampage: the title") | None = None
    description: Annotated[str, Field(max_length=256)] | None = Field(None, description="custom news: the summary")
    picurl: Url | None = Field(None, description="custom news: the picture's address")
    appid: nonblank(64, "custom miniprogrampage: the mini program's appid (linked to the account)") | None = None
    pagepath: nonblank(256, "custom miniprogrampage: the page, as in app.json, with parameters") | None = None
    thumb_media_id: nonblank(128, "custom miniprogrampage: the cover's media id") | None = None
    template_id: nonblank(128, "template: the template's id") | None = None
    data: dict[str, Any] | None = Field(None, description="template: its data ({key: {value}})")
    url: Annotated[str, Field(max_length=1024)] | None = Field(
        None, description="template: where it opens; custom news: the link")
    tag_id: TagId | None = Field(None, description="tag: which tag")
    remove: bool = Field(False, description="tag: remove instead of add")

    @model_validator(mode="after")
    def _fields(self):
        from ..domain.journeys import CUSTOM_TYPES as CUSTOM_FIELDS

        need = {"wait": ("seconds",), "wecom": ("text",), "template": ("template_id", "data"), "tag": ("tag_id",),
                "custom": CUSTOM_FIELDS.get(self.msgtype or "text", ())}[self.type]
        what = f"a custom {self.msgtype or 'text'} step" if self.type == "custom" else f"a {self.type} step"
        problems = [(f, f"is required for {what}") for f in need if getattr(self, f) is None]
        if self.msgtype is not None and self.type != "custom":
            problems.append(("msgtype", "only a custom step has a msgtype"))
        refuse(problems, "JourneyStep")
        return self


class JourneyBody(Document):
    """A journey draft: created and changed as a draft, then activated (only active journeys enrol)."""

    name: nonblank(128, "for the operator")
    trigger: JourneyTrigger
    steps: Annotated[list[JourneyStep], Field(min_length=1, max_length=STEPS_MAX)]
    goal_tag_id: TagId | None = Field(None, description="a person who gets this tag leaves the journey (goal)")
    goal_prize: GoalPrize | None = Field(None, description="a person who wins a prize leaves the journey (goal): "
                                                           "{} any prize, {campaign_id} one campaign's")


class JourneyStepFigures(Answer):
    step: int
    type: str
    entered: int
    """people who reached this step"""
    done: int
    """steps completed (a message sent, a wait over, a tag applied)"""
    sent: int
    skipped_quota: int
    """a quota (the customer-service allowance, the template or WeCom daily cap) left the person out; they moved on"""
    refused: int
    """WeChat refused it (recorded with its reason, not retried)"""
    unknown: int
    """the outcome is unknown (a crash or timeout after the call was made): not resent, at most once"""
    exited: int
    """people who left the journey while at this step (unfollowed, deleted the staff member, reached the goal: a
    tag or a prize)"""


class Journey(Answer):
    journey_id: str
    account_id: str
    name: str
    status: Literal["draft", "active", "paused", "ended"]
    trigger: dict[str, Any]
    steps: list[dict[str, Any]]
    goal_tag_id: str | None = None
    goal_prize: dict[str, Any] | None = None
    created_at: Instant | None = None
    updated_at: Instant | None = None


class JourneyFigures(Answer):
    journey_id: str
    entrants: int
    completed: int
    steps: list[JourneyStepFigures]


class JourneyEntrant(Answer):
    person: str
    step: int
    state: str
    """ready (waiting for its step to run), running, done (finished the journey), exited"""
    outcomes: list[dict[str, Any]] | None = None
    exit_reason: str | None = None
    staff: str | None = None


class EntrantsQuery(BaseModel):
    """Query of the entrants route."""

    model_config = ConfigDict(use_attribute_docstrings=True, populate_by_name=True)

    step: Annotated[int, Field(ge=0, le=STEPS_MAX - 1)] = None
    """only the people at this step (0-based)"""
