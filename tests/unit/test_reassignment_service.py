"""Reassignment use cases on the in-memory store and a fake WeCom (no moto, no sandbox): preview -> plan ->
advance -> notices -> sweep, re-offers, the on-job ledger, crashes and busy answers, policy validation, listings.

The same stories run against moto and the WeChat sandbox in tests/integration/test_reassignment.py, which keeps
what only a real store can show (conditional writes across processes, the wire format, the gateway's retries).
The sweep and least-loaded stories moved here from there: they test planning logic, not atomicity or the wire."""

from __future__ import annotations

import pytest

from scrm import bootstrap, errors
from scrm.domain import reassignment as rules
from scrm.services import reassignment as svc
from scrm.stores.reassignment import MemoryReassignmentStore
from scrm.tenancy import Scope
from tests.crashes import crash_at
from tests.timing import Clock
from tests.unit.fake_wecom import DAY, FakeWeCom

ACC = "corp-a"
SYS = Scope.system(ACC)


@pytest.fixture
def corp():
    clock = Clock(1_800_000_000)
    store = MemoryReassignmentStore()
    bootstrap.reset(clock=clock, reassignment_store=store)
    wecom = FakeWeCom(clock)
    for u in ("t1", "t2", "t3"):
        wecom.member(u)
    return wecom, clock, store


def states(plan_id: str) -> dict[str, str]:
    return {i["id"]: i["state"] for i in svc.list_items(SYS, ACC, plan_id)["items"]}


def test_a_departure_runs_to_every_customer_done_and_each_takeover_is_told_once(corp):
    wecom, clock, _ = corp
    ids = wecom.customers("leaver", 230)
    wecom.group_chats("leaver", 2)
    wecom.leave("leaver")
    svc.set_policy(SYS, ACC, {"notify_agentid": 1000002})
    pv = svc.preview(SYS, ACC, "leaver", gw=wecom)
    assert pv["customers"] == 230 and pv["chats"] == 2 and pv["customer_batches"] == 3
    plan = svc.on_departure(ACC, "leaver", gw=wecom)
    assert plan["trigger"] == "callback" and plan["counts"]["total"] == 232
    first = svc.advance(ACC, plan["plan_id"], gw=wecom)
    assert first["more"] and first["counts"]["waiting"] == 230 and first["counts"]["done"] == 2
    assert first["transfer_calls"] == 5  # 77/77/76 customers: one call per takeover; 2 chats: one call each
    clock.advance(DAY + 60)
    last = svc.advance(ACC, plan["plan_id"], gw=wecom)
    assert last["status"] == "done" and not last["more"]
    assert set(states(plan["plan_id"]).values()) == {rules.DONE} and set(states(plan["plan_id"])) >= set(ids)
    assert set(wecom.accepted().values()) == {1} and len(wecom.accepted()) == 230
    view = svc.get_plan(SYS, ACC, plan["plan_id"])
    assert sorted(n["customers"] for n in view["notices"]) == [76, 77, 77]
    assert {n["delivery"] for n in view["notices"]} == {"sent"} and len(wecom.sent_texts) == 3
    assert svc.advance(ACC, plan["plan_id"], gw=wecom) == {"plan_id": plan["plan_id"], "status": "done",
                                                          "more": False}
    assert len(wecom.sent_texts) == 3  # told once
    assert svc.on_departure(ACC, "leaver", gw=wecom) is None  # redelivered: nothing left to hand over
    assert [p["plan_id"] for p in svc.staff_history(SYS, ACC, "leaver")] == [plan["plan_id"]]


def test_a_redelivered_departure_while_the_plan_runs_starts_no_second_plan(corp):
    wecom, _, _ = corp
    wecom.customers("leaver", 3)
    wecom.leave("leaver")
    plan = svc.on_departure(ACC, "leaver", gw=wecom)
    assert svc.on_departure(ACC, "leaver", gw=wecom)["plan_id"] == plan["plan_id"]
    with pytest.raises(errors.Conflict):
        svc.create_plan(SYS, ACC, "leaver", gw=wecom)
    svc.set_policy(SYS, ACC, {"auto_on_departure": False})
    assert svc.on_departure(ACC, "someone", gw=wecom) is None


@pytest.mark.parametrize("lost", [False, True])
def test_crashes_and_busy_answers_resume_without_sending_anyone_twice(corp, monkeypatch, lost):
    wecom, clock, _ = corp
    ids = wecom.customers("leaver", 210)
    wecom.leave("leaver")
    plan = svc.create_plan(SYS, ACC, "leaver", include_chats=False, gw=wecom)
    crashes = crash_at(monkeypatch, svc, after_call=2, before_call=1, after_store=1)
    wecom.fail("transfer_customers", errors.WeChatBusy(-1, "system busy"), times=2)
    # a timeout after WeCom did the transfer (lost=True), or one before it did
    wecom.fail("transfer_customers", errors.WeChatUnavailable("read timeout"), lose_answer=lost)
    wecom.fail("transfer_result", errors.WeChatRateLimited(45009, "freq"))
    for _run in range(40):
        try:
            out = svc.advance(ACC, plan["plan_id"], gw=wecom, poll=False)
        except svc.SimulatedCrash:
            clock.advance(svc.PLAN_LEASE_SECONDS + 1)  # the function died; its leases run out
            continue
        if out["counts"]["planned"] == 0:
            break
        clock.advance(svc.LEASE_SECONDS + 1)
    assert not any(crashes.values()) and wecom.faults_left() == 0  # every crash point and fault was met
    assert set(wecom.accepted()) == set(ids) and set(wecom.accepted().values()) == {1}  # none sent twice
    clock.advance(DAY + 60)
    assert svc.advance(ACC, plan["plan_id"], gw=wecom)["status"] == "done"
    assert set(states(plan["plan_id"]).values()) == {rules.DONE}


