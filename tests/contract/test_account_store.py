"""The account store's contract, for the in-memory twin and DynamoDB (moto) alike: the create-once claim of an id,
tenancy, updates only of existing accounts, paging, and one callback Token to one account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scrm.errors import Conflict, Forbidden, NotFound
from scrm.stores.accounts import REGISTERING, AccountRow
from scrm.tenancy import Scope
from tests.contract.stores import IMPLEMENTATIONS, make_store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request):
    return make_store(request, "accounts", "AccountStore")


def row(account_id: str, at: datetime = T0, **values) -> AccountRow:
    return AccountRow(account_id=account_id, kind=values.pop("kind", "oa"), app_id=values.pop("app_id", "wx1"),
                      name=values.pop("name", account_id.title()), created_at=at, updated_at=at,
                      original_id=values.pop("original_id", "gh_1"), message_mode="safe", **values)


def test_an_id_is_claimed_once(store):
    store.claim_account_id(row("acct-a"), stale_before=T0 - timedelta(seconds=60))
    assert store.account_status("acct-a") == REGISTERING
    with pytest.raises(Conflict):
        store.claim_account_id(row("acct-a", name="Other"), stale_before=T0 - timedelta(seconds=60))
    assert store.load_account("acct-a").name == "Acct-A"  # the loser wrote nothing
    store.save_account(row("acct-a", options={"quota": {"daily": 3}}))
    with pytest.raises(Conflict):  # a registered account is never claimed again, however old
        store.claim_account_id(row("acct-a"), stale_before=T0 + timedelta(days=1))
    assert store.load_account("acct-a") == row("acct-a", options={"quota": {"daily": 3}})


def test_a_crashed_claim_can_be_taken_over_once_stale(store):
    store.claim_account_id(row("acct-a"), stale_before=T0)
    with pytest.raises(Conflict):  # still fresh
        store.claim_account_id(row("acct-a"), stale_before=T0)
    store.claim_account_id(row("acct-a", name="Second"), stale_before=T0 + timedelta(seconds=1))
    assert store.load_account("acct-a").name == "Second"


def test_abandoning_gives_back_only_a_claim(store):
    store.claim_account_id(row("acct-a"), stale_before=T0)
    store.abandon_account_claim("acct-a")
    assert not store.account_exists("acct-a") and store.account_status("acct-a") is None
    assert store.load_account("acct-a") is None
    store.save_account(row("acct-b"))
    store.abandon_account_claim("acct-b")  # registered: kept
    store.abandon_account_claim("acct-none")  # idempotent
    assert store.account_exists("acct-b") and store.account_status("acct-b") == "active"


def test_reads_and_updates_check_tenancy(store):
    store.save_account(row("acct-a"))
    store.save_account(row("acct-b"))
    other = Scope(account_id="acct-b", key_id="acct-b.k1", role="admin")
    for call in (lambda: store.get_account(other, "acct-a"),
                 lambda: store.update_account(other, "acct-a", {"name": "pwned"}, T0)):
        with pytest.raises(Forbidden):
            call()
    assert store.load_account("acct-a").name == "Acct-A"
    assert store.get_account(Scope.system("acct-a"), "acct-a") == row("acct-a")
    with pytest.raises(NotFound):
        store.get_account(Scope.system(), "acct-none")


def test_an_update_changes_only_an_existing_account(store):
    store.save_account(row("acct-a"))
    later = T0 + timedelta(hours=1)
    changed = store.update_account(Scope.system(), "acct-a", {"name": "新名字", "status": "disabled",
                                                      "options": {"push": {"weekly": 4}}}, later)
    assert changed == row("acct-a", name="新名字", status="disabled", options={"push": {"weekly": 4}}).changed(
        updated_at=later)
    assert store.load_account("acct-a") == changed and store.account_status("acct-a") == "disabled"
    with pytest.raises(NotFound):
        store.update_account(Scope.system(), "acct-none", {"name": "x"}, later)
    assert not store.account_exists("acct-none")
    with pytest.raises(ValueError):
        store.update_account(Scope.system(), "acct-a", {"kind": "wecom"}, later)


def test_a_platform_scope_pages_through_every_account_and_an_account_sees_itself(store):
    ids = [f"acct-{i:02d}" for i in range(7)]
    for account_id in ids:
        store.save_account(row(account_id))
    seen, start = [], None
    for _ in range(10):
        rows, start = store.accounts_page(Scope.system(), limit=3, start=start)
        assert len(rows) <= 3
        seen += [r.account_id for r in rows]
        if start is None:
            break
    assert sorted(seen) == ids
    mine = Scope(account_id="acct-03", key_id="acct-03.k1", role="read-only")
    assert store.accounts_page(mine, limit=3) == ([row("acct-03")], None)
    assert sorted(r.account_id for r in store.every_account()) == ids


def test_one_callback_token_belongs_to_one_account(store):
    store.claim_token("acct-a", "TokenOne")
    store.claim_token("acct-a", "TokenOne")  # idempotent for its holder
    with pytest.raises(Conflict):
        store.claim_token("acct-b", "TokenOne")
    store.release_token("acct-b", "TokenOne")  # not the holder: nothing happens
    with pytest.raises(Conflict):
        store.claim_token("acct-b", "TokenOne")
    store.release_token("acct-a", "TokenOne")
    store.claim_token("acct-b", "TokenOne")
