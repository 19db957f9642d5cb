"""Stock and configuration change together or not at all (moto, atomic per request like DynamoDB). Concurrency
is interleaved deterministically: the second change runs inside the first one's read, not by timing."""

from __future__ import annotations

import time

import pytest

from scrm.tenancy import Scope

ACCT = "acme"


@pytest.fixture
def acct(aws):
    from tests.integration.admin_helpers import register

    register(ACCT)
    return Scope.system(ACCT)


def body(now, **over):
    b = {"campaign_id": "spring", "name": "Spring", "starts_at": int(now - 60), "ends_at": int(now + 3600),
         "status": "active", "eligibility": {"must_follow": False},
         "prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 10, "shards": 2},
                    {"prize_id": "c10", "name": "10 off", "kind": "coupon", "weight": 1}]}
    b.update(over)
    return b


def shards(prize_id):
    from scrm.data.prizes import PrizeShard

    return {int(s.shard): (int(s.stock), int(s.issued))
            for s in PrizeShard.query(f"{ACCT}#spring", PrizeShard.shard_key.startswith(f"{prize_id}#"))}


def stock(prize_id):
    return sum(total for total, _ in shards(prize_id).values())


def with_stock(b, prize_id, value):
    return {**b, "prizes": [{**p, "stock": value} if p["prize_id"] == prize_id else p for p in b["prizes"]]}


def interleave(monkeypatch, inner):
    """Run `inner()` right after the next campaign read, before the change computed from it is written."""
    from scrm.services import campaigns as svc

    real = svc._load
    pending = [inner]

    def load(*args, **kw):
        record = real(*args, **kw)
        if pending:
            pending.pop()()
        return record

    monkeypatch.setattr(svc, "_load", load)


def test_two_interleaved_stock_updates_add_the_stock_once(acct, monkeypatch):
    from scrm.errors import Conflict
    from scrm.services import campaigns as svc

    now = time.time()
    b = body(now)
    svc.create_campaign(acct, ACCT, b)
    interleave(monkeypatch, lambda: svc.update_campaign(acct, ACCT, "spring", with_stock(b, "mug", 20)))
    with pytest.raises(Conflict):  # both read version 1 with stock 10; the second to write must lose
        svc.update_campaign(acct, ACCT, "spring", with_stock(b, "mug", 20))
    monkeypatch.undo()
    got = svc.get_campaign(acct, ACCT, "spring")
    assert got["prizes"][0]["stock"] == 20 and got["version"] == 2
    assert stock("mug") == 20 and svc.report(acct, ACCT, "spring")["prizes"][0]["stock_left"] == 20


def test_a_refused_update_adds_no_stock(acct):
    from scrm.errors import Conflict, ValidationError
    from scrm.services import campaigns as svc

    now = time.time()
    b = body(now)
    svc.create_campaign(acct, ACCT, b)
    with pytest.raises(Conflict):
        svc.update_campaign(acct, ACCT, "spring", {**with_stock(b, "mug", 50), "version": 7})
    too_many = [{"prize_id": f"p{i}", "name": "P", "kind": "physical", "weight": 1, "stock": 1000, "shards": 64}
                for i in range(2)]
    with pytest.raises(ValidationError) as err:  # 128 shard items: more than one transaction holds
        svc.update_campaign(acct, ACCT, "spring", {**with_stock(b, "mug", 50), "prizes": b["prizes"] + too_many})
    assert err.value.field == "prizes"
    assert stock("mug") == 10 and shards("p0") == {} and svc.get_campaign(acct, ACCT, "spring")["version"] == 1


def test_creating_an_existing_id_touches_no_stock(acct):
    from scrm.errors import Conflict
    from scrm.services import campaigns as svc

    now = time.time()
    svc.create_campaign(acct, ACCT, body(now))
    with pytest.raises(Conflict):
        svc.create_campaign(acct, ACCT, with_stock(body(now), "mug", 99))
    assert stock("mug") == 10


def test_an_upload_never_reverts_a_concurrent_rename(acct, monkeypatch):
    from scrm.services import campaigns as svc

    now = time.time()
    b = body(now)
    svc.create_campaign(acct, ACCT, b)
    renamed = {**b, "name": "Spring sale", "ends_at": int(now + 7200)}
    interleave(monkeypatch, lambda: svc.update_campaign(acct, ACCT, "spring", renamed))
    result = svc.upload_codes(acct, ACCT, "spring", "c10", ["A1", "A2", "A3"])
    monkeypatch.undo()
    got = svc.get_campaign(acct, ACCT, "spring")
    assert got["name"] == "Spring sale" and got["ends_at"] == svc.rules.iso(int(now + 7200))
    assert result["stock"] == 3 and got["prizes"][1]["stock"] == 3 and got["version"] == 3
    assert stock("c10") == 3