def test_another_worker_holding_the_plan_lease_makes_a_pass_come_back_later(corp):
    wecom, clock, store = corp
    wecom.customers("leaver", 2)
    wecom.leave("leaver")
    plan = svc.create_plan(SYS, ACC, "leaver", gw=wecom)
    assert store.acquire_plan_lease(ACC, plan["plan_id"], "other", clock(), clock() + svc.PLAN_LEASE_SECONDS)
    assert svc.advance(ACC, plan["plan_id"], gw=wecom)["busy"] is True
    assert wecom.calls["transfer_customers"] == 0
    clock.advance(svc.PLAN_LEASE_SECONDS + 1)
    assert svc.advance(ACC, plan["plan_id"], gw=wecom)["counts"]["waiting"] == 2


def test_refused_and_over_limit_customers_go_to_the_next_takeover(corp):
    wecom, clock, _ = corp
    ids = wecom.customers("leaver", 9)
    wecom.leave("leaver")
    svc.set_policy(SYS, ACC, {"strategy": "round_robin", "max_offers": 2})
    plan = svc.create_plan(SYS, ACC, "leaver", gw=wecom)
    svc.advance(ACC, plan["plan_id"], gw=wecom)
    refused, limited, stubborn = ids[:3]
    for ext, status in ((refused, 3), (limited, 4), (stubborn, 3)):
        wecom.outcome(ext, status)
    takeover = svc.customer_status(SYS, ACC, limited)[0]["takeover_userid"]
    assert svc.on_transfer_fail(ACC, takeover, limited, "customer_limit_exceed") == 1
    assert svc.on_transfer_fail(ACC, takeover, limited, "customer_limit_exceed") == 0  # applied once
    out = svc.advance(ACC, plan["plan_id"], gw=wecom)  # poll: refusals seen, re-offered, re-sent
    assert out["counts"]["waiting"] == 9
    wecom.outcome(stubborn, 3)  # refuses the second takeover too
    clock.advance(DAY + 60)
    assert svc.advance(ACC, plan["plan_id"], gw=wecom)["status"] == "done"
    got = states(plan["plan_id"])
    assert got[stubborn] == rules.REFUSED and got[refused] == rules.DONE and got[limited] == rules.DONE
    hist = svc.customer_status(SYS, ACC, refused)[0]
    assert len(hist["tried"]) == 2 and hist["tried"][0] != hist["tried"][1]
    assert wecom.owners[refused] == [hist["tried"][1]]
    assert [i["id"] for i in svc.list_items(SYS, ACC, plan["plan_id"], status="refused")["items"]] == [stubborn]


def test_an_onjob_transfer_checks_our_90_day_ledger_first(corp):
    wecom, clock, store = corp
    ids = wecom.customers("mover", 4)
    now = int(clock())
    for k in range(2):
        store.record_transfer(ACC, ids[0], at=now - 1000 * (k + 1), plan_id="old", takeover="x", mode="onjob",
                              now=now)
    pv = svc.preview(SYS, ACC, "mover", mode="onjob", customers=ids[:3], include_chats=False, gw=wecom)
    assert pv["blocked_by_90_day_rule"] == [ids[0]] and pv["customers"] == 2
    plan = svc.create_plan(SYS, ACC, "mover", mode="onjob", customers=ids[:3], include_chats=False, gw=wecom)
    svc.advance(ACC, plan["plan_id"], gw=wecom)
    assert set(wecom.accepted()) == set(ids[1:3])  # the blocked customer was never sent, the 4th not chosen
    clock.advance(DAY + 60)
    svc.advance(ACC, plan["plan_id"], gw=wecom)
    assert states(plan["plan_id"]) == {ids[0]: rules.FAILED, ids[1]: rules.DONE, ids[2]: rules.DONE}
    assert len(store.ledger_times(ACC, ids[1], now - rules.ONJOB_WINDOW_SECONDS)) == 1  # our ledger counts it


def test_the_sweep_catches_a_departure_without_callback_once(corp):
    wecom, _, _ = corp
    wecom.customers("quiet", 5)
    wecom.leave("quiet")  # no callback was ever sent
    made = svc.sweep(ACC, gw=wecom)
    assert [p["handover_userid"] for p in made] == ["quiet"] and made[0]["trigger"] == "sweep"
    assert svc.sweep(ACC, gw=wecom) == []  # the running plan covers them
    assert svc.active_plans() == [(ACC, made[0]["plan_id"])]
    svc.set_policy(SYS, ACC, {"auto_sweep": False})
    assert svc.sweep(ACC, gw=wecom) == []


