"""The follower sync: user/get (10,000 openids a page, `next_openid` paging) then user/info/batchget (100 a call),
one page per step of the event worker, with the cursor saved in the store after each page; then a sweep over the
stored profiles marks as unfollowed whoever the walk did not see (and no event said followed since it began).

Resumable and exact under crashes and redelivery: a step runs only when the saved state says it is next (an old
or duplicate message is ignored; one whose successor was never queued queues it again); a profile is written
only when it changed or this run has not seen it yet, conditional on its version, in one transaction with its
counter moves; so a page done twice writes nothing twice and moves no counter twice. Follow and unfollow events
keep profiles current between syncs (`on_follow_event`), ordered by event time against the profile's `as_of`.
"""

from __future__ import annotations

import hashlib
import secrets

from ...domain import followers as rules
from ...errors import Conflict, WeChatError
from ...stores.contacts.base import SHARDS
from ...tenancy import Scope
from ..events import on
from . import common

SYNC_KIND = "followers.sync"
LIST, SWEEP, DONE = "list", "sweep", "done"
PAGE = 10000  # user/get's page (https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_getfans)
BATCH = 100  # user/info/batchget's cap (https://developers.weixin.qq.com/doc/service/api/usermanage/userinfo/api_batchuserinfo)
SWEEP_PAGE = 2000
TX_ITEMS = 100  # a DynamoDB transaction's items: profiles and the counters they move
STALLED = 15 * 60  # a running sync that has not moved for this long may be started again
MAX_ATTEMPTS = 8
GONE = frozenset({40003, 46004})  # invalid openid / no such user: the openid is not a follower (any more)


class ConcurrentUpdate(RuntimeError):
    """Profiles or the sync state kept changing under us; the message goes back to the queue."""


# --- starting

def start_sync(scope: Scope, account_id: str) -> dict:
    """Start a sync of the account's followers (the worker does the pages). Conflict while one is running."""
    scope.check(account_id)
    common.oa_account(account_id)
    store, now = common.store(), int(common.now())
    state = store.follower_sync(account_id)
    if state and state["phase"] != DONE and now - int(state.get("moved_at") or 0) < STALLED:
        raise Conflict(f"a follower sync of {account_id} is running (run {state['run']}, step {state['step']})")
    new = {"run": secrets.token_hex(6), "phase": LIST, "step": 0, "cursor": "", "started_at": now, "moved_at": now,
           "finished_at": None, "listed": 0, "written": 0, "unfollowed": 0, "wechat_total": None,
           "tags": (state or {}).get("tags") or {}, "calls": {"user/get": 0, "user/info/batchget": 0}}
    if not store.save_follower_sync(account_id, new, state["version"] if state else None):
        raise Conflict("another follower sync of this account started at the same moment")
    _queue(account_id, new["run"], 0)
    from .reads import sync_status

    return sync_status(scope, account_id)


def _queue(account_id: str, run: str, step_no: int) -> None:
    common.enqueue({"account_id": account_id, "platform": "oa", "kind": SYNC_KIND,
                    "dedupe_key": f"followers-sync:{run}:{step_no}", "event": {"run": run, "step": step_no}})


# --- the worker

@on(SYNC_KIND)
def on_sync_step(payload: dict) -> dict:
    ev = payload.get("event") or {}
    return step(payload["account_id"], str(ev.get("run")), int(ev.get("step", -1)))


def step(account_id: str, run: str, step_no: int, gateway=None) -> dict:
    """Do step `step_no` of sync `run` if the saved state says it is next; queue the following one."""
    store = common.store()
    state = store.follower_sync(account_id)
    if state is None or state["run"] != run or state["phase"] == DONE:
        return {"ignored": "not the running sync"}
    if state["step"] > step_no:  # done already; a crash may have come between saving and queueing the next
        _queue(account_id, run, state["step"])
        return {"ignored": "step done", "queued": state["step"]}
    if state["step"] < step_no:
        return {"ignored": "not yet"}
    gw = gateway or common.gateway_of(common.oa_account(account_id))
    new = _list(account_id, state, gw) if state["phase"] == LIST else _sweep(account_id, state)
    new.update(step=step_no + 1, moved_at=int(common.now()))
    if not store.save_follower_sync(account_id, new, state["version"]):
        raise ConcurrentUpdate("the follower sync state changed under this step")
    if new["phase"] != DONE:
        _queue(account_id, run, step_no + 1)
    return {"step": step_no, "phase": new["phase"], "listed": new["listed"], "written": new["written"]}


