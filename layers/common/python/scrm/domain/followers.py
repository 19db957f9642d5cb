"""Follower profiles of an Official Account and the counters their breakdowns are read from (pure rules).

A profile is what user/info/batchget answers for one follower, reduced to what WeChat still gives: language,
subscribe_scene, subscribe_time, tagid_list, remark, unionid (only when the OA is bound to an open platform) and
the subscribe flag. WeChat stopped answering nickname and headimgurl on 2021-12-27, and sex, city, province and
country earlier (they come back empty / 0): nothing about them is kept, and the answers say so (NOTES).

Why counters and not a scan or a snapshot: a breakdown is read by people on a request path, and an account can
have millions of followers, so a request must not read every profile (DESIGN: nothing reads a whole table on a
request path). A periodic snapshot would still scan, and would be stale between runs while unfollow events move
the truth. So each account keeps materialised counters, one per dimension value ("language:zh_CN",
"scene:ADD_SCENE_QR_CODE", "tag:134", "month:2026-11", "total"), and every change of a profile moves them by
`delta(old, new)` in the same transaction as the profile's conditional write: a changed language is -1 on the
old value and +1 on the new, once, because a retried or concurrent write whose condition fails moves nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))  # the business's month: a follow at 23:30 UTC on the 31st is next month's

KEPT = ("subscribe", "language", "subscribe_scene", "subscribe_time", "tagid_list", "remark", "unionid")
DIMENSIONS = ("language", "scene", "tag", "month")
TOTAL = "total"
# The event a sync (or a follow read between syncs) queues with the OA tags it read, for the segment facts.
TAGS_SEEN_KIND = "followers.tags"
TAGS_SEEN_BATCH = 100

NOTES = {
    "zh": "自 2021 年 12 月 27 日起，微信不再返回关注者的头像和昵称；性别、城市、省份、国家也不再返回"
          "（接口给出空值或 0）。因此这里没有按性别或地区的分布，只有语言、关注来源、标签和关注月份。",
    "en": "Since 2021-12-27 WeChat no longer returns a follower's avatar (headimgurl) or nickname, and gender "
          "(sex), city, province and country come back empty or 0. So there is no breakdown by gender or region: "
          "only by language, subscribe scene, tag and subscribe month.",
}


def profile_of(info: dict) -> dict:
    """One entry of user_info_list as kept. An unfollowed user (subscribe 0) has nothing else in WeChat's answer,
    so only the flag (and unionid, if given) is known."""
    if not info.get("subscribe"):
        return {"openid": info["openid"], "subscribe": 0, "unionid": info.get("unionid") or None}
    return {
        "openid": info["openid"],
        "subscribe": 1,
        "language": info.get("language") or "",
        "subscribe_scene": info.get("subscribe_scene") or "",
        "subscribe_time": int(info.get("subscribe_time") or 0),
        "tagid_list": sorted({int(t) for t in info.get("tagid_list") or []}),
        "remark": info.get("remark") or "",
        "unionid": info.get("unionid") or None,
    }


def unfollowed(profile: dict) -> dict:
    """The profile of a follower who unfollowed: the flag drops, the rest stays as last seen (for the record)."""
    return {**profile, "subscribe": 0}


def same(old: dict | None, new: dict) -> bool:
    """Nothing kept changed (so no write moves any counter)."""
    if old is None:
        return False
    if not old.get("subscribe") and not new.get("subscribe"):
        return (old.get("unionid") or None) == (new.get("unionid") or None)
    return all(old.get(k) == new.get(k) for k in KEPT)


def month_of(subscribe_time: int) -> str:
    if not subscribe_time:
        return ""
    return datetime.fromtimestamp(int(subscribe_time), CHINA).strftime("%Y-%m")


def counter_keys(profile: dict | None) -> list[str]:
    """The counters a profile counts in: none when it is not a follower now."""
    if not profile or not profile.get("subscribe"):
        return []
    keys = [TOTAL, f"language:{profile.get('language') or ''}", f"scene:{profile.get('subscribe_scene') or ''}",
            f"month:{month_of(profile.get('subscribe_time') or 0)}"]
    keys += [f"tag:{t}" for t in sorted(set(profile.get("tagid_list") or []))]
    return keys


def delta(old: dict | None, new: dict | None) -> dict[str, int]:
    """How the counters move when `old` becomes `new` (either may be None): unchanged values cancel out."""
    moves: Counter = Counter()
    for k in counter_keys(old):
        moves[k] -= 1
    for k in counter_keys(new):
        moves[k] += 1
    return {k: v for k, v in moves.items() if v}


def add(counts: dict[str, int], moves: dict[str, int]) -> dict[str, int]:
    out = dict(counts)
    for k, v in moves.items():
        out[k] = out.get(k, 0) + v
    return {k: v for k, v in out.items() if v}


def breakdown(counts: dict[str, int]) -> dict:
    """Counters as the answer's lists, per dimension, largest first (ties by value)."""
    out: dict = {"total": counts.get(TOTAL, 0)}
    for dim in DIMENSIONS:
        rows = [(k.split(":", 1)[1], n) for k, n in counts.items() if k.startswith(dim + ":") and n > 0]
        if dim == "month":
            rows.sort()
        else:
            rows.sort(key=lambda r: (-r[1], r[0]))
        out[dim] = rows
    return out


def pack(changes: list[tuple[dict | None, dict]], limit: int) -> list[list[tuple[dict | None, dict]]]:
    """Group profile changes into writes of at most `limit` items: each change is one item, and every distinct
    counter the group moves is one more (DynamoDB transactions hold 100 items)."""
    groups: list[list] = []
    current: list = []
    keys: set[str] = set()
    for change in changes:
        moved = set(delta(*change))
        if current and len(current) + 1 + len(keys | moved) > limit:
            groups.append(current)
            current, keys = [], set()
        current.append(change)
        keys |= moved
    if current:
        groups.append(current)
    return groups


def tags_seen(pairs: list[tuple[dict | None, dict]]) -> dict[str, list[str]]:
    """The followers whose OA tags the segment facts should hear about, from (stored, read) profile pairs: those
    first seen with tags, and those whose tags changed since last seen. Unfollowed ones say nothing of tags."""
    out = {}
    for old, new in pairs:
        if not new.get("subscribe"):
            continue
        tags = [str(t) for t in new.get("tagid_list") or []]
        before = [str(t) for t in (old or {}).get("tagid_list") or []]
        if (old is None and tags) or (old is not None and tags != before):
            out[new["openid"]] = tags
    return out