def test_an_upload_bumps_the_version_so_a_stale_edit_is_refused(acct):
    from scrm.errors import Conflict
    from scrm.services import campaigns as svc

    now = time.time()
    b = body(now)
    seen = svc.create_campaign(acct, ACCT, b)["version"]
    svc.upload_codes(acct, ACCT, "spring", "c10", ["A1"])
    with pytest.raises(Conflict):  # computed from before the upload: it would have hidden the codes
        svc.update_campaign(acct, ACCT, "spring", {**b, "name": "Stale", "version": seen})
    assert svc.get_campaign(acct, ACCT, "spring")["prizes"][1]["stock"] == 1


def test_coupon_shards_follow_the_codes(acct):
    from scrm.services import campaigns as svc

    now = time.time()
    b = body(now)
    svc.create_campaign(acct, ACCT, b)
    assert svc.upload_codes(acct, ACCT, "spring", "c10", [f"S{i:04d}" for i in range(50)])["shards"] == 1
    result = svc.upload_codes(acct, ACCT, "spring", "c10", [f"L{i:04d}" for i in range(2000)])
    assert result["stock"] == 2050 and result["shards"] == svc.rules.default_shards(2050) == 8
    layout = shards("c10")
    assert sorted(layout) == list(range(8)) and sum(t for t, _ in layout.values()) == 2050
    assert max(t for t, _ in layout.values()) - min(t for t, _ in layout.values()) <= 50 + 1
    assert svc.get_campaign(acct, ACCT, "spring")["prizes"][1]["shards"] == 8
    # an admin may also raise it (never lower it: codes sit in every shard)
    from scrm.errors import ValidationError

    mug_off = {**b["prizes"][0], "weight": 0}
    raised = {**b, "prizes": [mug_off, {**b["prizes"][1], "shards": 12}]}
    assert svc.update_campaign(acct, ACCT, "spring", raised)["prizes"][1]["shards"] == 12
    with pytest.raises(ValidationError):
        svc.update_campaign(acct, ACCT, "spring", {**b, "prizes": [mug_off, {**b["prizes"][1], "shards": 2}]})
    codes = [svc.draw(ACCT, "spring", f"u{i}", f"request-{i:04d}")["prize"]["code"] for i in range(40)]
    assert len(set(codes)) == 40  # shards 8-11 hold no codes yet: draws skip them
    assert sum(issued for _, issued in shards("c10").values()) == 40


def test_a_failed_upload_can_be_retried_and_places_every_code(acct, monkeypatch):
    from scrm.data import campaign_changes
    from scrm.services import campaigns as svc

    now = time.time()
    svc.create_campaign(acct, ACCT, body(now))

    def crash(*a, **k):
        raise ConnectionError("lost the connection before the transaction")

    monkeypatch.setattr(campaign_changes, "commit", crash)
    with pytest.raises(ConnectionError):
        svc.upload_codes(acct, ACCT, "spring", "c10", ["A1", "A2"])
    monkeypatch.undo()
    assert stock("c10") == 0  # the slots it wrote are beyond the stock: no draw sees them
    again = svc.upload_codes(acct, ACCT, "spring", "c10", ["A1", "A2", "A3"])
    assert again["added"] == 3 and again["duplicates"] == 0 and stock("c10") == 3
    assert svc.upload_codes(acct, ACCT, "spring", "c10", ["A1"])["duplicates"] == 1


def test_a_concurrent_upload_to_the_same_prize_is_refused_whole(acct, monkeypatch):
    from scrm.errors import Conflict
    from scrm.services import campaigns as svc

    now = time.time()
    svc.create_campaign(acct, ACCT, body(now))
    outcome = {}

    def second():
        try:
            svc.upload_codes(acct, ACCT, "spring", "c10", ["B1", "B2"])
        except Conflict as exc:
            outcome["second"] = exc

    real = svc._take_upload_lease

    def take(pool, now):
        lease = real(pool, now)
        if "ran" not in outcome:
            outcome["ran"] = True
            second()
        return lease

    monkeypatch.setattr(svc, "_take_upload_lease", take)
    assert svc.upload_codes(acct, ACCT, "spring", "c10", ["A1", "A2"])["stock"] == 2
    monkeypatch.undo()
    assert isinstance(outcome["second"], Conflict) and stock("c10") == 2
    assert svc.upload_codes(acct, ACCT, "spring", "c10", ["B1", "B2"])["stock"] == 4