def _list(account_id: str, state: dict, gw) -> dict:
    new = {k: v for k, v in state.items() if k != "version"}
    calls = dict(new["calls"])
    if state["step"] == 0:  # the tag names, once a run (tags/get), so a breakdown names tags without a call
        new["tags"] = {str(t["id"]): t.get("name") or "" for t in gw.follower_tags()}
    page = gw.followers_page(state["cursor"])
    calls["user/get"] += 1
    openids = list((page.get("data") or {}).get("openid") or [])
    infos = []
    for i in range(0, len(openids), BATCH):
        infos += fetch_infos(gw, openids[i:i + BATCH], calls)
    written = save(account_id, [rules.profile_of(i) for i in infos], run=state["run"], as_of=state["started_at"],
                   shard=state["step"] % SHARDS)
    nxt = page.get("next_openid") or ""
    listed = state["listed"] + len(openids)
    total = page.get("total")
    # The last page: nothing listed, no next_openid, a short page, or as many as WeChat counts (the page after
    # the last answers count 0 with next_openid "": not asking for it saves one call per sync).
    last = not openids or not nxt or len(openids) < PAGE or (total is not None and listed >= int(total))
    new.update(cursor="" if last else nxt, phase=SWEEP if last else LIST, listed=listed, calls=calls,
               written=state["written"] + written, wechat_total=total)
    return new


def fetch_infos(gw, openids: list[str], calls: dict) -> list[dict]:
    """user/info/batchget for at most 100 openids. One invalid or gone openid fails the whole call (40003 /
    46004): the batch is halved until it is found, and it counts as not following."""
    try:
        calls["user/info/batchget"] += 1
        return gw.follower_infos(openids)
    except WeChatError as exc:
        if exc.errcode not in GONE:
            raise
    if len(openids) == 1:
        return [{"openid": openids[0], "subscribe": 0}]
    mid = len(openids) // 2
    return fetch_infos(gw, openids[:mid], calls) + fetch_infos(gw, openids[mid:], calls)


def _sweep(account_id: str, state: dict) -> dict:
    """One page of stored profiles: a follower this run did not see, whom no event saw following since the run
    began, unfollowed meanwhile."""
    new = {k: v for k, v in state.items() if k != "version"}
    page, nxt = common.store().follower_profiles_page(account_id, state["cursor"] or None, SWEEP_PAGE)
    def stale(p: dict) -> bool:
        # last written by another run's walk, or by an event from before this run began
        return p.get("run") != state["run"] and (p.get("run") is not None
                                                 or int(p.get("as_of") or 0) < state["started_at"])

    gone = [rules.unfollowed(_bare(p)) for p in page if p.get("subscribe") and stale(p)]
    n = save(account_id, gone, run=state["run"], as_of=state["started_at"], shard=state["step"] % SHARDS,
             only_if=stale)
    done = nxt is None
    new.update(cursor="" if done else nxt, phase=DONE if done else SWEEP, unfollowed=state["unfollowed"] + n,
               finished_at=int(common.now()) if done else None)
    return new


def _bare(profile: dict) -> dict:
    return {k: v for k, v in profile.items() if k not in ("version", "run", "as_of")}


# --- writing profiles with their counter moves

