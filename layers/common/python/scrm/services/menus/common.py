"""What the menu use cases share: the store, the account (an Official Account) and its gateway."""

from __future__ import annotations

from ... import accounts, bootstrap
from ...errors import ValidationError


def store():
    return bootstrap.menu_store()


def oa_account(account_id: str):
    account = accounts.get(account_id)
    if account.kind != "oa":
        raise ValidationError("custom menus belong to Official Accounts only", field="account_id")
    return account


def gateway_of(account):
    from ...gateway import gateway_for  # lazy: the gateway loads wechatpy

    return gateway_for(account)
