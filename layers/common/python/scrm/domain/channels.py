"""Channels: where followers and customers come from. Pure rules, no AWS and no WeChat.

A channel is either an OA parametric QR code (`oa_qr`: temporary with an expiry, or permanent) or a WeCom
contact way (`wecom_contact_way`, "活码": one or many staff). It has a name, a group (posters, stores,
partners, ...), optional welcome content, tags to apply, and for contact ways: staff rotation with a
per-staff daily cap, backup staff when everyone is capped, and working-hours schedules.

`validate_channel` turns an admin's JSON into a clean definition or raises ValidationError naming the
field; `eligible_staff` says who should be on a contact way right now.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from ..errors import ValidationError

KINDS = ("oa_qr", "wecom_contact_way")
QR_TYPES = ("temporary", "permanent")
# Built-in pseudo channels: a plain subscribe / an add without state, and a scene or state we do not know.
DIRECT = "direct"
UNKNOWN = "unknown"
RESERVED_IDS = (DIRECT, UNKNOWN)

MAX_TEMP_EXPIRE = 2_592_000  # 30 days
DEFAULT_TEMP_EXPIRE = 2_592_000
MAX_PERMANENT_SCENE_ID = 100_000
MAX_PERMANENT_CODES = 100_000
MAX_STATE = 30
MAX_SCENE_STR = 64
MAX_STAFF = 100
MAX_OA_TAGS = 20
MAX_NAME = 64
MAX_WELCOME_TEXT_BYTES = 2000
CHINA = timezone(timedelta(hours=8))  # China has no DST; a fixed offset needs no tz database in Lambda
USERID = re.compile(r"^[A-Za-z0-9_.@\-]{1,64}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
GROUP = re.compile(r"^[^\x00-\x1f]{1,32}$")


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", field=field)


def _str(body: dict, field: str, *, required: bool = False, max_len: int = 64, default=None):
    value = body.get(field, default)
    if value is None:
        if required:
            raise _bad(field, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _bad(field, "must be a non-empty string")
    if len(value) > max_len:
        raise _bad(field, f"must be at most {max_len} characters")
    return value.strip()


def _int(body: dict, field: str, *, lo: int, hi: int, default=None):
    value = body.get(field, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise _bad(field, f"must be an integer in {lo}..{hi}")
    return value


def _hours(value, field: str) -> list[dict] | None:
    """Working hours: [{"days": [1..7 (Mon=1)], "start": "09:00", "end": "18:00"}, ...] in China time."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > 14:
        raise _bad(field, "must be a list of 1..14 {days, start, end} windows")
    out = []
    for i, w in enumerate(value):
        f = f"{field}[{i}]"
        if not isinstance(w, dict):
            raise _bad(f, "must be an object with days, start, end")
        days = w.get("days", [1, 2, 3, 4, 5, 6, 7])
        if (not isinstance(days, list) or not days
                or any(not isinstance(d, int) or isinstance(d, bool) or not 1 <= d <= 7 for d in days)):
            raise _bad(f"{f}.days", "must be a non-empty list of weekdays 1 (Monday) .. 7 (Sunday)")
        start, end = w.get("start"), w.get("end")
        for name, v in (("start", start), ("end", end)):
            if not isinstance(v, str) or not HHMM.match(v):
                raise _bad(f"{f}.{name}", "must be HH:MM (24-hour, China time)")
        if start >= end:
            raise _bad(f"{f}.end", "must be after start")
        out.append({"days": sorted(set(days)), "start": start, "end": end})
    return out


