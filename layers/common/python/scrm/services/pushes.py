"""Content pushes: create / preview / confirm / cancel, the scheduled sender, and the result callbacks.

Exactly once, by construction:
1. The scheduler *claims* a due push with a conditional update (a lease). A second scheduler firing at the
   same time gets nothing; a dead one's lease runs out and the next tick resumes the run.
2. *Planning* resolves the audience once and writes every batch (recipients chunked, compressed) before
   any send; the plan header is written last, so a crash mid-planning just replans.
3. Each batch reserves quota in the ledger (conditional increments, idempotent per run), moves to
   `sending`, calls WeChat with a deterministic client message id and records the outcome. A batch found
   in `sending` after a crash has an unknown outcome: OA mass sends and template messages are resent with
   the same clientmsgid / client_msg_id (WeChat dedupes: 45065 returns the first msgid); WeCom has no
   dedupe key, so the sender first looks the message up with get_groupmsg_list_v2 and resends only if it
   is not there; customer-service messages put a once-marker per recipient before calling.
4. A run completes when every batch is terminal (sent / failed with a reason / skipped); a recurring push
   is then scheduled for its next occurrence.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable

from .. import errors
from ..domain import pushes as rules
from ..domain import quotas
from ..tenancy import Scope
from .events import on

log = logging.getLogger(__name__)

LEASE_SECONDS = 300
MAX_ATTEMPTS = 6
PREVIEW_EXACT_MAX = 20_000  # above this, the quota effect is estimated from a sample
RESULT_POLL_SECONDS = 600
RESULT_POLL_DAYS = 3
INTERACTION_KINDS = ("oa.text", "oa.image", "oa.voice", "oa.video", "oa.shortvideo", "oa.location", "oa.link",
                     "oa.click", "oa.view", "oa.subscribe", "oa.scan")


def default_store(scope: Scope):
    from ..data.push_store import DynamoPushStore

    return DynamoPushStore(scope)


def _default_account(account_id: str):
    from .. import accounts

    return accounts.get(account_id)


def _default_gateway(account):
    from ..gateway import gateway_for

    return gateway_for(account)


class RateLimiter:
    def __init__(self, per_second: float, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


class PushService:
    def __init__(self, store, *, account_for: Callable = _default_account, gateway_for: Callable = _default_gateway,
                 clock: Callable[[], float] = time.time, contacts=None):
        self.store = store
        self.account_for = account_for
        self.gateway_for = gateway_for
        self.clock = clock
        self.contacts = contacts  # optional ChannelAudience (see below); resolved lazily
        self.calls = 0  # WeChat calls this service made (figures for the benchmark)

    # ================================================================ admin use cases

    def _validate(self, account, body: dict, now: float) -> dict:
        if not isinstance(body, dict):
            raise errors.ValidationError("body must be an object")
        content, delivery = rules.validate_content(body.get("content"), account.kind)
        audience = rules.validate_audience(body.get("audience"), account.kind)
        send_at, tz = rules.parse_send_at(body.get("send_at"), body.get("timezone"), now)
        recurrence = rules.validate_recurrence(body.get("recurrence"))
        name = body.get("name") or ""
        if not isinstance(name, str) or len(name) > 128:
            raise errors.ValidationError("name must be a string of at most 128 characters", field="name")
        if delivery in ("template", "custom") and account.kind != "oa":
            raise errors.ValidationError(f"{delivery} messages need an Official Account", field="content.type")
        if delivery == "template" and account.account_type != "service":
            raise errors.ValidationError("template messages need a service account", field="content.type")
        strategy = self._strategy(account, delivery, audience)
        return {"content": content, "delivery": delivery, "audience": audience, "send_at": send_at, "timezone": tz,
                "recurrence": recurrence, "name": name, "strategy": strategy}

    def _strategy(self, account, delivery: str, audience: dict) -> str:
        """How an OA mass send addresses people: by openid list (per-recipient quotas enforceable),
        or, where the account has only an account-wide quota (subscription accounts), by tag / to all."""
        if delivery != "mass":
            return "per_recipient" if delivery in ("template", "custom") else "groupmsg"
        rule_list = self._rules(account, delivery)
        per_recipient = any(r.scope == "recipient" for r in rule_list)
        if account.account_type == "subscription" or (account.options or {}).get("push_mass_mode") == "tag":
            if per_recipient:
                raise errors.ValidationError("this account's quota policy is per recipient; send by openid list")
            if audience["type"] == "all":
                return "to_all"
            if audience["type"] == "tags" and len(audience["tag_ids"]) == 1:
                return "tag"
            raise errors.ValidationError("a subscription account mass-sends to one tag or to all followers",
                                         field="audience")
        return "openids"

    def _rules(self, account, delivery: str) -> list[quotas.QuotaRule]:
        return quotas.rules_for(account.kind, account.account_type, delivery,
                                (account.options or {}).get("push_quotas"))

    def preview(self, scope: Scope, account_id: str, body: dict) -> dict:
        scope.check(account_id)
        account = self.account_for(account_id)
        spec = self._validate(account, body, self.clock())
        left_out: Counter = Counter()
        pairs = self._resolve(scope, account, spec["audience"], spec["strategy"], left_out=left_out)
        return self._preview(account, spec, pairs, left_out)

    def _preview(self, account, spec: dict, pairs: list[tuple[str | None, str]],
                 left_out: Counter | None = None) -> dict:
        n = len(pairs)
        rule_list = self._rules(account, spec["delivery"])
        over, estimated = 0, False
        recipient_rules = [r for r in rule_list if r.scope == "recipient"]
        account_blocked = False
        for rule in rule_list:
            period = quotas.period_key(rule.period, spec["send_at"], spec["timezone"])
            if rule.scope == "account":
                key = quotas.ledger_key(account.account_id, spec["delivery"], rule, period, "")
                used = self.store.used_many(account.account_id, [key]).get(key, 0)
                account_blocked = account_blocked or used >= rule.limit
        if recipient_rules and n:
            sample = pairs if n <= PREVIEW_EXACT_MAX else pairs[:: max(1, n // PREVIEW_EXACT_MAX)]
            estimated = n > PREVIEW_EXACT_MAX
            blocked = set()
            for rule in recipient_rules:
                period = quotas.period_key(rule.period, spec["send_at"], spec["timezone"])
                keys = {quotas.ledger_key(account.account_id, spec["delivery"], rule, period, r): r for _, r in sample}
                used = self.store.used_many(account.account_id, list(keys))
                blocked |= {keys[k] for k, u in used.items() if u >= rule.limit}
            over = round(len(blocked) * n / len(sample)) if sample else 0
        eligible = 0 if account_blocked else n - over
        planned = rules.plan_batches(pairs, spec["delivery"], (account.options or {}).get("push_batch_size")) \
            if spec["strategy"] not in ("tag", "to_all") else []
        calls = {"openids": len(planned), "groupmsg": len(planned), "tag": 1, "to_all": 1}.get(
            spec["strategy"], eligible)
        left = dict(sorted((left_out or {}).items()))
        return {"audience": n, "left_out": left, "left_out_total": sum(left.values()),
                "over_quota": over, "eligible": eligible, "estimated": estimated,
                "account_quota_used": account_blocked, "batches": len(planned) or (1 if n else 0),
                "api_calls": calls, "strategy": spec["strategy"],
                "quota_rules": [r.as_dict() for r in rule_list], "at": self.clock()}

    def create(self, scope: Scope, account_id: str, body: dict, created_by: str | None = None) -> dict:
        scope.check(account_id)
        now = self.clock()
        account = self.account_for(account_id)
        spec = self._validate(account, body, now)
        confirm = bool(body.get("confirm"))
        push_id = rules.new_push_id(now, secrets.token_bytes(4))
        audience = spec["audience"]
        if audience["type"] == "list":
            # explicit lists can be long: they live chunked beside the push, never in its item
            self.store.put_batches(account_id, push_id, 0, [{"no": 0, "recipients": audience["recipients"]}])
            audience = {"type": "list", "count": len(audience["recipients"])}
        preview = None
        if confirm:  # resolving the audience calls WeChat; a draft is previewed on request instead
            left_out: Counter = Counter()
            preview = self._preview(account, spec, self._nonempty(scope, account, audience, spec, push_id, left_out),
                                    left_out)
        push = {"account_id": account_id, "push_id": push_id, "name": spec["name"], "platform": account.kind,
                "delivery": spec["delivery"], "status": "scheduled" if confirm else "draft",
                "content": {**spec["content"], "strategy": spec["strategy"]}, "audience": audience,
                "recurrence": spec["recurrence"], "timezone": spec["timezone"], "send_at": spec["send_at"],
                "run_no": 1, "next_run_at": spec["send_at"], "preview": preview, "runs": [],
                "created_by": created_by, "created_at": now, "updated_at": now}
        if confirm:
            push["due"] = "1"
        self.store.create_push(push)
        return self.view(push)

    def _nonempty(self, scope, account, audience, spec, push_id, left_out: Counter) -> list:
        pairs = self._resolve(scope, account, audience, spec["strategy"], push_id=push_id, left_out=left_out)
        if not pairs:
            why = ", ".join(f"{n} {reason}" for reason, n in sorted(left_out.items()))
            raise errors.ValidationError("the audience is empty: nobody would receive this push"
                                         + (f" (left out: {why})" if why else ""), field="audience")
        return pairs

    def _spec_of(self, push: dict) -> dict:
        return {"delivery": push["delivery"], "strategy": push["content"].get("strategy"),
                "send_at": push["next_run_at"], "timezone": push["timezone"]}

    def preview_push(self, scope: Scope, account_id: str, push_id: str) -> dict:
        """Resolve the audience now; return (and keep) its size and the quota effect. 400 if it is empty."""
        push = self._get(scope, account_id, push_id)
        account = self.account_for(account_id)
        spec = self._spec_of(push)
        left_out: Counter = Counter()
        preview = self._preview(account, spec, self._nonempty(scope, account, push["audience"], spec, push_id,
                                                              left_out), left_out)
        self.store.update_push(account_id, push_id, {"preview": preview, "updated_at": self.clock()})
        return preview

    def confirm(self, scope: Scope, account_id: str, push_id: str) -> dict:
        push = self._get(scope, account_id, push_id)
        if push["status"] != "draft":
            raise errors.Conflict(f"push {push_id} is {push['status']}, only a draft can be confirmed")
        if push["next_run_at"] < self.clock() - rules.PAST_GRACE_SECONDS:
            raise errors.ValidationError("send_at is in the past; create the push again with a new time",
                                         field="send_at")
        if not push.get("preview"):
            self.preview_push(scope, account_id, push_id)  # never confirm an audience nobody has looked at
        if not self.store.update_push(account_id, push_id, {"status": "scheduled", "due": "1",
                                                             "updated_at": self.clock()}, expect_status=("draft",)):
            raise errors.Conflict(f"push {push_id} changed meanwhile")
        return self.get(scope, account_id, push_id)

    def cancel(self, scope: Scope, account_id: str, push_id: str) -> dict:
        push = self._get(scope, account_id, push_id)
        if push["status"] not in rules.CANCELLABLE:
            raise errors.Conflict(f"push {push_id} is {push['status']}; only draft or scheduled pushes can be "
                                  "cancelled")
        if not self.store.update_push(account_id, push_id, {"status": "cancelled", "due": None,
                                                             "updated_at": self.clock()},
                                      expect_status=rules.CANCELLABLE):
            raise errors.Conflict(f"push {push_id} started meanwhile; it can no longer be cancelled")
        return self.get(scope, account_id, push_id)

    def _get(self, scope: Scope, account_id: str, push_id: str) -> dict:
        scope.check(account_id)
        push = self.store.get_push(account_id, push_id) if rules.PUSH_ID.match(push_id or "") else None
        if push is None:
            raise errors.NotFound(f"no push {push_id} in account {account_id}")
        return push

    def get(self, scope: Scope, account_id: str, push_id: str) -> dict:
        push = self._get(scope, account_id, push_id)
        out = self.view(push)
        if push["status"] == "running" or push.get("run_phase"):
            out["current_run"] = {"run_no": push["run_no"], "phase": push.get("run_phase"),
                                  **rules.summarise(self.store.list_batches(account_id, push_id, push["run_no"]))}
        return out

    def batches(self, scope: Scope, account_id: str, push_id: str, run_no: int | None = None) -> list[dict]:
        push = self._get(scope, account_id, push_id)
        return self.store.list_batches(account_id, push_id, run_no or push["run_no"])

    def batches_page(self, scope: Scope, account_id: str, push_id: str, run_no: int | None = None, *,
                     limit: int = 50, start: dict | None = None) -> tuple[list[dict], dict | None]:
        push = self._get(scope, account_id, push_id)
        return self.store.page_batches(account_id, push_id, run_no or push["run_no"], limit, start)

    def list(self, scope: Scope, account_id: str, limit: int = 50) -> list[dict]:
        return self.list_page(scope, account_id, limit=limit)[0]

    def list_page(self, scope: Scope, account_id: str, *, limit: int = 50, start: dict | None = None
                  ) -> tuple[list[dict], dict | None]:
        """One page of the account's pushes, newest first, and the key to continue from (None at the end)."""
        scope.check(account_id)
        items, last = self.store.page_pushes(account_id, limit, start)
        return [self.view(p) for p in items], last

    @staticmethod
    def view(push: dict) -> dict:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        tz = ZoneInfo(push["timezone"])

        def iso(t):
            return datetime.fromtimestamp(t, tz).isoformat() if t is not None else None

        content = {k: v for k, v in push["content"].items() if k != "strategy"}
        status = push["status"]
        return {"push_id": push["push_id"], "account_id": push["account_id"], "name": push.get("name", ""),
                "status": status, "platform": push["platform"], "delivery": push["delivery"],
                "strategy": push["content"].get("strategy"), "content": content, "audience": push["audience"],
                "send_at": iso(push["send_at"]), "timezone": push["timezone"], "recurrence": push.get("recurrence"),
                "run_no": push["run_no"],
                "next_run_at": iso(push["next_run_at"]) if status in ("draft", "scheduled", "running") else None,
                "preview": push.get("preview"), "runs": push.get("runs") or [], "last_error": push.get("last_error"),
                "created_at": iso(push["created_at"]), "created_by": push.get("created_by")}

    # ---- segments
    def create_segment(self, scope: Scope, account_id: str, body: dict) -> dict:
        scope.check(account_id)
        account = self.account_for(account_id)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise errors.ValidationError("name must be a non-empty string of at most 128 characters", field="name")
        audience = rules.validate_audience(body.get("audience"), account.kind, nested=True)
        segment_id = "s" + secrets.token_hex(6)
        if audience["type"] == "list":
            self.store.put_batches(account_id, f"seg-{segment_id}", 0,
                                   [{"no": 0, "recipients": audience["recipients"]}])
            audience = {"type": "list", "count": len(audience["recipients"])}
        seg = {"account_id": account_id, "segment_id": segment_id, "name": name, "audience": audience,
               "created_at": self.clock()}
        self.store.put_segment(seg)
        return seg

    def list_segments(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        return self.store.list_segments(account_id)

    def segments_page(self, scope: Scope, account_id: str, *, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        scope.check(account_id)
        return self.store.page_segments(account_id, limit, start)

    # ================================================================ audience

    def _resolve(self, scope: Scope, account, audience: dict, strategy: str, *, push_id: str | None = None,
                 segment_id: str | None = None, left_out: Counter | None = None) -> list[tuple[str | None, str]]:
        """The audience as (sender, recipient) pairs of people who can still receive it; sender is the WeCom
        staff member (None for OA). Who was left out, and why, is counted in `left_out` (reason: n)."""
        left_out = Counter() if left_out is None else left_out
        gw = self.gateway_for(account)
        atype = audience["type"]
        if atype == "segment":
            seg = self.store.get_segment(account.account_id, audience["segment_id"])
            if seg is None:
                raise errors.ValidationError(f"no segment {audience['segment_id']}", field="audience.segment_id")
            return self._resolve(scope, account, seg["audience"], strategy, segment_id=seg["segment_id"],
                                 left_out=left_out)
        if atype == "list":
            owner = f"seg-{segment_id}" if segment_id else push_id
            ids = self.store.batch_recipients(account.account_id, owner, 0, 0) if owner else []
            return self._with_senders(gw, account, [(None, i) for i in ids], left_out)
        if account.kind == "oa":
            if atype == "all":
                return [(None, o) for o in self._oa_followers(gw)]
            if atype == "tags":
                seen: dict[str, None] = {}
                for tag in audience["tag_ids"]:
                    seen.update(dict.fromkeys(self._oa_tag_members(gw, tag)))
                return [(None, o) for o in seen]
        else:
            if atype == "all":
                return self._wecom_customers(gw)
            if atype == "staff":
                return self._wecom_customers(gw, audience["userids"])
            if atype == "tags":
                return self._wecom_tagged(gw, set(audience["tag_ids"]))
        if atype in ("channel", "channel_group"):
            return self._with_senders(gw, account, self._channel_members(scope, account, audience, left_out),
                                      left_out)
        raise errors.ValidationError(f"audience type {atype} is not available for this account", field="audience")

    def _call(self, fn, *args, **kwargs):
        self.calls += 1
        return fn(*args, **kwargs)

    def _oa_followers(self, gw) -> list[str]:
        out, nxt = [], ""
        while True:
            page = self._call(gw.get, "user/get", next_openid=nxt) if nxt else self._call(gw.get, "user/get")
            ids = (page.get("data") or {}).get("openid") or []
            out.extend(ids)
            nxt = page.get("next_openid") or ""
            if not ids or not nxt or len(ids) < 10000:
                return out

    def _oa_tag_members(self, gw, tag_id: int) -> list[str]:
        out, nxt = [], ""
        while True:
            page = self._call(gw.post, "user/tag/get", {"tagid": tag_id, "next_openid": nxt})
            ids = (page.get("data") or {}).get("openid") or []
            out.extend(ids)
            nxt = page.get("next_openid") or ""
            if not ids or not nxt or len(ids) < 10000:
                return out

    def _wecom_staff(self, gw) -> list[str]:
        return list(self._call(gw.get, "externalcontact/get_follow_user_list").get("follow_user") or [])

    def _wecom_customers(self, gw, userids: list[str] | None = None) -> list[tuple[str, str]]:
        from ..errors import WeChatError

        pairs = []
        for userid in sorted(userids if userids is not None else self._wecom_staff(gw)):
            try:
                ids = self._call(gw.get, "externalcontact/list", userid=userid).get("external_userid") or []
            except WeChatError as exc:
                if exc.errcode == 84061:  # "not external contact": this member has no customers
                    continue
                raise
            pairs.extend((userid, e) for e in ids)
        return pairs

    def _wecom_tagged(self, gw, tag_ids: set) -> list[tuple[str, str]]:
        staff = sorted(self._wecom_staff(gw))
        pairs = []
        for start in range(0, len(staff), 100):
            cursor = ""
            while True:
                page = self._call(gw.post, "externalcontact/batch/get_by_user",
                                  {"userid_list": staff[start:start + 100], "cursor": cursor, "limit": 100})
                for item in page.get("external_contact_list") or []:
                    info = item.get("follow_info") or {}
                    if tag_ids & set(info.get("tag_id") or []):
                        pairs.append((info.get("userid"), item["external_contact"]["external_userid"]))
                cursor = page.get("next_cursor") or ""
                if not cursor:
                    break
        return pairs

    def _with_senders(self, gw, account, wanted: list[tuple[str | None, str]], left_out: Counter
                      ) -> list[tuple[str | None, str]]:
        """WeCom: each person with a staff member WeCom lists them under now (the one asked for, when given:
        a channel's staff). People nobody serves cannot receive a group message and are left out."""
        if account.kind == "oa":
            return wanted
        owners: dict[str, list[str]] = {}
        for userid, ext in self._wecom_customers(gw):
            owners.setdefault(ext, []).append(userid)
        out = []
        for staff, ext in wanted:
            now = owners.get(ext)
            if not now:
                left_out[rules.LEFT_NOT_CUSTOMER] += 1
            elif staff is not None and staff not in now:
                left_out[rules.LEFT_STAFF] += 1
            else:
                out.append((staff if staff is not None else now[0], ext))
        return out

    def _channel_members(self, scope: Scope, account, audience: dict, left_out: Counter
                         ) -> list[tuple[str | None, str]]:
        directory = self.contacts or ContactsChannelAudience()
        if audience["type"] == "channel_group":
            channel_ids = directory.channels_in_group(scope, account.account_id, audience["group"])
        else:
            channel_ids = audience["channel_ids"]
        out = []
        for ident, staff, reason in directory.members(account, set(channel_ids)):
            if reason:
                left_out[reason] += 1
            else:
                out.append((staff, ident))
        return out

    # ================================================================ the scheduler

    def run_due(self, *, time_left: Callable[[], float] = lambda: 600.0, owner: str | None = None,
                limit: int = 25) -> dict:
        owner = owner or uuid.uuid4().hex
        out = {"claimed": 0, "completed": 0, "resumable": 0, "skipped": 0, "polled": 0}
        for account_id, push_id in self.store.due(self.clock(), limit):
            if time_left() < 60:
                break
            push = self.store.claim(account_id, push_id, owner, self.clock(), self.clock() + LEASE_SECONDS)
            if push is None:
                out["skipped"] += 1  # someone else holds it, or it is no longer due
                continue
            out["claimed"] += 1
            try:
                done = self.process_run(push, owner, time_left)
            except Exception as exc:  # a bug or an outage: keep the push resumable and say why
                log.exception("push %s/%s run failed", account_id, push_id)
                self.store.update_push(account_id, push_id, {"lease_owner": None, "lease_until": None,
                                                             "last_error": f"{type(exc).__name__}: {exc}"[:500],
                                                             "next_run_at": self.clock() + 60},
                                       expect_owner=owner)
                done = False
            out["completed" if done else "resumable"] += 1
        for account_id, push_id in self.store.polling(self.clock()):
            if time_left() < 60:
                break
            self.poll_wecom_results(account_id, push_id)
            out["polled"] += 1
        return out

    def process_run(self, push: dict, owner: str, time_left: Callable[[], float] = lambda: 600.0) -> bool:
        """Plan (if not yet) and send the current run's unsent batches. True when the run finished."""
        account_id, push_id, run_no = push["account_id"], push["push_id"], push["run_no"]
        account = self.account_for(account_id)
        gw = self.gateway_for(account)
        plan = self.store.get_plan(account_id, push_id, run_no)
        if plan is None or plan.get("state") != "planned":
            plan = self._plan(push, account, owner)
            if plan is None:
                return True
        for batch in self.store.list_batches(account_id, push_id, run_no):
            if batch.get("state") in rules.TERMINAL_BATCH:
                continue
            if (batch.get("retry_at") or 0) > self.clock():
                continue
            if time_left() < 60:
                break
            if not self.store.update_push(account_id, push_id, {"lease_until": self.clock() + LEASE_SECONDS},
                                          expect_owner=owner):
                return False  # lost the lease: someone else resumes
            self._send_batch(push, account, gw, plan, batch)
        batches = self.store.list_batches(account_id, push_id, run_no)
        outcome = rules.run_outcome(batches)
        if outcome is None:
            waits = [b.get("retry_at") or 0 for b in batches if b.get("state") not in rules.TERMINAL_BATCH]
            self.store.update_push(account_id, push_id, {
                "lease_owner": None, "lease_until": None, "next_run_at": max(min(waits), self.clock())},
                expect_owner=owner)
            return False
        self._finish_run(push, owner, outcome, batches)
        return True

    def _plan(self, push: dict, account, owner: str) -> dict | None:
        account_id, push_id, run_no = push["account_id"], push["push_id"], push["run_no"]
        now = self.clock()
        self.store.update_push(account_id, push_id, {"run_phase": "planning"}, expect_owner=owner)
        strategy = push["content"].get("strategy", "openids")
        scope = Scope.system(account_id)
        left_out: Counter = Counter()
        if strategy in ("tag", "to_all"):
            planned = [{"no": 1, "state": "pending", "sender": None, "size": 0,
                        "tag_id": push["audience"].get("tag_ids", [None])[0] if strategy == "tag" else None,
                        "recipients": []}]
            total = None
        else:
            pairs = self._resolve(scope, account, push["audience"], strategy, push_id=push_id, left_out=left_out)
            planned = [{"no": b.no, "state": "pending", "sender": b.sender, "size": len(b.recipients),
                        "recipients": list(b.recipients)}
                       for b in rules.plan_batches(pairs, push["delivery"],
                                                   (account.options or {}).get("push_batch_size"))]
            total = sum(b["size"] for b in planned)
        rule_list = self._rules(account, push["delivery"])
        plan = {"state": "planned", "at": now, "strategy": strategy, "recipients": total, "batches": len(planned),
                "left_out": dict(sorted(left_out.items())),
                "rules": [{**r.as_dict(), "period_key": quotas.period_key(r.period, now, push["timezone"])}
                          for r in rule_list]}
        if not planned:
            self.store.put_plan(account_id, push_id, run_no, plan)
            self._finish_run(push, owner, "completed", [], note="the audience was empty when the run started")
            return None
        self.store.put_batches(account_id, push_id, run_no, planned)
        self.store.put_plan(account_id, push_id, run_no, plan)  # last: its presence means the batches are whole
        self.store.update_push(account_id, push_id, {"run_phase": "sending"}, expect_owner=owner)
        return plan

    def _finish_run(self, push: dict, owner: str, outcome: str, batches: list[dict], note: str | None = None) -> None:
        account_id, push_id, run_no = push["account_id"], push["push_id"], push["run_no"]
        summary = rules.summarise(batches)
        latest = self.store.get_push(account_id, push_id) or push
        runs = [r for r in (latest.get("runs") or []) if r.get("run_no") != run_no]
        plan = self.store.get_plan(account_id, push_id, run_no) or {}
        summary["left_out"] = plan.get("left_out") or {}
        runs.append({"run_no": run_no, "outcome": outcome, "finished_at": self.clock(), **summary,
                     **({"note": note} if note else {})})
        runs = runs[-20:]
        changes: dict = {"runs": runs, "lease_owner": None, "lease_until": None, "run_phase": None,
                         "updated_at": self.clock()}
        if push["delivery"] == "groupmsg" and any(b.get("msg_id") for b in batches):
            poll_runs = sorted(set((latest.get("poll_runs") or []) + [run_no]))
            changes.update(poll="1", poll_at=self.clock() + RESULT_POLL_SECONDS, poll_runs=poll_runs)
        nxt = rules.occurrence(push["send_at"], push["timezone"], push.get("recurrence"), run_no + 1)
        while nxt is not None and nxt < self.clock() - 3600:  # skip occurrences missed by more than an hour
            run_no += 1
            nxt = rules.occurrence(push["send_at"], push["timezone"], push.get("recurrence"), run_no + 1)
        if nxt is not None:
            changes.update(status="scheduled", run_no=run_no + 1, next_run_at=nxt, due="1")
        else:
            changes.update(status=outcome, due=None)
        self.store.update_push(account_id, push_id, changes, expect_owner=owner)

    # ================================================================ sending one batch

    def _send_batch(self, push: dict, account, gw, plan: dict, batch: dict) -> None:
        delivery = push["delivery"]
        if delivery == "mass":
            self._send_mass(push, account, gw, plan, batch)
        elif delivery == "template":
            self._send_per_user(push, account, gw, plan, batch, template=True)
        elif delivery == "custom":
            self._send_per_user(push, account, gw, plan, batch, template=False)
        else:
            self._send_groupmsg(push, account, gw, plan, batch)

    def _holder(self, push: dict, batch_no: int | None = None) -> str:
        base = f"{push['push_id']}#{push['run_no']}"
        return base if batch_no is None else f"{base}#{batch_no}"

    def _reserve(self, push: dict, plan: dict, batch: dict, recipients: list[str]) -> tuple[list[str], int, bool]:
        """Reserve quota for a batch. Returns (eligible recipients, over-quota count, account quota ok)."""
        account_id = push["account_id"]
        eligible = recipients
        account_ok = True
        for r in plan["rules"]:
            rule = quotas.QuotaRule(r["scope"], r["limit"], r["period"])
            ttl = quotas.ledger_ttl(rule.period, self.clock())
            if rule.scope == "account":
                key = quotas.ledger_key(account_id, push["delivery"], rule, r["period_key"], "")
                if not self.store.reserve_many(account_id, [key], rule.limit, self._holder(push, batch["no"]), ttl)[0]:
                    account_ok = False
            else:
                keys = [quotas.ledger_key(account_id, push["delivery"], rule, r["period_key"], x) for x in eligible]
                granted = self.store.reserve_many(account_id, keys, rule.limit, self._holder(push), ttl)
                eligible = [x for x, ok in zip(eligible, granted, strict=True) if ok]
        return eligible, len(recipients) - len(eligible), account_ok

    def _release(self, push: dict, plan: dict, batch: dict, recipients: list[str]) -> None:
        """Give quota back for people (or the account call) that definitely did not receive the push."""
        account_id = push["account_id"]
        for r in plan["rules"]:
            rule = quotas.QuotaRule(r["scope"], r["limit"], r["period"])
            if rule.scope == "account":
                key = quotas.ledger_key(account_id, push["delivery"], rule, r["period_key"], "")
                self.store.release_many(account_id, [key], self._holder(push, batch["no"]))
            elif recipients:
                keys = [quotas.ledger_key(account_id, push["delivery"], rule, r["period_key"], x) for x in recipients]
                self.store.release_many(account_id, keys, self._holder(push))

    def _mark(self, push: dict, batch: dict, changes: dict, expect=None) -> bool:
        ok = self.store.update_batch(push["account_id"], push["push_id"], push["run_no"], batch["no"],
                                     {**changes, "updated_at": self.clock()}, expect_states=expect)
        batch.update(changes)
        return ok

    def _retry_later(self, push, batch, exc, *, ambiguous: bool, delay: float | None = None) -> None:
        attempts = int(batch.get("attempts") or 0)
        reason = f"{type(exc).__name__}: {exc}"[:300]
        if attempts >= MAX_ATTEMPTS:
            # Out of patience. If the outcome is unknown we keep the quota reserved (it may have gone out).
            self._mark(push, batch, {"state": "failed", "reason": f"gave up after {attempts} attempts: {reason}",
                                     "outcome_unknown": ambiguous or None, "retry_at": None})
            return
        wait = delay if delay is not None else rules.retry_delay(attempts)
        self._mark(push, batch, {"state": "unknown" if ambiguous else "retry", "reason": reason,
                                 "retry_at": self.clock() + wait})

    def _start_attempt(self, push, batch) -> None:
        self._mark(push, batch, {"state": "sending", "attempts": int(batch.get("attempts") or 0) + 1,
                                 "attempt_at": self.clock(), "retry_at": None,
                                 "first_attempt_at": batch.get("first_attempt_at") or self.clock()})

    def _send_mass(self, push, account, gw, plan, batch) -> None:
        from ..errors import WeChatBusy, WeChatError, WeChatRateLimited, WeChatUnavailable

        strategy = plan["strategy"]
        recipients = [] if strategy in ("tag", "to_all") else self.store.batch_recipients(
            push["account_id"], push["push_id"], push["run_no"], batch["no"])
        eligible, over, account_ok = self._reserve(push, plan, batch, recipients)
        counts = {"recipients": len(recipients), "over_quota": over, "eligible": len(eligible)}
        if not account_ok:
            self._release(push, plan, batch, eligible)
            self._mark(push, batch, {**counts, "eligible": 0, "state": "failed",
                                     "reason": "account quota used up for this period (policy)"})
            return
        if strategy == "openids" and len(eligible) < rules.MASS_MIN:
            self._release(push, plan, batch, eligible)
            state = "skipped" if not eligible else "failed"
            reason = "everyone in the batch is at quota" if not eligible else \
                "only 1 recipient left after quota; a mass send needs 2..10,000 openids"
            self._mark(push, batch, {**counts, "state": state, "reason": reason})
            return
        cmid = rules.client_msg_id(push["account_id"], push["push_id"], push["run_no"], batch["no"])
        message = rules.mass_message(push["content"])
        self._start_attempt(push, batch)
        deduped = False
        try:
            if strategy == "tag":
                res = self._call(gw.mass_send_to_tag, batch["tag_id"], message, cmid)
            elif strategy == "to_all":
                res = self._call(gw.mass_send_to_all, message, cmid)
            else:
                res = self._call(gw.mass_send_to_openids, eligible, message, cmid)
        except WeChatError as exc:
            data = getattr(exc, "data", None) or {}
            if exc.errcode == 45065:  # clientmsgid exist: an earlier attempt went out; keep its msgid
                res, deduped = {"msg_id": data.get("msgid") or data.get("msg_id")}, True
            elif exc.errcode == 45066:  # same clientmsgid retried within a minute: wait, then resend
                self._retry_later(push, batch, exc, ambiguous=True, delay=65)
                return
            elif isinstance(exc, (WeChatBusy, WeChatRateLimited)):
                self._retry_later(push, batch, exc, ambiguous=False)
                return
            else:  # refused (45028 no quota, invalid media, ...): nothing went out
                self._release(push, plan, batch, eligible)
                self._mark(push, batch, {**counts, "state": "failed", "errcode": exc.errcode,
                                         "reason": _reason(exc)})
                return
        except WeChatUnavailable as exc:  # timeout: it may have gone out; the clientmsgid makes resending safe
            self._retry_later(push, batch, exc, ambiguous=True)
            return
        msg_id = res.get("msg_id") or res.get("msgid")
        self._mark(push, batch, {**counts, "state": "sent", "msg_id": msg_id, "client_msg_id": cmid,
                                 "sent": len(eligible) if strategy == "openids" else None, "deduped": deduped or None,
                                 "msg_data_id": res.get("msg_data_id"), "reason": None})
        if msg_id:
            self.store.put_msg_index(push["account_id"], [(str(msg_id), {
                "push_id": push["push_id"], "run_no": push["run_no"], "no": batch["no"], "kind": "mass"})])

    def _send_per_user(self, push, account, gw, plan, batch, *, template: bool) -> None:
        from ..errors import WeChatBusy, WeChatError, WeChatRateLimited, WeChatUnavailable

        account_id, push_id, run_no = push["account_id"], push["push_id"], push["run_no"]
        recipients = self.store.batch_recipients(account_id, push_id, run_no, batch["no"])
        outside = 0
        if not template:
            window = int((account.options or {}).get("custom_window_seconds") or rules.CUSTOM_WINDOW_SECONDS)
            last = self.store.last_interactions(account_id, recipients)
            inside = [r for r in recipients if last.get(r, 0) >= self.clock() - window]
            outside = len(recipients) - len(inside)
            recipients_in = inside
        else:
            recipients_in = recipients
        eligible, over, account_ok = self._reserve(push, plan, batch, recipients_in)
        counts = {"recipients": len(recipients), "over_quota": over, "outside_window": outside,
                  "eligible": len(eligible)}
        if not account_ok or not eligible:
            self._release(push, plan, batch, eligible)
            self._mark(push, batch, {**counts, "eligible": 0, "state": "skipped" if account_ok else "failed",
                                     "reason": "nobody eligible (quota or 48-hour window)" if account_ok
                                     else "account quota used up for this period (policy)"})
            return
        self._start_attempt(push, batch)
        rate = float((account.options or {}).get("push_rate_per_second") or os.environ.get("SCRM_PUSH_RATE") or 50)
        limiter = RateLimiter(rate)
        content = push["content"]
        msg_ids: list[tuple[str, dict]] = []
        fail_list: list[dict] = []
        for openid in eligible:
            if not template and not self.store.mark_once(account_id, push_id, run_no, openid):
                continue  # a previous attempt got to this person (at most once: no dedupe key for custom)
            limiter.wait()
            try:
                if template:
                    cid = rules.client_msg_id(account_id, push_id, run_no, batch["no"], openid)
                    res = self._call(gw.send_template, openid, content["template_id"], content["data"], cid,
                                     url=content.get("url"))
                    if res.get("msgid"):
                        msg_ids.append((str(res["msgid"]), {"push_id": push_id, "run_no": run_no, "no": batch["no"],
                                                            "kind": "template"}))
                else:
                    self._call(gw.post, "message/custom/send", rules.custom_message(content, openid))
                    msg_ids.append(("", {}))
            except (WeChatBusy, WeChatRateLimited, WeChatUnavailable) as exc:
                if template:  # resend the whole batch later: client_msg_id dedupes the ones that went out
                    self._record_per_user(push, batch, counts, msg_ids, fail_list, final=False)
                    self._retry_later(push, batch, exc, ambiguous=isinstance(exc, WeChatUnavailable))
                    return
                fail_list.append({"recipient": openid, "errcode": getattr(exc, "errcode", None),
                                  "reason": _reason(exc) + " (not retried: at most once)"})
            except WeChatError as exc:  # 43004 unsubscribed, 45015 window closed, 45047 over quota, ...
                fail_list.append({"recipient": openid, "errcode": exc.errcode, "reason": _reason(exc)})
        self._release(push, plan, batch, [f["recipient"] for f in fail_list])
        self._record_per_user(push, batch, counts, msg_ids, fail_list, final=True)

    def _record_per_user(self, push, batch, counts, msg_ids, fail_list, *, final: bool) -> None:
        index = [(m, ref) for m, ref in msg_ids if m]
        if index:
            self.store.put_msg_index(push["account_id"], index)
        changes = {**counts, "sent": len(msg_ids), "failed": len(fail_list), "fail_list": fail_list[:200]}
        if final:
            changes.update(state="sent" if msg_ids or not fail_list else "failed", reason=None,
                           **({"reason": "every send was refused"} if fail_list and not msg_ids else {}))
        self._mark(push, batch, changes)

    def _send_groupmsg(self, push, account, gw, plan, batch) -> None:
        from ..errors import WeChatBusy, WeChatError, WeChatRateLimited, WeChatUnavailable

        recipients = self.store.batch_recipients(push["account_id"], push["push_id"], push["run_no"], batch["no"])
        eligible, over, account_ok = self._reserve(push, plan, batch, recipients)
        counts = {"recipients": len(recipients), "over_quota": over, "eligible": len(eligible)}
        if not eligible or not account_ok:
            self._release(push, plan, batch, eligible)
            self._mark(push, batch, {**counts, "eligible": 0, "state": "skipped" if account_ok else "failed",
                                     "reason": "everyone in the batch is at quota" if account_ok
                                     else "account quota used up for this period (policy)"})
            return
        message = rules.wecom_message(push["content"])
        if batch.get("attempt_at"):
            # add_msg_template has no dedupe key: any earlier attempt that did not end in a definite answer
            # (a crash, a timeout, a -1 or 45009 that WeCom may in fact have processed) is looked up before
            # resending, so one batch never becomes two group-message tasks
            try:
                found = self._find_groupmsg(push, gw, batch, message)
            except (WeChatBusy, WeChatRateLimited, WeChatUnavailable) as exc:  # cannot look: do not send blind
                self._retry_later(push, batch, exc, ambiguous=True)
                return
            if found:  # the earlier attempt did create it: record, never send twice
                self._groupmsg_sent(push, batch, counts, found, [], recovered=True)
                return
        self._start_attempt(push, batch)
        try:
            res = self._call(gw.add_msg_template, batch["sender"], eligible, message)
        except (WeChatBusy, WeChatRateLimited, WeChatUnavailable) as exc:
            self._retry_later(push, batch, exc, ambiguous=True)
            return
        except WeChatError as exc:
            self._release(push, plan, batch, eligible)
            self._mark(push, batch, {**counts, "state": "failed", "errcode": exc.errcode, "reason": _reason(exc),
                                     "fail_list": (getattr(exc, "data", None) or {}).get("fail_list", [])[:200]})
            return
        fail = list(res.get("fail_list") or [])
        if fail:
            self._release(push, plan, batch, fail)
        self._groupmsg_sent(push, batch, counts, res.get("msgid"), fail)

    def _groupmsg_sent(self, push, batch, counts, msgid, fail, recovered=False) -> None:
        self._mark(push, batch, {**counts, "state": "sent", "msg_id": msgid, "failed": len(fail),
                                 "fail_list": fail[:200], "sent": counts["eligible"] - len(fail),
                                 "pending_results": counts["eligible"] - len(fail), "recovered": recovered or None,
                                 "reason": None})

    def _find_groupmsg(self, push: dict, gw, batch: dict, message: dict) -> str | None:
        """The group message an earlier attempt of this batch created, if WeCom has it: same creator, same
        content, created since the batch's first attempt, and not a message another batch of this run
        already recorded (one staff member's batches of one push carry the same content)."""
        taken = {b.get("msg_id") for b in self.store.list_batches(push["account_id"], push["push_id"], push["run_no"])
                 if b.get("msg_id") and b["no"] != batch["no"]}
        since = batch.get("first_attempt_at") or batch["attempt_at"]
        cursor = ""
        start, end = int(since) - 5, int(self.clock()) + 5
        while True:
            page = self._call(gw.post, "externalcontact/get_groupmsg_list_v2", {
                "chat_type": "single", "start_time": start, "end_time": end, "creator": batch["sender"],
                "filter_type": 0, "cursor": cursor, "limit": 100})
            for m in page.get("group_msg_list") or []:
                if m.get("msgid") in taken or (m.get("creator") and m["creator"] != batch["sender"]):
                    continue
                if (m.get("text") or {}).get("content", "") == (message.get("text") or {}).get("content", "") and \
                        (m.get("attachments") or []) == (message.get("attachments") or []):
                    return m["msgid"]
            cursor = page.get("next_cursor") or ""
            if not cursor:
                return None

    # ================================================================ results

    def poll_wecom_results(self, account_id: str, push_id: str) -> dict:
        """Per-customer outcomes of WeCom group messages (staff confirm them in their client, later)."""
        push = self.store.get_push(account_id, push_id)
        if push is None:
            return {}
        gw = self.gateway_for(self.account_for(account_id))
        still = []
        for run_no in push.get("poll_runs") or []:
            open_batches = 0
            for b in self.store.list_batches(account_id, push_id, run_no):
                if not b.get("msg_id") or b.get("results_final"):
                    continue
                figures = self._groupmsg_figures(gw, b["msg_id"], b["sender"])
                final = figures.pop("_final")
                self.store.update_batch(account_id, push_id, run_no, b["no"], {**figures,
                                        "results_final": final or None})
                open_batches += 0 if final else 1
            age = self.clock() - next((r.get("finished_at", 0) for r in push.get("runs") or []
                                       if r.get("run_no") == run_no), self.clock())
            if open_batches and age < RESULT_POLL_DAYS * 86400:
                still.append(run_no)
            self._refresh_run_summary(account_id, push_id, run_no)
        self.store.update_push(account_id, push_id, {"poll_runs": still or None, "poll": "1" if still else None,
                                                     "poll_at": self.clock() + RESULT_POLL_SECONDS if still else None})
        return {"runs_open": still}

    def _groupmsg_figures(self, gw, msgid: str, sender: str) -> dict:
        tasks, cursor = [], ""
        while True:
            page = self._call(gw.groupmsg_task, msgid, cursor)
            tasks += page.get("task_list") or []
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
        done = any(t.get("userid") == sender and t.get("status") == 2 for t in tasks)
        counts = {0: 0, 1: 0, 2: 0, 3: 0}
        cursor = ""
        while True:
            page = self._call(gw.groupmsg_send_result, msgid, sender, cursor)
            for row in page.get("send_list") or []:
                counts[int(row.get("status", 0))] = counts.get(int(row.get("status", 0)), 0) + 1
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
        return {"delivered": counts[1], "not_friend": counts[2], "over_quota_platform": counts[3],
                "pending_results": counts[0], "staff_confirmed": done, "_final": done}

    def _refresh_run_summary(self, account_id: str, push_id: str, run_no: int) -> None:
        push = self.store.get_push(account_id, push_id)
        if push is None:
            return
        batches = self.store.list_batches(account_id, push_id, run_no)
        runs = [({**r, **rules.summarise(batches)} if r.get("run_no") == run_no else r) for r in push.get("runs") or []]
        self.store.update_push(account_id, push_id, {"runs": runs})

    # ---- callbacks
    def on_mass_finish(self, account_id: str, event: dict) -> dict:
        msg_id = event.get("MsgID") or event.get("MsgId") or event.get("msg_id")
        ref = self.store.get_msg_index(account_id, str(msg_id)) if msg_id is not None else None
        if ref is None:
            return {"ignored": "not one of our pushes"}  # sent from the WeChat console, or another system
        changes = {"platform_status": event.get("Status"), "platform_total": _int(event.get("TotalCount")),
                   "platform_to_send": _int(event.get("FilterCount")), "delivered": _int(event.get("SentCount")),
                   "errors": _int(event.get("ErrorCount")), "finished": "1"}
        ok = self.store.update_batch(account_id, ref["push_id"], ref["run_no"], ref["no"], changes,
                                     expect_unfinished=True)
        if ok:
            self._refresh_run_summary(account_id, ref["push_id"], ref["run_no"])
        return {"applied": ok, **ref}

    def on_template_finish(self, account_id: str, event: dict) -> dict:
        msg_id = event.get("MsgID") or event.get("MsgId")
        ref = self.store.get_msg_index(account_id, str(msg_id)) if msg_id is not None else None
        if ref is None:
            return {"ignored": "not one of our pushes"}
        status = str(event.get("Status") or "")
        counters = {"delivered": 1} if status == "success" else {"errors": 1}
        ok = self.store.add_to_batch(account_id, ref["push_id"], ref["run_no"], ref["no"], counters,
                                     once_key=(account_id, str(msg_id)))
        return {"applied": ok, **ref}

    def on_interaction(self, account_id: str, kind: str, event: dict) -> None:
        openid = event.get("FromUserName")
        at = event.get("received_at") or event.get("CreateTime")
        if openid and at:
            self.store.touch(account_id, openid, float(at), kind)


def _int(v) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def _reason(exc) -> str:
    code = getattr(exc, "errcode", None)
    msg = getattr(exc, "errmsg", None) or str(exc)
    known = {45028: "no mass send quota left (45028)", 43004: "the user does not follow the account (43004)",
             45015: "outside the 48-hour customer-service window (45015)",
             45047: "customer-service message quota used up (45047)", 41048: "no customer to send to (41048)"}
    return known.get(code, f"errcode {code}: {msg}")[:300]


class ContactsChannelAudience:
    """Members of channels, from the contact book the channel-attribution feature keeps (scrm.data.contacts):
    every contact whose touches include one of the channels and who has an identity on this account."""

    def channels_in_group(self, scope: Scope, account_id: str, group: str) -> list[str]:
        from .channels import list_channels

        return [c["channel_id"] for c in list_channels(scope, account_id, group=group)]

    def members(self, account, channel_ids: set[str]) -> list[tuple[str, str | None, str | None]]:
        """[(identity, staff, left-out reason)]: the channels' people on this account, each either still
        reachable (reason None; staff = the WeCom staff member they added through the channel) or left out
        (unfollowed, no longer that staff member's customer), judged from their touches in event order."""
        import json

        from ..data.contacts import open_book

        book = open_book(Scope.system(account.account_id), account.account_id)  # membership checked there
        out: dict[str, tuple[str, str | None, str | None]] = {}
        for item in book.contacts():
            touches = json.loads(item.touches) if item.touches else []
            if not any(t.get("c") in channel_ids for t in touches):
                continue
            for ident, (staff, reason) in rules.channel_reach(touches, account.account_id, channel_ids).items():
                out.setdefault(ident, (ident, staff, reason))
        return list(out.values())


# ================================================================ entry points for functions/


def service(scope: Scope | None = None) -> PushService:
    return PushService(default_store(scope or Scope.system()))


def run_scheduled(time_left: Callable[[], float]) -> dict:
    return service().run_due(time_left=time_left)


@on("oa.masssendjobfinish")
def _on_mass_finish(payload: dict):
    account_id = payload["account_id"]
    return service(Scope.system(account_id)).on_mass_finish(account_id, payload.get("event") or {})


@on("oa.templatesendjobfinish")
def _on_template_finish(payload: dict):
    account_id = payload["account_id"]
    return service(Scope.system(account_id)).on_template_finish(account_id, payload.get("event") or {})


@on(*INTERACTION_KINDS)
def _on_interaction(payload: dict):
    account_id = payload["account_id"]
    service(Scope.system(account_id)).on_interaction(account_id, payload.get("kind", ""), payload.get("event") or {})
    return {"touched": True}