def save(account_id: str, profiles: list[dict], *, run: str | None, as_of: int, shard: int,
         only_if=None) -> int:
    """Write the profiles that changed (or that this run has not seen) with their counter moves, in transactions
    of at most 100 items, each conditional on the versions read; a refused one is read again and redone.
    A stored profile newer than `as_of` (an event after this moment) is left alone. Returns profiles written."""
    store = common.store()
    pending = {p["openid"]: p for p in profiles}
    written = 0
    for _ in range(MAX_ATTEMPTS):
        if not pending:
            return written
        stored = store.follower_profiles(account_id, list(pending))
        changes = []
        for openid, new in pending.items():
            old = stored.get(openid)
            if old is not None and int(old.get("as_of") or 0) > as_of:  # an event after this moment said more
                continue
            if old is not None and only_if is not None and not only_if(old):
                continue
            if rules.same(old and _bare(old), new) and (run is None or old.get("run") == run):
                continue
            changes.append((old, {**new, "run": run, "as_of": as_of}))  # run None: an event wrote it
        retry = {}
        for group in rules.pack([(old and _bare(old), new) for old, new in changes], TX_ITEMS):
            moves: dict[str, int] = {}
            for old, new in group:
                moves = rules.add(moves, rules.delta(old, new))
            versions = {o: (stored.get(o) or {}).get("version") for o in (n["openid"] for _, n in group)}
            tell_segments(account_id, rules.tags_seen(group), run=run, as_of=as_of)
            if store.save_follower_profiles(account_id, [(versions[n["openid"]], n) for _, n in group], moves, shard):
                written += len(group)
            else:
                retry.update({n["openid"]: pending[n["openid"]] for _, n in group})
        pending = retry
    raise ConcurrentUpdate(f"{len(pending)} follower profiles kept changing")


def tell_segments(account_id: str, tags: dict[str, list[str]], *, run: str | None, as_of: int) -> None:
    """Queue the OA tags read for the segment facts (scrm.services.segments.facts), before the profiles are
    written: a crash after the write would otherwise lose them (the redone step finds nothing changed). A retried
    write queues them again; the facts take each follower's once (keyed by run, moment and openid)."""
    openids = sorted(tags)
    for i in range(0, len(openids), rules.TAGS_SEEN_BATCH):
        part = openids[i:i + rules.TAGS_SEEN_BATCH]
        digest = hashlib.sha256("|".join(part).encode()).hexdigest()[:16]
        common.enqueue({"account_id": account_id, "platform": "oa", "kind": rules.TAGS_SEEN_KIND,
                        "dedupe_key": f"follower-tags:{run or 'event'}:{as_of}:{digest}",
                        "event": {"run": run, "as_of": as_of, "tags": {o: tags[o] for o in part}}})


# --- events between syncs

@on("oa.subscribe", "oa.unsubscribe")
def on_follow_event(payload: dict) -> dict:
    """An unfollow marks a known profile unfollowed; a follow, once the account syncs followers, reads the
    follower's profile (one user/info/batchget) so the breakdowns include them before the next sync."""
    ev = payload.get("event") or {}
    openid, account_id = ev.get("FromUserName"), payload["account_id"]
    if not openid:
        return {"ignored": "no FromUserName"}
    store = common.store()
    if store.follower_sync(account_id) is None:
        return {"ignored": "the account does not sync follower profiles"}
    t = int(float(ev.get("CreateTime") or common.now()))
    shard = sum(openid.encode()) % SHARDS
    if (ev.get("Event") or "").lower() == "unsubscribe":
        old = store.follower_profiles(account_id, [openid]).get(openid)
        if old is None or not old.get("subscribe"):
            return {"followers": "no change"}
        n = save(account_id, [rules.unfollowed(_bare(old))], run=None, as_of=t, shard=shard)
        return {"followers": "unfollowed" if n else "no change"}
    gw = common.gateway_of(common.oa_account(account_id))
    infos = fetch_infos(gw, [openid], {"user/info/batchget": 0})
    n = save(account_id, [rules.profile_of(i) for i in infos], run=None, as_of=t, shard=shard)
    return {"followers": "followed" if n else "no change"}


# --- erasure (scrm.services.privacy)

def erase(account_id: str, openids: list[str], erase_now: bool) -> list[dict]:
    """The person's follower profiles; erased: deleted, their counts taken off with them (so a later sync that
    finds them still following counts them once again, not twice)."""
    store = common.store()
    found = store.follower_profiles(account_id, openids)
    if erase_now:
        for _ in range(MAX_ATTEMPTS):
            current = store.follower_profiles(account_id, openids)
            if not current:
                break
            writes = [(p["version"], {"openid": o, "erased": True}) for o, p in current.items()]
            moves: dict[str, int] = {}
            for p in current.values():
                moves = rules.add(moves, rules.delta(_bare(p), None))
            if store.save_follower_profiles(account_id, writes, moves, sum(openids[0].encode()) % SHARDS):
                break
        else:
            raise ConcurrentUpdate("follower profiles kept changing during erasure")
    return [{"follower_profile": _bare(p)} for p in found.values()]
