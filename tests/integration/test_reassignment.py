"""Reassignment against the WeChat sandbox: callback to final state, faults and crashes, re-offers, bad input."""

from collections import Counter

import pytest

from local.sandbox import SandboxClient
from scrm import errors
from scrm.domain import reassignment as rules
from scrm.services import reassignment as svc
from scrm.tenancy import Scope
from tests.crashes import crash_at
from tests.timing import answer_lost

ACC = "test-wecom"
SYS = Scope.system(ACC)


@pytest.fixture
def corp(wecom_account, sandbox):
    sb = SandboxClient(sandbox.url)
    for u in ("t1", "t2", "t3"):
        sb.wecom_staff(wecom_account.app_id, u)
    return sb, wecom_account.app_id


def leave(sb, corpid, userid, customers, chats=0):
    ids = sb.wecom_customers(corpid, userid, count=customers)["external_userids"]
    if chats:
        sb.wecom_groupchats(corpid, userid, count=chats)
    sb.wecom_event(corpid, "delete_user", userid=userid)
    return ids


def final_states(plan_id):
    from scrm.data.transfers import TransferItem

    return {i.target_id: i.state for i in TransferItem.query(f"{ACC}#{plan_id}")}


def accepted_per_customer(sb):
    """How many transfer calls WeCom accepted (errcode 0) for each customer: must be exactly one."""
    n = Counter()
    for call in sb.calls(path_contains="transfer_customer"):
        for row in (call["response"] or {}).get("customer") or []:
            if row["errcode"] == 0:
                n[row["external_userid"]] += 1
    return n


def test_departure_callback_runs_to_every_customer_done(corp):
    sb, corpid = corp
    ids = leave(sb, corpid, "leaver", 230, chats=2)
    from scrm.services.events import handlers_for

    payload = {"account_id": ACC, "platform": "wecom", "kind": "wecom.change_contact.delete_user",
               "dedupe_key": "d1", "event": {"UserID": "leaver", "ChangeType": "delete_user"}}
    for handler in handlers_for(payload["kind"]):
        handler(payload)
    plan = svc.staff_history(SYS, ACC, "leaver")[0]
    assert plan["trigger"] == "callback" and plan["counts"]["total"] == 232
    first = svc.advance(ACC, plan["plan_id"])
    assert first["more"] and first["counts"]["waiting"] == 230 and first["counts"]["done"] == 2
    # 230 customers over 3 takeovers: 77/77/76 -> one call each; 2 chats -> one call each
    assert first["transfer_calls"] == 5
    sb.advance(86400 + 60)
    last = svc.advance(ACC, plan["plan_id"])
    assert last["status"] == "done" and not last["more"]
    states = final_states(plan["plan_id"])
    assert set(states) >= set(ids) and set(states.values()) == {rules.DONE}
    assert all(n == 1 for n in accepted_per_customer(sb).values()) and len(accepted_per_customer(sb)) == 230
    view = svc.get_plan(SYS, ACC, plan["plan_id"])
    assert sorted(n["customers"] for n in view["notices"]) == [76, 77, 77]
    assert sb.wecom_customer(corpid, ids[0])["owners"] != ["leaver"]
    # the redelivered callback does not start a second plan
    for handler in handlers_for(payload["kind"]):
        handler(payload)
    assert len(svc.staff_history(SYS, ACC, "leaver")) == 1


