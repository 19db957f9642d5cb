"""The scheduled side of a moment: at its time, reserve its customers' monthly counts, create the WeCom task exactly
once, follow the asynchronous job to WeCom's moment id, then pull who published and the comments and likes until
the follow window ends.

Exactly once, as pushes do for add_msg_template (scrm.services.pushes.senders):
1. A run *claims* the moment (a lease): two schedulers never work on it at once.
2. The customers' counts are reserved first (the quota ledger, holder = the moment: a rerun takes nothing twice).
3. Before calling add_moment_task the attempt is recorded. add_moment_task has no dedupe key (NOT_IDEMPOTENT: a
   timeout, -1 or 5xx raises AmbiguousOutcome), so a run that finds an attempt without a jobid looks on WeCom
   first (get_moment_list since the first attempt, same text and attachments) and keeps what it finds; it resends
   only when nothing is there and the earlier attempt had time to settle (SETTLE_SECONDS).
4. The jobid is polled with get_moment_task_result until it settles (moment_id, invalid senders and tags, or
   WeCom's refusal, which gives the counts back): every tick for JOB_EVERY_TICK looks, then after a doubling delay
   up to JOB_POLL_MAX_SECONDS (a job WeCom is slow on is not looked at every tick), given up after JOB_MAX_POLLS
   looks with the reason recorded.
5. Figures (get_moment_task: published / not; get_moment_comments per member who published) are pulled every tick
   for FAST_SECONDS, then every POLL_SECONDS, until FOLLOW_SECONDS after WeCom created it (then completed).

A run works through every moment due when it started, earliest first, batch after batch until none is left or its
time is short: moments being followed (a job not settled, figures every tick) never keep a new one waiting behind
them, and none is run twice in one run.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from ... import errors
from ...domain import quotas as quota_rules
from .deps import MomentDeps, customer_rules, ledger_keys, visible_customers

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
SETTLE_SECONDS = 180  # an earlier attempt's task shows in get_moment_list once its job settled (seconds on WeCom)
RETRY_SECONDS = 60
MAX_ATTEMPTS = 6
JOB_EVERY_TICK = 5  # WeCom's job usually settles within seconds: the first looks again are the next ticks
JOB_POLL_SECONDS = 60  # then after 2, 4, 8 minutes, ...
JOB_POLL_MAX_SECONDS = 600  # ... at most every 10 minutes
JOB_MAX_POLLS = 30  # about 3.8 hours of looks
FAST_SECONDS = 15 * 60  # members publish soon after the task reaches them: figures every tick at first
POLL_SECONDS = 30 * 60
FOLLOW_SECONDS = 3 * 86400  # figures are pulled for three days (account option moment_follow_seconds)
STAFF_KEPT = 500  # per-member figures kept on the moment (the totals count everyone)
OPEN = ("scheduled", "creating", "publishing")
TRANSIENT = (errors.WeChatBusy, errors.WeChatRateLimited, errors.WeChatUnavailable)


class Publisher:
    def __init__(self, deps: MomentDeps):
        self.deps = deps

    @property
    def store(self):
        return self.deps.store

    def run_due(self, *, time_left: Callable[[], float] = lambda: 600.0, owner: str | None = None,
                limit: int = 25) -> dict:
        owner = owner or uuid.uuid4().hex
        out = {"claimed": 0, "skipped": 0}
        start, seen = self.deps.clock(), set()
        while time_left() >= 60:
            # due as of the run's start: a moment this run moved on is due later and drops out; one claimed by
            # another run stays listed, so each batch asks past the ones seen
            batch = [k for k in self.store.due(start, len(seen) + limit) if k not in seen]
            if not batch:
                break
            for account_id, moment_id in batch:
                if time_left() < 60:
                    break
                seen.add((account_id, moment_id))
                now = self.deps.clock()
                m = self.store.claim(account_id, moment_id, owner, now, now + LEASE_SECONDS)
                if m is None:
                    out["skipped"] += 1
                    continue
                out["claimed"] += 1
                self._run_claimed(m, owner)
        return out

    def _run_claimed(self, m: dict, owner: str) -> None:
        try:
            changes = self.step(m, owner)
        except Exception as exc:  # a bug or an outage: keep the moment resumable and say why
            log.exception("moment %s/%s run failed", m["account_id"], m["moment_id"])
            changes = {"last_error": f"{type(exc).__name__}: {exc}"[:500], "next_run_at": self.deps.clock() + 60}
        # an admin's cancel in the meantime wins: nothing is written over a cancelled moment
        self._save(m, owner, {**changes, "lease_owner": None, "lease_until": None}, expect_status=OPEN)

    def _save(self, m: dict, owner: str, changes: dict, expect_status=None) -> bool:
        ok = self.store.update_moment(m["account_id"], m["moment_id"], {**changes, "updated_at": self.deps.clock()},
                                      expect_owner=owner, expect_status=expect_status)
        m.update({k: v for k, v in changes.items() if v is not None})
        for k in [k for k, v in changes.items() if v is None]:
            m.pop(k, None)
        return ok

    def step(self, m: dict, owner: str) -> dict:
        """One move of the moment forward; the changes to write with the lease given back."""
        if m["status"] not in OPEN:
            return {"due": None}
        account = self.deps.wecom_account(m["account_id"])
        gw = self.deps.gateway_for(account)
        if not m.get("jobid") and not m.get("wecom_moment_id"):
            changes = self._create(m, owner, account, gw)
            if changes is not None:
                return changes
        if not m.get("wecom_moment_id"):
            changes = self._job(m, account, gw)
            if changes is not None:
                return changes
        return self._figures(m, account, gw)

    # ---- 1. counts and the one add_moment_task
    def _reserve(self, m: dict, owner: str, account) -> None:
        """Take each visible customer's monthly count (idempotent per moment); record how many were at the limit."""
        now = self.deps.clock()
        vr = m["visible_range"]
        customers = visible_customers(self.deps, self.deps.gateway_for(account), vr["senders"],
                                      vr.get("tag_ids") or [])
        eligible = customers
        period = quota_rules.period_key("month", now, m["timezone"])
        for rule in customer_rules(account):
            period = quota_rules.period_key(rule.period, now, m["timezone"])
            keys = ledger_keys(m["account_id"], rule, period, eligible)
            granted = self.store.reserve_many(m["account_id"], keys, rule.limit, m["moment_id"],
                                              quota_rules.ledger_ttl(rule.period, now)) if keys else []
            eligible = [c for c, ok in zip(eligible, granted, strict=True) if ok]
        self._save(m, owner, {"visible": len(customers), "reserved": len(eligible),
                              "over_quota": len(customers) - len(eligible), "period": period})

    def release(self, m: dict, account) -> None:
        """Give the customers' counts back (WeCom refused the task: nobody saw it)."""
        if not m.get("reserved") or not m.get("period"):
            return
        vr = m["visible_range"]
        customers = visible_customers(self.deps, self.deps.gateway_for(account), vr["senders"],
                                      vr.get("tag_ids") or [])
        for rule in customer_rules(account):
            keys = ledger_keys(m["account_id"], rule, m["period"], customers)
            if keys:
                self.store.release_many(m["account_id"], keys, m["moment_id"])

    def _create(self, m: dict, owner: str, account, gw) -> dict | None:
        """None once the task exists (a jobid, or WeCom's moment found); else the changes that end this run."""
        now = self.deps.clock()
        if m.get("reserved") is None:
            self._reserve(m, owner, account)
            if not m["visible"] or not m["reserved"]:
                why = ("no customer of the senders is in the visible range" if not m["visible"]
                       else "every customer in the visible range is at the monthly limit")
                return {"status": "failed", "reason": why, "due": None}
        if m.get("attempt_at"):
            try:
                found = self._find(m, gw)
            except TRANSIENT as exc:  # cannot look: never send blind
                return self._later(m, exc)
            if found:
                self._save(m, owner, {"wecom_moment_id": found, "recovered": 1, "status": "publishing",
                                      "created_at_wecom": now})
                return None
            if now < m["attempt_at"] + SETTLE_SECONDS:  # an earlier task may still be settling: look again later
                return {"next_run_at": m["attempt_at"] + SETTLE_SECONDS}
        if int(m.get("attempts") or 0) >= MAX_ATTEMPTS:
            return {"status": "failed", "due": None, "reason": f"gave up after {m['attempts']} attempts "
                                                              "(outcome unknown: the counts stay taken)"}
        if not self._save(m, owner, {"status": "creating", "attempts": int(m.get("attempts") or 0) + 1,
                                     "attempt_at": now, "first_attempt_at": m.get("first_attempt_at") or now},
                          expect_status=("scheduled", "creating")):
            return {}  # lost the lease, or an admin cancelled it
        content, vr = m["content"], m["visible_range"]
        try:
            res = self.deps.call(gw.add_moment_task, content.get("text") or "", content.get("attachments") or [],
                                 vr["senders"], vr.get("tag_ids") or [])
        except (errors.AmbiguousOutcome, *TRANSIENT) as exc:
            return self._later(m, exc)
        except errors.WeChatError as exc:  # refused: no task, nobody sees it
            self.release(m, account)
            return {"status": "failed", "due": None, "reason": f"WeCom refused the task: errcode {exc.errcode}: "
                                                              f"{exc.errmsg}"[:300]}
        self._save(m, owner, {"jobid": res["jobid"], "job_polls": 0})
        return None

    def _later(self, m: dict, exc: Exception) -> dict:
        return {"last_error": f"{type(exc).__name__}: {exc}"[:500], "next_run_at": self.deps.clock() + RETRY_SECONDS}

    def _find(self, m: dict, gw) -> str | None:
        """WeCom's moment an earlier attempt created, if it is there: created by the corp since the first attempt,
        with this moment's text and attachments (kinds, counts and link url)."""
        start, end = int(m["first_attempt_at"]) - 5, int(self.deps.clock()) + 5
        cursor = ""
        while True:
            page = self.deps.call(gw.moment_list, start, end, cursor)
            for found in page.get("moment_list") or []:
                if _same(found, m["content"]):
                    return found["moment_id"]
            cursor = page.get("next_cursor") or ""
            if not cursor:
                return None

    # ---- 2. the asynchronous job
    def _job(self, m: dict, account, gw) -> dict | None:
        now = self.deps.clock()
        try:
            res = self.deps.call(gw.moment_task_result, m["jobid"])
        except TRANSIENT as exc:
            return self._later(m, exc)
        if int(res.get("status") or 0) != 3:
            polls = int(m.get("job_polls") or 0) + 1
            if polls >= JOB_MAX_POLLS:  # the task may yet exist on WeCom: the counts stay taken
                return {"status": "failed", "due": None, "job_polls": polls,
                        "reason": f"WeCom's job {m['jobid']} had not settled after {polls} looks "
                                  "(the task may still reach the staff: the customers' counts stay taken)"}
            wait = 0 if polls < JOB_EVERY_TICK else min(JOB_POLL_MAX_SECONDS,
                                                        JOB_POLL_SECONDS * 2 ** (polls - JOB_EVERY_TICK + 1))
            return {"job_polls": polls, "next_run_at": now + wait}
        result = res.get("result") or {}
        if result.get("errcode"):
            self.release(m, account)
            return {"status": "failed", "due": None,
                    "reason": f"WeCom refused the task: errcode {result['errcode']}: {result.get('errmsg')}"[:300]}
        invalid = {"senders": (result.get("invalid_sender_list") or {}).get("user_list") or [],
                   "tag_ids": (result.get("invalid_external_contact_list") or {}).get("tag_list") or []}
        m.update(wecom_moment_id=result["moment_id"], status="publishing", created_at_wecom=now,
                 invalid=invalid if invalid["senders"] or invalid["tag_ids"] else None)
        if invalid["senders"] and m.get("reserved"):
            self._release_unreached(m, account, gw, set(invalid["senders"]))
        return None

    def _release_unreached(self, m: dict, account, gw, invalid: set[str]) -> None:
        """Customers only an invalid sender serves will not see the moment: their counts are given back."""
        vr = m["visible_range"]
        tags = vr.get("tag_ids") or []
        valid = [s for s in vr["senders"] if s not in invalid]
        reached = set(visible_customers(self.deps, gw, valid, tags)) if valid else set()
        lost = [c for c in visible_customers(self.deps, gw, sorted(invalid), tags) if c not in reached]
        for rule in customer_rules(account):
            keys = ledger_keys(m["account_id"], rule, m["period"], lost)
            if keys:
                self.store.release_many(m["account_id"], keys, m["moment_id"])
        m["unreached"] = len(lost)

    # ---- 3. figures
    def _figures(self, m: dict, account, gw) -> dict:
        now = self.deps.clock()
        moment_id = m["wecom_moment_id"]
        tasks, cursor = {}, ""
        while True:
            page = self.deps.call(gw.moment_task, moment_id, cursor)
            for t in page.get("task_list") or []:
                tasks[t["userid"]] = int(t.get("publish_status") or 0)
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
        staff, comments, likes = [], 0, 0
        for userid in sorted(tasks):
            row = {"userid": userid, "published": bool(tasks[userid]), "comments": 0, "likes": 0}
            if tasks[userid]:
                res = self.deps.call(gw.moment_comments, moment_id, userid)
                row["comments"], row["likes"] = len(res.get("comment_list") or []), len(res.get("like_list") or [])
                comments, likes = comments + row["comments"], likes + row["likes"]
            staff.append(row)
        published = sum(1 for v in tasks.values() if v)
        figures = {"senders": len(tasks), "published": published, "not_published": len(tasks) - published,
                   "comments": comments, "likes": likes, "staff": staff[:STAFF_KEPT]}
        base = {"wecom_moment_id": moment_id, "status": "publishing", "created_at_wecom": m["created_at_wecom"],
                "invalid": m.get("invalid"), "unreached": m.get("unreached"), "figures": figures, "figures_at": now,
                "last_error": None}
        follow = float((account.options or {}).get("moment_follow_seconds") or FOLLOW_SECONDS)
        age = now - m["created_at_wecom"]
        if age >= follow:
            return {**base, "status": "completed", "due": None}
        return {**base, "next_run_at": now if age < FAST_SECONDS else now + POLL_SECONDS}


def _same(found: dict, content: dict) -> bool:
    """A listed moment is this one when its text and attachments match (WeCom lists media under its own ids, so
    images and a video are compared by count, a link by its url)."""
    if ((found.get("text") or {}).get("content") or "") != (content.get("text") or ""):
        return False
    atts = content.get("attachments") or []
    kinds = [a["msgtype"] for a in atts]
    images = found.get("image") or []
    video, link = found.get("video") or {}, found.get("link") or {}
    if "image" in kinds:
        return len(images) == len(atts) and not link.get("url")
    if "video" in kinds:
        return bool(video.get("media_id")) and not images
    if "link" in kinds:
        return link.get("url") == atts[0]["link"]["url"]
    return not images and not video.get("media_id") and not link.get("url")
