"""What the tag use cases share: the store, the account and its gateway (the seams unit tests replace), WeCom's
answer shapes turned into the store's, and the catalogue read (synced from WeCom on first use)."""

from __future__ import annotations

from collections.abc import Callable

from ... import accounts, bootstrap
from ...errors import ValidationError
from ...tenancy import Scope


def store():
    return bootstrap.tag_store()


def account_of(account_id: str):
    return accounts.get(account_id)


def gateway_of(account):
    from ...gateway import gateway_for  # lazy: the gateway loads wechatpy

    return gateway_for(account)


def now() -> float:
    return bootstrap.container().now()


def wecom_account(account_id: str):
    account = account_of(account_id)
    if account.kind != "wecom":
        raise ValidationError("corp tags belong to a WeCom corp; this account is an Official Account",
                              field="account_id")
    return account


def from_wecom(group: dict) -> dict:
    """A tag_group of get_corp_tag_list / add_corp_tag as the store keeps it (deleted tags left out)."""
    return {"group_id": group["group_id"], "name": group.get("group_name") or "", "order": group.get("order") or 0,
            "create_time": group.get("create_time"),
            "tags": [{"tag_id": t["id"], "name": t.get("name") or "", "order": t.get("order") or 0,
                      "create_time": t.get("create_time")}
                     for t in group.get("tag") or [] if not t.get("deleted")]}


def live(groups: list[dict]) -> list[dict]:
    return [from_wecom(g) for g in groups if not g.get("deleted")]


def sync(scope: Scope, account_id: str, gateway) -> dict:
    """Read the whole catalogue from WeCom (one get_corp_tag_list) and make the store hold exactly it."""
    counts = store().replace_catalogue(scope, account_id, live(gateway.corp_tags()), now())
    return counts


def catalogue(scope: Scope, account_id: str, gateway: Callable[[], object] | None = None) -> list[dict]:
    """The stored catalogue; read from WeCom first when it was never synced and `gateway` is given."""
    if gateway is not None and store().synced_at(scope, account_id) is None:
        sync(scope, account_id, gateway())
    return store().catalogue(scope, account_id)


def index(groups: list[dict]) -> dict[str, dict]:
    """tag id -> {tag_id, name, group_id, group_name}."""
    return {t["tag_id"]: {"tag_id": t["tag_id"], "name": t["name"], "group_id": g["group_id"],
                          "group_name": g["name"]} for g in groups for t in g["tags"]}
