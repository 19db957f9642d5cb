"""The vote transaction: the ballot, the user's per-day limit, the voter and the live counters, all or nothing.

One DynamoDB TransactWriteItems per attempt holds (table `votes`, see scrm.data.votes):
  put    b#<openid>#<request_id>         attribute_not_exists  -> a double tap or a retried request counts once
  update d#<openid>#<day>                votes < per-day limit -> the last vote of the day is won by one request
  put    o#<openid>#<day>#<option>       attribute_not_exists  (only with one vote per option per day)
  put    u#<openid>                      attribute_not_exists  (the user's first vote: a new distinct voter)
   or update u#<openid>                  attribute_exists      (a returning voter)
  update c#<option>#<k>                  ADD votes 1           (counter shard k, picked at random)
  update t#<day>#<k>                     ADD votes 1 [, voters 1 for a new voter]
If the transaction is cancelled nothing was written, and the reasons say which condition failed: the ballot ->
the first vote is the answer; the day or the option marker -> a refusal; the voter -> someone else's request
of this user made them a voter first: re-read and go again; a conflict -> back off and retry.

Ceiling: every vote for an option writes one of its K counter shards; one item takes ~1,000 WCU/s and a
transactional write costs 2 WCU, so an option takes about K x 500 votes/s before its counters throttle (and the
day counter is sharded the same way). The user's own items are theirs alone.
"""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime

from ..domain.campaigns import DAILY_VOTE_LIMIT, OPTION_VOTE_LIMIT
from ..stores.campaigns.base import DuplicateVote, LedgerBusy, LimitReached, VotePlan
from .campaigns import campaign_key

# the draw ledger's transaction helpers (item order, cancellation reasons): one copy of them
from .draw_ledger import _failed_conditions, _Txn
from .votes import VoteRecord, ballot_sk, day_counter_sk, day_sk, option_counter_sk, option_mark_sk, voter_sk

__all__ = ["commit_vote"]

MAX_ATTEMPTS = 32
LIMIT_ITEM_TTL = 3 * 86400


def _item(key: str, sk: str) -> VoteRecord | None:
    try:
        return VoteRecord.get(key, sk, consistent_read=True)
    except VoteRecord.DoesNotExist:
        return None


def _transaction(key: str, plan: VotePlan, first: bool, shard: int) -> tuple[_Txn, VoteRecord]:
    # a fresh token per attempt: what makes a retried request count once is the ballot's condition, and a
    # token reused with other parameters (another shard) would be refused by DynamoDB as a mismatch
    txn = _Txn(uuid.uuid4().hex)
    now = int(plan.now)
    expires = datetime.fromtimestamp(plan.now + LIMIT_ITEM_TTL, UTC)
    ballot = VoteRecord(key, ballot_sk(plan.vote_id), openid=plan.openid, option_id=plan.option_id, day=plan.day,
                        created_at=now)
    txn.put("ballot", ballot, VoteRecord.sk.does_not_exist())
    if plan.one_per_option:
        txn.put("option", VoteRecord(key, option_mark_sk(plan.openid, plan.day, plan.option_id), openid=plan.openid,
                                     expires_at=expires), VoteRecord.sk.does_not_exist())
    if first:
        txn.put("voter", VoteRecord(key, voter_sk(plan.openid), openid=plan.openid, day=plan.day, created_at=now,
                                    votes=1), VoteRecord.sk.does_not_exist())
    else:
        txn.update("voter", VoteRecord(key, voter_sk(plan.openid)), [VoteRecord.votes.add(1)], VoteRecord.sk.exists())
    txn.update("day", VoteRecord(key, day_sk(plan.openid, plan.day)),
               [VoteRecord.votes.add(1), VoteRecord.openid.set(plan.openid), VoteRecord.expires_at.set(expires)],
               VoteRecord.votes.does_not_exist() | (VoteRecord.votes < plan.daily_cap))
    txn.update("tally", VoteRecord(key, option_counter_sk(plan.option_id, shard)),
               [VoteRecord.votes.add(1), VoteRecord.option_id.set(plan.option_id)])
    daily = [VoteRecord.votes.add(1), VoteRecord.day.set(plan.day)] + ([VoteRecord.voters.add(1)] if first else [])
    txn.update("daily", VoteRecord(key, day_counter_sk(plan.day, shard)), daily)
    return txn, ballot


def commit_vote(plan: VotePlan, rng=None, sleep=time.sleep) -> VoteRecord:
    """Record one vote exactly; see the module docstring. Returns the ballot written."""
    rng = rng or random.SystemRandom()
    key = campaign_key(plan.account_id, plan.campaign_id)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        first = _item(key, voter_sk(plan.openid)) is None
        txn, ballot = _transaction(key, plan, first, rng.randrange(max(1, plan.shards)))
        try:
            txn.commit()
            return ballot
        except Exception as exc:
            failed = _failed_conditions(txn, exc)
        if "ballot" in failed:
            raise DuplicateVote(_item(key, ballot_sk(plan.vote_id)))
        if "day" in failed:
            raise LimitReached(DAILY_VOTE_LIMIT)
        if "option" in failed:
            raise LimitReached(OPTION_VOTE_LIMIT)
        if "voter" not in failed:  # TransactionConflict / throttling: someone else holds an item
            sleep(min(0.2, 0.005 * attempt) * rng.random())
    raise LedgerBusy(f"vote {plan.vote_id}: too much contention after {MAX_ATTEMPTS} attempts")
