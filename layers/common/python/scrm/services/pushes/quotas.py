"""The quota ledger as the push use cases see it: which rules bind a push, what a preview's audience would use,
and a batch's reservations (taken before sending, given back for people who definitely got nothing).

Reservations are idempotent per run (holder `push#run`; account-wide rules per batch, `push#run#batch`): a
batch rerun after a crash takes no second slot."""

from __future__ import annotations

from ...domain import quotas as quota_rules
from .deps import PushDeps, account_options

PREVIEW_EXACT_MAX = 20_000  # above this, the quota effect is estimated from a sample


def rules_for(account, delivery: str) -> list[quota_rules.QuotaRule]:
    return quota_rules.rules_for(account.kind, account.account_type, delivery,
                                 account_options(account).get("push_quotas"))


def holder(push: dict, batch_no: int | None = None) -> str:
    base = f"{push['push_id']}#{push['run_no']}"
    return base if batch_no is None else f"{base}#{batch_no}"


def zone_for(account, strategy: str, push_zone: str) -> str:
    """The zone a quota's day is counted in: the push's, but for customer groups (once a day per group) the
    account's (option `timezone`, default Asia/Shanghai): a group's day does not move with each push's zone."""
    if strategy == "groups":
        return account_options(account).get("timezone") or quota_rules.DEFAULT_TZ
    return push_zone


def plan_rules(rule_list: list[quota_rules.QuotaRule], now: float, timezone: str) -> list[dict]:
    """The rules as a run's plan keeps them: with the period the run counts against, fixed at planning."""
    return [{**r.as_dict(), "period_key": quota_rules.period_key(r.period, now, timezone)} for r in rule_list]


class QuotaLedger:
    def __init__(self, deps: PushDeps):
        self.deps = deps

    # ---- preview: what the audience would use, nothing reserved
    def account_used_up(self, account, spec: dict, rule_list) -> bool:
        """True when an account-wide rule's period is already used up at the push's send time."""
        blocked = False
        for rule in rule_list:
            if rule.scope != "account" or rule.per_message:  # a message cap leaves people out, not the push
                continue
            period = quota_rules.period_key(rule.period, spec["send_at"], spec.get("quota_zone") or spec["timezone"])
            key = quota_rules.ledger_key(account.account_id, spec["delivery"], rule, period, "")
            used = self.deps.store.used_many(account.account_id, [key]).get(key, 0)
            blocked = blocked or used >= rule.limit
        return blocked

    def over_quota(self, account, spec: dict, rule_list, pairs: list[tuple[str | None, str]]) -> tuple[int, bool]:
        """(how many recipients a per-recipient rule or the account's message cap would leave out, whether that
        is estimated from a sample)."""
        n = len(pairs)
        over, estimated = self._over_per_recipient(account, spec, rule_list, pairs)
        for rule in (r for r in rule_list if r.per_message):
            period = quota_rules.period_key(rule.period, spec["send_at"], spec.get("quota_zone") or spec["timezone"])
            key = quota_rules.ledger_key(account.account_id, spec["delivery"], rule, period, "")
            left = max(0, rule.limit - self.deps.store.used_many(account.account_id, [key]).get(key, 0))
            over = n - min(n - over, left)
        return over, estimated

    def _over_per_recipient(self, account, spec: dict, rule_list, pairs) -> tuple[int, bool]:
        recipient_rules = [r for r in rule_list if r.scope == "recipient"]
        n = len(pairs)
        if not recipient_rules or not n:
            return 0, False
        sample = pairs if n <= PREVIEW_EXACT_MAX else pairs[:: max(1, n // PREVIEW_EXACT_MAX)]
        blocked: set[str] = set()
        for rule in recipient_rules:
            period = quota_rules.period_key(rule.period, spec["send_at"], spec.get("quota_zone") or spec["timezone"])
            keys = {quota_rules.ledger_key(account.account_id, spec["delivery"], rule, period, r): r
                    for _, r in sample}
            used = self.deps.store.used_many(account.account_id, list(keys))
            blocked |= {keys[k] for k, u in used.items() if u >= rule.limit}
        return round(len(blocked) * n / len(sample)), n > PREVIEW_EXACT_MAX

    # ---- a batch's reservations
    def _rules_of(self, push: dict, plan: dict):
        for r in plan["rules"]:
            rule = quota_rules.QuotaRule(r["scope"], r["limit"], r["period"], r.get("unit", "send"))
            yield rule, lambda x, rule=rule, r=r: quota_rules.ledger_key(push["account_id"], push["delivery"], rule,
                                                                         r["period_key"], x)

    def reserve(self, push: dict, plan: dict, batch: dict, recipients: list[str]) -> tuple[list[str], int, bool]:
        """Reserve quota for a batch. Returns (eligible recipients, over-quota count, account quota ok).

        A cap on the account's messages comes last: it counts the people the other rules left in."""
        store, account_id = self.deps.store, push["account_id"]
        eligible = recipients
        account_ok = True
        for rule, key in sorted(self._rules_of(push, plan), key=lambda rk: rk[0].per_message):
            ttl = quota_rules.ledger_ttl(rule.period, self.deps.clock())
            if rule.per_message:
                granted = store.reserve_amount(account_id, key(""), len(eligible), rule.limit,
                                               holder(push, batch["no"]), ttl) if eligible else 0
                account_ok = account_ok and (granted > 0 or not eligible)
                eligible = eligible[:granted]  # the batch's order is fixed: a rerun keeps the same people
            elif rule.scope == "account":
                if not store.reserve_many(account_id, [key("")], rule.limit, holder(push, batch["no"]), ttl)[0]:
                    account_ok = False
            else:
                granted = store.reserve_many(account_id, [key(x) for x in eligible], rule.limit, holder(push), ttl)
                eligible = [x for x, ok in zip(eligible, granted, strict=True) if ok]
        return eligible, len(recipients) - len(eligible), account_ok

    def release(self, push: dict, plan: dict, batch: dict, recipients: list[str]) -> None:
        """Give quota back for people (or the account call) that definitely did not receive the push."""
        store, account_id = self.deps.store, push["account_id"]
        for rule, key in self._rules_of(push, plan):
            if rule.per_message:
                if recipients:
                    store.release_amount(account_id, key(""), len(recipients), holder(push, batch["no"]))
            elif rule.scope == "account":
                store.release_many(account_id, [key("")], holder(push, batch["no"]))
            elif recipients:
                store.release_many(account_id, [key(x) for x in recipients], holder(push))
