"""Sending one batch: quota reserved first, then the WeChat call with a deterministic client message id, then
its outcome recorded on the batch (sent / failed with a reason / skipped / retry later).

A batch found in `sending` after a crash has an unknown outcome: OA mass sends and template messages are resent
with the same clientmsgid / client_msg_id (WeChat dedupes: 45065 returns the first msgid); WeCom has no dedupe
key, so the sender first looks the message up with get_groupmsg_list_v2 and resends only if it is not there;
customer-service messages put a once-marker per recipient before calling (at most once).

Quota is given back only for people who definitely did not receive the push; when the outcome is unknown
(a timeout, a crash) it stays reserved.
"""

from __future__ import annotations

import time

from ... import errors
from ...config import settings
from ...domain import pushes as rules
from ...domain import service_window as window_rules
from .deps import PushDeps, account_options
from .quotas import QuotaLedger

MAX_ATTEMPTS = 6
TRANSIENT = (errors.WeChatBusy, errors.WeChatRateLimited, errors.WeChatUnavailable)
ACCOUNT_QUOTA_USED = "account quota used up for this period (policy)"


def tell_segments(push: dict, platform: str, people: list[str], at: float) -> None:
    """The people a push run reached count it in their segment facts (push engagement)."""
    from ..segments import hand_off

    hand_off.push_delivered(push["account_id"], platform, push["push_id"], int(push.get("run_no") or 0), people,
                            int(at))


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


def reason(exc) -> str:
    code = getattr(exc, "errcode", None)
    msg = getattr(exc, "errmsg", None) or str(exc)
    known = {45028: "no mass send quota left (45028)", 43004: "the user does not follow the account (43004)",
             45015: "outside the customer-service window (45015)",
             45047: "customer-service message quota used up (45047)", 41048: "no customer to send to (41048)"}
    return known.get(code, f"errcode {code}: {msg}")[:300]


