"""Vote campaigns (投票): casting a vote, what a voter sees, the live results (public counts and the admin view).

The rules (window, eligibility, per-day limits) are the domain's; exactness (a request counted once, the last vote
of the day won by one request) lives in the store's vote step (scrm.stores.campaigns, scrm.data.vote_ledger).
"""

from __future__ import annotations

import random

from ...domain import campaigns as rules
from ...errors import Conflict, RateLimited
from ...stores.campaigns import DuplicateVote, LedgerBusy, LimitReached, VotePlan, VoteRow, VoteTally, vote_id
from ...tenancy import Scope
from .common import DrawRefused, _now, load, load_for_user, store, to_domain
from .draws import REQUEST_ID
from .eligibility import active_campaign
from .user_tokens import check_account

_rng = random.SystemRandom()
MESSAGES = {
    rules.DAILY_VOTE_LIMIT: "you have no votes left today",
    rules.OPTION_VOTE_LIMIT: "you have voted for this option today",
    rules.UNKNOWN_OPTION: "no such option in this campaign",
    rules.NOT_A_VOTE: "this campaign is not a vote",
}


def _refuse(reason: str) -> DrawRefused:
    status = 400 if reason in (rules.UNKNOWN_OPTION, rules.NOT_A_VOTE) else 403  # a limit is a refusal, not 429
    return DrawRefused(reason, MESSAGES[reason], status=status)


def _vote_view(record: VoteRow, campaign: rules.Campaign, replayed: bool, votes_today: int) -> dict:
    return {"vote_id": record.vote_id.split("#", 1)[-1], "option_id": record.option_id, "day": record.day,
            "replayed": replayed, "votes_today": votes_today,
            "votes_left": rules.votes_left(campaign, votes_today)}


def vote(account_id: str, campaign_id: str, openid: str, option_id, request_id, now: float | None = None,
         rng=None) -> dict:
    """One vote of an authenticated user. Retrying the same request id counts once and answers the first vote."""
    db = store()
    now = _now(now)
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise DrawRefused("bad_request_id", "request_id must be 8-64 letters, digits or ._:-", status=400)
    if not isinstance(option_id, str) or not option_id or len(option_id) > 48:
        raise _refuse(rules.UNKNOWN_OPTION)
    ballot_id = vote_id(openid, request_id)
    done = db.get_vote(account_id, campaign_id, ballot_id)
    if done is not None:  # a retry of a counted vote answers from the ballot, whatever the campaign is now
        campaign = to_domain(load_for_user(account_id, campaign_id))
        return _vote_view(done, campaign, True, db.votes_on(account_id, campaign_id, openid, done.day)[0])
    campaign = active_campaign(account_id, campaign_id, openid, now)
    day = rules.local_day(campaign, now)
    if not campaign.is_vote or campaign.option(option_id) is None:
        raise _refuse(rules.vote_refusal(campaign, option_id, 0, ()))
    plan = VotePlan(account_id=account_id, campaign_id=campaign_id, vote_id=ballot_id, openid=openid,
                    option_id=option_id, day=day, now=now, daily_cap=campaign.votes_per_day,
                    one_per_option=campaign.one_vote_per_option, shards=campaign.tally_shards)
    replayed = False
    try:
        record = db.commit_vote(plan, rng=rng or _rng)
    except DuplicateVote as dup:  # the same request racing itself: it counted once
        record, replayed = dup.record, True
    except LimitReached as limit:
        raise _refuse(limit.reason) from None
    except LedgerBusy:
        raise RateLimited("too many votes at once; retry with the same request_id") from None
    return _vote_view(record, campaign, replayed, db.votes_on(account_id, campaign_id, openid, record.day)[0])


def my_votes(account_id: str, campaign_id: str, openid: str, campaign: rules.Campaign, now: float) -> dict:
    """The user's votes today and what they may still do (for GET …/me of a vote campaign)."""
    db = store()
    day = rules.local_day(campaign, now)
    count, options = db.votes_on(account_id, campaign_id, openid, day)
    return {"day": day, "votes_today": count, "votes_left": rules.votes_left(campaign, count),
            "votes_per_day": campaign.votes_per_day, "one_per_option": campaign.one_vote_per_option,
            "options_today": sorted(set(options))}


def _results(campaign: rules.Campaign, tally: VoteTally) -> dict:
    options = [{"option_id": o.option_id, "title": o.title, "votes": tally.options.get(o.option_id, 0)}
               for o in campaign.options]
    return {"votes": sum(o["votes"] for o in options), "voters": tally.voters, "options": options,
            "days": [{"day": d, "votes": n, "new_voters": tally.new_voters.get(d, 0)}
                     for d, n in tally.days.items()]}


def public_results(account_id: str, campaign_id: str) -> dict:
    """The live counts anyone may see of a published vote campaign (no openids, no token)."""
    db = store()
    check_account(account_id)
    campaign = to_domain(load_for_user(account_id, campaign_id))
    if campaign.status == "draft":
        raise DrawRefused("unknown_campaign", f"campaign {campaign_id!r} not found", status=404)
    if not campaign.is_vote:
        raise _refuse(rules.NOT_A_VOTE)
    out = _results(campaign, db.vote_tally(account_id, campaign_id))
    return {"campaign_id": campaign_id, "status": campaign.status, **out}


def vote_results(scope: Scope, account_id: str, campaign_id: str) -> dict:
    """The admin's live results: votes per option, distinct voters, votes and first-time voters per day."""
    db = store()
    scope.check(account_id)
    campaign = to_domain(load(account_id, campaign_id))
    if not campaign.is_vote:
        raise Conflict(f"campaign {campaign_id!r} is a {campaign.kind} campaign, not a vote")
    return {"campaign_id": campaign_id, "status": campaign.status,
            **_results(campaign, db.vote_tally(account_id, campaign_id))}
