"""Content pushes: the pure rules (validation, schedule, recurrence, batching, message ids).

A push is planned content for an audience at a time. Each occurrence of it is a *run* (run 1, 2, ...
for a recurring push). A run snapshots its audience into *batches* (deterministic, written before any
send); each batch is one WeChat call (OA mass send, WeCom add_msg_template) or a group of per-user
calls (template / customer-service messages), identified by a deterministic client message id.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..contracts import parse
from ..contracts import pushes as contract
from ..contracts.pushes import (  # noqa: F401 (the push rules' names, re-exported)
    AUDIENCE_TYPES,
    CONTENT_TYPES,
    FREQS,
    IMAGES_MAX,
    LIST_MAX,
    TEXT_MAX_CHARS,
    WECOM_ATTACHMENT_TYPES,
    WECOM_ATTACHMENTS_MAX,
    WECOM_TEXT_MAX_BYTES,
)
from ..errors import ValidationError
from .quotas import DEFAULT_TZ

# ---------------------------------------------------------------- content

OA_DELIVERIES = ("mass", "custom", "template")
MASS_MIN, MASS_MAX = 2, 10_000  # message/mass/send touser
WECOM_MAX = 10_000  # add_msg_template external_userid
# add_msg_template chat_id_list: "仅在chat_type为group时有效，最多可一次指定2000个客户群"
# (https://developer.work.weixin.qq.com/document/path/92135)
CHAT_IDS_MAX = 2000
TEMPLATE_BATCH = 500  # per-user sends grouped per batch (one state record per group)
CUSTOM_BATCH = 100
STATUSES = ("draft", "scheduled", "running", "completed", "failed", "cancelled")
CANCELLABLE = ("draft", "scheduled")
TERMINAL_BATCH = ("sent", "failed", "skipped")


def validate_content(raw, platform: str) -> tuple[dict, str]:
    """Return (normalised content, delivery) of a push's `content` (contracts.pushes.PushContent) for an account
    of `platform`; ValidationError names every field that is wrong."""
    c = parse(contract.PushContent, raw, at="content", context={"platform": platform})
    out = _CONTENT_OUT[c.type](c)
    if c.type == "template":
        return out, "template"
    if c.type == "wecom":
        return out, "groupmsg"
    return out, c.delivery or "mass"


def _image_out(c: contract.PushContent) -> dict:
    out = {"type": "image", "media_ids": list(c.media_ids)} if c.media_ids is not None else \
        {"type": "image", "media_id": c.media_id}
    if c.recommend is not None:
        out["recommend"] = c.recommend
    return out


def _template_out(c: contract.PushContent) -> dict:
    data = {str(key): {k: v for k, v in ({"value": item} if isinstance(item, str) else item).items()
                       if k in ("value", "color")} for key, item in c.data.items()}
    out = {"type": "template", "template_id": c.template_id, "data": data}
    if c.url is not None:
        out["url"] = c.url
    return out


_CONTENT_OUT = {
    "text": lambda c: {"type": "text", "text": c.text},
    "image": _image_out,
    "news": lambda c: {"type": "news", "media_id": c.media_id},
    "template": _template_out,
    "wecom": lambda c: {"type": "wecom", "text": c.text or "", "attachments": list(c.attachments or [])},
}


def image_ids(content: dict) -> list[str]:
    return list(content.get("media_ids") or [content["media_id"]])


def mass_message(content: dict) -> dict:
    """The msgtype part of an OA mass send (sendall / send) body."""
    if content["type"] == "text":
        return {"msgtype": "text", "text": {"content": content["text"]}}
    if content["type"] == "image":
        # The current mass-send pages name the image payload `images` with a `media_ids` list (the older wiki's
        # `image.media_id` is refused): https://developers.weixin.qq.com/doc/service/api/notify/message/api_masssend
        # (by openid list) and .../api_sendall (by tag / to all) list `images` (object) for msgtype "image".
        return {"msgtype": "image", "images": {"media_ids": image_ids(content),
                                               "recommend": content.get("recommend", ""),
                                               "need_open_comment": 0, "only_fans_can_comment": 0}}
    if content["type"] == "news":
        return {"msgtype": "mpnews", "mpnews": {"media_id": content["media_id"]}}
    raise ValueError(f"no mass message for content type {content['type']!r}")


def custom_message(content: dict, openid: str) -> dict:
    """A customer-service message: its image is still `image.media_id` (one image), unlike mass sends."""
    if content["type"] == "image":
        return {"touser": openid, "msgtype": "image", "image": {"media_id": image_ids(content)[0]}}
    return {"touser": openid, **mass_message(content)}


def wecom_message(content: dict) -> dict:
    body: dict = {}
    if content.get("text"):
        body["text"] = {"content": content["text"]}
    if content.get("attachments"):
        body["attachments"] = content["attachments"]
    return body


# ---------------------------------------------------------------- audience


def validate_audience(raw, platform: str, *, nested: bool = False) -> dict:
    """A push's (or segment's) `audience` (contracts.pushes.PushAudience), normalised: ids sorted and unique,
    a list's recipients in order without duplicates."""
    a = parse(contract.PushAudience, raw, at="audience", context={"platform": platform, "nested": nested})
    if a.type == "tags":
        return {"type": "tags", "tag_ids": sorted(set(a.tag_ids), key=str)}
    if a.type == "channel":
        return {"type": "channel", "channel_ids": sorted(set(a.channel_ids))}
    if a.type == "channel_group":
        return {"type": "channel_group", "group": a.group}
    if a.type == "segment":
        return {"type": "segment", "segment_id": a.segment_id}
    if a.type == "staff":
        return {"type": "staff", "userids": sorted(set(a.userids))}
    if a.type == "list":
        return {"type": "list", "recipients": list(dict.fromkeys(a.recipients))}
    if a.type == "groups":
        return {"type": "groups", **({"owners": sorted(set(a.owners))} if a.owners else {}),
                **({"group_tags": sorted(set(a.group_tags))} if a.group_tags else {}),
                **({"chat_ids": sorted(set(a.chat_ids))} if a.chat_ids else {})}
    return {"type": "all"}


