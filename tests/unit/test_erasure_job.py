"""The erasure job on the in-memory twins (scrm.services.privacy.job): a table per step from the request's cursor,
resumable after a crash midway or when its step budget runs out, every step with one effect however often it is
delivered, counts recorded per table, the person's state dropped and the end audited when it is done."""

from __future__ import annotations

import pytest

from scrm import bootstrap
from scrm.services import privacy
from scrm.stores.audit import MemoryAuditStore
from scrm.stores.contacts.memory import MemoryContactStore
from scrm.stores.privacy import ErasureRequest, MemoryPrivacyStore
from scrm.tenancy import Scope

A = "acct-a"
PERSON = {"openids": ["o-1"], "external_userids": ["wm-1"], "unionids": [], "contact_id": None,
          "pseudonym": "erased-00aa", "renames": {}}


class Table:
    """A table of items; the finder erases the person's (pseudonymises: `erased-…`), crashing after `crash_after`
    items when told to, as a step that dies midway would."""

    def __init__(self, items: list[str]):
        self.items = list(items)
        self.crash_after: int | None = None
        self.calls = 0

    def __call__(self, scope, person, erase: bool) -> list[dict]:
        self.calls += 1
        found = []
        for i, item in enumerate(self.items):
            if item in person.ids:
                found.append({"item": item})
                if erase:
                    if self.crash_after is not None and len(found) > self.crash_after:
                        self.crash_after = None
                        raise TimeoutError("the function died midway")
                    self.items[i] = person.pseudonym
        return found


@pytest.fixture
def stores():
    made = {"privacy_store": MemoryPrivacyStore(), "audit_store": MemoryAuditStore(),
            "contact_store": MemoryContactStore()}
    bootstrap.reset(clock=lambda: 5000.0, **made)
    return made


def ask(stores, n: int = 1) -> str:
    req = ErasureRequest(account_id=A, request_id=f"er-{n}", kind="openid", requested_by="acct-a.k1",
                         requested_at=4000.0, person=PERSON, updated_at=4000.0)
    stores["privacy_store"].create_request(Scope.system(A), req)
    return req.request_id


def tables() -> dict[str, Table]:
    return {"contacts": Table(["o-1", "o-2"]), "draws": Table(["o-1", "wm-1", "o-1", "o-3"]), "inbox": Table([]),
            "transfers": Table(["wm-1"])}


def status(request_id: str) -> dict:
    return privacy.erasure_status(Scope.system(A), A, request_id)


def test_a_step_budget_hands_the_rest_on_with_its_cursor_until_done(stores):
    rid, t = ask(stores), tables()
    runs = []
    while True:
        runs.append(privacy.run_erasure(A, rid, steps=1, tables=t))
        if not runs[-1]["more"]:
            break
        assert status(rid)["status"] == "running"
    assert [r.get("cursor") for r in runs] == [1, 2, 3, 4] and runs[-1]["status"] == "done"
    done = status(rid)
    assert done["erased"] == {"contacts": 1, "draws": 3, "transfers": 1} and done["items"] == 5
    assert (done["tables_done"], done["steps"]) == (4, 4)
    assert t["draws"].items == ["erased-00aa", "erased-00aa", "erased-00aa", "o-3"]  # one pseudonym throughout
    assert stores["privacy_store"].get_request(Scope.system(A), A, rid).person is None  # nothing of theirs kept
    audited = stores["audit_store"].entries_page(Scope.system(A), A, limit=5)[0]
    assert [(e.action, e.key_id, e.object) for e in audited] == [
        ("privacy.erase.done", "acct-a.k1", f"/accounts/{A}/privacy/erasures/{rid}")]
    again = privacy.run_erasure(A, rid, tables=t)  # a late redelivery of a done request
    assert again == {"status": "done", "more": False} and status(rid)["steps"] == 4


def test_a_step_that_dies_midway_is_resumed_at_its_table_and_erases_the_rest_once(stores):
    rid, t = ask(stores), tables()
    t["draws"].crash_after = 1  # erases one draw, then the function dies
    with pytest.raises(TimeoutError):
        privacy.run_erasure(A, rid, steps=10, tables=t)
    assert status(rid)["tables_done"] == 1  # contacts recorded, draws not: the redelivery starts there
    assert privacy.run_erasure(A, rid, steps=10, tables=t)["status"] == "done"
    assert t["draws"].items == ["erased-00aa", "erased-00aa", "erased-00aa", "o-3"]
    assert t["contacts"].calls == 1  # a recorded table is not erased again
    assert status(rid)["erased"]["draws"] == 2  # what the re-run found: the one erased before the crash is gone


def test_two_deliveries_of_one_step_record_it_once_and_only_one_carries_on(stores):
    rid, t = ask(stores), tables()
    privacy_store = stores["privacy_store"]
    record_step = privacy_store.record_step

    def slower_twin(*args, **kwargs):  # the other delivery records the same step first
        privacy_store.record_step = record_step
        record_step(*args, **kwargs)
        return record_step(*args, **kwargs)

    privacy_store.record_step = slower_twin
    assert privacy.run_erasure(A, rid, steps=1, tables=t) == {"status": "lost", "more": False}
    assert status(rid)["steps"] == 1 and status(rid)["tables_done"] == 1


def test_a_time_budget_ends_a_run_after_the_step_that_spent_it(stores):
    rid, t = ask(stores), tables()
    ticks = iter(range(100))
    run = privacy.run_erasure(A, rid, steps=10, budget_seconds=2, tables=t, monotonic=lambda: float(next(ticks)))
    assert run == {"status": "running", "more": True, "cursor": 2}  # started at 0, 1 after contacts, 2 after draws
    assert privacy.run_erasure(A, rid, budget_seconds=0, tables=t)["cursor"] == 3  # never less than one step


def test_a_failed_request_says_so_and_a_redriven_message_resumes_it(stores):
    rid, t = ask(stores), tables()
    privacy.run_erasure(A, rid, steps=2, tables=t)
    privacy.fail(A, rid, "TimeoutError")
    assert (status(rid)["status"], status(rid)["error"], status(rid)["tables_done"]) == ("failed", "TimeoutError", 2)
    assert privacy.run_erasure(A, rid, tables=t)["status"] == "done"
    assert status(rid)["error"] is None and status(rid)["items"] == 5


def test_an_unknown_request_is_a_clear_404_and_another_accounts_is_refused(stores):
    from scrm.errors import Forbidden, NotFound

    rid = ask(stores)
    with pytest.raises(NotFound):
        status("er-none")
    with pytest.raises(Forbidden):
        privacy.erasure_status(Scope(account_id="acct-b", key_id="acct-b.k1", role="admin"), A, rid)
    assert privacy.run_erasure(A, "er-none", tables=tables()) == {"status": "missing", "more": False}


def test_the_status_never_names_the_person(stores):
    rid, t = ask(stores), tables()
    privacy.run_erasure(A, rid, steps=1, tables=t)
    assert "o-1" not in repr(status(rid)) and "wm-1" not in repr(status(rid))
