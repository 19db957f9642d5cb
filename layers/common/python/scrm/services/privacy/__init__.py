"""Personal data on request (PIPL): export everything held about one customer of an account, or erase it.

A person is named by one identifier in an account (openid, external_userid or unionid); the contact book joins
it to the person's other identifiers in that account. Every table of `scrm.data.registry` is either covered here
(`TABLES` in tables.py: one function per table that finds the person's items and, when erasing, erases
them) or listed in `NO_PERSONAL_DATA` with the reason; tests/unit/test_privacy_tables.py fails for a table in neither.

Erasure keeps the figures already reported: the person leaves the lists, not the totals. Items that counts are
made of (participants, draws, share views, push recipients, transfer items, quota rows, coupon holders) are
pseudonymised: every identifier of the person becomes one random pseudonym (`erased-<hex>`, unlinked to the
person, the same across tables so "distinct" counts stay distinct); items that only serve the person (contact
records and their pointers, interactions, pending taggings, inbox payloads, the on-job transfer ledger, stored
admin responses) are deleted. Channel counters, campaign reports and push figures are never touched.

Erasure is a queued job (job.py): the admin API records the request and answers 202 with its id; the erasure
worker erases one table per step, resumable from the request's cursor, every step idempotent.

Queue-held payloads cannot be edited in SQS, so an erasure also writes a tombstone per identifier
(`scrm.data.erasures`, hashed) and `scrm.services.erased_events.drop_if_erased` (called by the event worker
before applying an event) drops an event of that person created before the erasure. Erasing twice is harmless:
the second run finds nothing and moves the tombstones' time forward.

Cost: keyed queries per campaign, push run and transfer plan of the account; `inbox`, `quota_ledger` and
`admin_idempotency` have no index by person and are scanned with a filter (all three expire within 40 days).

Modules: person (who is asked about, and the finders' shared shape), own (contacts and channel taggings, through
the channels capability's stores), stored (the other capabilities' tables, through their stores' privacy parts,
e.g. scrm.stores.campaigns.privacy), tables (the table list), job (the erasure request and
the worker's steps), requests (export, and erase run in one process).
"""

from .job import STEPS_PER_RUN, enqueue, erasure_status, fail, request_erasure, run_erasure
from .person import KINDS, Person, found
from .person import swap_sk as _swap_sk
from .requests import erase, export
from .tables import NO_PERSONAL_DATA, TABLES

__all__ = ["KINDS", "NO_PERSONAL_DATA", "STEPS_PER_RUN", "TABLES", "Person", "_swap_sk", "enqueue", "erase",
           "erasure_status", "export", "fail", "found", "request_erasure", "run_erasure"]