# a timed-out transfer that WeCom did anyway: before our next look, or only once the plan has moved on
@pytest.mark.parametrize("landing", ["now", "later"])
def test_faults_and_crashes_mid_plan_resume_without_double_sends(corp, monkeypatch, landing):
    sb, corpid = corp
    ids = leave(sb, corpid, "leaver", 210)
    plan = svc.create_plan(SYS, ACC, "leaver", include_chats=False)
    from scrm import accounts
    from scrm.gateway import gateway_for

    gw = gateway_for(accounts.get(ACC))
    clock = [1_000_000.0]
    monkeypatch.setattr(svc, "_now", lambda: clock[0])
    path = "externalcontact/resigned/transfer_customer"
    crashes = crash_at(monkeypatch, svc, after_call=2, before_call=1, after_store=1)
    sb.fault(path, errcode=-1, times=3)  # the gateway retries twice, then gives up: batch left `sending`
    late = answer_lost(monkeypatch, path, after=3, land=landing)  # then a timeout, the transfer done regardless
    sb.fault(path, errcode=45009, times=3)
    runs = 0
    while True:
        runs += 1
        assert runs < 40
        try:
            out = svc.advance(ACC, plan["plan_id"], gw=gw, poll=False)
        except svc.SimulatedCrash:
            clock[0] += svc.PLAN_LEASE_SECONDS + 1  # the function died; its leases run out
            continue
        if out["counts"]["planned"] == 0:
            break
        clock[0] += svc.LEASE_SECONDS + 1
    assert not any(crashes.values())  # every crash point was hit
    assert sb.faults() == []  # and every injected fault
    assert late.left == 0
    late.land()
    sb.clear_faults()
    sb.advance(86400 + 60)
    clock[0] += 10
    out = svc.advance(ACC, plan["plan_id"], gw=gw)
    states = final_states(plan["plan_id"])
    assert sorted(states) == sorted(ids)  # none forgotten
    assert Counter(states.values()) == {rules.DONE: 210}, Counter(states.values())  # exactly one final state
    assert out["status"] == "done"
    accepted = accepted_per_customer(sb)
    assert set(accepted) == set(ids) and set(accepted.values()) == {1}  # none sent twice
    transfers = Counter(t["external_userid"] for t in sb.wecom_transfers(corpid))
    assert set(transfers.values()) == {1}


def test_refused_and_over_limit_customers_go_to_the_next_takeover(corp):
    sb, corpid = corp
    ids = leave(sb, corpid, "leaver", 9)
    svc.set_policy(SYS, ACC, {"strategy": "round_robin", "max_offers": 2})
    plan = svc.create_plan(SYS, ACC, "leaver")
    svc.advance(ACC, plan["plan_id"])
    refused, limited, stubborn = ids[0], ids[1], ids[2]
    for ext, status in ((refused, 3), (limited, 4), (stubborn, 3)):
        sb.wecom_transfer_outcome(corpid, ext, status)
    # one of them also arrives as a transfer_fail callback
    item = next(i for i in svc.customer_status(SYS, ACC, limited))
    from scrm.services.events import handlers_for

    payload = {"account_id": ACC, "platform": "wecom", "kind": "wecom.change_external_contact.transfer_fail",
               "dedupe_key": "f1", "event": {"UserID": item["takeover_userid"], "ExternalUserID": limited,
                                             "FailReason": "customer_limit_exceed"}}
    assert [h(payload) for h in handlers_for(payload["kind"])] == [{"applied": 1}]
    out = svc.advance(ACC, plan["plan_id"])  # poll: refusals seen, re-offered, re-sent
    assert out["counts"]["waiting"] == 9
    sb.wecom_transfer_outcome(corpid, stubborn, 3)  # refuses the second takeover too
    sb.advance(86400 + 60)
    out = svc.advance(ACC, plan["plan_id"])
    assert out["status"] == "done"
    states = final_states(plan["plan_id"])
    assert states[stubborn] == rules.REFUSED and states[refused] == rules.DONE and states[limited] == rules.DONE
    hist = svc.customer_status(SYS, ACC, refused)[0]
    assert len(hist["tried"]) == 2 and hist["tried"][0] != hist["tried"][1]
    assert sb.wecom_customer(corpid, refused)["owners"] == [hist["tried"][1]]
    page = svc.list_items(SYS, ACC, plan["plan_id"], status="refused")
    assert [i["id"] for i in page["items"]] == [stubborn] and page["items"][0]["reason"]


