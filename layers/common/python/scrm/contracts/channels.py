"""Channel requests: an OA parametric QR code (`oa_qr`) or a WeCom contact way (`wecom_contact_way`, 活码).

Fields of the other kind are refused, naming them; unknown fields are refused. A PATCH is the stored
definition with the body's fields over it, validated whole (scrm.domain.channels.validate_channel), so one
model serves both.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from .fields import Document, HttpUrl, StrictBody, nonblank, partial, refuse

KINDS = ("oa_qr", "wecom_contact_way", "wecom_group")
QR_TYPES = ("temporary", "permanent")
MAX_TEMP_EXPIRE = 2_592_000  # 30 days
DEFAULT_TEMP_EXPIRE = 2_592_000
MAX_PERMANENT_SCENE_ID = 100_000
MAX_STATE = 30
MAX_SCENE_STR = 64
MAX_STAFF = 100
MAX_OA_TAGS = 20
MAX_CORP_TAGS = 50
MAX_NAME = 64
MAX_WELCOME_TEXT_BYTES = 2000
MAX_DAILY_CAP = 100_000
USERID_PATTERN = r"^[A-Za-z0-9_.@\-]{1,64}$"
HHMM_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"
GROUP_PATTERN = r"^[^\x00-\x1f]{1,32}$"
EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)
WECOM_ONLY = ("staff", "backup_staff", "daily_cap", "hours", "state")
OA_ONLY = ("qr_type", "scene_id", "scene_str", "expire_seconds")
GROUP_ONLY = ("chat_ids", "group_cap", "auto_create_room", "room_base_name", "room_base_id", "welcome_template",
              "vip", "members_only", "sign_in_account")
MAX_POOL = 100  # groups a group code rotates through
MAX_GROUP_CAP = 200  # WeCom's own limit of members joining through a join way

HhMm = Annotated[str, Field(pattern=HHMM_PATTERN, description="HH:MM, 24-hour, China time", examples=["09:00"])]
DailyCap = Annotated[int, Field(ge=1, le=MAX_DAILY_CAP)]


class WorkingHours(Document):
    """A weekly window in China time (UTC+8, no DST)."""

    days: Annotated[list[Annotated[int, Field(ge=1, le=7)]], Field(min_length=1)] = Field(
        list(EVERY_DAY), description="weekdays, 1 = Monday .. 7 = Sunday (default every day)")
    start: HhMm
    end: HhMm = Field(description="after start (24:00 is the end of the day)", examples=["18:00"])

    @model_validator(mode="after")
    def _ordered(self):
        refuse([("end", "must be after start")] if self.start >= self.end else [], "WorkingHours")
        return self


Hours = Annotated[list[WorkingHours], Field(min_length=1, max_length=14,
                                            description="1..14 windows; outside them the staff member is off")]


def _userid_alone(value):
    return {"userid": value} if isinstance(value, str) else value


class StaffMember(Document):
    """A staff member on a contact way: a userid alone, or with their own daily cap and working hours."""

    userid: Annotated[str, Field(pattern=USERID_PATTERN, description="the WeCom userid", examples=["zhangsan"])]
    daily_cap: DailyCap | None = Field(None, description="adds per China day before rotating to the next staff")
    hours: Hours | None = None


Staff = Annotated[list[Annotated[StaffMember, BeforeValidator(_userid_alone)]], Field(
    max_length=MAX_STAFF, description=f"at most {MAX_STAFF}; each a userid or {{userid, daily_cap, hours}}")]


class WelcomeLink(Document):
    title: nonblank(512, "the card's title")
    url: Annotated[HttpUrl, Field(min_length=1)] = Field(description="http(s) page the card opens")
    description: str | None = None
    picurl: str | None = None


class Welcome(Document):
    """Sent to whoever arrives through the channel: text and/or one link card."""

    text: nonblank(MAX_WELCOME_TEXT_BYTES, f"at most {MAX_WELCOME_TEXT_BYTES} bytes (UTF-8)") | None = None
    link: WelcomeLink | None = None

    @model_validator(mode="after")
    def _something(self):
        problems = [((), "needs text or link")] if self.text is None and self.link is None else []
        if self.text is not None and len(self.text.encode("utf-8")) > MAX_WELCOME_TEXT_BYTES:
            problems.append(("text", f"must be at most {MAX_WELCOME_TEXT_BYTES} bytes"))
        refuse(problems, "Welcome")
        return self


class ChannelBody(StrictBody):
    """A channel (渠道): where followers and customers come from. OA (`oa_qr`): qr_type, scene_id or scene_str,
    expire_seconds (temporary). WeCom (`wecom_contact_way`): staff, backup_staff, daily_cap, hours, state."""

    kind: Literal[KINDS] = Field(description="oa_qr (OA parametric QR code) or wecom_contact_way (活码); fixed")
    name: nonblank(MAX_NAME, "the channel's name", examples=["门店海报"])
    group: Annotated[str, Field(pattern=GROUP_PATTERN, max_length=32)] = Field(
        "default", description="1..32 printable characters (posters, stores, partners, ...)")
    welcome: Welcome | None = None
    tags: list[Any] | None = Field(
        None, description=f"tags to apply: OA tag ids (integers >= 3, at most {MAX_OA_TAGS}) or WeCom corp tag "
                          f"ids (strings, at most {MAX_CORP_TAGS})")
    qr_type: Literal[QR_TYPES] | None = Field(None, description="oa_qr: default permanent; fixed")
    scene_id: int | None = Field(None, description=f"oa_qr: permanent 1..{MAX_PERMANENT_SCENE_ID}; temporary "
                                                    "non-zero 32-bit; fixed")
    scene_str: nonblank(MAX_SCENE_STR, "oa_qr: instead of scene_id (not starting with qrscene_); fixed") | None \
        = None
    expire_seconds: Annotated[int, Field(ge=60, le=MAX_TEMP_EXPIRE)] | None = Field(
        None, description=f"oa_qr temporary: default {DEFAULT_TEMP_EXPIRE} (30 days); fixed")
    state: nonblank(MAX_STATE, "wecom: the contact way's state (default ch_<channel_id>); fixed") | None = None
    staff: Staff | None = Field(None, description="wecom: at least one; rotated through by caps and hours")
    backup_staff: Staff | None = Field(None, description="wecom: used when every staff member is capped or off")
    daily_cap: DailyCap | None = Field(None, description="wecom: each staff member's adds per China day")
    hours: Hours | None = None
    skip_verify: bool | None = Field(None, description="wecom: add without the staff member's approval "
                                                       "(default true)")
    chat_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(
        min_length=1, max_length=MAX_POOL)] | None = Field(
        None, description="wecom_group: the pool of customer group chat ids, in order; the code shows the first 5 "
                          "not yet at the cap")
    group_cap: Annotated[int, Field(ge=1, le=MAX_GROUP_CAP)] | None = Field(
        None, description=f"wecom_group: members per group before the code moves on (default 100, at most "
                          f"{MAX_GROUP_CAP}, WeCom's own)")
    auto_create_room: bool | None = Field(None, description="wecom_group: WeCom makes a new group when those on the "
                                                            "code are full (default false)")
    room_base_name: nonblank(40, "wecom_group: the new groups' name prefix") | None = None
    room_base_id: Annotated[int, Field(ge=1)] | None = Field(None, description="wecom_group: first new group's number")
    welcome_template: Annotated[str, Field(min_length=1, max_length=128)] | None = Field(
        None, description="wecom_group: the group welcome template (入群欢迎语素材, its template_id) of the code's "
                          "groups; a template in use cannot be deleted")
    vip: bool | None = Field(None, description="wecom_group: the code's groups are VIP groups: a customer leaving "
                                               "one is a loss alert (default false)")
    members_only: bool | None = Field(None, description="wecom_group: only registered members may join: the code is "
                                                        "shown on its verification page (/m/{account_id}/{channel_id}) "
                                                        "after a member id and phone match the member list")
    sign_in_account: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = Field(
        None, description="wecom_group with members_only: the Official Account whose WeChat sign-in (snsapi_base) "
                          "the verification page uses")

    @model_validator(mode="after")
    def _by_kind(self):
        problems = (_oa_problems(self) if self.kind == "oa_qr" else _group_problems(self)
                    if self.kind == "wecom_group" else _wecom_problems(self))
        if self.kind != "wecom_group":
            problems += [(f, "applies to wecom_group channels only") for f in GROUP_ONLY
                         if getattr(self, f) is not None]
        refuse(problems + _tag_problems(self.tags or [], self.kind), "ChannelBody")
        return self


ChannelPatch = partial(ChannelBody, "ChannelPatch", """PATCH /channels/{channel_id}: the fields to change, each with
ChannelBody's rules; the rest stay as stored. kind, qr_type, scene_id, scene_str, expire_seconds and state are fixed
(given, they must equal the stored values); the rules across fields are checked on the channel as changed.""")


def _oa_problems(c: ChannelBody) -> list:
    problems = [(f, "applies to WeCom contact ways only") for f in WECOM_ONLY if getattr(c, f) is not None]
    if c.scene_id is not None and c.scene_str is not None:
        problems.append(("scene_id", "give scene_id or scene_str, not both"))
    if (c.qr_type or "permanent") == "permanent":
        if c.expire_seconds is not None:
            problems.append(("expire_seconds", "permanent codes do not expire"))
        if c.scene_id is not None and not 1 <= c.scene_id <= MAX_PERMANENT_SCENE_ID:
            problems.append(("scene_id", f"must be an integer in 1..{MAX_PERMANENT_SCENE_ID}"))
    elif c.scene_id is not None and (c.scene_id == 0 or not -2**31 <= c.scene_id < 2**31):
        problems.append(("scene_id", "a temporary code's scene_id is a non-zero 32-bit integer"))
    if c.scene_str is not None and c.scene_str.startswith("qrscene_"):
        problems.append(("scene_str", "must not start with qrscene_ (WeChat adds that prefix itself)"))
    return problems


def _wecom_problems(c: ChannelBody) -> list:
    problems = [(f, "applies to OA QR codes only") for f in OA_ONLY if getattr(c, f) is not None]
    if not c.staff:
        problems.append(("staff", "is required (at least one staff userid)"))
    for field in ("staff", "backup_staff"):
        seen: set[str] = set()
        for i, s in enumerate(getattr(c, field) or []):
            if s.userid in seen:
                problems.append(((field, i), f"staff {s.userid} is listed twice"))
            seen.add(s.userid)
    staff, backups = [s.userid for s in c.staff or []], [s.userid for s in c.backup_staff or []]
    overlap = sorted(set(staff) & set(backups))
    if overlap:
        problems.append(("backup_staff", f"{overlap[0]} is already in staff"))
    if len(set(staff)) + len(set(backups)) > MAX_STAFF:
        problems.append(("staff", f"a contact way takes at most {MAX_STAFF} staff including backups"))
    return problems


def _group_problems(c: ChannelBody) -> list:
    problems = [(f, "applies to OA QR codes only") for f in OA_ONLY if getattr(c, f) is not None]
    problems += [(f, "applies to contact ways only") for f in ("staff", "backup_staff", "daily_cap", "hours",
                                                               "skip_verify") if getattr(c, f) is not None]
    if not c.chat_ids:
        problems.append(("chat_ids", "is required (at least one customer group chat id)"))
    elif len(set(c.chat_ids)) != len(c.chat_ids):
        problems.append(("chat_ids", "a chat id is listed twice"))
    if c.members_only and not c.sign_in_account:
        problems.append(("sign_in_account", "is required with members_only (the OA customers sign in through)"))
    return problems


def _tag_problems(tags: list, kind: str) -> list:
    if kind == "oa_qr":
        if len(tags) > MAX_OA_TAGS:
            return [("tags", f"an OA follower carries at most {MAX_OA_TAGS} tags")]
        if any(not isinstance(t, int) or isinstance(t, bool) or t < 3 for t in tags):
            return [("tags", "OA tag ids are integers >= 3 (0, 1, 2 are reserved)")]
        return []
    if len(tags) > MAX_CORP_TAGS:
        return [("tags", f"at most {MAX_CORP_TAGS} corp tags")]
    if any(not isinstance(t, str) or not 1 <= len(t) <= 64 for t in tags):
        return [("tags", "WeCom corp tag ids are strings")]
    return []


FIELDS = tuple(ChannelBody.model_fields)
