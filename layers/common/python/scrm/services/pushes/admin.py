"""The admin use cases of a push: create (a draft, or confirmed at once), preview, confirm, cancel, read.

A push is only ever sent after someone looked at its audience: confirming a draft that was never previewed
previews it first, and an audience nobody would receive is refused (400) at preview and at confirm."""

from __future__ import annotations

import secrets
from collections import Counter
from zoneinfo import ZoneInfo

from ... import errors
from ...domain import pushes as rules
from ...domain.instants import answer_time, answer_times
from ...tenancy import Scope
from . import quotas
from .audience import Audience, Pairs
from .deps import PushDeps, account_options


def view(push: dict) -> dict:
    """A push as the admin API shows it (times in the push's timezone)."""
    tz = ZoneInfo(push["timezone"])

    def iso(t):
        return answer_time(t, tz)

    content = {k: v for k, v in push["content"].items() if k != "strategy"}
    status = push["status"]
    return {"push_id": push["push_id"], "account_id": push["account_id"], "name": push.get("name", ""),
            "status": status, "platform": push["platform"], "delivery": push["delivery"],
            "strategy": push["content"].get("strategy"), "content": content, "audience": push["audience"],
            "send_at": iso(push["send_at"]), "timezone": push["timezone"], "recurrence": push.get("recurrence"),
            "run_no": push["run_no"],
            "next_run_at": iso(push["next_run_at"]) if status in ("draft", "scheduled", "running") else None,
            "preview": answer_times(push.get("preview"), tz), "runs": answer_times(push.get("runs") or [], tz),
            "last_error": push.get("last_error"),
            "created_at": iso(push["created_at"]), "created_by": push.get("created_by")}


def strategy(account, delivery: str, audience: dict) -> str:
    """How an OA mass send addresses people: by openid list (per-recipient quotas enforceable),
    or, where the account has only an account-wide quota (subscription accounts), by tag / to all."""
    if delivery != "mass":
        if delivery == "groupmsg" and audience_kind(audience) == "groups":
            return "groups"  # 群发到客户群: add_msg_template chat_type group, one task per owner
        return "per_recipient" if delivery in ("template", "custom") else "groupmsg"
    per_recipient = any(r.scope == "recipient" for r in quotas.rules_for(account, delivery))
    if account.account_type == "subscription" or account_options(account).get("push_mass_mode") == "tag":
        if per_recipient:
            raise errors.ValidationError("this account's quota policy is per recipient; send by openid list")
        if audience["type"] == "all":
            return "to_all"
        if audience["type"] == "tags" and len(audience["tag_ids"]) == 1:
            return "tag"
        raise errors.ValidationError("a subscription account mass-sends to one tag or to all followers",
                                     field="audience")
    return "openids"


def audience_kind(audience: dict) -> str:
    """What an audience addresses: "groups" (customer groups) or "people"."""
    return "groups" if audience.get("type") == "groups" else "people"


def batch_size_of(account, strategy: str) -> int | None:
    """Recipients per batch: the account's push_batch_size; for customer groups at most chat_id_list's 2,000."""
    configured = account_options(account).get("push_batch_size")
    return rules.group_batch_size(configured) if strategy == "groups" else configured


def validate(account, body: dict, now: float) -> dict:
    """The push a create body asks for, validated against the account (its kind, type and quota policy)."""
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
    how = strategy(account, delivery, audience)
    return {"content": content, "delivery": delivery, "audience": audience, "send_at": send_at, "timezone": tz,
            "recurrence": recurrence, "name": name, "strategy": how, "quota_zone": quotas.zone_for(account, how, tz)}


def spec_of(push: dict) -> dict:
    return {"delivery": push["delivery"], "strategy": push["content"].get("strategy"),
            "send_at": push["next_run_at"], "timezone": push["timezone"]}


