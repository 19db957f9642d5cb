"""`joined` for members-only group codes: a hook of scrm.services.groups.membership (after_change).

Every join that arrives in change_external_chat through a members-only code (the join way's `state`, resolved to
the channel by membership) counts `joined`, once per (event, member) marker. What can be matched to the person who
verified, and what cannot:
- the join way's `state` is the code's, shared by everyone who scans it (WeCom has no per-scan state for 加入群聊),
  so the state tells the code, never the person;
- the member's external_userid is matched to the verified openid through the contact book: when the WeCom corp
  and the sign-in Official Account share a book and both are bound to one WeChat Open Platform account, WeCom's
  external contact and the OA follower carry the same unionid and are one contact (identities `wecom:<account>:<ext>`
  and `oa:<sign_in_account>:<openid>`). Such a join also counts `joined_verified`.
- a join whose person is not in the book, or whose contact has no identity of the sign-in OA (accounts not
  bound, a forwarded screenshot of the QR), counts `joined` only.
"""

from __future__ import annotations

import hashlib

from ... import bootstrap
from ...tenancy import Scope
from .common import store

MARKER_TTL = 8 * 86400  # beyond the event inbox's redelivery window


def _openids_of(account_id: str, sign_in_account: str, external_userid: str) -> list[str]:
    contacts = bootstrap.contact_store()
    try:
        book = contacts.open_book(Scope.system(account_id), account_id)
        contact_id = contacts.contact_id_for(book, f"wecom:{account_id}:{external_userid}")
        contact = contacts.load_contact(book, contact_id) if contact_id else None
    except Exception:  # no book for the account (or it changed): the join stays unmatched
        return []
    prefix = f"oa:{sign_in_account}:"
    return [i[len(prefix):] for i in (contact or {}).get("identities") or [] if i.startswith(prefix)]


def on_group_change(account_id: str, group: dict, change) -> None:
    from ..channels.resolve import definition

    db, scope = store(), Scope.system(account_id)
    now = bootstrap.container().now()
    for m in change.joins:
        channel_id = m.get("channel_id")
        defn = definition(account_id, channel_id) if channel_id else None
        if not defn or not defn.get("members_only"):
            continue
        key = f"{account_id}:{group['chat_id']}:{m['userid']}:{m.get('join_time')}"
        marker = hashlib.sha256(key.encode()).hexdigest()
        if not db.count(scope, account_id, channel_id, "joined", marker=marker, expires_at=int(now) + MARKER_TTL):
            continue  # this join was counted already (a redelivered event)
        openids = _openids_of(account_id, defn.get("sign_in_account") or "", m["userid"])
        if any(db.verification(scope, account_id, channel_id, o) for o in openids):
            db.count(scope, account_id, channel_id, "joined_verified", marker=marker + ":v",
                     expires_at=int(now) + MARKER_TTL)


def _register() -> None:
    from ..groups.membership import after_change

    if on_group_change not in after_change:
        after_change.append(on_group_change)


_register()
