"""The journey store's privacy part, for the in-memory twin and DynamoDB (moto) alike: the person's entrants (by
openid or external_userid) in each of the account's journeys are found and, erasing, deleted; the figures, other
people's entrants and another account's stay; another account's scope is refused."""

from __future__ import annotations

import pytest

from scrm.domain.persons import Person
from scrm.errors import Forbidden
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store
from tests.contract.test_journey_store import entrant, journey


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "journeys", "JourneyStore")


def test_the_persons_entrants_are_found_and_erased_and_nobody_elses(store):
    for account_id in ("acct", "other"):
        for journey_id in ("j1", "j2"):
            store.create_journey(journey(journey_id, account_id))
            for person in ("o1", "wm1", "o2"):
                assert store.enrol(entrant(person, journey_id, account_id))
    figures = store.figures("acct", "j1")
    scope, p = Scope.system("acct"), Person(account_id="acct", openids={"o1"}, external_userids={"wm1"})
    shown = store.person_entrants(scope, p, False)
    assert sorted((e["journey_id"], e["person"]) for e in shown) == [
        ("j1", "o1"), ("j1", "wm1"), ("j2", "o1"), ("j2", "wm1")]
    assert len(store.person_entrants(scope, p, True)) == 4 and store.person_entrants(scope, p, False) == []
    assert store.get_entrant("acct", "j1", "o1") is None and store.get_entrant("acct", "j1", "o2") is not None
    assert store.get_entrant("other", "j1", "o1") is not None and store.figures("acct", "j1") == figures
    with pytest.raises(Forbidden):
        store.person_entrants(Scope(account_id="other", key_id="other.k1", role="admin"), p, True)
