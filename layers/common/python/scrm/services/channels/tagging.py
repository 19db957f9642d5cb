"""Channel taggings: queued with each attribution (in its transaction), applied in batches by a schedule."""

from __future__ import annotations

from ... import bootstrap
from ...domain import attribution as rules
from ...domain.channels import DIRECT, UNKNOWN
from ...errors import WeChatError, WeChatUnavailable
from ...observability import logger
from ...tenancy import Scope
from . import common
from .resolve import definition

TAG_BATCH = 50  # tags/members/batchtagging takes at most 50 openids
TAG_MAX_DELAY = 300  # a partial batch waits at most this long for company
PER_OPENID_ERRORS = (40003, 49003, 45059, 43004)
TAG_GONE = 45159  # the OA tag was deleted: nothing to retry
NOT_TAGGABLE = (84061, 40096, 40068)  # WeCom: no longer a customer / tag gone


def queue_writes(store, account, platform: str, identity: str, touch: dict, now: float) -> list:
    """Pending taggings for the channel's tags (applied by the flush schedule in batches)."""
    if touch["k"] not in (rules.FOLLOW, rules.SCAN, rules.ADD) or touch["c"] in (DIRECT, UNKNOWN):
        return []
    tags = (definition(account.account_id, touch["c"]) or {}).get("tags") or []
    if not tags:
        return []
    return store.tagging_writes(account.account_id, platform, identity, touch.get("u"), tags, now)


def flush_taggings(now: float | None = None, *, force: bool = False) -> dict:
    """Apply pending taggings: OA 50 openids per batchtagging call per (account, tag), a partial batch
    only once its oldest entry waited TAG_MAX_DELAY (or `force`); WeCom one mark_tag per relationship.
    Failures stay pending and are retried on the next run."""
    now = bootstrap.container().now() if now is None else now
    store = bootstrap.channel_store()
    tally = {"calls": 0, "applied": 0, "failed": 0}
    for account_id, pending in store.pending_taggings().items():
        try:
            gateway = common.gateway_of(common.account_of(account_id))
        except Exception:
            logger().exception("tagging: account unavailable", extra={"account_id": account_id})
            continue
        by_tag: dict[int, list[dict]] = {}
        for t in pending:
            if t["platform"] == "oa":
                by_tag.setdefault(t["tag"], []).append(t)
        for tag, members in by_tag.items():
            _flush_tag(store, gateway, account_id, tag, members, now, force, tally)
        wecom = [t for t in pending if t["platform"] == "wecom"]
        gone = _deleted_tags(account_id, wecom)
        for t in wecom:
            _mark(store, gateway, t, tally, gone)
    return tally


def _deleted_tags(account_id: str, taggings: list[dict]) -> set:
    """Corp tags of these taggings deleted from the catalogue since the channel was saved: not asked for (one
    deleted id makes WeCom refuse the whole mark_tag with 40068, the live tags with it)."""
    if not taggings:
        return set()
    from .. import tags

    wanted = sorted({x for t in taggings for x in t["tags"] or []})
    return set(tags.deleted_ids(Scope.system(account_id), account_id, wanted))


def _flush_tag(store, gateway, account_id: str, tag: int, members: list[dict], now: float, force: bool,
               tally: dict) -> None:
    members.sort(key=lambda t: t["queued_at"] or 0)
    for start in range(0, len(members), TAG_BATCH):
        chunk = members[start:start + TAG_BATCH]
        if len(chunk) < TAG_BATCH and not force and now - (chunk[0]["queued_at"] or 0) < TAG_MAX_DELAY:
            continue
        _batch(store, gateway, account_id, tag, chunk, tally)


def _batch(store, gateway, account_id: str, tag: int, chunk: list[dict], tally: dict) -> None:
    tally["calls"] += 1
    try:
        gateway.post("tags/members/batchtagging", {"openid_list": [t["openid"] for t in chunk], "tagid": tag})
    except WeChatError as exc:
        if exc.errcode == TAG_GONE:
            store.delete_taggings(chunk)
        elif exc.errcode in PER_OPENID_ERRORS:
            # one bad openid (unfollowed since, 20 tags already) fails the whole call: go one by one
            _one_by_one(store, gateway, tag, chunk, tally)
        else:
            tally["failed"] += len(chunk)
            logger().warning(f"batchtagging failed ({exc.errcode}); will retry",
                             extra={"account_id": account_id, "tag": tag, "errcode": exc.errcode})
        return
    except WeChatUnavailable:
        tally["failed"] += len(chunk)
        return
    store.delete_taggings(chunk)
    tally["applied"] += len(chunk)
    _journeys(account_id, [(t["openid"], None) for t in chunk], [tag])


def _one_by_one(store, gateway, tag: int, chunk: list[dict], tally: dict) -> None:
    for t in chunk:
        tally["calls"] += 1
        try:
            gateway.post("tags/members/batchtagging", {"openid_list": [t["openid"]], "tagid": tag})
        except WeChatError as exc:
            if exc.errcode in PER_OPENID_ERRORS:
                store.delete_taggings([t])  # this follower cannot take the tag: drop it, keep the others
            continue
        except WeChatUnavailable:
            continue
        store.delete_taggings([t])
        tally["applied"] += 1
        _journeys(t["account_id"], [(t["openid"], None)], [tag])


def _mark(store, gateway, t: dict, tally: dict, gone: set = frozenset()) -> None:
    live = [x for x in t["tags"] or [] if x not in gone]
    if not live:  # every tag of it was deleted from the corp's catalogue: nothing left to apply
        logger().info("tagging skipped: its corp tags were deleted", extra={"tags": list(t["tags"] or [])})
        store.delete_taggings([t])
        return
    tally["calls"] += 1
    try:
        gateway.mark_tag(t["userid"], t["external_userid"], live)
    except WeChatError as exc:
        if exc.errcode in NOT_TAGGABLE:
            store.delete_taggings([t])
        else:
            tally["failed"] += 1
        return
    except WeChatUnavailable:
        tally["failed"] += 1
        return
    store.delete_taggings([t])
    tally["applied"] += 1
    _journeys(t["account_id"], [(t["external_userid"], t["userid"])], live)


def _journeys(account_id: str, people: list[tuple[str, str | None]], tags: list) -> None:
    """Tags applied: journeys triggered by a tag (and those whose goal it is) hear of it. The tagging stands
    whatever happens there (it is deleted already); a failure is logged."""
    from .. import journeys

    for tag in tags:
        try:
            journeys.tagged(account_id, people, tag)
        except Exception:  # noqa: BLE001 - the WeChat tagging is done and must not be retried for this
            logger().exception("journeys not told of a tagging", extra={"account_id": account_id, "tag": tag})