def _welcome(value, kind: str) -> dict | None:
    """Welcome content: {"text": "..."} and optionally one link {"title","url","description","picurl"}."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _bad("welcome", "must be an object with text and/or link")
    text = value.get("text")
    link = value.get("link")
    if text is None and link is None:
        raise _bad("welcome", "needs text or link")
    out: dict = {}
    if text is not None:
        if not isinstance(text, str) or not text.strip():
            raise _bad("welcome.text", "must be a non-empty string")
        if len(text.encode("utf-8")) > MAX_WELCOME_TEXT_BYTES:
            raise _bad("welcome.text", f"must be at most {MAX_WELCOME_TEXT_BYTES} bytes")
        out["text"] = text
    if link is not None:
        if not isinstance(link, dict):
            raise _bad("welcome.link", "must be an object with title and url")
        for name in ("title", "url"):
            if not isinstance(link.get(name), str) or not link[name]:
                raise _bad(f"welcome.link.{name}", "is required")
        if not link["url"].startswith(("http://", "https://")):
            raise _bad("welcome.link.url", "must be an http(s) URL")
        out["link"] = {k: str(link[k]) for k in ("title", "url", "description", "picurl") if link.get(k)}
    return out


def _tags(value, kind: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _bad("tags", "must be a list of tag ids")
    if kind == "oa_qr":
        if len(value) > MAX_OA_TAGS:
            raise _bad("tags", f"an OA follower carries at most {MAX_OA_TAGS} tags")
        if any(not isinstance(t, int) or isinstance(t, bool) or t < 3 for t in value):
            raise _bad("tags", "OA tag ids are integers >= 3 (0, 1, 2 are reserved)")
    else:
        if len(value) > 50:
            raise _bad("tags", "at most 50 corp tags")
        if any(not isinstance(t, str) or not 1 <= len(t) <= 64 for t in value):
            raise _bad("tags", "WeCom corp tag ids are strings")
    return list(dict.fromkeys(value))


def _staff(value, field: str, *, required: bool) -> list[dict]:
    if value is None:
        if required:
            raise _bad(field, "is required (at least one staff userid)")
        return []
    if not isinstance(value, list) or (required and not value) or len(value) > MAX_STAFF:
        raise _bad(field, f"must be a list of 1..{MAX_STAFF} staff")
    out, seen = [], set()
    for i, s in enumerate(value):
        f = f"{field}[{i}]"
        if isinstance(s, str):
            s = {"userid": s}
        if not isinstance(s, dict) or not isinstance(s.get("userid"), str) or not USERID.match(s["userid"]):
            raise _bad(f, "must be a userid or {userid, daily_cap, hours}")
        if s["userid"] in seen:
            raise _bad(f, f"staff {s['userid']} is listed twice")
        seen.add(s["userid"])
        entry = {"userid": s["userid"]}
        cap = _int(s, "daily_cap", lo=1, hi=100_000)
        if "daily_cap" in s and cap is None:
            raise _bad(f"{f}.daily_cap", "must be an integer in 1..100000")
        if cap is not None:
            entry["daily_cap"] = cap
        hours = _hours(s.get("hours"), f"{f}.hours")
        if hours:
            entry["hours"] = hours
        out.append(entry)
    return out


def validate_channel(body: dict, *, existing: dict | None = None) -> dict:
    """Return a clean channel definition from admin input, or raise ValidationError naming the field.

    With `existing`, `body` is a partial update: kind, QR type and scene are fixed once created.
    """
    if not isinstance(body, dict):
        raise _bad("body", "must be a JSON object")
    if existing is not None:
        unknown = sorted(set(body) - set(FIELDS))
        if unknown:
            raise _bad(unknown[0], "is not a channel field")
        fixed = [f for f in ("kind", "qr_type", "scene_id", "scene_str", "expire_seconds", "state")
                 if f in body and body[f] != existing.get(f)]
        if fixed:
            raise _bad(fixed[0], "cannot change once the channel is created; create a new channel")
        merged = {**existing, **body}
        return validate_channel({k: v for k, v in merged.items() if k in FIELDS})
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise _bad(unknown[0], "is not a channel field")
    kind = body.get("kind")
    if kind not in KINDS:
        raise _bad("kind", f"must be one of {', '.join(KINDS)}")
    out: dict = {"kind": kind, "name": _str(body, "name", required=True, max_len=MAX_NAME),
                 "group": _str(body, "group", default="default", max_len=32)}
    if not GROUP.match(out["group"]):
        raise _bad("group", "must be 1..32 printable characters")
    out["welcome"] = _welcome(body.get("welcome"), kind)
    out["tags"] = _tags(body.get("tags"), kind)
    if kind == "oa_qr":
        for f in ("staff", "backup_staff", "daily_cap", "hours", "state"):
            if body.get(f) is not None:
                raise _bad(f, "applies to WeCom contact ways only")
        qr_type = body.get("qr_type", "permanent")
        if qr_type not in QR_TYPES:
            raise _bad("qr_type", f"must be one of {', '.join(QR_TYPES)}")
        out["qr_type"] = qr_type
        if body.get("scene_id") is not None and body.get("scene_str") is not None:
            raise _bad("scene_id", "give scene_id or scene_str, not both")
        if qr_type == "permanent":
            if body.get("expire_seconds") is not None:
                raise _bad("expire_seconds", "permanent codes do not expire")
            out["scene_id"] = _int(body, "scene_id", lo=1, hi=MAX_PERMANENT_SCENE_ID)
        else:
            out["expire_seconds"] = _int(body, "expire_seconds", lo=60, hi=MAX_TEMP_EXPIRE,
                                         default=DEFAULT_TEMP_EXPIRE)
            scene_id = body.get("scene_id")
            if scene_id is not None and (not isinstance(scene_id, int) or isinstance(scene_id, bool)
                                         or scene_id == 0 or not -2**31 <= scene_id < 2**31):
                raise _bad("scene_id", "a temporary code's scene_id is a non-zero 32-bit integer")
            out["scene_id"] = scene_id
        scene_str = _str(body, "scene_str", max_len=MAX_SCENE_STR)
        if scene_str is not None and scene_str.startswith("qrscene_"):
            raise _bad("scene_str", "must not start with qrscene_ (WeChat adds that prefix itself)")
        out["scene_str"] = scene_str
    else:
        for f in ("qr_type", "scene_id", "scene_str", "expire_seconds"):
            if body.get(f) is not None:
                raise _bad(f, "applies to OA QR codes only")
        out["state"] = _str(body, "state", max_len=MAX_STATE)
        out["staff"] = _staff(body.get("staff"), "staff", required=True)
        out["backup_staff"] = _staff(body.get("backup_staff"), "backup_staff", required=False)
        overlap = {s["userid"] for s in out["staff"]} & {s["userid"] for s in out["backup_staff"]}
        if overlap:
            raise _bad("backup_staff", f"{sorted(overlap)[0]} is already in staff")
        if len(out["staff"]) + len(out["backup_staff"]) > MAX_STAFF:
            raise _bad("staff", f"a contact way takes at most {MAX_STAFF} staff including backups")
        cap = body.get("daily_cap")
        if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= 100_000):
            raise _bad("daily_cap", "must be an integer in 1..100000")
        out["daily_cap"] = cap
        out["hours"] = _hours(body.get("hours"), "hours")
        out["skip_verify"] = bool(body.get("skip_verify", True))
    return out


FIELDS = ("kind", "name", "group", "welcome", "tags", "qr_type", "scene_id", "scene_str", "expire_seconds",
          "state", "staff", "backup_staff", "daily_cap", "hours", "skip_verify")


def default_state(channel_id: str) -> str:
    return f"ch_{channel_id}"[:MAX_STATE]


def default_scene_str(channel_id: str) -> str:
    return f"ch_{channel_id}"


def scene_value(defn: dict, channel_id: str) -> str:
    """The scene as it comes back in EventKey (after stripping qrscene_)."""
    if defn.get("scene_id") is not None:
        return str(defn["scene_id"])
    return defn.get("scene_str") or default_scene_str(channel_id)


def qrcode_request(defn: dict, channel_id: str) -> dict:
    """The qrcode/create body for an OA channel."""
    permanent = defn["qr_type"] == "permanent"
    if defn.get("scene_id") is not None:
        action, scene = ("QR_LIMIT_SCENE" if permanent else "QR_SCENE"), {"scene_id": defn["scene_id"]}
    else:
        action = "QR_LIMIT_STR_SCENE" if permanent else "QR_STR_SCENE"
        scene = {"scene_str": defn.get("scene_str") or default_scene_str(channel_id)}
    body = {"action_name": action, "action_info": {"scene": scene}}
    if not permanent:
        body["expire_seconds"] = defn["expire_seconds"]
    return body


def parse_event_key(event: str, event_key: str | None) -> str | None:
    """The scene of an OA subscribe/SCAN event, or None for a plain subscribe."""
    key = (event_key or "").strip()
    if event.lower() == "subscribe":
        if not key.startswith("qrscene_"):
            return None
        key = key[len("qrscene_"):]
    return key or None


# --- time in China (days roll over at midnight Beijing time)

def china_now(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC).astimezone(CHINA)


def day_of(epoch: float) -> str:
    return china_now(epoch).strftime("%Y-%m-%d")


def _in_hours(hours: list[dict] | None, epoch: float) -> bool:
    if not hours:
        return True
    now = china_now(epoch)
    weekday, hhmm = now.isoweekday(), now.strftime("%H:%M")
    return any(weekday in w["days"] and w["start"] <= hhmm < w["end"] for w in hours)


def eligible_staff(defn: dict, epoch: float, adds_today: dict[str, int]) -> list[str]:
    """Who should be on the contact way now: staff within working hours and under their daily cap;
    if none, the backup staff (within their own hours if they have any); if still none, every staff
    member (a contact way must keep at least one user, and a full inbox beats a dead code)."""
    def ok(s: dict, use_cap: bool) -> bool:
        cap = s.get("daily_cap", defn.get("daily_cap"))
        if use_cap and cap is not None and adds_today.get(s["userid"], 0) >= cap:
            return False
        return _in_hours(s.get("hours") or defn.get("hours"), epoch)

    primary = [s["userid"] for s in defn["staff"] if ok(s, True)]
    if primary:
        return primary
    backup = [s["userid"] for s in defn.get("backup_staff") or [] if _in_hours(s.get("hours"), epoch)]
    if backup:
        return backup
    return [s["userid"] for s in defn["staff"]]


def cap_of(defn: dict, userid: str) -> int | None:
    for s in defn.get("staff") or []:
        if s["userid"] == userid:
            return s.get("daily_cap", defn.get("daily_cap"))
    return None


def contact_way_type(defn: dict) -> int:
    """Always multi-user (type 2): a type-1 way takes exactly one user and its type cannot be changed by
    update_contact_way, so a single-staff channel that later gains staff or backups would be stuck."""
    return 2
