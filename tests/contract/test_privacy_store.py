"""The privacy store's contract, for the in-memory twin and DynamoDB (moto) alike: an erasure request is stored
once, started, stepped only from the cursor it is at (so two deliveries of one step record it once), finished
without what it held about the person, failed unless done, and only within the account's own scope."""

from __future__ import annotations

import pytest

from scrm.errors import Conflict, Forbidden
from scrm.stores.privacy import ErasureRequest
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

A = "acct-a"
PERSON = {"openids": ["o-1"], "external_userids": [], "unionids": ["u-1"], "contact_id": "c1",
          "pseudonym": "erased-0011", "renames": {"s1": "n1"}}


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "privacy", "PrivacyStore")


def request_of(n: int = 1, account_id: str = A) -> ErasureRequest:
    return ErasureRequest(account_id=account_id, request_id=f"er-{n}", kind="openid", requested_by="acct-a.k1",
                          requested_at=1000.0, person=PERSON, updated_at=1000.0)


def test_a_request_is_stored_once_and_read_back(store):
    scope = Scope.system(A)
    store.create_request(scope, request_of())
    with pytest.raises(Conflict):
        store.create_request(scope, request_of())
    assert store.get_request(scope, A, "er-1") == request_of()
    assert store.get_request(scope, A, "er-2") is None


def test_steps_move_the_cursor_once_each_and_the_last_drops_the_person(store):
    scope = Scope.system(A)
    store.create_request(scope, request_of())
    started = store.start_request(scope, A, "er-1", 1001.0)
    assert started.status == "running" and started.person == PERSON
    first = store.record_step(scope, A, "er-1", cursor=0, table="contacts", count=2, done=False, at=1002.0)
    assert (first.cursor, first.steps, first.counts, first.status) == (1, 1, {"contacts": 2}, "running")
    # a second delivery of the same step loses: nothing changes
    assert store.record_step(scope, A, "er-1", cursor=0, table="contacts", count=0, done=False, at=1003.0) is None
    store.record_step(scope, A, "er-1", cursor=1, table="inbox", count=0, done=False, at=1004.0)
    done = store.record_step(scope, A, "er-1", cursor=2, table="draws", count=1, done=True, at=1005.0)
    assert store.get_request(scope, A, "er-1") == done
    assert (done.status, done.cursor, done.steps, done.person, done.finished_at) == ("done", 3, 3, None, 1005.0)
    assert done.counts == {"contacts": 2, "draws": 1}  # a table with nothing found is not listed
    assert store.record_step(scope, A, "er-1", cursor=3, table=None, count=0, done=True, at=1006.0) is None
    assert store.start_request(scope, A, "er-1", 1007.0) == done  # a done request is not started again


def test_a_failed_request_resumes_and_a_done_one_never_fails(store):
    scope = Scope.system(A)
    store.create_request(scope, request_of())
    store.start_request(scope, A, "er-1", 1001.0)
    store.fail_request(scope, A, "er-1", "TimeoutError", 1002.0)
    failed = store.get_request(scope, A, "er-1")
    assert (failed.status, failed.error, failed.person) == ("failed", "TimeoutError", PERSON)
    resumed = store.start_request(scope, A, "er-1", 1003.0)
    assert (resumed.status, resumed.error, resumed.cursor) == ("running", None, 0)
    store.record_step(scope, A, "er-1", cursor=0, table="contacts", count=1, done=True, at=1004.0)
    store.fail_request(scope, A, "er-1", "TimeoutError", 1005.0)
    assert store.get_request(scope, A, "er-1").status == "done"
    store.fail_request(scope, A, "er-9", "TimeoutError", 1005.0)  # no such request: nothing made
    assert store.get_request(scope, A, "er-9") is None
    assert store.start_request(scope, A, "er-9", 1005.0) is None


def test_another_accounts_requests_are_out_of_reach(store):
    store.create_request(Scope.system(A), request_of())
    other = Scope(account_id="acct-b", key_id="acct-b.k1", role="admin")
    for call in (lambda: store.get_request(other, A, "er-1"), lambda: store.start_request(other, A, "er-1", 1.0),
                 lambda: store.record_step(other, A, "er-1", cursor=0, table="t", count=1, done=False, at=1.0),
                 lambda: store.fail_request(other, A, "er-1", "x", 1.0),
                 lambda: store.create_request(other, request_of(2))):
        with pytest.raises(Forbidden):
            call()
    assert store.get_request(Scope.system(A), A, "er-1").status == "pending"
