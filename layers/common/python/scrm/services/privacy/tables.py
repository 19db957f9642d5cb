"""Where personal data lives: one finder per table of scrm.data.registry, or the reason a table holds none
(tests/unit/test_privacy_tables.py fails for a table in neither)."""

from __future__ import annotations

from collections.abc import Callable

from ...tenancy import Scope
from . import own, stored
from .person import Person, found

# Tables that hold nothing about a customer, and why (tests fail for a registry table in neither list).
NO_PERSONAL_DATA = {
    "accounts": "the company's accounts (app ids, names, options)",
    "admin_keys": "admin keys of the company's staff (hashed), no customer data",
    "console_access": "console sessions of the company's staff (hashed ids, TTL), login states and staff userids' "
                      "console roles, no customer data (a non-member who scans gets no session and leaves nothing)",
    "channel_stats": "per-channel, per-day counters only; totals already reported stay as they are",
    "channels": "channel definitions and staff rotation counters (staff userids, no customers)",
    "prizes": "prize stock shards (numbers only)",
    "reply_rules": "the company's reply rules and welcome texts",
    "reassignment_policies": "per-account reassignment strategy",
    "tokens": "WeChat access tokens per app",
    "idempotency": "hashed event keys and handler results (counts); expire after 7 days",
    "transfer_plans": "a departing staff member's plan: staff userids and counts, no customer ids",
    "erasure_requests": "erasure requests: the person's identifiers, pseudonym and new share ids only while the "
                        "erasure is under way (the worker resumes with them), dropped when it is done; then the "
                        "identifier's kind, who asked, when and the counts per table (nobody's identifier)",
    "erasures": "tombstones of erased people: SHA-256 of account and identifier only",
    "callback_claims": "Token hashes, and per signed query the event's dedupe key for the clock-skew window only "
                       "(TTL; a replay guard, never read back as data about a person)",
    "menus": "the company's menu drafts, published versions and conditional menus (tag ids, platforms)",
    "menu_stats": "per-entry, per-day click counters, and markers that are SHA-256 of account and event key or of "
                  "account, openid, entry and day only (TTL 15 days; never read back as data about a person)",
    "corp_tags": "a WeCom corp's tag catalogue: tag and group ids, names and order, no customers",
    "moments": "the company's customer moments: content, staff userids, tag ids and counts (the customers' monthly "
               "counts are quota_ledger rows; comments and likes are kept as counts, never who)",
    "oa_insight": "WeChat's own statistics of an OA per day (counts by source, per article msgid, per message "
                  "type) and each datacube API's last refusal: no openid or text",
    "staff_activity": "staff figures per member and day (WeCom's counts), loss-alert settings, alert send records "
                      "(a SHA-256 of the event's key, the staff recipient, WeCom's msgid: no customer id or text) "
                      "and per-day alert counts",
    "journeys": "the company's journey definitions: trigger, steps (texts, template and tag ids), no customers",
    "journey_figures": "per-journey, per-step counters only",
}


def journey_entrants(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """The person's place in each journey (by openid or external_userid): step, outcomes, the staff member they
    added. Erased: deleted (the per-step figures stay as counts)."""
    from ... import bootstrap

    return bootstrap.journey_store().person_entrants(scope, p, erase)


def segment_facts(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """The person's facts for segments (first touch, last interactions, counts, tags and channels), under the
    unionid and each identity. Erased: deleted with their index entries."""
    from ... import bootstrap
    from ..segments import facts

    book = (p.book or bootstrap.contact_store().open_book(scope, p.account_id)).partition
    records = facts.facts_of(scope, p.account_id, book,
                             facts.person_keys(p.account_id, p.openids, p.external_userids, p.unionids))
    return found(records.items(), lambda _: True, lambda kv: {"key": kv[0], **kv[1]},
                 lambda kv: facts.erase_facts(scope, p.account_id, book, *kv), erase)


def members(scope: Scope, p: Person, erase: bool) -> list[dict]:
    """The person's verifications on members-only group codes (by openid), with the member id they proved. Erased:
    deleted (the codes' counts stay). The member list itself is keyed by the company's member id and a phone
    hash, which no WeChat identifier leads to except through these verifications (a member row is the company's
    own register: it is exported with the verification that names it, and changed by re-importing)."""
    from ..members.common import store

    db = store()
    found_items = db.verifications_of(scope, p.account_id, set(p.openids)) if p.openids else []
    registered = db.get_members(scope, p.account_id, sorted({v["member_id"] for v in found_items})) \
        if found_items else {}

    def show(v: dict) -> dict:
        m = registered.get(v["member_id"]) or {}
        return {**v, "member": {k: m.get(k) for k in ("member_id", "name", "level")} if m else None}

    return found(found_items, lambda _: True, show, lambda v: db.erase_verification(scope, p.account_id, v), erase)


# Order matters for erasure: coupon holders are found through the draws, batches and notices through the
# transfer items, so those run before the items they are found through are pseudonymised (they also accept
# the pseudonym).
TABLES: dict[str, Callable[[Scope, Person, bool], list[dict]]] = {
    "contacts": own.contacts,
    "interactions": stored.interactions,
    "journey_entrants": journey_entrants,
    "segment_facts": segment_facts,
    "channel_tagging": own.channel_tagging,
    "customer_groups": own.customer_groups,
    "members": members,
    "inbox": stored.inbox,
    "campaigns": stored.campaigns,
    "coupon_codes": stored.coupon_codes,
    "draws": stored.draws,
    "participants": stored.participants,
    "shares": stored.shares,
    "votes": stored.votes,
    "pushes": stored.pushes,
    "segments": stored.segments,
    "push_batches": stored.push_batches,
    "quota_ledger": stored.quota_ledger,
    "transfer_batches": stored.transfer_batches,
    "transfer_notices": stored.transfer_notices,
    "transfers": stored.transfers,
    "transfer_ledger": stored.transfer_ledger,
    "audit_log": stored.audit_log,
    "admin_idempotency": stored.admin_idempotency,
}