def test_staff_who_has_not_left_or_does_not_exist_is_a_clear_error(corp):
    wecom, _, _ = corp
    wecom.customers("still_here", 3)
    with pytest.raises(errors.ValidationError, match="40097") as e:
        svc.create_plan(SYS, ACC, "still_here", mode="resigned", gw=wecom)
    assert e.value.field == "handover_userid"
    with pytest.raises(errors.NotFound, match="nobody"):
        svc.preview(SYS, ACC, "nobody", mode="resigned", gw=wecom)
    with pytest.raises(errors.NotFound):
        svc.preview(SYS, ACC, "nobody", mode="onjob", gw=wecom)
    with pytest.raises(errors.ValidationError) as e:
        svc.preview(SYS, ACC, "still_here", mode="onjob", customers=["wm-not-theirs"], gw=wecom)
    assert e.value.field == "customers"
    with pytest.raises(errors.ValidationError) as e:
        svc.preview(SYS, ACC, "still_here", mode="sideways", gw=wecom)
    assert e.value.field == "mode"


def test_least_loaded_policy_evens_loads_and_history_is_the_accounts_own(corp):
    wecom, _, _ = corp
    wecom.customers("t1", 6)
    wecom.customers("t2", 2)
    wecom.customers("leaver", 6)
    wecom.leave("leaver")
    svc.set_policy(SYS, ACC, {"strategy": "least_loaded"})
    pv = svc.preview(SYS, ACC, "leaver", gw=wecom)
    assert {k: v["customers"] for k, v in pv["per_takeover"].items()} == {"t3": 4, "t2": 2}
    with pytest.raises(errors.Forbidden):
        svc.staff_history(Scope(account_id="other", key_id="k1", role="admin"), ACC, "leaver")


def test_a_bad_policy_reports_every_wrong_field_with_its_path(corp):
    with pytest.raises(errors.ValidationError) as e:
        svc.set_policy(SYS, ACC, {"strategy": "coin_flip", "max_offers": 0, "pool": ["t1", ""], "colour": "red"})
    fields = {d["field"] for d in e.value.details["errors"]}
    assert fields == {"strategy", "max_offers", "pool[1]", "colour"}
    with pytest.raises(errors.ValidationError) as e:
        svc.set_policy(SYS, ACC, {"strategy": "tag"})
    assert e.value.field == "tag"
    assert svc.get_policy(SYS, ACC)["strategy"] == "round_robin"  # nothing stored
    assert svc.set_policy(SYS, ACC, {"strategy": "tag", "tag": "vip", "pool": ["t1"]})["tag"] == "vip"
    assert svc.get_policy(SYS, ACC)["pool"] == ["t1"]


def test_listings_page_with_a_cursor(corp):
    wecom, clock, _ = corp
    ids = wecom.customers("leaver", 5)
    wecom.leave("leaver")
    plan = svc.create_plan(SYS, ACC, "leaver", gw=wecom)
    svc.advance(ACC, plan["plan_id"], gw=wecom)
    clock.advance(DAY + 60)
    svc.advance(ACC, plan["plan_id"], gw=wecom)
    first, cursor = svc.plan_items(SYS, ACC, plan["plan_id"], status="done", limit=3)
    assert len(first) == 3 and cursor
    rest, last = svc.plan_items(SYS, ACC, plan["plan_id"], status="done", limit=3, start=cursor)
    assert {i["target_id"] for i in first + rest} == set(ids) and last is None
    assert svc.plan_items(SYS, ACC, plan["plan_id"], status="waiting", limit=10) == ([], None)
    items, _ = svc.customer_items(SYS, ACC, ids[0], limit=10)
    assert [svc.customer_item_view(i)["status"] for i in items] == ["done"]


def test_without_the_notify_apps_secret_notices_are_unsent_with_the_reason_and_the_plan_finishes(corp):
    wecom, clock, _ = corp
    wecom.customers("leaver2", 4)
    wecom.leave("leaver2")
    wecom.app_secrets.clear()
    svc.set_policy(SYS, ACC, {"notify_agentid": 1000002})
    plan = svc.on_departure(ACC, "leaver2", gw=wecom)
    svc.advance(ACC, plan["plan_id"], gw=wecom)
    clock.advance(DAY + 60)
    assert svc.advance(ACC, plan["plan_id"], gw=wecom)["status"] == "done"
    view = svc.get_plan(SYS, ACC, plan["plan_id"])
    assert view["notices"] and all(n["delivery"].startswith("unsent: ") for n in view["notices"])
    assert "no Secret for WeCom app 1000002" in view["notices"][0]["delivery"]
    assert view["notice_counts"] == {"recorded": 0, "sent": 0, "failed": 0, "unsent": len(view["notices"])}
    assert wecom.sent_texts == []
    svc.advance(ACC, plan["plan_id"], gw=wecom)
    assert svc.get_plan(SYS, ACC, plan["plan_id"])["notice_counts"]["unsent"] == len(view["notices"])  # once
