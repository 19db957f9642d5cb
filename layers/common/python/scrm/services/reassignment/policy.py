"""The account's reassignment policy: how takeovers are chosen, what runs automatically."""

from __future__ import annotations

from ... import bootstrap
from ...contracts import parse
from ...contracts.reassignment import ReassignmentPolicyBody
from ...domain import reassignment as rules
from ...errors import ValidationError
from ...tenancy import Scope
from .. import reassignment as package

POLICY_FIELDS = ("strategy", "pool", "departments", "staff_tags", "tag", "max_offers", "transfer_success_msg",
                 "notify_agentid", "auto_on_departure", "auto_sweep")


def policy_from(data: dict) -> rules.Policy:
    """A policy from a body or a stored map; ValidationError naming every wrong field."""
    fields = parse(ReassignmentPolicyBody, data).fields()
    if "pool" in fields:
        fields["pool"] = tuple(fields["pool"])
    try:
        return rules.Policy(**fields)
    except (rules.PlanError, TypeError) as exc:
        raise ValidationError(str(exc), "strategy") from None


def policy_dict(p: rules.Policy) -> dict:
    out = {k: getattr(p, k) for k in POLICY_FIELDS}
    out["pool"] = list(p.pool)
    return {k: v for k, v in out.items() if v is not None}


def get_policy(scope: Scope, account_id: str) -> dict:
    scope.check(account_id)
    return policy_dict(policy_from(bootstrap.reassignment_store().get_policy(account_id) or {}))


def set_policy(scope: Scope, account_id: str, data: dict) -> dict:
    scope.check(account_id)
    policy = policy_dict(policy_from(data or {}))
    bootstrap.reassignment_store().put_policy(account_id, policy, updated_at=int(package._now()),
                                              updated_by=scope.key_id)
    return policy


def load_policy(account_id: str) -> rules.Policy:
    return policy_from(get_policy(Scope.system(account_id), account_id))


def plan_policy(plan: dict) -> dict:
    """The frozen copy of the policy a plan was made with."""
    return dict(plan.get("policy") or {})
