"""Journey (SOP) requests and answers: a trigger, then steps run once per person in order, with exits.

Triggers are callback events: `followed` (OA subscribe, optionally only through one channel's QR scene),
`customer_added` (WeCom add_external_contact, optionally only through one contact way's `state`). Steps: `wait`
(seconds), `custom` (an OA customer-service text, only within the customer-service allowance: a message 5 in 48 hours, a
click, follow or scan 3 in a minute), `template` (an OA template
message, within the account's daily template cap), `wecom` (a WeCom single message task to the customer from the
staff member they added: add_msg_template, once a day per customer), `tag` (OA user tag or WeCom corp tag, add or
remove). Exits: unfollowing / deleting the staff member always ends a person's journey; `goal_tag_id` ends it when
the journey's own steps or a tag event give the person that tag."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .answers import Answer, Instant
from .fields import Document, nonblank, refuse

STEPS_MAX = 20
WAIT_MAX = 90 * 86400
TEXT_MAX = 2000  # a customer-service text message is at most 2048 bytes in practice; keep a margin

TagId = nonblank(64, "an OA user tag id (number as text) or a WeCom corp tag id")


class JourneyTrigger(Document):
    kind: Literal["followed", "customer_added"] = Field(
        description="followed: an OA follow (subscribe); customer_added: a WeCom customer added a staff member")
    scene: nonblank(64, "only follows through this channel's QR scene (qrscene_ value)") | None = None
    state: nonblank(30, "only customers added through this contact way's state") | None = None


class JourneyStep(Document):
    type: Literal["wait", "custom", "template", "wecom", "tag"]
    seconds: Annotated[int, Field(ge=1, le=WAIT_MAX)] | None = Field(None, description="wait: how long")
    text: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)] | None = Field(
        None, description="custom / wecom: the text sent")
    template_id: nonblank(128, "template: the template's id") | None = None
    data: dict[str, Any] | None = Field(None, description="template: its data ({key: {value}})")
    url: Annotated[str, Field(max_length=1024)] | None = None
    tag_id: TagId | None = Field(None, description="tag: which tag")
    remove: bool = Field(False, description="tag: remove instead of add")

    @model_validator(mode="after")
    def _fields(self):
        need = {"wait": ("seconds",), "custom": ("text",), "wecom": ("text",), "template": ("template_id", "data"),
                "tag": ("tag_id",)}[self.type]
        refuse([(f, f"is required for a {self.type} step") for f in need if getattr(self, f) is None], "JourneyStep")
        return self


class JourneyBody(Document):
    """A journey draft: created and changed as a draft, then activated (only active journeys enrol)."""

    name: nonblank(128, "for the operator")
    trigger: JourneyTrigger
    steps: Annotated[list[JourneyStep], Field(min_length=1, max_length=STEPS_MAX)]
    goal_tag_id: TagId | None = Field(None, description="a person who gets this tag leaves the journey (goal)")


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
    """people who left the journey while at this step (unfollowed, deleted the staff member, reached the goal)"""


class Journey(Answer):
    journey_id: str
    account_id: str
    name: str
    status: Literal["draft", "active", "paused", "ended"]
    trigger: dict[str, Any]
    steps: list[dict[str, Any]]
    goal_tag_id: str | None = None
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
