"""Request models (scrm.contracts): a bad body reports every error with its path, per capability; bounds hold
at their edges (hypothesis); the models import without AWS libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.contracts import accounts, campaigns, channels, contact_books, keys, parse, privacy, pushes, replies
from scrm.contracts import fields as fields_mod
from scrm.errors import ValidationError


def refused(model, body, **kw) -> list[str]:
    """The field paths of every error of `body`, in order; the first is the error's `.field`."""
    with pytest.raises(ValidationError) as info:
        parse(model, body, **kw)
    fields = [e["field"] for e in info.value.details["errors"]]
    assert info.value.field == fields[0] and str(info.value).startswith(fields[0])
    return fields


CAMPAIGN = {"campaign_id": "spring", "name": "Spring", "starts_at": "2027-01-01T00:00:00+08:00",
            "ends_at": "2027-01-31T00:00:00+08:00"}


def test_a_campaign_reports_every_field_error_with_its_path():
    body = {**CAMPAIGN, "campaign_id": "Bad Id", "name": "", "tz_minutes": 900, "limits": {"draws_per_day": 0},
            "prizes": [{"prize_id": "a", "name": "x", "kind": "bitcoin", "weight": 1},
                       {"prize_id": "b", "name": "y", "kind": "physical", "weight": -1, "stock": True}]}
    assert set(refused(campaigns.CampaignBody, body)) == {
        "campaign_id", "name", "tz_minutes", "limits.draws_per_day", "prizes[0].kind", "prizes[1].weight",
        "prizes[1].stock"}


def test_a_campaign_reports_every_cross_field_rule_with_its_path():
    body = {**CAMPAIGN, "ends_at": "2026-12-01T00:00:00+08:00",
            "prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 5},
                       {"prize_id": "pts", "name": "P", "kind": "points", "weight": 1, "probability": 0.1},
                       {"prize_id": "ty", "name": "T", "kind": "thanks", "weight": 1}],
            "share": {"thresholds": [{"views": 0, "reward": {"extra_draws": 1}},
                                     {"views": 3, "reward": {"prize_id": "nope"}}]},
            "lottery": {"prize_id": "mug", "winners": 6}}
    fields = refused(campaigns.CampaignBody, body)
    assert fields == ["prizes[1].weight", "prizes[1].stock", "prizes[1].points", "share.thresholds[0]"]
    body["prizes"][1] = {"prize_id": "pts", "name": "P", "kind": "points", "weight": 1, "stock": 9, "points": 5}
    body["share"]["thresholds"][0]["views"] = 1
    assert refused(campaigns.CampaignBody, body) == [
        "ends_at", "share.thresholds[1].reward.prize_id", "lottery.winners"]


@pytest.mark.parametrize("when", [10**20, -1, float("inf"), float("nan"), 253402300800, "9999-12-31T23:00:00-08:00"])
def test_a_time_no_answer_can_write_is_refused_by_field(when):
    """Found by the schemathesis run: a huge epoch reached datetime.fromtimestamp when the campaign was answered
    (OverflowError, a 500). A time is 1970 to 9999, whole seconds, or it is refused where it was given."""
    assert refused(campaigns.CampaignBody, {**CAMPAIGN, "starts_at": when}) == ["starts_at"]


def test_the_edges_of_the_time_range_are_answered_as_times():
    from scrm.domain.instants import answer_time

    doc = parse(campaigns.CampaignBody, {**CAMPAIGN, "starts_at": 0, "ends_at": fields_mod.LAST_INSTANT})
    assert answer_time(doc.starts_at) == "1970-01-01T08:00:00+08:00"
    assert answer_time(doc.ends_at).startswith("9999-12-3")


def test_a_stored_campaign_document_reads_back_whatever_bookkeeping_it_carries():
    doc = parse(campaigns.CampaignBody, {**CAMPAIGN, "version": 3, "_coupon_stock": {"c": 5}})
    assert doc.campaign_id == "spring" and doc.ends_at - doc.starts_at == 30 * 86400


