"""The two requests: export everything held about a person in an account, or erase it (queued: job.py)."""

from __future__ import annotations

import time

from ... import bootstrap
from ...domain.instants import answer_time
from ...tenancy import Scope
from . import job
from .person import Person
from .tables import TABLES


def export(scope: Scope, account_id: str, identity: dict) -> dict:
    """Everything held about the person in the account, per table (JSON-ready). Synchronous: it only reads, so a
    request cut short by a timeout has changed nothing and leaves nothing to resume."""
    person = job._identify(scope, account_id, identity)
    tables = {name: items for name, fn in TABLES.items() if (items := fn(scope, person, False))}
    return {"account_id": account_id, "identifiers": _identifiers(person), "tables": tables,
            "exported_at": answer_time(time.time())}


def erase(scope: Scope, account_id: str, identity: dict, clock=None, requested_by: str = "system") -> dict:
    """The whole erasure in this process: the request opened as the API opens it, every step run here (scripts
    and tests; the API queues it instead: job.request_erasure)."""
    req = job.open_request(scope, account_id, identity, requested_by, clock)
    while job.run_erasure(account_id, req.request_id, steps=len(TABLES) + 1)["more"]:
        pass
    done = job.view(bootstrap.privacy_store().get_request(scope, account_id, req.request_id))
    return {"account_id": account_id, "erased": done["erased"], "items": done["items"],
            "identifiers": sum(len(req.person[k]) for k in ("openids", "external_userids", "unionids")),
            "erased_at": answer_time(req.requested_at), "request_id": req.request_id}


def _identifiers(person: Person) -> dict:
    return {"openid": sorted(person.openids), "external_userid": sorted(person.external_userids),
            "unionid": sorted(person.unionids)}
