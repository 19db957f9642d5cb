"""Running one step for one person: the quota first (the pushes' ledger: one budget with pushes), then the WeChat
call, and an outcome: sent / done / skipped_quota / refused (with WeChat's reason) / unknown / retry.

At most once for messages: a step found `running` after its lease ran out (a crash between the claim and the
outcome) is recorded `unknown`, never resent. Its quota stays reserved (it may have gone out). Tag steps are
idempotent on WeChat's side, so they are simply done again. Transient errors (busy, rate limited: nothing went out)
come back as `retry`, bounded by rules.MAX_ATTEMPTS; a timeout on a message is `unknown` (it may have gone out).

A quota skip moves the person on to the next step: a journey's messages belong to a moment in it (a welcome,
a follow-up after a wait); sent a day late they would arrive out of place, and the later steps would slip too."""

from __future__ import annotations

from ... import errors
from ...domain import journeys as rules
from ...domain import pushes as push_rules
from ...domain import quotas as quota_rules
from ...domain import service_window as window_rules
from ..pushes.senders import TRANSIENT, reason
from .deps import JourneyDeps

DELIVERY = {"custom": "custom", "template": "template", "wecom": "groupmsg"}  # the pushes' delivery names


def outcome(kind: str, why: str | None = None, **extra) -> dict:
    return {"outcome": kind, **({"reason": why} if why else {}), **extra}


