"""Segment requests and answers: a rule over the unified contact's facts (scrm.domain.segments), a segment that
saves one, its preview, and the account's RFM bands.

A rule is a group (`all` or `any` of rules, nested up to MAX_DEPTH) or one condition {field, op, value}:
- tag / channel: op has | lacks, value the tag id (string or OA integer) / channel id;
- first_touch, last_interaction, last_message, last_menu_click, last_draw, last_redemption: op within_days |
  not_within_days (value: days) or after | on_or_after | before (value: a China date YYYY-MM-DD);
- messages, menu_clicks, draws, wins, redemptions, push_deliveries: op gte | gt | lte | lt | eq, value a count;
- rfm.r, rfm.f, rfm.m: the same ops, value a score 1..5.
Every wrong condition is reported at its own path (`rule.all[1].any[0].op`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from ..domain import segments as rules
from .answers import Answer
from .fields import Instant, StrictBody, nonblank, refuse

MAX_DEPTH = 4
MAX_CONDITIONS = 30
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SET_OPS, DATE_OPS = ("has", "lacks"), ("within_days", "not_within_days", "after", "on_or_after", "before")
COUNT_OPS = ("gte", "gt", "lte", "lt", "eq")
Op = Literal["has", "lacks", "within_days", "not_within_days", "after", "on_or_after", "before",
             "gte", "gt", "lte", "lt", "eq"]


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _value_problem(field: str, op: str, v) -> str | None:
    if field in rules.SET_FIELDS:
        ok = isinstance(v, str) and 0 < len(v) <= 64 or _is_int(v) and v >= 0
        return None if ok else "must be a tag or channel id (a string of 1-64 characters, or an OA tag's number)"
    if field in rules.DATES and op in ("within_days", "not_within_days"):
        return None if _is_int(v) and 0 <= v <= 3650 else "must be a number of days (0-3650)"
    if field in rules.DATES:
        return None if isinstance(v, str) and DATE.match(v) else "must be a China date YYYY-MM-DD"
    if field in rules.RFM_FIELDS:
        return None if _is_int(v) and 1 <= v <= 5 else "must be a score from 1 to 5"
    return None if _is_int(v) and 0 <= v <= 10 ** 9 else "must be a count (a whole number >= 0)"


def _ops_for(field: str) -> tuple[str, ...]:
    return SET_OPS if field in rules.SET_FIELDS else DATE_OPS if field in rules.DATES else COUNT_OPS


class Rule(StrictBody):
    """A group (`all` or `any` of rules) or one condition (`field`, `op`, `value`)"""

    all: list[Rule] | None = Field(None, min_length=1, max_length=MAX_CONDITIONS,
                                   description="every one of these rules holds")
    any: list[Rule] | None = Field(None, min_length=1, max_length=MAX_CONDITIONS,
                                   description="at least one of these rules holds")
    field: Literal[rules.FIELDS] | None = Field(None, description="the fact a condition tests",  # type: ignore
                                               examples=["tag"])
    op: Op | None = None
    value: Any = Field(None, description="a tag or channel id, a China date, days, a count or a score",
                       json_schema_extra={"type": ["string", "integer"]})

    @model_validator(mode="after")
    def _one_form(self) -> Rule:
        groups = [g for g in ("all", "any") if getattr(self, g) is not None]
        if groups:
            if len(groups) > 1 or self.field is not None or self.op is not None or self.value is not None:
                refuse([((), "give either all, any, or one condition (field, op, value)")])
            return self
        problems = []
        if self.field is None:
            problems.append(("field", "is required (or give all / any)"))
        if self.op is None:
            problems.append(("op", "is required"))
        if problems:
            refuse(problems)
        if self.op not in _ops_for(self.field):
            refuse([("op", f"{self.field} takes {' | '.join(_ops_for(self.field))}")])
        why = _value_problem(self.field, self.op, self.value)
        if why:
            refuse([("value", why)])
        return self


def rule_dict(rule: Rule) -> dict:
    """The rule as stored: only the keys a form uses."""
    if rule.all is not None:
        return {"all": [rule_dict(r) for r in rule.all]}
    if rule.any is not None:
        return {"any": [rule_dict(r) for r in rule.any]}
    return {"field": rule.field, "op": rule.op, "value": rule.value}


def depth_and_size(rule: dict) -> tuple[int, int]:
    parts = rule.get("all") or rule.get("any")
    if parts is None:
        return 0, 1
    inner = [depth_and_size(r) for r in parts]
    return 1 + max(d for d, _ in inner), sum(n for _, n in inner)


class SegmentRuleBody(StrictBody):
    """A segment saved as a rule over the account's contacts (evaluated through the index when used)"""

    name: nonblank(128, "the segment's name", examples=["近30天中奖会员"])
    rule: Rule