def test_staff_who_has_not_left_or_does_not_exist_is_a_clear_error(corp):
    sb, corpid = corp
    sb.wecom_customers(corpid, "still_here", count=3)
    with pytest.raises(errors.ValidationError, match="40097"):
        svc.create_plan(SYS, ACC, "still_here", mode="resigned")
    with pytest.raises(errors.NotFound, match="nobody"):
        svc.preview(SYS, ACC, "nobody", mode="resigned")
    with pytest.raises(errors.NotFound):
        svc.preview(SYS, ACC, "nobody", mode="onjob")
    with pytest.raises(errors.ValidationError):
        svc.preview(SYS, ACC, "still_here", mode="onjob", customers=["wm-not-theirs"])


def test_onjob_transfer_checks_our_90_day_ledger_first(corp):
    sb, corpid = corp
    ids = sb.wecom_customers(corpid, "mover", count=4)["external_userids"]
    from scrm.data.transfer_ledger import TransferLedgerEntry

    now = int(svc._now())
    for k in range(2):
        TransferLedgerEntry(customer_key=f"{ACC}#{ids[0]}", entry=f"{now - 1000 * (k + 1):010d}#old#x",
                            at=now - 1000 * (k + 1), plan_id="old", takeover_userid="x", mode="onjob").save()
    pv = svc.preview(SYS, ACC, "mover", mode="onjob", customers=ids[:3], include_chats=False)
    assert pv["blocked_by_90_day_rule"] == [ids[0]] and pv["customers"] == 2
    plan = svc.create_plan(SYS, ACC, "mover", mode="onjob", customers=ids[:3], include_chats=False)
    svc.advance(ACC, plan["plan_id"])
    calls = sb.calls(path_contains="externalcontact/transfer_customer")
    sent = {e for c in calls for e in c["body"]["external_userid"]}
    assert sent == set(ids[1:3])  # the blocked customer was never sent, the 4th was not chosen
    sb.advance(86400 + 60)
    svc.advance(ACC, plan["plan_id"])
    states = final_states(plan["plan_id"])
    assert states == {ids[0]: rules.FAILED, ids[1]: rules.DONE, ids[2]: rules.DONE}
    assert len(list(TransferLedgerEntry.query(f"{ACC}#{ids[1]}"))) == 1  # our ledger counts it now


@pytest.mark.parametrize("fault", [{"errcode": -1}, {"answer": "html"}])
def test_a_transfer_wecom_processed_but_answered_busy_is_reconciled_never_resent(corp, monkeypatch, fault):
    """-1 (or a page that is not JSON) after WeCom did the transfer: the gateway must not resend it blindly;
    the next pass looks (transfer_result, groupchat/get) and finds every target already moving."""
    sb, corpid = corp
    ids = leave(sb, corpid, "leaver", 5, chats=1)
    plan = svc.create_plan(SYS, ACC, "leaver", takeovers=["t1"])
    clock = [1_000_000.0]
    monkeypatch.setattr(svc, "_now", lambda: clock[0])
    for path in ("externalcontact/resigned/transfer_customer", "externalcontact/groupchat/transfer"):
        sb.fault(path, platform="wecom", times=1, apply=True, **fault)
    first = svc.advance(ACC, plan["plan_id"], poll=False)
    assert first["more"] and first["counts"]["planned"] == 6  # nothing recorded: the outcome is unknown
    for _ in range(3):
        clock[0] += svc.LEASE_SECONDS + 1
        out = svc.advance(ACC, plan["plan_id"], poll=False)
        if out["counts"]["planned"] == 0:
            break
    assert out["reconciled_batches"] >= 1
    assert len(sb.calls(path_contains="resigned/transfer_customer")) == 1  # sent once, never blindly again
    assert len(sb.calls(path_contains="groupchat/transfer")) == 1
    calls = [c["path"] for c in sb.calls(platform="wecom") if "transfer" in c["path"]]
    assert calls.index("externalcontact/resigned/transfer_result") > calls.index(
        "externalcontact/resigned/transfer_customer")  # looked before deciding
    states = final_states(plan["plan_id"])
    assert {states[i] for i in ids} == {rules.WAITING} and list(states.values()).count(rules.DONE) == 1
    transfers = Counter(t["external_userid"] for t in sb.wecom_transfers(corpid))
    assert set(transfers) == set(ids) and set(transfers.values()) == {1}
