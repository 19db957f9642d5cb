"""Vote campaigns on the in-memory store: the document (options, images, rules), per-day limits across China's
midnight on an injected clock, one vote per option, replays, refusals and the live results (hypothesis for the
limits). Atomicity under concurrency is tests/integration/test_campaign_votes.py (moto)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrm.domain import campaigns as rules
from scrm.errors import Conflict, ValidationError
from scrm.services import campaigns as svc
from scrm.services.campaigns import eligibility
from tests.unit.test_campaign_service import ACCT, SCOPE, START, World

# START is 2025-06-15 23:06:40 in China (UTC+8): China's midnight comes 3200 s later
MIDNIGHT = START + 3200


@pytest.fixture
def world(monkeypatch):
    return World(monkeypatch)


B = {"option_id": "b", "title": "B"}


def vote_body(cid="poll", **over) -> dict:
    b = {"campaign_id": cid, "name": "最受欢迎的颜色", "starts_at": int(START - 60), "ends_at": int(START + 3 * 86400),
         "status": "active", "kind": "vote", "eligibility": {"must_follow": False},
         "options": [{"option_id": "red", "title": "红色", "image": "https://img.example.com/red.jpg"},
                     {"option_id": "blue", "title": "蓝色", "description": "经典", "image": "/media/poll/blue.png"},
                     {"option_id": "xss", "title": "<img src=x onerror=alert(1)>"}],
         "voting": {"votes_per_day": 2}}
    b.update(over)
    return b


def test_a_vote_campaign_is_configured_and_read_back(world):
    out = svc.create_campaign(SCOPE, ACCT, vote_body())
    assert out["kind"] == "vote" and [o["option_id"] for o in out["options"]] == ["red", "blue", "xss"]
    assert out["voting"] == {"votes_per_day": 2, "one_per_option": False, "shards": 4}
    assert out["prizes"] == [] and out["version"] == 1
    again = svc.get_campaign(SCOPE, ACCT, "poll")
    assert again["options"][2]["title"] == "<img src=x onerror=alert(1)>"  # stored as text, escaped by the page


def test_a_wheel_stays_a_wheel(world):
    from tests.unit.test_campaign_service import body

    out = svc.create_campaign(SCOPE, ACCT, body())
    assert "kind" not in out and "options" not in out
    with pytest.raises(ValidationError) as err:
        svc.update_campaign(SCOPE, ACCT, "spring", {**body(), "prizes": None, "kind": "vote",
                                                        "options": vote_body()["options"]})
    assert err.value.field == "kind"


@pytest.mark.parametrize("over, field", [
    ({"options": [{"option_id": "a", "title": "A"}]}, "options"),
    ({"options": [{"option_id": f"o{i}", "title": str(i)} for i in range(51)]}, "options"),
    ({"options": [{"option_id": "a", "title": "A"}, {"option_id": "a", "title": "B"}]}, "options"),
    ({"options": [{"option_id": "a", "title": "A", "image": "javascript:alert(1)"}, B]},
     "options[0].image"),
    ({"options": [{"option_id": "a", "title": "A", "image": "http://x.example/a.jpg"}, B]},
     "options[0].image"),
    ({"options": [{"option_id": "a", "title": "A", "image": "/media/../secret.png"}, B]},
     "options[0].image"),
    ({"options": [{"option_id": "a", "title": "A", "image": 'https://x.example/a.jpg" onerror="x'},
                  B]}, "options[0].image"),
    ({"options": [{"option_id": "a", "title": " "}, B]}, "options[0].title"),
    ({"voting": {"votes_per_day": 0}}, "voting.votes_per_day"),
    ({"voting": {"votes_per_day": 21}}, "voting.votes_per_day"),
    ({"prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 3}]}, "prizes"),
])
def test_a_bad_vote_document_is_refused_by_field(world, over, field):
    with pytest.raises(ValidationError) as err:
        svc.create_campaign(SCOPE, ACCT, vote_body(**over))
    assert field in [e["field"] for e in err.value.details["errors"]]


def test_options_on_a_wheel_are_refused(world):
    from tests.unit.test_campaign_service import body

    with pytest.raises(ValidationError) as err:
        svc.create_campaign(SCOPE, ACCT, body(options=vote_body()["options"]))
    assert err.value.field == "options"


def test_updates_keep_options_and_are_version_conditioned(world):
    svc.create_campaign(SCOPE, ACCT, vote_body())
    fewer = vote_body(options=vote_body()["options"][:2])
    with pytest.raises(ValidationError) as err:
        svc.update_campaign(SCOPE, ACCT, "poll", fewer)
    assert err.value.field == "options"
    more = vote_body(options=[*vote_body()["options"], {"option_id": "green", "title": "绿色"}], version=1)
    assert len(svc.update_campaign(SCOPE, ACCT, "poll", more)["options"]) == 4
    with pytest.raises(Conflict):
        svc.update_campaign(SCOPE, ACCT, "poll", {**more, "version": 1})
    with pytest.raises(ValidationError):
        svc.update_campaign(SCOPE, ACCT, "poll", vote_body(options=more["options"], voting={"shards": 2}))


def refused(fn, *args, **kw) -> svc.DrawRefused:
    with pytest.raises(svc.DrawRefused) as err:
        fn(*args, **kw)
    return err.value


def test_the_daily_limit_rolls_over_at_china_midnight(world):
    svc.create_campaign(SCOPE, ACCT, vote_body())
    first = svc.vote(ACCT, "poll", "u1", "red", "request-0001", now=MIDNIGHT - 600)
    assert first == {"vote_id": "request-0001", "option_id": "red", "day": "2025-06-15", "replayed": False,
                     "votes_today": 1, "votes_left": 1}
    assert svc.vote(ACCT, "poll", "u1", "red", "request-0002", now=MIDNIGHT - 300)["votes_left"] == 0
    late = refused(svc.vote, ACCT, "poll", "u1", "blue", "request-0003", now=MIDNIGHT - 1)
    assert (late.reason, late.status) == ("daily_vote_limit", 403)  # a refusal, never 429
    after = svc.vote(ACCT, "poll", "u1", "blue", "request-0004", now=MIDNIGHT)
    assert (after["day"], after["votes_left"]) == ("2025-06-16", 1)
    me = svc.my_status(ACCT, "poll", "u1", now=MIDNIGHT + 1)
    assert me["votes"]["votes_today"] == 1 and me["votes"]["options_today"] == ["blue"]
    assert svc.my_status(ACCT, "poll", "u2", now=MIDNIGHT)["votes"]["votes_left"] == 2


def test_a_repeated_request_counts_once_and_answers_the_first_vote(world):
    svc.create_campaign(SCOPE, ACCT, vote_body())
    svc.vote(ACCT, "poll", "u1", "red", "request-0001", now=START)
    again = svc.vote(ACCT, "poll", "u1", "blue", "request-0001", now=START + 5)
    assert again["replayed"] and again["option_id"] == "red"
    assert svc.public_results(ACCT, "poll")["votes"] == 1
    other = svc.vote(ACCT, "poll", "u2", "blue", "request-0001", now=START + 5)  # another user's request id
    assert not other["replayed"]


def test_one_vote_per_option_per_day(world):
    svc.create_campaign(SCOPE, ACCT, vote_body(voting={"votes_per_day": 3, "one_per_option": True}))
    svc.vote(ACCT, "poll", "u1", "red", "request-0001", now=START)
    assert refused(svc.vote, ACCT, "poll", "u1", "red", "request-0002", now=START).reason == "option_vote_limit"
    svc.vote(ACCT, "poll", "u1", "blue", "request-0003", now=START)
    svc.vote(ACCT, "poll", "u1", "red", "request-0004", now=MIDNIGHT)  # a new day


def test_refusals_name_why(world, monkeypatch):
    from tests.unit.test_campaign_service import body

    svc.create_campaign(SCOPE, ACCT, vote_body())
    svc.create_campaign(SCOPE, ACCT, body())
    assert refused(svc.vote, ACCT, "poll", "u1", "nope", "request-0001", now=START).reason == "unknown_option"
    assert refused(svc.vote, ACCT, "poll", "u1", "red", "bad", now=START).reason == "bad_request_id"
    assert refused(svc.vote, ACCT, "spring", "u1", "red", "request-0001", now=START).reason == "not_a_vote_campaign"
    assert refused(svc.draw, ACCT, "poll", "u1", "request-0001", now=START).reason == "not_a_wheel_campaign"
    assert refused(svc.vote, ACCT, "poll", "u1", "red", "request-0001", now=START - 120).reason == "outside_window"
    assert refused(svc.vote, ACCT, "poll", "u1", "red", "request-0001",
                   now=START + 3 * 86400).reason == "outside_window"
    svc.update_campaign(SCOPE, ACCT, "poll", vote_body(status="ended"))
    assert refused(svc.vote, ACCT, "poll", "u1", "red", "request-0001", now=START).reason == "campaign_not_active"
    svc.update_campaign(SCOPE, ACCT, "poll", vote_body(eligibility={"must_follow": True}))
    monkeypatch.setattr(eligibility, "contact_facts", lambda *a: rules.ContactFacts(known=True, follows=False))
    assert refused(svc.vote, ACCT, "poll", "u1", "red", "request-0001", now=START).reason == "not_following"
    assert svc.public_results(ACCT, "poll")["votes"] == 0


def test_results_count_per_option_voters_and_days_without_openids(world):
    svc.create_campaign(SCOPE, ACCT, vote_body())
    for i, (who, option, when) in enumerate([("u1", "red", START), ("u2", "red", START), ("u1", "blue", START),
                                             ("u1", "xss", MIDNIGHT), ("u3", "red", MIDNIGHT)]):
        svc.vote(ACCT, "poll", who, option, f"request-{i:04d}", now=when)
    public = svc.public_results(ACCT, "poll")
    assert [(o["option_id"], o["votes"]) for o in public["options"]] == [("red", 3), ("blue", 1), ("xss", 1)]
    assert public["votes"] == 5 and public["voters"] == 3
    assert public["days"] == [{"day": "2025-06-15", "votes": 3, "new_voters": 2},
                              {"day": "2025-06-16", "votes": 2, "new_voters": 1}]
    assert "u1" not in repr(public)
    admin = svc.vote_results(SCOPE, ACCT, "poll")
    assert admin["options"] == public["options"]
    assert svc.report(SCOPE, ACCT, "poll")["votes"]["voters"] == 3
    page = svc.public_campaign(ACCT, "poll")
    assert page["kind"] == "vote" and page["api"]["votes"].endswith("/votes") and len(page["options"]) == 3


def test_a_draft_vote_has_no_public_results(world):
    svc.create_campaign(SCOPE, ACCT, vote_body(status="draft"))
    assert refused(svc.public_results, ACCT, "poll").status == 404


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cap=st.integers(1, 4), per_option=st.booleans(),
       attempts=st.lists(st.tuples(st.integers(0, 2 * 86400), st.sampled_from(["red", "blue", "xss"]),
                                   st.sampled_from(["u1", "u2"])), max_size=25))
def test_accepted_votes_follow_the_rules(monkeypatch, cap, per_option, attempts):
    World(monkeypatch)
    svc.create_campaign(SCOPE, ACCT, vote_body(voting={"votes_per_day": cap, "one_per_option": per_option}))
    accepted: dict[tuple[str, str], list[str]] = {}
    for i, (offset, option, who) in enumerate(sorted(attempts)):
        now = START + offset
        day = rules.local_day(rules.Campaign(ACCT, "poll", "x", 0, 1), now)
        mine = accepted.setdefault((who, day), [])
        allowed = len(mine) < cap and not (per_option and option in mine)
        try:
            svc.vote(ACCT, "poll", who, option, f"request-{i:04d}", now=now)
            assert allowed
            mine.append(option)
        except svc.DrawRefused as why:
            assert not allowed and why.reason in ("daily_vote_limit", "option_vote_limit")
    results = svc.public_results(ACCT, "poll")
    assert results["votes"] == sum(len(v) for v in accepted.values())
    assert results["voters"] == len({who for (who, _d), v in accepted.items() if v})