def check_tags(deps: PushDeps, scope: Scope, account, audience: dict) -> None:
    """A WeCom audience by tags names tags of the corp's catalogue (scrm.services.tags; 400 at audience.tag_ids[i]);
    one by customer group tags names live group tags (scrm.services.groups.tags; 400 at audience.group_tags[i])."""
    if audience.get("type") == "groups" and audience.get("group_tags") and account.kind == "wecom":
        from ..groups import tags as group_tags

        group_tags.check_ids(scope, account.account_id, audience["group_tags"], "audience.group_tags", deps.groups)
    if audience.get("type") == "tags" and account.kind == "wecom":
        from .. import tags

        tags.check_ids(scope, account, audience["tag_ids"], "audience.tag_ids", lambda: deps.gateway_for(account))


def named(scope: Scope, out: dict) -> dict:
    """A push's or segment's view with the names of a WeCom tag audience's tags (`audience.tag_names`)."""
    if out.get("platform", "wecom") == "wecom" and (out.get("audience") or {}).get("type") == "tags":
        from .. import tags

        out["audience"] = tags.named_audience(scope, out["account_id"], out["audience"])
    return out


class PushAdmin:
    def __init__(self, deps: PushDeps, audience: Audience, ledger: quotas.QuotaLedger):
        self.deps, self.audience, self.ledger = deps, audience, ledger

    @property
    def store(self):
        return self.deps.store

    # ---- preview
    def preview(self, scope: Scope, account_id: str, body: dict) -> dict:
        scope.check(account_id)
        account = self.deps.account_for(account_id)
        spec = validate(account, body, self.deps.clock())
        check_tags(self.deps, scope, account, spec["audience"])
        left_out: Counter = Counter()
        pairs = self.audience.resolve(scope, account, spec["audience"], spec["strategy"], left_out=left_out)
        return self._preview(account, spec, pairs, left_out)

    def _preview(self, account, spec: dict, pairs: Pairs, left_out: Counter | None = None) -> dict:
        n = len(pairs)
        rule_list = quotas.rules_for(account, spec["delivery"])
        account_blocked = self.ledger.account_used_up(account, spec, rule_list)
        over, estimated = self.ledger.over_quota(account, spec, rule_list, pairs)
        eligible = 0 if account_blocked else n - over
        planned = rules.plan_batches(pairs, spec["delivery"], batch_size_of(account, spec["strategy"])) \
            if spec["strategy"] not in ("tag", "to_all") else []
        calls = {"openids": len(planned), "groupmsg": len(planned), "groups": len(planned), "tag": 1,
                 "to_all": 1}.get(spec["strategy"], eligible)
        left = dict(sorted((left_out or {}).items()))
        out = {"audience": n, "left_out": left, "left_out_total": sum(left.values()),
               "over_quota": over, "eligible": eligible, "estimated": estimated,
               "account_quota_used": account_blocked, "batches": len(planned) or (1 if n else 0),
               "api_calls": calls, "strategy": spec["strategy"],
               "quota_rules": [r.as_dict() for r in rule_list], "at": self.deps.clock()}
        if spec["strategy"] == "groups":  # the audience counts groups; a group already sent to today is skipped
            out.update(groups=n, owners=len({b.sender for b in planned}), sent_today=over)
        return out

    def preview_push(self, scope: Scope, account_id: str, push_id: str) -> dict:
        """Resolve the audience now; return (and keep) its size and the quota effect. 400 if it is empty."""
        push = self._get(scope, account_id, push_id)
        account = self.deps.account_for(account_id)
        spec = spec_of(push)
        spec["quota_zone"] = quotas.zone_for(account, spec["strategy"], spec["timezone"])
        left_out: Counter = Counter()
        pairs = self.audience.nonempty(scope, account, push["audience"], spec["strategy"], push_id, left_out)
        preview = self._preview(account, spec, pairs, left_out)
        self.store.update_push(account_id, push_id, {"preview": preview, "updated_at": self.deps.clock()})
        return answer_times(preview, ZoneInfo(push["timezone"]))

    # ---- create, confirm, cancel
    def create(self, scope: Scope, account_id: str, body: dict, created_by: str | None = None) -> dict:
        scope.check(account_id)
        now = self.deps.clock()
        account = self.deps.account_for(account_id)
        spec = validate(account, body, now)
        check_tags(self.deps, scope, account, spec["audience"])
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
            pairs = self.audience.nonempty(scope, account, audience, spec["strategy"], push_id, left_out)
            preview = self._preview(account, spec, pairs, left_out)
        push = {"account_id": account_id, "push_id": push_id, "name": spec["name"], "platform": account.kind,
                "delivery": spec["delivery"], "status": "scheduled" if confirm else "draft",
                "content": {**spec["content"], "strategy": spec["strategy"]}, "audience": audience,
                "recurrence": spec["recurrence"], "timezone": spec["timezone"], "send_at": spec["send_at"],
                "run_no": 1, "next_run_at": spec["send_at"], "preview": preview, "runs": [],
                "created_by": created_by, "created_at": now, "updated_at": now}
        if confirm:
            push["due"] = "1"
        self.store.create_push(push)
        return named(scope, view(push))

    def confirm(self, scope: Scope, account_id: str, push_id: str) -> dict:
        push = self._get(scope, account_id, push_id)
        if push["status"] != "draft":
            raise errors.Conflict(f"push {push_id} is {push['status']}, only a draft can be confirmed")
        if push["next_run_at"] < self.deps.clock() - rules.PAST_GRACE_SECONDS:
            raise errors.ValidationError("send_at is in the past; create the push again with a new time",
                                         field="send_at")
        if not push.get("preview"):
            self.preview_push(scope, account_id, push_id)  # never confirm an audience nobody has looked at
        if not self.store.update_push(account_id, push_id, {"status": "scheduled", "due": "1",
                                                             "updated_at": self.deps.clock()},
                                      expect_status=("draft",)):
            raise errors.Conflict(f"push {push_id} changed meanwhile")
        return self.get(scope, account_id, push_id)

    def cancel(self, scope: Scope, account_id: str, push_id: str) -> dict:
        push = self._get(scope, account_id, push_id)
        if push["status"] not in rules.CANCELLABLE:
            raise errors.Conflict(f"push {push_id} is {push['status']}; only draft or scheduled pushes can be "
                                  "cancelled")
        if not self.store.update_push(account_id, push_id, {"status": "cancelled", "due": None,
                                                             "updated_at": self.deps.clock()},
                                      expect_status=rules.CANCELLABLE):
            raise errors.Conflict(f"push {push_id} started meanwhile; it can no longer be cancelled")
        return self.get(scope, account_id, push_id)

    # ---- read
    def _get(self, scope: Scope, account_id: str, push_id: str) -> dict:
        scope.check(account_id)
        push = self.store.get_push(account_id, push_id) if rules.PUSH_ID.match(push_id or "") else None
        if push is None:
            raise errors.NotFound(f"no push {push_id} in account {account_id}")
        return push

    def get(self, scope: Scope, account_id: str, push_id: str) -> dict:
        push = self._get(scope, account_id, push_id)
        out = named(scope, view(push))
        if push["status"] == "running" or push.get("run_phase"):
            batches = self.store.list_batches(account_id, push_id, push["run_no"])
            out["current_run"] = answer_times({"run_no": push["run_no"], "phase": push.get("run_phase"),
                                               **rules.summarise(batches)}, ZoneInfo(push["timezone"]))
        return out

    def batches(self, scope: Scope, account_id: str, push_id: str, run_no: int | None = None) -> list[dict]:
        push = self._get(scope, account_id, push_id)
        return self.store.list_batches(account_id, push_id, run_no or push["run_no"])

    def batches_page(self, scope: Scope, account_id: str, push_id: str, run_no: int | None = None, *,
                     limit: int = 50, start: dict | None = None) -> tuple[list[dict], dict | None]:
        push = self._get(scope, account_id, push_id)
        rows, last = self.store.page_batches(account_id, push_id, run_no or push["run_no"], limit, start)
        return answer_times(rows, ZoneInfo(push["timezone"])), last

    def list(self, scope: Scope, account_id: str, limit: int = 50) -> list[dict]:
        return self.list_page(scope, account_id, limit=limit)[0]

    def list_page(self, scope: Scope, account_id: str, *, limit: int = 50, start: dict | None = None
                  ) -> tuple[list[dict], dict | None]:
        """One page of the account's pushes, newest first, and the key to continue from (None at the end)."""
        scope.check(account_id)
        items, last = self.store.page_pushes(account_id, limit, start)
        return [named(scope, view(p)) for p in items], last
