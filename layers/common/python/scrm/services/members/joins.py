"""`joined` for members-only group codes, counted inside the membership transaction (scrm.services.groups.
membership asks `figure_writes` for each slice it commits).

Every join that arrives in change_external_chat through a members-only code (the join way's `state`, resolved to
the channel by membership) counts `joined`. The count is one of the writes of the transaction that records the
join (the event's marker, the group, its members): both commit or neither, so a crash after the commit leaves the
join counted, and the redelivery, finding the event applied (or the member already in the group), counts nothing.
What can be matched to the person who verified, and what cannot:
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

from collections import Counter

from ... import bootstrap
from ...tenancy import Scope
from .common import store


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


def figure_writes(account_id: str, joins: list[dict]) -> list:
    """The member store's writes counting these joins (members of one slice of a membership change) on the
    members-only codes they came by: `joined`, and `joined_verified` for the people who verified on the code."""
    from ..channels.resolve import definition

    deltas: dict[str, Counter] = {}
    db, scope = store(), Scope.system(account_id)
    for m in joins:
        channel_id = m.get("channel_id")
        defn = definition(account_id, channel_id) if channel_id else None
        if not defn or not defn.get("members_only"):
            continue
        figures = deltas.setdefault(channel_id, Counter())
        figures["joined"] += 1
        openids = _openids_of(account_id, defn.get("sign_in_account") or "", m["userid"])
        if any(db.verification(scope, account_id, channel_id, o) for o in openids):
            figures["joined_verified"] += 1
    return [w for channel_id, figures in sorted(deltas.items())
            for w in db.figure_writes(account_id, channel_id, dict(figures))]