class StepRunner:
    def __init__(self, deps: JourneyDeps):
        self.deps = deps

    # ---- the quota ledger shared with pushes
    def _rule_keys(self, account, delivery: str, person: str):
        options = account.options or {}
        zone = options.get("timezone") or quota_rules.DEFAULT_TZ
        now = self.deps.clock()
        for rule in quota_rules.rules_for(account.kind, account.account_type, delivery, options.get("push_quotas")):
            period = quota_rules.period_key(rule.period, now, zone)
            yield rule, quota_rules.ledger_key(account.account_id, delivery, rule, period, person), \
                quota_rules.ledger_ttl(rule.period, now)

    def reserve(self, account, delivery: str, person: str, holder: str) -> bool:
        """One slot of every rule binding this delivery for this person, or none (what was taken is given back)."""
        taken = []
        for rule, key, ttl in self._rule_keys(account, delivery, person):
            if rule.per_message:
                ok = self.deps.pushes.reserve_amount(account.account_id, key, 1, rule.limit, holder, ttl) > 0
            else:
                ok = self.deps.pushes.reserve_many(account.account_id, [key], rule.limit, holder, ttl)[0]
            if not ok:
                self.release(account, delivery, person, holder, only=taken)
                return False
            taken.append(key)
        return True

    def release(self, account, delivery: str, person: str, holder: str, only: list[str] | None = None) -> None:
        for rule, key, _ttl in self._rule_keys(account, delivery, person):
            if only is not None and key not in only:
                continue
            if rule.per_message:
                self.deps.pushes.release_amount(account.account_id, key, 1, holder)
            else:
                self.deps.pushes.release_many(account.account_id, [key], holder)

    # ---- one step
    def run(self, account, gw, journey: dict, entrant: dict, *, recovered: bool) -> dict:
        step_no = entrant["step"]
        step = journey["steps"][step_no]
        kind = step["type"]
        if kind == "wait":
            return outcome("done", next_delay=step["seconds"])
        if kind == "tag":
            return self._tag(account, gw, step, entrant)
        if recovered:
            return outcome("unknown", "the step was claimed and did not finish (a crash): not resent")
        delivery = DELIVERY[kind]
        person = entrant["person"]
        claim = self._claim_window(account, person) if kind == "custom" else None
        if kind == "custom" and claim is None:
            return outcome("skipped_quota", "no customer-service allowance open (a message in the last 48 hours, "
                                            "or a click, follow or scan in the last minute, with messages left)")
        holder = f"journey#{journey['journey_id']}#{step_no}#{person}"
        if not self.reserve(account, delivery, person, holder):
            self._release_window(account, person, claim)
            return outcome("skipped_quota", f"{delivery} quota used up for this period")
        try:
            sent = self._send(gw, kind, step, journey, entrant)
        except errors.WeChatUnavailable as exc:  # a timeout: it may have gone out
            return outcome("unknown", f"{type(exc).__name__}: {exc}"[:300])
        except TRANSIENT as exc:  # nothing went out
            self.release(account, delivery, person, holder)
            self._release_window(account, person, claim)
            return self._transient(entrant, exc)
        except errors.WeChatError as exc:  # 43004 unfollowed, 45015 window closed, 45047, 41048, ...
            self.release(account, delivery, person, holder)
            if window_rules.refusal_gives_back(exc.errcode):
                self._release_window(account, person, claim)
            return outcome("refused", reason(exc), errcode=exc.errcode)
        if not sent:
            self.release(account, delivery, person, holder)
            return outcome("refused", "WeCom could not send to this customer (fail_list)")
        return outcome("sent")

    def _transient(self, entrant: dict, exc) -> dict:
        attempts = int(entrant.get("attempts") or 0) + 1
        if attempts >= rules.MAX_ATTEMPTS:
            return outcome("refused", f"gave up after {attempts} attempts: {reason(exc)}",
                           errcode=getattr(exc, "errcode", None))
        return outcome("retry", reason(exc), attempts=attempts, delay=rules.retry_delay(attempts))

    def _claim_window(self, account, person: str):
        """One message counted against the person's customer-service allowance (domain.service_window), shared
        with pushes: None when none is open with messages left."""
        seconds = (account.options or {}).get("custom_window_seconds")
        return self.deps.pushes.claim_service_message(account.account_id, person, self.deps.clock(), seconds)

    def _release_window(self, account, person: str, claim) -> None:
        if claim:
            self.deps.pushes.release_service_message(account.account_id, person, claim)

    def _send(self, gw, kind: str, step: dict, journey: dict, entrant: dict) -> bool:
        person = entrant["person"]
        if kind == "custom":
            # 客服消息 (customer-service message: text, image, news, mpnews, miniprogrampage) inside the window:
            # https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html
            self.deps.call(gw.post, "message/custom/send", rules.custom_message(step, person))
            return True
        if kind == "template":
            # 发送模板消息 (client_msg_id dedupes a resend):
            # https://developers.weixin.qq.com/doc/service/en/guide/product/template_message/Template_Message_Interface.html
            cid = push_rules.client_msg_id(journey["account_id"], journey["journey_id"], 0, entrant["step"], person)
            self.deps.call(gw.send_template, person, step["template_id"], step["data"], cid, url=step.get("url"))
            return True
        # 创建企业群发 chat_type single, to one customer from the staff member they added (each customer receives at
        # most one group message a day: the ledger's wecom groupmsg rule): https://developer.work.weixin.qq.com/document/path/92135
        res = self.deps.call(gw.add_msg_template, entrant.get("staff") or "", [person],
                             {"text": {"content": step["text"]}})
        return person not in (res.get("fail_list") or [])

    def _tag(self, account, gw, step: dict, entrant: dict) -> dict:
        person, tag, remove = entrant["person"], step["tag_id"], bool(step.get("remove"))
        try:
            if account.kind == "oa":
                # 批量为用户打标签 / 取消标签 (openid_list, tagid a number):
                # https://developers.weixin.qq.com/doc/subscription/en/api/usermanage/tag/api_batchtagging.html
                endpoint = "tags/members/batchuntagging" if remove else "tags/members/batchtagging"
                self.deps.call(gw.post, endpoint, {"openid_list": [person], "tagid": int(tag)})
            else:
                # 编辑客户企业标签 (userid, external_userid, add_tag, remove_tag; not both empty):
                # https://developer.work.weixin.qq.com/document/path/92118 (third-party apps: path/92697)
                self.deps.call(gw.mark_tag, entrant.get("staff") or "", person, [] if remove else [tag],
                               [tag] if remove else [])
        except (*TRANSIENT, errors.WeChatUnavailable) as exc:  # tagging twice is harmless: retry
            return self._transient(entrant, exc)
        except (errors.WeChatError, ValueError) as exc:
            return outcome("refused", reason(exc), errcode=getattr(exc, "errcode", None))
        return outcome("done", tagged=None if remove else tag)