# ---------------------------------------------------------------- who can still receive

# Why someone in an audience is left out (the preview counts each reason)
LEFT_UNFOLLOWED = "unfollowed"  # OA: their latest touch is an unfollow
LEFT_STAFF = "left_staff"  # WeCom: no longer a customer of the staff member they added through the channel
LEFT_NOT_CUSTOMER = "not_a_customer"  # WeCom: no staff member lists them as a customer now
LEFT_DISMISSED = "dismissed"  # a customer group that was dismissed (解散)
LEFT_UNKNOWN_GROUP = "unknown_group"  # a chat_id the groups capability does not know (no callback for it yet)
LEFT_GROUP_TAG_DELETED = "group_tag_deleted"  # a customer group tag deleted since the push named it (0 groups)
LEFT_NO_OWNER = "no_owner"  # a group whose owner is not known yet: nobody can send it the message
LEFT_SENT_TODAY = "sent_today"  # a group that already received a group message today (1 a day, policy)


def channel_reach(touches: list[dict], account_id: str, channel_ids: set[str]
                  ) -> dict[str, tuple[str | None, str | None]]:
    """For one contact's touches: every identity on `account_id` that one of `channel_ids` touched, as
    {identity: (staff, None)} when they can still receive a push (OA: still following, staff None; WeCom:
    still a customer of a staff member they added through one of the channels) or {identity: (None, reason)}.
    Touches are read in event order (as the statistics read them), so late or reordered events agree."""
    from .attribution import ADD, FOLLOW, LEAVES, SCAN, _order

    state: dict[tuple[str, str | None], bool] = {}  # (identity, staff) -> in the relationship now
    via: dict[tuple[str, str | None], set[str]] = {}  # the channels a relationship's touches came through
    members: set[str] = set()
    for t in sorted((t for t in touches if t.get("a") == account_id), key=_order):
        rel = (t["i"], t.get("u"))
        if t["k"] in (FOLLOW, ADD, SCAN):
            state[rel] = True
        elif t["k"] in LEAVES:
            state[rel] = False
        via.setdefault(rel, set()).add(t["c"])
        if t["c"] in channel_ids:
            members.add(t["i"])
    out: dict[str, tuple[str | None, str | None]] = {}
    for ident in sorted(members):
        rels = [(u, now) for (i, u), now in state.items() if i == ident]
        if all(u is None for u, _ in rels):  # an OA follower
            out[ident] = (None, None) if any(now for _, now in rels) else (None, LEFT_UNFOLLOWED)
            continue
        staff = sorted(u for u, now in rels if u is not None and now and via.get((ident, u), set()) & channel_ids)
        out[ident] = (staff[0], None) if staff else (None, LEFT_STAFF)
    return out