class PreviewBody(StrictBody):
    """A rule to preview: its size and a sample of the people it holds, before saving it"""

    rule: Rule
    sample: int = Field(20, ge=0, le=100, description="how many matching people to show")


class RfmSettings(StrictBody):
    """The account's RFM bands: four ascending thresholds each (see scrm.domain.segments.RfmBands)"""

    recency_days: list[int] = Field(min_length=4, max_length=4, examples=[[7, 30, 90, 180]],
                                    description="days since the last interaction for scores 5, 4, 3, 2 (beyond: 1)")
    frequency: list[int] = Field(min_length=4, max_length=4, examples=[[2, 5, 10, 20]],
                                 description="interactions in the window for scores 2, 3, 4, 5")
    value: list[int] = Field(min_length=4, max_length=4, examples=[[1, 3, 6, 12]],
                             description="Σ weight × count for scores 2, 3, 4, 5")
    window_days: int = Field(90, ge=1, le=365, description="the frequency window")
    weights: dict[Literal["wins", "redemptions", "draws"], int] = Field(
        default_factory=lambda: {"wins": 1, "redemptions": 3, "draws": 0}, description="value per count (0-100)")

    @model_validator(mode="after")
    def _ascending(self) -> RfmSettings:
        problems = []
        for name in ("recency_days", "frequency", "value"):
            bands = getattr(self, name)
            if any(b < (0 if name == "recency_days" else 1) or b > 100000 for b in bands):
                problems.append((name, "thresholds must be between 1 and 100000 (recency: 0-100000)"))
            elif any(a >= b for a, b in zip(bands, bands[1:], strict=False)):
                problems.append((name, "thresholds must be strictly ascending"))
        if any(not 0 <= w <= 100 for w in self.weights.values()):
            problems.append(("weights", "each weight must be between 0 and 100"))
        refuse(problems)
        return self


# ---------------------------------------------------------------- answers


class Flag(Answer):
    field: str
    """the condition's path in the rule: rule.all[0]"""
    problem: Literal["tag_deleted", "channel_deleted", "channel_archived"]
    value: str | int


class PreviewPerson(Answer):
    key: str
    """the unified contact: u:<unionid>, or oa:<account>:<openid> / wecom:<account>:<external_userid>"""
    identities: list[str]
    """this account's openids or external_userids of the person"""
    rfm: dict[str, int]


class SegmentPreview(Answer):
    count: int
    sample: list[PreviewPerson]
    items_read: int
    """index entries and contact facts read to answer (grows with the people the index finds, not all contacts)"""
    plan: dict
    flags: list[Flag]
    """conditions naming tags or channels deleted since (they hold nobody, or everybody for lacks)"""


class RuleSegment(Answer):
    segment_id: str
    name: str
    rule: dict
    builtin: bool = False
    created_at: Instant | None = None
    flags: list[Flag] = []
    size: int | None = None


class Rfm(Answer):
    recency_days: list[int]
    frequency: list[int]
    value: list[int]
    window_days: int
    weights: dict[str, int]
