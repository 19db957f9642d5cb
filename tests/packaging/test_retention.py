"""Which tables expire their items (DynamoDB TTL), decided table by table: a table that only grows and whose items
have a natural end expires them; a table whose items the reports, the audit, the lottery or a customer's record
still need keeps them (until an erasure or the account's removal). A new table fails here until it is decided."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.packaging

EXPIRES = {
    # idempotency, replay and lease records: useless once their window has passed
    "admin_idempotency", "callback_claims", "idempotency", "inbox", "tokens",
    # counters of a period or a window: per-day caps of contact ways (channels), quotas, per-day participation
    "channels", "quota_ledger", "participants", "interactions",
    # the on-job transfer ledger: the 2-per-90-days rule looks back 90 days (kept 100)
    "transfer_ledger",
    # a push run's plan, batches, recipient lists and message index: the run's figures stay in `pushes`
    "push_batches",
    # a departure's per-customer items, transfer calls and notices: its counts stay in `transfer_plans`
    "transfers", "transfer_batches", "transfer_notices",
    # audit entries and erasure tombstones carry their own (optional) expiry; an erasure request is the record that
    # it was met, kept as long as the audit log
    "audit_log", "erasures", "erasure_requests",
    # console sign-in sessions and WeCom login states end with their expiry (staff roles carry none and stay)
    "console_access",
    # menu click counters keep (the menu's figures); only their exactly-once markers carry an expiry (15 days)
    "menu_stats",
    # customer groups: the applied-event markers expire (30 days); groups, members and sizes carry no expiry
    "customer_groups",
    # loss alerts' send records (a month: the event's redeliveries are long over); staff figures and the per-day
    # alert counts carry no expiry and stay (the business's figures)
    "staff_activity",
    # member lists stay (the business's members); only a user's verification tries of an hour (two hours) and
    # the counted-join markers (8 days) carry an expiry; the verified / refused / joined figures stay
    "members",
    # votes: ballots, voters and the option counters stay (the vote's results); a user's per-day limit items
    # expire after three days
    "votes",
    # segment facts: a person's facts, their index entries, rule segments and RFM bands stay (until an erasure);
    # only the applied-event markers carry an expiry (15 days, past any redelivery)
    "segment_facts",
}
KEEPS = {
    # every draw is a line of the campaign's report (wins per prize, thanks, fallbacks), a win carries its
    # redemption and the lottery's published commitment; an instant draw's id answers a retried request
    "draws",
    # stock, codes handed out, share links and their views: the campaign's figures and redemptions
    "campaigns", "prizes", "coupon_codes", "shares",
    # the business's own records: accounts, keys, channels' figures, customers, rules, pushes and plans
    "accounts", "admin_keys", "channel_stats", "channel_tagging", "contacts", "pushes", "reassignment_policies",
    "reply_rules", "segments", "transfer_plans",
    # an account's menu drafts, published versions (a rollback republishes one) and conditional menus
    "menus",
    # an OA's own statistics per day as WeChat reports them (the business's figures; WeChat keeps no history
    # we could pull again past its own window)
    "oa_insight",
    # a WeCom corp's tag catalogue, a copy of WeCom's (replaced by every sync)
    "corp_tags",
    # customer moments: content, staff and figures (the customers' monthly counts expire in quota_ledger)
    "moments",
    # journeys: definitions, each person's place and outcomes (a person enters a journey once: the entrant record
    # is what keeps them from entering again) and the per-step figures
    "journeys", "journey_entrants", "journey_figures",
}


def test_each_table_expires_its_items_or_keeps_them_by_decision():
    from scrm.data.registry import all_models, cloudformation_table

    ttl = {m.logical_name: cloudformation_table(m)["Properties"].get("TimeToLiveSpecification")
           for m in all_models()}
    assert EXPIRES.isdisjoint(KEEPS)
    assert set(ttl) == EXPIRES | KEEPS, "a table was added or removed: decide whether its items expire"
    assert {t for t, spec in ttl.items() if spec} == EXPIRES
    for table in EXPIRES:
        assert ttl[table]["Enabled"] is True, table


def test_the_template_enables_ttl_on_the_attribute_the_model_writes():
    from scrm.data.push_batches import PushBatchRecord
    from scrm.data.registry import cloudformation_table, ttl_attribute
    from scrm.data.transfers import TransferItem

    for model, attribute in ((PushBatchRecord, "ttl"), (TransferItem, "expires")):
        assert ttl_attribute(model) == attribute
        assert cloudformation_table(model)["Properties"]["TimeToLiveSpecification"] == {
            "AttributeName": attribute, "Enabled": True}