# ---------------------------------------------------------------- schedule

PAST_GRACE_SECONDS = 60


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"unknown time zone {name!r} (use an IANA name like Asia/Shanghai)",
                              field="timezone") from None


def parse_send_at(value, tz_name: str | None, now: float) -> tuple[float, str]:
    """ISO 8601 time; without an offset it is read in `tz_name` (Asia/Shanghai by default). Not in the past."""
    tz = zone(tz_name)
    if not isinstance(value, str):
        raise ValidationError("send_at must be an ISO 8601 date-time", field="send_at")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(f"send_at {value!r} is not an ISO 8601 date-time", field="send_at") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    epoch = when.timestamp()
    if epoch < now - PAST_GRACE_SECONDS:
        raise ValidationError("send_at is in the past", field="send_at")
    return epoch, tz.key


def validate_recurrence(raw) -> dict | None:
    """A push's `recurrence` (contracts.pushes.Recurrence); never unbounded (1000 runs without count or until)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValidationError(f"recurrence.freq must be one of {FREQS}", field="recurrence.freq")
    r = parse(contract.Recurrence, raw, at="recurrence")
    count = 1000 if r.count is None and r.until is None else r.count
    return {"freq": r.freq, "interval": r.interval, "count": count, "until": r.until}


def _add_months(local: datetime, months: int) -> datetime:
    month0 = local.month - 1 + months
    year, month = local.year + month0 // 12, month0 % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def occurrence(first_at: float, tz_name: str, recurrence: dict | None, run_no: int) -> float | None:
    """When run `run_no` (1-based) happens, in wall-clock time of the push's zone; None when past the end."""
    if run_no == 1:
        return first_at
    if not recurrence:
        return None
    if recurrence.get("count") is not None and run_no > recurrence["count"]:
        return None
    tz = zone(tz_name)
    local = datetime.fromtimestamp(first_at, tz)
    steps = (run_no - 1) * recurrence["interval"]
    if recurrence["freq"] == "daily":
        nxt = local.replace(tzinfo=None) + timedelta(days=steps)
    elif recurrence["freq"] == "weekly":
        nxt = local.replace(tzinfo=None) + timedelta(weeks=steps)
    else:
        nxt = _add_months(local.replace(tzinfo=None), steps)
    epoch = nxt.replace(tzinfo=tz).timestamp()
    if recurrence.get("until"):
        until = datetime.fromisoformat(recurrence["until"].replace("Z", "+00:00"))
        if until.tzinfo is None:
            until = until.replace(tzinfo=tz)
        if epoch > until.timestamp():
            return None
    return epoch


# ---------------------------------------------------------------- batching and ids


@dataclass(frozen=True)
class PlannedBatch:
    no: int  # 1-based, stable
    sender: str | None  # WeCom staff member who sends; None for OA
    recipients: tuple[str, ...]


def group_batch_size(configured: int | None = None) -> int:
    """Groups of one owner per add_msg_template call: every one (up to chat_id_list's 2,000) in one task."""
    return max(1, min(configured or CHAT_IDS_MAX, CHAT_IDS_MAX))