def test_push_content_and_audience_report_every_error_for_the_account_platform():
    content = {"type": "template", "template_id": "", "data": {"a": 3, "b": {"value": "ok"}, "c": {"x": 1}},
               "url": "ftp://x"}
    assert refused(pushes.PushContent, content, at="content", context={"platform": "oa"}) == [
        "content.template_id", "content.url"]
    del content["template_id"], content["url"]
    assert refused(pushes.PushContent, content, at="content", context={"platform": "oa"}) == [
        "content.data.a", "content.data.c", "content.template_id"]
    assert refused(pushes.PushContent, {"type": "text", "text": "hi"}, context={"platform": "wecom"}) == ["type"]
    assert refused(pushes.PushContent, {"type": "wecom", "attachments": [{"msgtype": "sticker"}, {"msgtype": "link"}]},
                   context={"platform": "wecom"}) == ["attachments[0]", "attachments[1]"]
    assert refused(pushes.PushContent, {"type": "wecom", "text": " "}, context={"platform": "wecom"}) == ["text"]
    assert refused(pushes.PushAudience, {"type": "tags", "tag_ids": ["x"]}, context={"platform": "oa"}) == ["tag_ids"]
    assert refused(pushes.PushAudience, {"type": "segment", "segment_id": "s"},
                   context={"platform": "oa", "nested": True}) == ["segment_id"]


def test_a_push_body_reports_errors_in_every_part():
    body = {"name": "x" * 129, "content": {"type": "video"}, "audience": {"type": "nobody"},
            "recurrence": {"freq": "hourly", "interval": 0}}
    assert refused(pushes.PushBody, body, context={"platform": "oa"}) == [
        "name", "content.type", "audience.type", "send_at", "recurrence.freq", "recurrence.interval"]


def test_a_million_bad_recipients_are_one_error_not_a_million():
    body = {"type": "list", "recipients": [""] * 1000}
    assert refused(pushes.PushAudience, body) == ["recipients"]


def test_a_channel_reports_every_error_with_its_path():
    body = {"kind": "wecom_contact_way", "name": " ", "scene_id": 3, "tags": [1], "daily_cap": 0,
            "staff": ["alice", "alice", {"userid": "bob", "hours": [{"start": "18:00", "end": "09:00"}]}],
            "backup_staff": ["bad user"], "bogus": 1}
    assert refused(channels.ChannelBody, body) == [
        "name", "staff[2].hours[0].end", "backup_staff[0].userid", "daily_cap", "bogus"]  # nested rules too
    body.update(name="Store", backup_staff=["alice"], daily_cap=5, staff=["alice", "alice", "bob"])
    del body["bogus"]
    assert refused(channels.ChannelBody, body) == ["scene_id", "staff[1]", "backup_staff", "tags"]


def test_a_channel_patch_has_every_field_optional_with_the_full_models_rules():
    assert set(channels.ChannelPatch.model_fields) == set(channels.ChannelBody.model_fields)
    assert parse(channels.ChannelPatch, {}).name is None and parse(channels.ChannelPatch, {"name": "门店海报"}).name
    assert parse(channels.ChannelPatch, {"welcome": None}).welcome is None  # null: as the use case reads it
    assert refused(channels.ChannelPatch, {"name": " ", "group": "x" * 40, "daily_cap": 0, "tags": "101",
                                           "staff": [{"userid": "a b"}], "bogus": 1}) == [
        "name", "group", "tags", "staff[0].userid", "daily_cap", "bogus"]


def test_every_patch_route_names_a_partial_model():
    import app  # noqa: F401  (registers every route in the route table)
    from functions.routes import ROUTES, model

    patches = {r.path: model(r.body) for r in ROUTES if r.method == "PATCH"}
    assert {"/accounts/{account_id}", "/accounts/{account_id}/channels/{channel_id}"} <= set(patches)
    for path, body in patches.items():
        schema = body.model_json_schema()
        assert not schema.get("required") and schema.get("additionalProperties") is False, path


def test_an_oa_channel_refuses_contact_way_fields_by_name():
    body = {"kind": "oa_qr", "name": "p", "staff": ["a"], "state": "s", "scene_id": 0, "expire_seconds": 100,
            "scene_str": "qrscene_x"}
    assert refused(channels.ChannelBody, body) == [
        "staff", "state", "scene_id", "expire_seconds", "scene_id", "scene_str"]


def test_a_reply_rule_reports_every_keyword_and_reply_error():
    body = {"match": "regex", "keywords": ["ok", "", r"(a)\1", "(?=x)"], "priority": 5000,
            "reply": {"type": "news", "articles": [{"title": " ", "url": "javascript:x"}, {"title": "t"}]}}
    assert refused(replies.ReplyRuleBody, body) == [
        "reply.articles[0].title", "reply.articles[0].url", "priority"]
    body["reply"], body["priority"] = {"type": "text", "content": "hi"}, 1
    with pytest.raises(ValidationError) as info:
        parse(replies.ReplyRuleBody, body)
    errors = info.value.details["errors"]
    assert [e["field"] for e in errors] == ["keywords[1]", "keywords[2]", "keywords[3]"]
    assert "backreferences" in errors[1]["message"] and "lookahead" in errors[2]["message"]


