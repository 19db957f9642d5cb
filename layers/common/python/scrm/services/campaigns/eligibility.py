"""Who may draw: the campaign window and the eligibility rules, with what the contact book knows of the user."""

from __future__ import annotations

from ... import accounts
from ...domain import campaigns as rules
from ...errors import NotFound as NoContact
from ...errors import WeChatError
from ...tenancy import Scope
from .common import DrawRefused, load_for_user, to_domain
from .user_tokens import check_account


def contact_facts(account_id: str, openid: str, need_tags: bool = False) -> rules.ContactFacts:
    """What we know about an OA user, for eligibility.

    The contact book (scrm.services.attribution, fed by callbacks) says whether the user follows the OA
    now, whether the same person (by unionid) is a WeCom customer now, and every channel that brought
    them. Tags (OA tag ids, as strings) and, for people not in the contact book yet, the follow state
    come from the OA `user/info` API.
    """
    from ...gateway import gateway_for

    follows = is_customer = known = False
    channels: set[str] = set()
    try:
        from ..attribution import find_contact

        contact = find_contact(Scope.system(account_id), account_id, openid=openid)
    except (ImportError, NoContact):
        contact = None
    if contact is not None:
        known = True
        for rel, state in (contact.get("relations") or {}).items():
            parts = rel.split("|")
            if not state.get("active"):
                continue
            if parts[0] == account_id and parts[1] == openid:
                follows = True
            elif len(parts) == 3:  # account|external_userid|staff: a WeCom customer relation
                is_customer = True
        channels = {t["channel"] for t in contact.get("touches") or () if t.get("channel")}
    tags: frozenset[str] = frozenset()
    if need_tags or contact is None:
        try:
            info = gateway_for(accounts.get(account_id)).get("user/info", openid=openid, lang="zh_CN")
        except WeChatError:
            info = None
        if info is not None:
            known = True
            tags = frozenset(str(t) for t in info.get("tagid_list") or ())
            if contact is None:
                follows = bool(info.get("subscribe"))
    return rules.ContactFacts(known=known, follows=follows, is_customer=is_customer,
                              channels=frozenset(channels), tags=tags)


def active_campaign(account_id: str, campaign_id: str, openid: str, now: float) -> rules.Campaign:
    """The campaign if it is open now and the user may take part, else DrawRefused naming why."""
    check_account(account_id)  # a disabled account's customers draw nothing (cached: no extra read)
    campaign = to_domain(load_for_user(account_id, campaign_id))
    refusal = rules.window_refusal(campaign, now)
    if refusal:
        raise DrawRefused(refusal, "the campaign is not running" if refusal == rules.NOT_ACTIVE
                          else "the campaign is not open at this time")
    if campaign.has_eligibility_rules:
        refusal = rules.eligibility_refusal(campaign, contact_facts(account_id, openid, bool(campaign.tags)))
        if refusal:
            raise DrawRefused(refusal, f"not eligible: {refusal}")
    return campaign
