"""Push requests: a push (content for an audience at a time, maybe recurring) and a saved audience (segment).

What depends on the account is read from the validation context (`parse(..., context={"platform": "oa"})`):
a WeCom account sends `wecom` content and may address staff; OA tag ids are integers. Without a platform in the
context those rules are not applied (left to the use case, which knows the account); the admin API's edge check
passes the account's platform for the bodies that declare `PLATFORM_RULES` (functions/admin_common.py).
A segment's audience is validated with `{"nested": True}` (a segment cannot refer to another segment). Unknown
fields are ignored, as the hand-written validators did.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, WithJsonSchema, model_validator

from .fields import Document, HttpUrl, nonblank, refuse

CONTENT_TYPES = ("text", "image", "news", "template", "wecom")
TEXT_MAX_CHARS = 2000
WECOM_TEXT_MAX_BYTES = 4000
WECOM_ATTACHMENTS_MAX = 9
IMAGES_MAX = 20  # our bound on the images of one mass-sent image message
WECOM_ATTACHMENT_TYPES = ("image", "link", "miniprogram", "video", "file")
AUDIENCE_TYPES = ("all", "tags", "channel", "channel_group", "segment", "list", "staff", "groups")
LIST_MAX = 1_000_000
GROUP_CHATS_MAX = 10_000  # chat ids one groups audience may name (sent 2,000 a call: domain.pushes.CHAT_IDS_MAX)
FREQS = ("daily", "weekly", "monthly")

MediaId = nonblank(128, "a permanent media id (素材 media_id)")


def _platform(info: ValidationInfo) -> str | None:
    """The account's platform ("oa" | "wecom"), or None when the caller does not know it."""
    return (info.context or {}).get("platform")


def attachment_problems(attachments: list, at: str = "attachments") -> list:
    """WeCom attachments (`{"msgtype": "image", "image": {...}}`): each names its type and carries its payload."""
    return [((at, i), f"must be {{'msgtype': one of {WECOM_ATTACHMENT_TYPES}, <msgtype>: {{...}}}}")
            for i, att in enumerate(attachments)
            if not isinstance(att, dict) or att.get("msgtype") not in WECOM_ATTACHMENT_TYPES
            or not isinstance(att.get(att["msgtype"]), dict)]


Attachments = Annotated[list[dict[str, Any]], Field(
    max_length=WECOM_ATTACHMENTS_MAX,
    description=f"WeCom attachments, at most {WECOM_ATTACHMENTS_MAX}: {{msgtype: one of "
                f"{', '.join(WECOM_ATTACHMENT_TYPES)}, <msgtype>: {{...}}}} as add_msg_template takes them")]
TemplateData = Annotated[dict[str, Any], WithJsonSchema({
    "type": "object", "minProperties": 1,
    "description": "template keys to {value, color} (or to the value alone)",
    "additionalProperties": {"anyOf": [{"type": "string"}, {
        "type": "object", "required": ["value"],
        "properties": {"value": {"type": "string"}, "color": {"type": "string"}}}]},
    "examples": [{"first": {"value": "您好"}, "keyword1": "订单已发货"}]})]


class PushContent(Document):
    """What is sent: text (text), image (media_id, or media_ids for several; optional recommend), news
    (media_id), template (template_id, data, url), wecom (text, attachments). OA text/image may set
    delivery: custom (customer-service: a follower's message allows 5 in 48 hours, a click/follow/scan 3 in a
    minute; one image). Image mass sends go out in WeChat's current
    `images.media_ids` shape."""

    type: Literal[CONTENT_TYPES] = Field(description="text, image, news, template (OA service accounts) or "
                                                     "wecom (WeCom accounts)")
    text: str | None = Field(None, description=f"text: 1..{TEXT_MAX_CHARS} characters; wecom: at most "
                                               f"{WECOM_TEXT_MAX_BYTES} bytes (UTF-8)", examples=["新品上市"])
    media_id: MediaId | None = None
    media_ids: Annotated[list[MediaId], Field(min_length=1, max_length=IMAGES_MAX)] | None = Field(
        None, description=f"image: 1..{IMAGES_MAX} media ids (one for a customer-service message)")
    recommend: nonblank(300, "image: the recommendation text") | None = None
    template_id: nonblank(128, "template: the template id") | None = None
    data: TemplateData | None = None
    url: Annotated[HttpUrl, Field(min_length=1, max_length=1024)] | None = Field(
        None, description="template: the page opened on tap (http(s))")
    attachments: Attachments | None = None
    delivery: Literal["mass", "custom"] | None = Field(
        None, description="OA text/image/news: mass (default) or custom (customer-service: only within the "
                           "follower's allowance)")

    @model_validator(mode="after")
    def _by_type(self, info: ValidationInfo):
        problems = _platform_problems(self.type, _platform(info)) or _CONTENT_RULES[self.type](self)
        if not problems and self.delivery == "custom":
            if self.type == "news":
                problems = [("type", "customer-service messages send text or image")]
            elif len(self.media_ids or []) > 1:
                problems = [("media_ids", "a customer-service image message carries one image")]
        refuse(problems, "PushContent")
        return self


