"""Channels: where followers and customers come from. Pure rules, no AWS and no WeChat.

A channel is either an OA parametric QR code (`oa_qr`: temporary with an expiry, or permanent) or a WeCom
contact way (`wecom_contact_way`, "活码": one or many staff). It has a name, a group (posters, stores,
partners, ...), optional welcome content, tags to apply, and for contact ways: staff rotation with a
per-staff daily cap, backup staff when everyone is capped, and working-hours schedules.

`validate_channel` turns an admin's JSON into a clean definition or raises ValidationError naming the
field; `eligible_staff` says who should be on a contact way right now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ..contracts import channels as contract
from ..contracts import parse
from ..contracts.channels import (  # noqa: F401 (the channel rules' names, re-exported)
    DEFAULT_TEMP_EXPIRE,
    FIELDS,
    KINDS,
    MAX_NAME,
    MAX_OA_TAGS,
    MAX_PERMANENT_SCENE_ID,
    MAX_SCENE_STR,
    MAX_STAFF,
    MAX_STATE,
    MAX_TEMP_EXPIRE,
    MAX_WELCOME_TEXT_BYTES,
    QR_TYPES,
)
from ..errors import ValidationError

# Built-in pseudo channels: a plain subscribe / an add without state, and a scene or state we do not know.
DIRECT = "direct"
UNKNOWN = "unknown"
RESERVED_IDS = (DIRECT, UNKNOWN)
MAX_PERMANENT_CODES = 100_000
CHINA = timezone(timedelta(hours=8))  # China has no DST; a fixed offset needs no tz database in Lambda


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", field=field)


def validate_channel(body: dict, *, existing: dict | None = None) -> dict:
    """Return a clean channel definition from admin input (contracts.channels.ChannelBody), or raise
    ValidationError naming every field that is wrong.

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
        body = {k: v for k, v in {**existing, **body}.items() if k in FIELDS}
    c = parse(contract.ChannelBody, body)
    out: dict = {"kind": c.kind, "name": c.name.strip(), "group": c.group.strip(),
                 "welcome": _welcome(c.welcome), "tags": list(dict.fromkeys(c.tags or []))}
    if c.kind == "wecom_group":
        return {**out, **_group_code(c)}
    return {**out, **(_oa_qr(c) if c.kind == "oa_qr" else _contact_way(c))}


def _group_code(c: contract.ChannelBody) -> dict:
    return {"state": c.state, "chat_ids": list(c.chat_ids or []), "group_cap": c.group_cap or 100,
            "auto_create_room": bool(c.auto_create_room), "room_base_name": c.room_base_name,
            "room_base_id": c.room_base_id, "welcome_template": c.welcome_template, "vip": bool(c.vip),
            "members_only": bool(c.members_only), "sign_in_account": c.sign_in_account if c.members_only else None}


def _welcome(w: contract.Welcome | None) -> dict | None:
    if w is None:
        return None
    out: dict = {} if w.text is None else {"text": w.text}
    if w.link is not None:
        out["link"] = {k: str(v) for k, v in w.link.model_dump().items() if v}
    return out


def _oa_qr(c: contract.ChannelBody) -> dict:
    qr_type = c.qr_type or "permanent"
    if qr_type == "permanent":
        return {"qr_type": qr_type, "scene_id": c.scene_id, "scene_str": c.scene_str}
    return {"qr_type": qr_type, "expire_seconds": c.expire_seconds or DEFAULT_TEMP_EXPIRE, "scene_id": c.scene_id,
            "scene_str": c.scene_str}


def _hours(hours: list | None) -> list[dict] | None:
    if hours is None:
        return None
    return [{"days": sorted(set(w.days)), "start": w.start, "end": w.end} for w in hours]


def _staff(staff: list | None) -> list[dict]:
    out = []
    for s in staff or []:
        entry: dict = {"userid": s.userid}
        if s.daily_cap is not None:
            entry["daily_cap"] = s.daily_cap
        if s.hours:
            entry["hours"] = _hours(s.hours)
        out.append(entry)
    return out


def _contact_way(c: contract.ChannelBody) -> dict:
    return {"state": c.state, "staff": _staff(c.staff), "backup_staff": _staff(c.backup_staff),
            "daily_cap": c.daily_cap, "hours": _hours(c.hours),
            "skip_verify": True if c.skip_verify is None else c.skip_verify}


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
