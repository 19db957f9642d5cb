"""The two requests: export everything held about a person in an account, or erase it."""

from __future__ import annotations

import time

from ...data import erasures
from ...domain.instants import answer_time
from ...tenancy import Scope
from . import stored
from .person import Person, identify
from .tables import TABLES


def _identify(scope: Scope, account_id: str, identity: dict) -> Person:
    return identify(scope, account_id, identity, lambda person: stored.share_ids(scope, person))


def export(scope: Scope, account_id: str, identity: dict) -> dict:
    """Everything held about the person in the account, per table (JSON-ready)."""
    person = _identify(scope, account_id, identity)
    tables = {name: items for name, fn in TABLES.items() if (items := fn(scope, person, False))}
    return {"account_id": account_id, "identifiers": _identifiers(person), "tables": tables,
            "exported_at": answer_time(time.time())}


def erase(scope: Scope, account_id: str, identity: dict, clock=time.time) -> dict:
    """Erase or pseudonymise the person everywhere; tombstones first, so an event racing the erasure is dropped."""
    person = _identify(scope, account_id, identity)
    at = clock()
    for kind, value in person.identities():
        erasures.record(scope, account_id, kind, value, at)
    counts = {name: n for name, fn in TABLES.items() if (n := len(fn(scope, person, True)))}
    return {"account_id": account_id, "erased": counts, "items": sum(counts.values()),
            "identifiers": len(person.identities()), "erased_at": answer_time(at)}


def _identifiers(person: Person) -> dict:
    return {"openid": sorted(person.openids), "external_userid": sorted(person.external_userids),
            "unionid": sorted(person.unionids)}