def _platform_problems(ctype: str, platform: str) -> list:
    if platform == "wecom" and ctype != "wecom":
        return [("type", "a WeCom account sends content of type 'wecom'")]
    if platform == "oa" and ctype == "wecom":
        return [("type", "content of type 'wecom' needs a WeCom account")]
    return []


def _text_rules(c: PushContent) -> list:
    if not isinstance(c.text, str) or not c.text.strip():
        return [("text", "must be a non-empty string")]
    if len(c.text) > TEXT_MAX_CHARS:
        return [("text", f"must be at most {TEXT_MAX_CHARS} characters")]
    return []


def _image_rules(c: PushContent) -> list:
    if c.media_ids is not None:
        return []
    return [("media_id", "is required (or media_ids)")] if c.media_id is None else []


def _news_rules(c: PushContent) -> list:
    return [("media_id", "is required")] if c.media_id is None else []


def _template_rules(c: PushContent) -> list:
    if not c.data:
        return [("data", "must be a non-empty object of {key: {value}}")]
    problems = [(("data", key), "must be {'value': str}") for key, item in c.data.items()
                if not isinstance(item, str) and not (isinstance(item, dict) and isinstance(item.get("value"), str))]
    return problems + ([("template_id", "is required")] if c.template_id is None else [])


def _wecom_rules(c: PushContent) -> list:
    problems = attachment_problems(c.attachments or [])
    if c.text is not None and len(c.text.encode("utf-8")) > WECOM_TEXT_MAX_BYTES:
        problems.append(("text", f"must be at most {WECOM_TEXT_MAX_BYTES} bytes"))
    if not (c.text and c.text.strip()) and not c.attachments:
        problems.append(("text", "content needs text or attachments"))
    return problems


_CONTENT_RULES = {"text": _text_rules, "image": _image_rules, "news": _news_rules, "template": _template_rules,
                  "wecom": _wecom_rules}

Recipients = Annotated[list[Any], WithJsonSchema({
    "type": "array", "minItems": 1, "maxItems": LIST_MAX,
    "items": {"type": "string", "minLength": 1, "maxLength": 64},
    "description": f"list: openids or external_userids, 1..{LIST_MAX} (duplicates dropped)"})]


class PushAudience(Document):
    """Who receives it: all | tags (tag_ids) | channel (channel_ids) | channel_group (group) | segment
    (segment_id) | list (recipients: openids or external_userids) | staff (WeCom userids) | groups (WeCom customer
    groups, 客户群: the groups of `owners`, the groups carrying any of `group_tags`, and the groups `chat_ids`
    names)."""

    type: Literal[AUDIENCE_TYPES] = Field(description="how the audience is chosen")
    tag_ids: Annotated[list[Annotated[Any, WithJsonSchema({"type": ["integer", "string"]})]],
                       Field(min_length=1)] | None = Field(
        None, description="tags: OA tag ids (integers) or WeCom corp tag ids (strings)")
    channel_ids: Annotated[list[nonblank(64, "a channel id")], Field(min_length=1)] | None = Field(
        None, description="channel: people brought by any of these channels")
    group: nonblank(128, "channel_group: people brought by any channel of this group") | None = None
    segment_id: nonblank(64, "segment: a saved audience") | None = None
    recipients: Recipients | None = None
    userids: Annotated[list[nonblank(64, "a staff userid")], Field(min_length=1)] | None = Field(
        None, description="staff (WeCom): staff members' userids")
    owners: Annotated[list[nonblank(64, "a group owner's userid")], Field(min_length=1)] | None = Field(
        None, description="groups (WeCom): every live customer group these staff members own")
    chat_ids: Annotated[list[nonblank(64, "a customer group's chat_id")],
                        Field(min_length=1, max_length=GROUP_CHATS_MAX)] | None = Field(
        None, description=f"groups (WeCom): customer groups by chat_id, at most {GROUP_CHATS_MAX} (sent by each "
                          "group's owner)")
    group_tags: Annotated[list[nonblank(64, "a customer group tag's id")], Field(min_length=1, max_length=100)] | None \
        = Field(None, description="groups (WeCom): every live customer group carrying any of these customer group "
                                  "tags (客户群标签, /accounts/{account_id}/group-tags)")

    @model_validator(mode="after")
    def _by_type(self, info: ValidationInfo):
        refuse(_AUDIENCE_RULES.get(self.type, lambda a, i: [])(self, info), "PushAudience")
        return self


