"""What the moment use cases share: one store, how to find an account and its WeCom gateway, the clock, and the
count of WeChat calls made (figures for the preview and the benchmark); the customers' monthly counts (the quota
ledger's rules for delivery `moment`: 4 a month per customer by default, policy in scrm.domain.quotas)."""

from __future__ import annotations

import time
from collections.abc import Callable

from ... import errors
from ...domain import quotas as quota_rules
from ...stores.moments.base import MomentStore
from ..pushes.deps import default_account, default_gateway

DELIVERY = "moment"


class MomentDeps:
    def __init__(self, store: MomentStore, *, account_for: Callable = default_account,
                 gateway_for: Callable = default_gateway, clock: Callable[[], float] = time.time):
        self.store = store
        self.account_for = account_for
        self.gateway_for = gateway_for
        self.clock = clock
        self.calls = 0

    def call(self, fn, *args, **kwargs):
        """Call WeChat (through a gateway method), counted."""
        self.calls += 1
        return fn(*args, **kwargs)

    def wecom_account(self, account_id: str):
        account = self.account_for(account_id)
        if account.kind != "wecom":
            raise errors.ValidationError("customer moments need a WeCom account", field="account_id")
        return account


def customer_rules(account) -> list[quota_rules.QuotaRule]:
    """The per-customer rules that bind a moment (account options' push_quotas may change them)."""
    return [r for r in quota_rules.rules_for("wecom", account.account_type, DELIVERY,
                                             (account.options or {}).get("push_quotas")) if r.scope == "recipient"]


def ledger_keys(account_id: str, rule: quota_rules.QuotaRule, period: str, customers: list[str]) -> list[str]:
    return [quota_rules.ledger_key(account_id, DELIVERY, rule, period, c) for c in customers]


def visible_customers(deps: MomentDeps, gw, senders: list[str], tag_ids: list[str]) -> list[str]:
    """The visible range as WeCom reads it: every customer of a sender who carries any of the tags (all of the
    senders' customers when there are none), each once. batch/get_by_user, 100 senders and 100 customers a page."""
    wanted, seen = set(tag_ids), {}
    ordered = sorted(set(senders))
    for start in range(0, len(ordered), 100):
        cursor = ""
        while True:
            page = deps.call(gw.post, "externalcontact/batch/get_by_user",
                             {"userid_list": ordered[start:start + 100], "cursor": cursor, "limit": 100})
            for item in page.get("external_contact_list") or []:
                info = item.get("follow_info") or {}
                if not wanted or wanted & set(info.get("tag_id") or []):
                    seen.setdefault(item["external_contact"]["external_userid"], None)
            cursor = page.get("next_cursor") or ""
            if not cursor:
                break
    return list(seen)
