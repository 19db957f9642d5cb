"""Pure push rules: content/audience/schedule validation, recurrence, batching, client message ids."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.domain import pushes as rules
from scrm.errors import ValidationError

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


@pytest.mark.parametrize("content, field", [
    (None, "content"),
    ({"type": "video"}, "content.type"),
    ({"type": "text", "text": ""}, "content.text"),
    ({"type": "text", "text": "x" * 2001}, "content.text"),
    ({"type": "image"}, "content.media_id"),
    ({"type": "template", "template_id": "t", "data": {}}, "content.data"),
    ({"type": "template", "template_id": "t", "data": {"a": 3}}, "content.data.a"),
    ({"type": "template", "template_id": "t", "data": {"a": "x"}, "url": "ftp://x"}, "content.url"),
    ({"type": "wecom", "text": "hi"}, "content.type"),
    ({"type": "text", "text": "hi", "delivery": "carrier-pigeon"}, "content.delivery"),
])
def test_invalid_oa_content_names_the_field(content, field):
    with pytest.raises(ValidationError) as e:
        rules.validate_content(content, "oa")
    assert e.value.field == field


def test_content_kinds_and_deliveries():
    assert rules.validate_content({"type": "news", "media_id": "m"}, "oa") == ({"type": "news", "media_id": "m"},
                                                                              "mass")
    _, d = rules.validate_content({"type": "text", "text": "hi", "delivery": "custom"}, "oa")
    assert d == "custom"
    c, d = rules.validate_content({"type": "template", "template_id": "t", "data": {"first": "hello"}}, "oa")
    assert d == "template" and c["data"] == {"first": {"value": "hello"}}
    c, d = rules.validate_content({"type": "wecom", "text": "hi", "attachments": [
        {"msgtype": "image", "image": {"media_id": "m"}}]}, "wecom")
    assert d == "groupmsg" and rules.wecom_message(c) == {"text": {"content": "hi"},
                                                          "attachments": [{"msgtype": "image",
                                                                           "image": {"media_id": "m"}}]}
    with pytest.raises(ValidationError):
        rules.validate_content({"type": "wecom", "attachments": [{"msgtype": "sticker"}]}, "wecom")
    with pytest.raises(ValidationError):
        rules.validate_content({"type": "wecom", "text": " "}, "wecom")
    assert rules.mass_message({"type": "news", "media_id": "m"}) == {"msgtype": "mpnews", "mpnews": {"media_id": "m"}}


def test_audiences():
    assert rules.validate_audience({"type": "tags", "tag_ids": [101, 100, 101]}, "oa") == {
        "type": "tags", "tag_ids": [100, 101]}
    assert rules.validate_audience({"type": "list", "recipients": ["a", "b", "a"]}, "oa")["recipients"] == ["a", "b"]
    for bad in ({"type": "list", "recipients": []}, {"type": "tags", "tag_ids": ["x"]}, {"type": "nobody"},
                {"type": "staff", "userids": ["u"]}, {"type": "channel", "channel_ids": []}):
        with pytest.raises(ValidationError):
            rules.validate_audience(bad, "oa")
    with pytest.raises(ValidationError):
        rules.validate_audience({"type": "segment", "segment_id": "s1"}, "oa", nested=True)


def test_send_at_is_read_in_shanghai_by_default_and_never_in_the_past():
    at, tz = rules.parse_send_at("2024-05-02T09:00:00", None, NOW)
    assert tz == "Asia/Shanghai"
    assert at == datetime(2024, 5, 2, 1, 0, tzinfo=ZoneInfo("UTC")).timestamp()
    at, _ = rules.parse_send_at("2024-05-02T09:00:00", "Europe/Berlin", NOW)
    assert at == datetime(2024, 5, 2, 7, 0, tzinfo=ZoneInfo("UTC")).timestamp()
    with pytest.raises(ValidationError) as e:
        rules.parse_send_at("2024-04-30T09:00:00+08:00", None, NOW)
    assert e.value.field == "send_at"
    for bad in ("tomorrow", 5, None):
        with pytest.raises(ValidationError):
            rules.parse_send_at(bad, None, NOW)
    with pytest.raises(ValidationError) as e:
        rules.parse_send_at("2024-05-02T09:00:00", "Mars/Olympus", NOW)
    assert e.value.field == "timezone"


def test_recurrence_follows_wall_clock_and_ends():
    first, tz = rules.parse_send_at("2024-01-31T09:00:00", "Asia/Shanghai", NOW - 200 * 86400)
    monthly = rules.validate_recurrence({"freq": "monthly", "count": 3})
    shanghai = ZoneInfo("Asia/Shanghai")
    second = datetime.fromtimestamp(rules.occurrence(first, tz, monthly, 2), shanghai)
    assert (second.month, second.day, second.hour) == (2, 29, 9)  # clamped to the month's end
    assert rules.occurrence(first, tz, monthly, 4) is None
    # across a DST change the local hour stays
    f2, tz2 = rules.parse_send_at("2024-03-30T09:00:00", "Europe/Berlin", NOW - 200 * 86400)
    daily = rules.validate_recurrence({"freq": "daily", "until": "2024-04-02T00:00:00"})
    nxt = datetime.fromtimestamp(rules.occurrence(f2, tz2, daily, 2), ZoneInfo("Europe/Berlin"))
    assert nxt.hour == 9 and nxt.day == 31
    assert rules.occurrence(f2, tz2, daily, 4) is None
    assert rules.occurrence(f2, tz2, None, 2) is None
    with pytest.raises(ValidationError):
        rules.validate_recurrence({"freq": "hourly"})


ids = st.lists(st.text(alphabet="abcdefghijklmnop0123456789", min_size=1, max_size=8), max_size=400)


@settings(max_examples=150, deadline=None)
@given(ids, st.integers(min_value=2, max_value=50), st.sampled_from(["mass", "groupmsg", "template", "custom"]))
def test_batches_partition_the_audience_deterministically(recipients, size, delivery):
    pairs = [(None, r) for r in recipients]
    a = rules.plan_batches(pairs, delivery, size)
    b = rules.plan_batches(list(pairs), delivery, size)
    assert a == b
    flat = [r for batch in a for r in batch.recipients]
    assert flat == list(dict.fromkeys(recipients))  # everyone once, in order
    limit = rules.batch_size(delivery, size)
    assert all(1 <= len(x.recipients) <= limit for x in a)
    if delivery == "mass" and len(flat) >= 2:
        assert all(len(x.recipients) >= 2 for x in a)  # the mass API takes 2..10,000
    assert [x.no for x in a] == list(range(1, len(a) + 1))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["zhang", "li", "wang"]), st.text("abc123", min_size=1, max_size=5)),
                max_size=200))
def test_wecom_batches_are_per_staff_member_and_customers_go_once(pairs):
    batches = rules.plan_batches(pairs, "groupmsg", 7)
    seen = [r for b in batches for r in b.recipients]
    assert len(seen) == len(set(seen)) == len({r for _, r in pairs})
    first_sender = {}
    for s, r in pairs:
        first_sender.setdefault(r, s)
    for b in batches:
        assert all(first_sender[r] == b.sender for r in b.recipients)
        assert len(b.recipients) <= 7


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=63), st.text(alphabet="0123456789abcdef", min_size=8, max_size=32),
       st.integers(1, 10**6), st.integers(1, 10**6), st.one_of(st.none(), st.text(max_size=80)))
def test_client_msg_ids_are_deterministic_short_and_distinct(account, push, run, batch, recipient):
    a = rules.client_msg_id(account, push, run, batch, recipient)
    assert a == rules.client_msg_id(account, push, run, batch, recipient)
    assert len(a.encode()) <= 64 and a.isascii()
    assert a != rules.client_msg_id(account, push, run, batch + 1, recipient)
    assert a != rules.client_msg_id(account, push, run + 1, batch, recipient)


def test_summaries_and_outcomes():
    batches = [{"state": "sent", "recipients": 10, "eligible": 8, "over_quota": 2, "sent": 8},
               {"state": "failed", "recipients": 5, "eligible": 5, "reason": "x"}]
    s = rules.summarise(batches)
    assert (s["recipients"], s["sent"], s["over_quota"], s["batch_states"]) == (15, 8, 2, {"sent": 1, "failed": 1})
    assert rules.run_outcome(batches) == "completed"
    assert rules.run_outcome([{"state": "failed"}]) == "failed"
    assert rules.run_outcome(batches + [{"state": "unknown"}]) is None


def test_mass_image_uses_the_documented_images_media_ids_and_customer_service_keeps_image_media_id():
    from scrm.domain.pushes import custom_message, mass_message, validate_content

    content, delivery = validate_content({"type": "image", "media_id": "m-1"}, "oa")
    assert delivery == "mass"
    assert mass_message(content) == {"msgtype": "image", "images": {
        "media_ids": ["m-1"], "recommend": "", "need_open_comment": 0, "only_fans_can_comment": 0}}
    assert "image" not in mass_message(content)
    several, _ = validate_content({"type": "image", "media_ids": ["m-1", "m-2"], "recommend": "new"}, "oa")
    assert mass_message(several)["images"]["media_ids"] == ["m-1", "m-2"]
    assert mass_message(several)["images"]["recommend"] == "new"
    assert custom_message(content, "o-1") == {"touser": "o-1", "msgtype": "image", "image": {"media_id": "m-1"}}
    with pytest.raises(ValidationError) as err:
        validate_content({"type": "image", "media_ids": []}, "oa")
    assert err.value.field == "content.media_ids"
    with pytest.raises(ValidationError) as err:
        validate_content({"type": "image", "media_ids": ["a", "b"], "delivery": "custom"}, "oa")
    assert err.value.field == "content.media_ids"


def _touch(kind, t, ident, channel, staff=None, account="acct"):
    from scrm.domain.attribution import make_touch

    return make_touch(kind=kind, t=t, account_id=account, identity=ident, channel=channel,
                      dedupe_key=f"{kind}{t}{ident}", staff=staff)


def test_channel_reach_leaves_out_people_who_left_in_event_order():
    from scrm.domain.pushes import LEFT_STAFF, LEFT_UNFOLLOWED, channel_reach

    oa = [_touch("follow", 10, "o-1", "ch1"), _touch("unfollow", 20, "o-1", "direct")]
    assert channel_reach(oa, "acct", {"ch1"}) == {"o-1": (None, LEFT_UNFOLLOWED)}
    assert channel_reach(list(reversed(oa)), "acct", {"ch1"}) == {"o-1": (None, LEFT_UNFOLLOWED)}  # arrival order
    back = oa + [_touch("follow", 30, "o-1", "direct")]
    assert channel_reach(back, "acct", {"ch1"}) == {"o-1": (None, None)}  # following again: reachable
    assert channel_reach(oa, "acct", {"ch2"}) == {}  # not brought by that channel
    assert channel_reach(oa, "other", {"ch1"}) == {}  # another account's touches
    wc = [_touch("add", 10, "wm-1", "ch1", "alice"), _touch("add", 11, "wm-1", "direct", "bob"),
          _touch("del", 20, "wm-1", "direct", "alice")]
    # still bob's customer, but no longer a customer of alice, whom the channel brought them to
    assert channel_reach(wc, "acct", {"ch1"}) == {"wm-1": (None, LEFT_STAFF)}
    assert channel_reach(wc[:2], "acct", {"ch1"}) == {"wm-1": ("alice", None)}
