"""End-to-end: a WeCom delete_user callback over HTTP -> event worker -> plan -> reassignment worker ->
transfers at the sandbox; the sandbox clock moves 24 h; the follow-up schedule finishes the plan; status
through the admin API."""

from tests.timing import wait_until


def test_departure_callback_to_every_customer_taken_over(stack):
    sb, corpid = stack.sandbox, stack.info["demo WeCom corpid"]
    for u in ("e2e_t1", "e2e_t2"):
        sb.wecom_staff(corpid, u)
    ids = sb.wecom_customers(corpid, "e2e_leaver", count=120)["external_userids"]
    admin = stack.admin("demo-wecom")
    base = f"{stack.api}/accounts/demo-wecom/reassignment"
    assert admin.put(f"{base}/policy", json={"strategy": "round_robin", "pool": ["e2e_t1", "e2e_t2"]},
                     timeout=10).status_code == 200
    sb.wecom_event(corpid, "delete_user", userid="e2e_leaver")  # signed + encrypted, to our callback URL

    def plans_made():
        stack.drain()
        return admin.get(f"{base}/staff/e2e_leaver/history", timeout=10).json()["items"]

    plans = wait_until(plans_made, what="the departure callback to start a plan")
    assert plans[0]["trigger"] == "callback"
    plan_id = plans[0]["plan_id"]
    stack.drain()
    plan = admin.get(f"{base}/plans/{plan_id}", timeout=10).json()
    assert plan["counts"]["waiting"] == 120, plan
    sb.advance(86400 + 60)  # put back after the test by the `stack` fixture (tests/local_stack.py)
    stack.fire("reassignment_follow_up")
    plan = admin.get(f"{base}/plans/{plan_id}", timeout=10).json()
    assert plan["status"] == "done" and plan["counts"]["done"] == 120
    assert sorted(n["customers"] for n in plan["notices"]) == [60, 60]
    owners = {o for e in ids[:10] for o in sb.wecom_customer(corpid, e)["owners"]}
    assert owners <= {"e2e_t1", "e2e_t2"}
