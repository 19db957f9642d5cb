"""The WeCom reads a plan needs: the account's gateway, departed staff's customers, chats, members."""

from __future__ import annotations

from collections import defaultdict

from ... import accounts
from ...errors import ValidationError, WeChatError

GONE = (60111, 60011, 40031)  # no such member (left, never existed, bad userid)


def gateway(account_id: str, gw=None):
    """The given gateway, or the account's WeCom gateway (reassignment needs a WeCom corp)."""
    if gw is not None:
        return gw
    from ...gateway import gateway_for  # loads PynamoDB (the shared token cache): only when WeCom is called

    account = accounts.get(account_id)
    if account.kind != "wecom":
        raise ValidationError(f"account {account_id} is not a WeCom corp: reassignment needs WeCom", "account_id")
    return gateway_for(account)


def unassigned(gw, handover: str | None = None) -> dict[str, list[str]]:
    """get_unassigned_list, every page: handover -> customers."""
    out: dict[str, list[str]] = defaultdict(list)
    cursor = ""
    while True:
        page = gw.unassigned_customers(cursor=cursor, page_size=1000)
        for row in page.get("info") or []:
            if handover is None or row.get("handover_userid") == handover:
                out[row["handover_userid"]].append(row["external_userid"])
        cursor = page.get("next_cursor") or ""
        if page.get("is_last") or not cursor:
            return out


def chats_of(gw, owner: str) -> list[str]:
    chats, cursor = [], ""
    while True:
        page = gw.group_chats_of(owner, cursor=cursor)
        chats += [c["chat_id"] for c in page.get("group_chat_list") or []]
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return chats


def user(gw, userid: str) -> dict | None:
    """The member, or None if WeCom does not know them (any more)."""
    try:
        return gw.user(userid)
    except WeChatError as exc:
        if exc.errcode in GONE:
            return None
        raise
