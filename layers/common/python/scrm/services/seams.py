"""The seams the capabilities' use cases share with the rest of the system (unit tests replace them where they
are used): an account of the kind a capability serves, its WeChat gateway, and the active accounts of a kind."""

from __future__ import annotations

from .. import accounts, bootstrap
from ..errors import ValidationError

KIND_NAMES = {"oa": "Official Accounts", "wecom": "WeCom corps"}


def account_of_kind(account_id: str, kind: str, what: str):
    """The account, refused (by field) when `what` (e.g. "custom menus") does not exist for its kind."""
    account = accounts.get(account_id)
    if account.kind != kind:
        raise ValidationError(f"{what} belong to {KIND_NAMES[kind]} only", field="account_id")
    return account


def gateway_of(account):
    from ..gateway import gateway_for  # lazy: the gateway loads wechatpy

    return gateway_for(account)


def active_accounts(kind: str) -> list[str]:
    """The ids of the active accounts of `kind`, sorted (what the daily schedules walk)."""
    return sorted(a.account_id for a in bootstrap.account_list().every_account()
                  if a.kind == kind and a.status == "active")
