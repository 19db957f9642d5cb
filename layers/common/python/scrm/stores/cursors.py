"""Cursors of the stores' pages, in DynamoDB's LastEvaluatedKey shape, so that the twin and DynamoDB hand out the
same ones (the admin API makes them opaque: functions/paging.py)."""

from __future__ import annotations

from ..tenancy import Scope


def cursor(account_id: str, **keys: str) -> dict:
    """The cursor after the item with these keys in the account's partition."""
    return {"account_id": {"S": account_id}, **{name: {"S": value} for name, value in keys.items()}}


def after(start: dict | None, key: str, default: str = "") -> str:
    """The key value a cursor points after (`default` on the first page)."""
    return (start or {}).get(key, {}).get("S", default)


def check_page(scope: Scope, account_id: str, start: dict | None) -> None:
    """A page is read for an account the scope may act for, from a cursor of that account (else ValueError)."""
    scope.check(account_id)
    if start is not None and (start or {}).get("account_id", {}).get("S") != account_id:
        raise ValueError("cursor of another account")
