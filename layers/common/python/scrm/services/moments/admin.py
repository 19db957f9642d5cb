"""The admin use cases of a moment: create (scheduled at once), preview (how many customers of the visible range are
already at the monthly limit), cancel, read, figures."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from ... import errors
from ...contracts import parse
from ...contracts.moments import MomentBody
from ...domain import pushes as push_rules
from ...domain import quotas as quota_rules
from ...domain.instants import answer_time, answer_times
from ...tenancy import Scope
from .deps import MomentDeps, customer_rules, ledger_keys, visible_customers

OPEN = ("scheduled", "creating", "publishing")


def view(m: dict) -> dict:
    """A moment as the admin API shows it (times in the moment's time zone)."""
    tz = ZoneInfo(m["timezone"])
    content, vr = m["content"], m["visible_range"]
    out = {"moment_id": m["moment_id"], "account_id": m["account_id"], "name": m.get("name", ""),
           "status": m["status"], "text": content.get("text"), "attachments": content.get("attachments") or [],
           "senders": vr["senders"], "tag_ids": vr.get("tag_ids") or [], "send_at": answer_time(m["send_at"], tz),
           "timezone": m["timezone"], "next_run_at": answer_time(m["next_run_at"], tz) if m.get("due") else None,
           "created_at": answer_time(m["created_at"], tz), "created_by": m.get("created_by")}
    for key in ("jobid", "wecom_moment_id", "visible", "reserved", "over_quota", "invalid", "unreached", "reason",
                "last_error"):
        if m.get(key) is not None:
            out[key] = m[key]
    if m.get("recovered"):
        out["recovered"] = True
    if m.get("figures") is not None:
        out["figures"] = answer_times({**m["figures"], "at": m.get("figures_at")}, tz)
    if m.get("preview") is not None:
        out["preview"] = answer_times(m["preview"], tz)
    return out


def named(scope: Scope, account_id: str, views: list[dict]) -> list[dict]:
    """Views with `tag_names` beside their tag ids: each tag's name and group from the corp's tag catalogue, a tag
    deleted since flagged `deleted` (one catalogue read for them all, none when no moment names a tag)."""
    wanted = [v for v in views if v["tag_ids"]]
    if wanted:
        from .. import tags

        catalogue = tags.common.store().catalogue(scope, account_id)
        for v in wanted:
            v["tag_names"] = tags.names(scope, account_id, v["tag_ids"], catalogue)
    return views


class MomentAdmin:
    def __init__(self, deps: MomentDeps):
        self.deps = deps

    @property
    def store(self):
        return self.deps.store

    def _get(self, scope: Scope, account_id: str, moment_id: str) -> dict:
        scope.check(account_id)
        m = self.store.get_moment(account_id, moment_id)
        if m is None:
            raise errors.NotFound(f"no moment {moment_id}")
        return m

    def create(self, scope: Scope, account_id: str, body: dict, created_by: str | None = None) -> dict:
        scope.check(account_id)
        self.deps.wecom_account(account_id)
        spec = parse(MomentBody, body)
        now = self.deps.clock()
        send_at, tz = push_rules.parse_send_at(spec.send_at, spec.timezone, now)
        moment = {
            "account_id": account_id, "moment_id": "m" + push_rules.new_push_id(now, secrets.token_bytes(4)),
            "name": spec.name or "", "status": "scheduled",
            "content": {"text": spec.text or "",
                        "attachments": [a.model_dump(exclude_none=True) for a in spec.attachments or []]},
            "visible_range": {"senders": list(spec.senders), "tag_ids": list(dict.fromkeys(spec.tag_ids or []))},
            "timezone": tz, "send_at": send_at, "next_run_at": send_at, "due": "1", "created_by": created_by,
            "created_at": now, "updated_at": now}
        self.store.create_moment(moment)
        return named(scope, account_id, [view(moment)])[0]

    def get(self, scope: Scope, account_id: str, moment_id: str) -> dict:
        return named(scope, account_id, [view(self._get(scope, account_id, moment_id))])[0]

    def list_page(self, scope: Scope, account_id: str, *, limit: int = 50, start: dict | None = None
                  ) -> tuple[list[dict], dict | None]:
        scope.check(account_id)
        rows, last = self.store.page_moments(account_id, limit, start)
        return named(scope, account_id, [view(r) for r in rows]), last

    def preview(self, scope: Scope, account_id: str, moment_id: str) -> dict:
        """The visible range now, and how many of its customers are already at the monthly limit in the month the
        moment counts in (nothing reserved). Kept on the moment."""
        m = self._get(scope, account_id, moment_id)
        account = self.deps.wecom_account(account_id)
        before = self.deps.calls
        customers = visible_customers(self.deps, self.deps.gateway_for(account), m["visible_range"]["senders"],
                                      m["visible_range"].get("tag_ids") or [])
        now = self.deps.clock()
        when = max(now, m["send_at"])
        blocked: set[str] = set()
        limit, period = None, quota_rules.period_key("month", when, m["timezone"])
        for rule in customer_rules(account):
            period = quota_rules.period_key(rule.period, when, m["timezone"])
            keys = ledger_keys(account_id, rule, period, customers)
            used = self.store.used_many(account_id, keys) if keys else {}
            by_key = dict(zip(keys, customers, strict=True))
            blocked |= {by_key[k] for k, n in used.items() if n >= rule.limit}
            limit = rule.limit if limit is None else min(limit, rule.limit)
        preview = {"visible": len(customers), "over_quota": len(blocked), "eligible": len(customers) - len(blocked),
                   "limit": limit if limit is not None else 0, "period": period,
                   "api_calls": self.deps.calls - before, "at": now}
        self.store.update_moment(account_id, moment_id, {"preview": preview, "updated_at": now})
        return answer_times(preview, ZoneInfo(m["timezone"]))

    def cancel(self, scope: Scope, account_id: str, moment_id: str) -> dict:
        """Before it runs: cancelled, nothing sent. Once WeCom created it: cancel_moment_task stops members who have
        not published (their customers' counts stay taken: published posts stay). 409 while WeCom is creating it
        and once it ended."""
        m = self._get(scope, account_id, moment_id)
        now = self.deps.clock()
        done = {"status": "cancelled", "due": None, "updated_at": now}
        if m["status"] == "scheduled" and not m.get("attempt_at"):
            if self.store.update_moment(account_id, moment_id, done, expect_status=("scheduled",)):
                return self.get(scope, account_id, moment_id)
            m = self._get(scope, account_id, moment_id)
        if m["status"] == "publishing" and m.get("wecom_moment_id"):
            gw = self.deps.gateway_for(self.deps.wecom_account(account_id))
            self.deps.call(gw.cancel_moment_task, m["wecom_moment_id"])
            self.store.update_moment(account_id, moment_id, done, expect_status=("publishing",))
            return self.get(scope, account_id, moment_id)
        if m["status"] in ("scheduled", "creating"):
            raise errors.Conflict("WeCom is creating this moment; cancel it once it is created")
        raise errors.Conflict(f"the moment is {m['status']}; only a scheduled or publishing moment can be cancelled")

    def figures(self, scope: Scope, account_id: str, moment_id: str) -> dict:
        """The figures last pulled from WeCom (zeros before the moment exists on WeCom)."""
        m = self._get(scope, account_id, moment_id)
        f = m.get("figures") or {"senders": len(m["visible_range"]["senders"]), "published": 0,
                                 "not_published": 0, "comments": 0, "likes": 0, "staff": []}
        return answer_times({**f, "at": m.get("figures_at")}, ZoneInfo(m["timezone"]))