def test_a_wecom_welcome_is_text_and_attachments_only():
    assert refused(replies.ReplyContent, {"type": "news", "articles": [{"title": "t"}]},
                   context={"platform": "wecom"}) == ["type"]
    assert refused(replies.ReplyContent, {"type": "text", "content": "hi", "attachments": [{"msgtype": "x"}]},
                   context={"platform": "wecom"}) == ["attachments[0]"]


def test_an_account_registration_reports_every_error():
    body = {"account_id": "A", "kind": "oa", "app_id": "", "name": "n", "app_secret": "s", "token": "x",
            "aes_key": "short", "account_type": "enterprise", "color": 1,
            "options": {"push_batch_size": 1, "push_rate_per_second": 0, "contact_book": "b", "typo": 1}}
    assert set(refused(accounts.AccountRegistration, body)) == {
        "account_id", "app_id", "token", "aes_key", "account_type", "options.push_batch_size",
        "options.push_rate_per_second", "color"}
    assert refused(accounts.AccountRegistration, {**body, "account_id": "acme", "app_id": "wx", "token": "tok",
                                                  "aes_key": "a" * 43, "account_type": "service", "options": {},
                                                  "color": None, "kind": "wecom"} | {"color": 1}) == ["color"]
    wecom = {"account_id": "acme", "kind": "wecom", "app_id": "ww", "name": "n", "app_secret": "s",
             "original_id": "gh_x", "account_type": "service"}
    assert refused(accounts.AccountRegistration, wecom) == ["original_id", "account_type"]
    assert refused(accounts.AccountRegistration, {**wecom, "kind": "oa", "original_id": None}) == ["original_id"]


def test_unknown_options_and_contact_books_are_named_with_a_reason():
    with pytest.raises(ValidationError) as info:
        parse(accounts.AccountOptions, {"contact_book": "b", "typo": 1}, at="options")
    errors = {e["field"]: e["message"] for e in info.value.details["errors"]}
    assert "PUT /contact-books" in errors["options.contact_book"] and "known:" in errors["options.typo"]
    assert refused(accounts.AccountUpdate, {}) == ["body"]
    assert refused(accounts.AccountUpdate, {"name": None}) == ["body"]


def test_a_template_cap_counts_the_accounts_messages_and_nothing_else():
    cap = {"scope": "account", "limit": 300_000, "period": "day", "unit": "message"}
    assert parse(accounts.AccountOptions, {"push_quotas": {"oa:*:template": [cap]}}).push_quotas
    assert refused(accounts.AccountOptions, {"push_quotas": {"oa:*:template": [{**cap, "scope": "recipient"}]}},
                   at="options") == ["options.push_quotas.oa:*:template[0]"]
    assert refused(accounts.AccountOptions, {"push_quotas": {"oa:*:mass": [{**cap, "unit": "send"}]}},
                   at="options") == ["options.push_quotas.oa:*:mass[0]"]  # 300,000 sends: over the bound


@settings(deadline=None, max_examples=40)
@given(st.sampled_from(sorted(n for n, s in accounts.OPTIONS.items() if isinstance(s, accounts.Number))),
       st.data())
def test_every_number_option_is_bounded_at_both_edges(name, data):
    spec = accounts.OPTIONS[name]
    edge = data.draw(st.sampled_from([spec.minimum, spec.maximum]))
    value = int(edge) if spec.integer else edge
    assert getattr(parse(accounts.AccountOptions, {name: value}), name) == value
    outside = value - 1 if edge == spec.minimum else value + 1
    assert refused(accounts.AccountOptions, {name: outside, "fetch_unionid": "yes"}, at="options") == [
        "options.fetch_unionid", f"options.{name}"]