class BatchSender:
    def __init__(self, deps: PushDeps, ledger: QuotaLedger):
        self.deps, self.ledger = deps, ledger

    @property
    def store(self):
        return self.deps.store

    def send_batch(self, push: dict, account, gw, plan: dict, batch: dict) -> None:
        delivery = push["delivery"]
        if delivery == "mass":
            self._send_mass(push, gw, plan, batch)
        elif delivery in ("template", "custom"):
            self._send_per_user(push, account, gw, plan, batch, template=delivery == "template")
        else:
            self._send_groupmsg(push, gw, plan, batch)

    # ================================================================ steps every delivery shares

    def _recipients(self, push: dict, batch: dict) -> list[str]:
        return self.store.batch_recipients(push["account_id"], push["push_id"], push["run_no"], batch["no"])

    def _mark(self, push: dict, batch: dict, changes: dict, expect=None) -> bool:
        ok = self.store.update_batch(push["account_id"], push["push_id"], push["run_no"], batch["no"],
                                     {**changes, "updated_at": self.deps.clock()}, expect_states=expect)
        batch.update(changes)
        return ok

    def _give_up(self, push, plan, batch, eligible: list[str], changes: dict) -> None:
        """Nothing goes out for this batch: give the reserved quota back and record why."""
        self.ledger.release(push, plan, batch, eligible)
        self._mark(push, batch, changes)

    def _retry_later(self, push, batch, exc, *, ambiguous: bool, delay: float | None = None) -> None:
        attempts = int(batch.get("attempts") or 0)
        why = f"{type(exc).__name__}: {exc}"[:300]
        if attempts >= MAX_ATTEMPTS:
            # Out of patience. If the outcome is unknown we keep the quota reserved (it may have gone out).
            self._mark(push, batch, {"state": "failed", "reason": f"gave up after {attempts} attempts: {why}",
                                     "outcome_unknown": ambiguous or None, "retry_at": None})
            return
        wait = delay if delay is not None else rules.retry_delay(attempts)
        self._mark(push, batch, {"state": "unknown" if ambiguous else "retry", "reason": why,
                                 "retry_at": self.deps.clock() + wait})

    def _start_attempt(self, push, batch) -> None:
        now = self.deps.clock()
        self._mark(push, batch, {"state": "sending", "attempts": int(batch.get("attempts") or 0) + 1,
                                 "attempt_at": now, "retry_at": None,
                                 "first_attempt_at": batch.get("first_attempt_at") or now})

    # ================================================================ OA mass send

    def _send_mass(self, push, gw, plan, batch) -> None:
        strategy = plan["strategy"]
        recipients = [] if strategy in ("tag", "to_all") else self._recipients(push, batch)
        eligible, over, account_ok = self.ledger.reserve(push, plan, batch, recipients)
        counts = {"recipients": len(recipients), "over_quota": over, "eligible": len(eligible)}
        if self._mass_refused(push, plan, batch, counts, eligible, account_ok):
            return
        cmid = rules.client_msg_id(push["account_id"], push["push_id"], push["run_no"], batch["no"])
        self._start_attempt(push, batch)
        answer = self._call_mass(push, plan, batch, gw, eligible, cmid, counts)
        if answer is not None:
            self._mass_sent(push, plan, batch, counts, eligible, cmid, *answer)

    def _mass_refused(self, push, plan, batch, counts, eligible, account_ok) -> bool:
        """Whether the batch ends before any call: the account's quota is used up, or too few recipients are
        left after quota for a mass send by openid list."""
        if not account_ok:
            self._give_up(push, plan, batch, eligible, {**counts, "eligible": 0, "state": "failed",
                                                        "reason": ACCOUNT_QUOTA_USED})
            return True
        if plan["strategy"] == "openids" and len(eligible) < rules.MASS_MIN:
            why = "everyone in the batch is at quota" if not eligible else \
                "only 1 recipient left after quota; a mass send needs 2..10,000 openids"
            self._give_up(push, plan, batch, eligible, {**counts, "state": "skipped" if not eligible else "failed",
                                                        "reason": why})
            return True
        return False

    def _call_mass(self, push, plan, batch, gw, eligible, cmid, counts) -> tuple[dict, bool] | None:
        """(WeChat's answer, whether it was deduped) of the mass send; None when the batch ended otherwise
        (refused, or to be retried)."""
        message = rules.mass_message(push["content"])
        try:
            if plan["strategy"] == "tag":
                return self.deps.call(gw.mass_send_to_tag, batch["tag_id"], message, cmid), False
            if plan["strategy"] == "to_all":
                return self.deps.call(gw.mass_send_to_all, message, cmid), False
            return self.deps.call(gw.mass_send_to_openids, eligible, message, cmid), False
        except errors.WeChatUnavailable as exc:  # timeout: it may have gone out; the clientmsgid makes resending safe
            self._retry_later(push, batch, exc, ambiguous=True)
        except errors.WeChatError as exc:
            data = getattr(exc, "data", None) or {}
            if exc.errcode == 45065:  # clientmsgid exist: an earlier attempt went out; keep its msgid
                return {"msg_id": data.get("msgid") or data.get("msg_id")}, True
            if exc.errcode == 45066:  # same clientmsgid retried within a minute: wait, then resend
                self._retry_later(push, batch, exc, ambiguous=True, delay=65)
            elif isinstance(exc, (errors.WeChatBusy, errors.WeChatRateLimited)):
                self._retry_later(push, batch, exc, ambiguous=False)
            else:  # refused (45028 no quota, invalid media, ...): nothing went out
                self._give_up(push, plan, batch, eligible, {**counts, "state": "failed", "errcode": exc.errcode,
                                                            "reason": reason(exc)})
        return None

    def _mass_sent(self, push, plan, batch, counts, eligible, cmid, res: dict, deduped: bool) -> None:
        msg_id = res.get("msg_id") or res.get("msgid")
        self._mark(push, batch, {**counts, "state": "sent", "msg_id": msg_id, "client_msg_id": cmid,
                                 "sent": len(eligible) if plan["strategy"] == "openids" else None,
                                 "deduped": deduped or None, "msg_data_id": res.get("msg_data_id"), "reason": None})
        if msg_id:
            self.store.put_msg_index(push["account_id"], [(str(msg_id), {
                "push_id": push["push_id"], "run_no": push["run_no"], "no": batch["no"], "kind": "mass"})])

    # ================================================================ OA template and customer-service messages

    def _in_window(self, push, account, recipients: list[str]) -> list[str]:
        """Customer-service messages reach only people with an allowance open now: a message from them in the last
        48 hours, or a click, follow or scan in the last minute, with messages left (domain.service_window)."""
        seconds = account_options(account).get("custom_window_seconds")
        windows = self.store.service_windows(push["account_id"], recipients)
        now = self.deps.clock()
        return [r for r in recipients if window_rules.messages_left(windows.get(r), now, seconds) > 0]

    def _claim(self, push, account, openid: str) -> tuple[str, float] | None | bool:
        """Count the message against the person's allowance, then take the once-marker. None: no allowance left
        (another push or a journey used it since); False: a previous attempt got to this person (at most once:
        there is no dedupe key for customer-service messages)."""
        acct = push["account_id"]
        claim = self.store.claim_service_message(acct, openid, self.deps.clock(),
                                                 account_options(account).get("custom_window_seconds"))
        if claim is None:
            return None
        if not self.store.mark_once(acct, push["push_id"], push["run_no"], openid):
            self.store.release_service_message(acct, openid, claim)  # counted by that attempt already
            return False
        return claim

    def _unclaim(self, push, openid: str, claim, exc: errors.WeChatError) -> None:
        if claim and window_rules.refusal_gives_back(exc.errcode):
            self.store.release_service_message(push["account_id"], openid, claim)

    def _send_per_user(self, push, account, gw, plan, batch, *, template: bool) -> None:
        recipients = self._recipients(push, batch)
        reachable = recipients if template else self._in_window(push, account, recipients)
        eligible, over, account_ok = self.ledger.reserve(push, plan, batch, reachable)
        counts = {"recipients": len(recipients), "over_quota": over, "outside_window": len(recipients) - len(reachable),
                  "eligible": len(eligible)}
        if not account_ok or not eligible:
            self._give_up(push, plan, batch, eligible, {
                **counts, "eligible": 0, "state": "skipped" if account_ok else "failed",
                "reason": "nobody eligible (quota or customer-service window)" if account_ok else ACCOUNT_QUOTA_USED})
            return
        self._start_attempt(push, batch)
        rate = float(account_options(account).get("push_rate_per_second") or settings().push_rate)
        limiter = RateLimiter(rate)
        msg_ids: list[tuple[str, dict]] = []
        fail_list: list[dict] = []
        closed: list[str] = []
        delivered: list[str] = []  # customer-service messages WeChat accepted (templates: its callback says)
        for openid in eligible:
            claim = None if template else self._claim(push, account, openid)
            if claim is False:
                continue
            if claim is None and not template:
                closed.append(openid)
                continue
            limiter.wait()
            try:
                sent = self._send_one(push, gw, batch, openid, template)
                if sent is not None:
                    msg_ids.append(sent)
                    if not template:
                        delivered.append(openid)
            except TRANSIENT as exc:
                if template:  # resend the whole batch later: client_msg_id dedupes the ones that went out
                    self._record_per_user(push, batch, counts, msg_ids, fail_list, final=False)
                    self._retry_later(push, batch, exc, ambiguous=isinstance(exc, errors.WeChatUnavailable))
                    return
                fail_list.append({"recipient": openid, "errcode": getattr(exc, "errcode", None),
                                  "reason": reason(exc) + " (not retried: at most once)"})
            except errors.WeChatError as exc:  # 43004 unsubscribed, 45015 window closed, 45047 over quota, ...
                fail_list.append({"recipient": openid, "errcode": exc.errcode, "reason": reason(exc)})
                self._unclaim(push, openid, claim, exc)
        self.ledger.release(push, plan, batch, [f["recipient"] for f in fail_list] + closed)
        counts.update(outside_window=counts["outside_window"] + len(closed), eligible=len(eligible) - len(closed))
        self._record_per_user(push, batch, counts, msg_ids, fail_list, final=True)
        if delivered:
            tell_segments(push, "oa", delivered, self.deps.clock())

    def _send_one(self, push, gw, batch, openid: str, template: bool) -> tuple[str, dict] | None:
        """Send to one person. What counts as sent: (WeChat's msgid, the batch it belongs to: for the result
        callback); ("", {}) for a customer-service message (no msgid); None for a template WeChat gave no msgid."""
        content = push["content"]
        if not template:
            self.deps.call(gw.post, "message/custom/send", rules.custom_message(content, openid))
            return "", {}
        cid = rules.client_msg_id(push["account_id"], push["push_id"], push["run_no"], batch["no"], openid)
        res = self.deps.call(gw.send_template, openid, content["template_id"], content["data"], cid,
                             url=content.get("url"))
        if not res.get("msgid"):
            return None
        return str(res["msgid"]), {"push_id": push["push_id"], "run_no": push["run_no"], "no": batch["no"],
                                   "kind": "template"}

    def _record_per_user(self, push, batch, counts, msg_ids, fail_list, *, final: bool) -> None:
        index = [(m, ref) for m, ref in msg_ids if m]
        if index:
            self.store.put_msg_index(push["account_id"], index)
        changes = {**counts, "sent": len(msg_ids), "failed": len(fail_list), "fail_list": fail_list[:200]}
        if final:
            changes.update(state="sent" if msg_ids or not fail_list else "failed", reason=None,
                           **({"reason": "every send was refused"} if fail_list and not msg_ids else {}))
        self._mark(push, batch, changes)

    # ================================================================ WeCom group messages

    def _send_groupmsg(self, push, gw, plan, batch) -> None:
        recipients = self._recipients(push, batch)
        eligible, over, account_ok = self.ledger.reserve(push, plan, batch, recipients)
        counts = {"recipients": len(recipients), "over_quota": over, "eligible": len(eligible)}
        if not eligible or not account_ok:
            self._give_up(push, plan, batch, eligible, {
                **counts, "eligible": 0, "state": "skipped" if account_ok else "failed",
                "reason": "everyone in the batch is at quota" if account_ok else ACCOUNT_QUOTA_USED})
            return
        message = rules.wecom_message(push["content"])
        if batch.get("attempt_at") and self._recovered(push, gw, plan, batch, message, counts):
            return
        self._start_attempt(push, batch)
        # to customer groups: the owner's groups in one task (chat_type group, chat_id_list); else to customers
        send = gw.add_msg_template_to_groups if plan["strategy"] == "groups" else gw.add_msg_template
        try:
            res = self.deps.call(send, batch["sender"], eligible, message)
        except TRANSIENT as exc:
            self._retry_later(push, batch, exc, ambiguous=True)
            return
        except errors.WeChatError as exc:
            self._give_up(push, plan, batch, eligible, {
                **counts, "state": "failed", "errcode": exc.errcode, "reason": reason(exc),
                "fail_list": (getattr(exc, "data", None) or {}).get("fail_list", [])[:200]})
            return
        fail = list(res.get("fail_list") or [])
        if fail:
            self.ledger.release(push, plan, batch, fail)
        self._groupmsg_sent(push, batch, counts, res.get("msgid"), fail)

    def _recovered(self, push, gw, plan, batch, message, counts) -> bool:
        """Whether an earlier attempt's outcome settles the batch. add_msg_template has no dedupe key: any earlier
        attempt that did not end in a definite answer (a crash, a timeout, a -1 or 45009 that WeCom may in fact
        have processed) is looked up before resending, so one batch never becomes two group-message tasks."""
        try:
            found = self._find_groupmsg(push, gw, batch, message, "group" if plan["strategy"] == "groups" else "single")
        except TRANSIENT as exc:  # cannot look: do not send blind
            self._retry_later(push, batch, exc, ambiguous=True)
            return True
        if found:  # the earlier attempt did create it: record, never send twice
            self._groupmsg_sent(push, batch, counts, found, [], recovered=True)
            return True
        return False

    def _groupmsg_sent(self, push, batch, counts, msgid, fail, recovered=False) -> None:
        self._mark(push, batch, {**counts, "state": "sent", "msg_id": msgid, "failed": len(fail),
                                 "fail_list": fail[:200], "sent": counts["eligible"] - len(fail),
                                 "pending_results": counts["eligible"] - len(fail), "recovered": recovered or None,
                                 "reason": None})

    def _find_groupmsg(self, push: dict, gw, batch: dict, message: dict, chat_type: str) -> str | None:
        """The group message an earlier attempt of this batch created, if WeCom has it: same creator, same
        content, created since the batch's first attempt, and not a message another batch of this run
        already recorded (one staff member's batches of one push carry the same content)."""
        taken = {b.get("msg_id") for b in self.store.list_batches(push["account_id"], push["push_id"], push["run_no"])
                 if b.get("msg_id") and b["no"] != batch["no"]}
        since = batch.get("first_attempt_at") or batch["attempt_at"]
        cursor = ""
        start, end = int(since) - 5, int(self.deps.clock()) + 5
        while True:
            # https://developer.work.weixin.qq.com/document/path/93338 (chat_type single | group)
            page = self.deps.call(gw.post, "externalcontact/get_groupmsg_list_v2", {
                "chat_type": chat_type, "start_time": start, "end_time": end, "creator": batch["sender"],
                "filter_type": 0, "cursor": cursor, "limit": 100})
            for m in page.get("group_msg_list") or []:
                if m.get("msgid") not in taken and _same_message(m, batch["sender"], message):
                    return m["msgid"]
            cursor = page.get("next_cursor") or ""
            if not cursor:
                return None


def _same_message(found: dict, sender: str, message: dict) -> bool:
    """A listed group message is ours when its creator (if named) is the batch's sender and its text and
    attachments are the batch's."""
    if found.get("creator") and found["creator"] != sender:
        return False
    return ((found.get("text") or {}).get("content", "") == (message.get("text") or {}).get("content", "")
            and (found.get("attachments") or []) == (message.get("attachments") or []))
