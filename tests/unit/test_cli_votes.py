"""`scrm campaigns new-vote` and `scrm campaigns votes`: a vote campaign (issue 17) made from options on the command
line, and its live results as a table (votes per option with its share, distinct voters) or per day; the admin API
is a recording double."""

from __future__ import annotations

import json

from click.testing import CliRunner

from scrm_cli.main import cli

RESULTS = {"campaign_id": "color", "status": "active", "votes": 8, "voters": 5,
           "options": [{"option_id": "red", "title": "红色款", "votes": 6},
                       {"option_id": "blue", "title": "蓝色款", "votes": 2}],
           "days": [{"day": "2026-12-03", "votes": 5, "new_voters": 4}, {"day": "2026-12-04", "votes": 3,
                                                                         "new_voters": 1}]}


class RecordingApi:
    key = "k"

    def __init__(self):
        self.calls = []

    def request(self, method, path, body=None, params=None, idempotent=False):
        self.calls.append((method, path, body, idempotent))
        if method == "POST":
            return {**body, "version": 1}
        return RESULTS


def run(api, *args):
    result = CliRunner().invoke(cli, ["--url", "http://api.test", *args], obj=api, catch_exceptions=False)
    return result


def test_new_vote_sends_a_vote_campaign_with_its_options_and_images():
    api = RecordingApi()
    result = run(api, "campaigns", "new-vote", "shop-oa", "color", "--name", "新品配色投票",
                 "--starts", "2026-12-03T10:00:00+08:00", "--ends", "2026-12-10T10:00:00+08:00",
                 "--option", "red=红色款=https://img.example.com/red.jpg", "--option", "blue=蓝色款",
                 "--votes-per-day", "3", "--one-per-option", "--active")
    assert result.exit_code == 0, result.output
    [(method, path, body, idempotent)] = api.calls
    assert (method, path, idempotent) == ("POST", "/accounts/shop-oa/campaigns", True)
    assert body["kind"] == "vote" and body["status"] == "active" and "prizes" not in body
    assert body["options"] == [{"option_id": "red", "title": "红色款", "image": "https://img.example.com/red.jpg"},
                               {"option_id": "blue", "title": "蓝色款"}]
    assert body["voting"] == {"votes_per_day": 3, "one_per_option": True}
    assert "新品配色投票" in result.output


def test_an_option_without_a_title_is_refused_before_anything_is_sent():
    api = RecordingApi()
    result = run(api, "campaigns", "new-vote", "shop-oa", "color", "--name", "投票", "--starts", "x", "--ends", "y",
                 "--option", "red")
    assert result.exit_code == 2 and "ID=TITLE" in result.output and api.calls == []


def test_votes_shows_each_options_votes_and_share_and_the_voters():
    api = RecordingApi()
    result = run(api, "campaigns", "votes", "shop-oa", "color")
    assert result.exit_code == 0, result.output
    assert api.calls == [("GET", "/accounts/shop-oa/campaigns/color/votes", None, False)]
    lines = result.output.splitlines()
    assert "votes 8" in lines[0] and "voters 5" in lines[0]
    red = next(line for line in lines if "红色款" in line)
    assert red.split()[-2:] == ["6", "75.0%"]
    per_day = run(api, "campaigns", "votes", "shop-oa", "color", "--days").output
    assert "2026-12-04" in per_day and "new_voters" in per_day
    assert json.loads(run(api, "campaigns", "votes", "shop-oa", "color", "--json").output) == RESULTS