def batch_size(delivery: str, configured: int | None = None) -> int:
    if delivery == "mass":
        limit = MASS_MAX
    elif delivery == "groupmsg":
        limit = WECOM_MAX
    elif delivery == "template":
        limit = TEMPLATE_BATCH
    else:
        limit = CUSTOM_BATCH
    # at least 2 * MASS_MIN - 1, so a last batch of 1 can borrow from the one before and both keep >= 2
    return max(2 * MASS_MIN - 1, min(configured or limit, limit))


def split(recipients: list[str], size: int, minimum: int = 1) -> list[list[str]]:
    """Deterministic split into consecutive groups of at most `size`, none smaller than `minimum` when
    the total allows it (the OA mass API takes 2..10,000 openids: a last group of 1 borrows one)."""
    groups = [recipients[i:i + size] for i in range(0, len(recipients), size)]
    if len(groups) >= 2 and len(groups[-1]) < minimum:
        need = minimum - len(groups[-1])
        groups[-1] = groups[-2][-need:] + groups[-1]
        groups[-2] = groups[-2][:-need]
    return groups


def plan_batches(recipients: list[tuple[str | None, str]], delivery: str, size: int | None = None
                 ) -> list[PlannedBatch]:
    """Group (sender, recipient) pairs into batches: by sender (WeCom staff; sorted), then in order.

    Deterministic for the same input; a recipient appears once (first sender wins)."""
    size = batch_size(delivery, size)
    minimum = MASS_MIN if delivery == "mass" else 1
    seen: set[str] = set()
    by_sender: dict[str | None, list[str]] = {}
    for sender, rid in recipients:
        if rid in seen:
            continue
        seen.add(rid)
        by_sender.setdefault(sender, []).append(rid)
    out: list[PlannedBatch] = []
    for sender in sorted(by_sender, key=lambda s: (s is not None, s or "")):
        for group in split(by_sender[sender], size, minimum):
            out.append(PlannedBatch(len(out) + 1, sender, tuple(group)))
    return out


def client_msg_id(account_id: str, push_id: str, run_no: int, batch_no: int, recipient: str | None = None) -> str:
    """Deterministic per (push, run, batch[, recipient]); at most 64 bytes; ASCII only."""
    base = f"p{push_id}-r{run_no}-b{batch_no}"
    if recipient is not None:
        base += "-" + hashlib.sha1(recipient.encode()).hexdigest()[:12]
    if len(base) <= 48:
        digest = hashlib.sha1(f"{account_id}|{base}".encode()).hexdigest()[:12]
        return f"{base}-{digest}"
    return "h" + hashlib.sha256(f"{account_id}|{base}".encode()).hexdigest()[:63]


PUSH_ID = re.compile(r"^[a-z0-9]{8,32}$")


def new_push_id(now: float, entropy: bytes) -> str:
    """Time-ordered, short (it is part of client message ids): 8 hex of seconds + 8 hex random."""
    return f"{int(now):08x}{entropy.hex()[:8]}"


# ---------------------------------------------------------------- figures


def summarise(batches: list[dict]) -> dict:
    """Delivery figures of one run from its batch records."""
    keys = ("recipients", "eligible", "over_quota", "outside_window", "sent", "failed", "platform_total",
            "platform_to_send", "delivered", "errors", "not_friend", "over_quota_platform", "pending_results",
            "groups_not_sent")
    out = {k: 0 for k in keys}
    states: dict[str, int] = {}
    for b in batches:
        states[b.get("state", "pending")] = states.get(b.get("state", "pending"), 0) + 1
        for k in keys:
            out[k] += int(b.get(k) or 0)
    out["batches"] = len(batches)
    out["batch_states"] = states
    return out


def run_outcome(batches: list[dict]) -> str | None:
    """None while a batch is unfinished; else 'completed' or 'failed' (nothing at all went out)."""
    if any(b.get("state") not in TERMINAL_BATCH for b in batches):
        return None
    if batches and all(b.get("state") == "failed" for b in batches):
        return "failed"
    return "completed"


def retry_delay(attempt: int, base: float = 30.0, cap: float = 900.0) -> float:
    return min(cap, base * (2 ** max(0, attempt - 1)))