def _required(value, name: str, message: str) -> list:
    return [(name, message)] if value is None else []


def _tag_rules(a: PushAudience, info) -> list:
    if a.tag_ids is None:
        return [("tag_ids", "must be a non-empty list")]
    if _platform(info) == "oa" and not all(isinstance(t, int) and not isinstance(t, bool) for t in a.tag_ids):
        return [("tag_ids", "OA tag ids are integers")]
    if not all(isinstance(t, int | str) and not isinstance(t, bool) for t in a.tag_ids):
        return [("tag_ids", "tag ids are integers (OA) or strings (WeCom)")]
    return []


def _segment_rules(a: PushAudience, info) -> list:
    if (info.context or {}).get("nested"):
        return [("segment_id", "a segment cannot refer to another segment")]
    return _required(a.segment_id, "segment_id", "is required")


def _staff_rules(a: PushAudience, info) -> list:
    if _platform(info) == "oa":
        return [("type", "a staff audience needs a WeCom account")]
    return _required(a.userids, "userids", "must be a non-empty list")


def _groups_rules(a: PushAudience, info) -> list:
    if _platform(info) == "oa":
        return [("type", "a groups audience needs a WeCom account")]
    if a.owners is None and a.chat_ids is None and a.group_tags is None:
        return [("owners", "give owners (group owners' userids), group_tags (customer group tags) or chat_ids "
                           "(customer groups)")]
    return []


def _list_rules(a: PushAudience, info) -> list:
    recipients = a.recipients
    if not recipients:
        return [("recipients", "must be a non-empty list (the audience is empty)")]
    if len(recipients) > LIST_MAX:
        return [("recipients", f"holds at most {LIST_MAX}")]
    bad = next((r for r in recipients if not isinstance(r, str) or not r or len(r) > 64 or "\n" in r), None)
    if bad is not None:  # one example, not a million errors
        return [("recipients", f"must be ids (strings of 1..64), e.g. not {bad!r}")]
    return []


_AUDIENCE_RULES = {
    "tags": _tag_rules,
    "channel": lambda a, i: _required(a.channel_ids, "channel_ids", "must be a non-empty list of channel ids"),
    "channel_group": lambda a, i: _required(a.group, "group", "must be a non-empty string"),
    "segment": _segment_rules, "staff": _staff_rules, "list": _list_rules, "groups": _groups_rules,
}


class Recurrence(Document):
    """Repeats in wall-clock time of the push's zone; at most 1000 runs (never unbounded)."""

    freq: Literal[FREQS] = Field(description="daily, weekly or monthly (the same day; the month's last day "
                                             "when shorter)")
    interval: Annotated[int, Field(ge=1, le=366)] = Field(1, description="every n days / weeks / months")
    count: Annotated[int, Field(ge=1, le=1000)] | None = Field(
        None, description="runs in all, the first included (default 1000 when no until)")
    until: str | None = Field(None, description="ISO 8601: no run after it (read in the push's zone without "
                                                "an offset)")


class PushBody(Document):
    """A push (群发/推送): created as a draft, validated, nothing sent until scheduled."""

    PLATFORM_RULES: ClassVar[bool] = True  # the edge check passes the account's platform

    name: Annotated[str, Field(max_length=128)] | None = Field(None, description="for the operator")
    content: PushContent
    audience: PushAudience
    send_at: str = Field(description="ISO 8601; without an offset it is read in `timezone`; not in the past",
                         examples=["2027-01-01T09:00:00+08:00"])
    timezone: str | None = Field(None, description="IANA zone, default Asia/Shanghai", examples=["Asia/Shanghai"])
    recurrence: Recurrence | None = None


class SegmentBody(Document):
    """An audience saved under a name (a list audience is snapshotted)."""

    PLATFORM_RULES: ClassVar[bool] = True

    name: nonblank(128, "the segment's name", examples=["上海门店会员"])
    audience: PushAudience = Field(description="any audience but a segment")