@settings(deadline=None, max_examples=60)
@given(st.integers(-2000, 2000), st.integers(-10, 200), st.integers(-10, 200))
def test_bounds_of_a_reply_rule_and_a_channel_hold_at_every_value(priority, cap, expire):
    body = {"match": "exact", "keywords": ["k"], "reply": {"type": "text", "content": "x"}, "priority": priority}
    ok = -1000 <= priority <= 1000
    if ok:
        assert parse(replies.ReplyRuleBody, body).priority == priority
    else:
        assert refused(replies.ReplyRuleBody, body) == ["priority"]
    channel = {"kind": "wecom_contact_way", "name": "s", "staff": [{"userid": "a", "daily_cap": cap}],
               "hours": [{"days": [expire % 9], "start": "09:00", "end": "18:00"}]}
    expected = (["staff[0].daily_cap"] if cap < 1 else []) + (["hours[0].days[0]"] if not 1 <= expire % 9 <= 7
                                                               else [])
    if expected:
        assert refused(channels.ChannelBody, channel) == expected
    else:
        assert parse(channels.ChannelBody, channel).staff[0].daily_cap == cap


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 30), st.floats(-1, 4000, allow_nan=False))
def test_keys_and_contact_books_are_bounded(members, days):
    book = {"members": [f"acct-{i}" for i in range(members)]}
    if 1 <= members <= contact_books.MAX_MEMBERS:
        assert len(parse(contact_books.ContactBookMembers, book).members) == members
    else:
        assert refused(contact_books.ContactBookMembers, book) == ["members"]
    body = {"role": "root", "expires_in_days": days}
    fields = ["role"] + ([] if 0 < days <= keys.MAX_EXPIRY_DAYS else ["expires_in_days"])
    assert refused(keys.KeyRequest, body) == fields


def test_the_contact_book_bound_is_the_store_s():
    from scrm.data.contacts import MAX_MEMBERS

    assert contact_books.MAX_MEMBERS == MAX_MEMBERS


def test_a_person_is_named_by_exactly_one_identifier():
    assert parse(privacy.PersonIdentifier, {"openid": "o1"}).openid == "o1"
    assert refused(privacy.PersonIdentifier, {}) == ["openid"]
    assert refused(privacy.PersonIdentifier, {"openid": "o", "unionid": "u"}) == ["openid"]
    assert refused(privacy.PersonIdentifier, {"openid": "", "email": "x"}) == ["openid", "email"]


def test_a_nested_document_is_named_where_it_sits():
    assert refused(campaigns.PrizeInput, {"prize_id": "a", "name": "x", "kind": "physical", "weight": 1},
                   at="prizes[3]") == ["prizes[3].stock"]
    with pytest.raises(ValidationError) as info:
        parse(pushes.PushContent, None, at="content")
    assert info.value.field == "content"


def test_every_field_of_every_request_model_is_described():
    models = [campaigns.CampaignBody, campaigns.PrizeInput, pushes.PushBody, pushes.PushContent, pushes.PushAudience,
              channels.ChannelBody, channels.ChannelPatch, replies.ReplyRuleBody, accounts.AccountRegistration,
              accounts.AccountOptions, keys.KeyRequest, contact_books.ContactBookMembers, privacy.PersonIdentifier]
    for model in models:
        schema = model.model_json_schema()
        assert schema.get("description"), model.__name__
        assert schema.get("additionalProperties", None) in (False, None), model.__name__


def test_the_models_import_without_aws_libraries():
    code = ("import sys, scrm.contracts.campaigns, scrm.contracts.pushes, scrm.contracts.channels, "
            "scrm.contracts.replies, scrm.contracts.accounts, scrm.contracts.keys, scrm.contracts.privacy, "
            "scrm.contracts.contact_books; "
            "print(sorted(m for m in ('boto3', 'botocore', 'pynamodb', 'wechatpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_number_field_is_named_alone_and_keeps_an_integer_as_given():
    prize = {"prize_id": "a", "name": "x", "kind": "thanks"}
    assert refused(campaigns.PrizeInput, {**prize, "probability": True}, at="prizes[0]") == ["prizes[0].probability"]
    assert repr(parse(campaigns.PrizeInput, {**prize, "weight": 3}).weight) == "3"
    assert refused(pushes.PushAudience, {"type": "tags", "tag_ids": [1.5]}, context={"platform": "wecom"}) == [
        "tag_ids"]


@settings(deadline=None, max_examples=80)
@given(st.text(min_size=1, max_size=70).filter(lambda n: n not in accounts.OPTIONS))
def test_an_unknown_option_is_named_below_options_whatever_its_name(name):
    assert refused(accounts.AccountOptions, {name: 1}, at="options") == [f"options.{name[:64]}"]
