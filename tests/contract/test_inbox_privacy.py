"""The callback inbox's privacy part (scrm.data.inbox: `Inbox` on DynamoDB (moto) and `MemoryInbox`, alike): the
account's entries whose payload names the person are found and, erasing, deleted; others' entries and another
account's stay; another account's scope is refused."""

from __future__ import annotations

import pytest

from scrm.data.inbox import Entry, MemoryInbox
from scrm.domain.persons import Person
from scrm.errors import Forbidden
from scrm.tenancy import Scope

A, B, NOW = "acct-a", "acct-b", 1_780_000_000.0


@pytest.fixture(params=["memory", "dynamo"])
def inbox(request):
    if request.param == "memory":
        return MemoryInbox(clock=lambda: NOW)
    request.getfixturevalue("aws")
    from scrm.data.inbox import Inbox

    return Inbox(clock=lambda: NOW)


def entry(account_id: str, dedupe_key: str, openid: str) -> Entry:
    return Entry(account_id=account_id, dedupe_key=dedupe_key, kind="oa.text", received_at=NOW, reply="success",
                 payload={"account_id": account_id, "openid": openid, "content": "你好"})


def test_the_persons_entries_are_found_and_erased_and_nobody_elses(inbox):
    for account_id in (A, B):
        for n, openid in enumerate(("o-1", "o-2", "o-1")):
            assert inbox.claim(Scope.system(account_id), entry(account_id, f"m{n}", openid)) is None
    scope, p = Scope.system(A), Person(account_id=A, openids={"o-1"}, pseudonym="erased-1")
    shown = inbox.person_entries(scope, p, False)
    assert sorted(e["dedupe_key"] for e in shown) == ["m0", "m2"]
    assert sorted(e["dedupe_key"] for e in inbox.person_entries(scope, p, True)) == ["m0", "m2"]
    assert inbox.person_entries(scope, p, False) == [] and inbox.get(scope, A, "m0") is None
    assert inbox.get(scope, A, "m1").payload["openid"] == "o-2"
    assert inbox.get(Scope.system(B), B, "m0").payload["openid"] == "o-1"
    with pytest.raises(Forbidden):
        inbox.person_entries(Scope(account_id=B, key_id="acct-b.k1", role="admin"), p, True)
    assert inbox.person_entries(scope, Person(account_id=A), False) == []
