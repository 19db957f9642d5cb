"""What the menu use cases share: the store, the account (an Official Account) and its gateway."""

from __future__ import annotations

from ... import bootstrap
from .. import seams


def store():
    return bootstrap.menu_store()


def oa_account(account_id: str):
    return seams.account_of_kind(account_id, "oa", "custom menus")


def gateway_of(account):
    return seams.gateway_of(account)
