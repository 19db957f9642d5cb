"""The console's sandbox control (local/console_control.py) on the local stack: what it does, and who may.
(That no other stage has it: tests/security/test_sandbox_control_outside_local.py.)"""

from __future__ import annotations

import pytest
from chalice import Chalice
from chalice.test import Client

from tests.integration.admin_helpers import make_api


class Dispatcher:
    """The local stack's dispatcher as the control routes see it."""

    def __init__(self):
        self.drains, self.fired = 0, []

    def describe(self):
        return {"queues": ["events"], "schedules": ["content_push"], "pending": 0}

    def drain(self):
        self.drains += 1
        return True

    def fire(self, name):
        self.fired.append(name)
        return {"claimed": 0}


@pytest.fixture
def control(oa_account, wecom_account, sandbox):
    from local import console_control
    from local.sandbox import SandboxClient

    app = Chalice("control-test")
    app.experimental_feature_flags.update(["BLUEPRINTS"])
    dispatcher = Dispatcher()
    app.register_blueprint(console_control.blueprint(SandboxClient(sandbox.url), lambda: dispatcher, "local"))
    with Client(app) as client:
        api = make_api(client, ())
        from scrm.services import admin_keys
        from scrm.tenancy import Scope

        for account in (oa_account, wecom_account):
            for role in ("read-only", "operator"):
                api.keys[(account.account_id, role)] = admin_keys.issue(
                    Scope.system(account.account_id), account.account_id, role=role, name=role)[1]
        yield api, dispatcher, SandboxClient(sandbox.url)


def test_sandbox_control_simulates_moves_the_clock_and_drains(control, oa_account, wecom_account):
    api, dispatcher, sandbox = control
    oa, corp = oa_account.account_id, wecom_account.account_id
    op = api.key(oa, "operator")
    status = api.call("GET", f"/accounts/{oa}/local", op).json_body
    assert status["stage"] == "local" and status["actions"] == ["follow", "scan", "message", "unfollow"]
    follow = api.call("POST", f"/accounts/{oa}/local/simulate", op, {"action": "follow", "openid": "o-fan-9"})
    assert follow.status_code == 200, follow.body
    assert sandbox.oa_follower(oa_account.app_id, "o-fan-9")["subscribe"] == 1
    wrong = api.call("POST", f"/accounts/{oa}/local/simulate", op, {"action": "staff_left", "userid": "zhang"})
    assert wrong.status_code == 400 and wrong.json_body["error"]["field"] == "action"
    no_scene = api.call("POST", f"/accounts/{oa}/local/simulate", op, {"action": "scan"})
    assert no_scene.status_code == 400 and no_scene.json_body["error"]["field"] == "scene"
    corp_op = api.key(corp, "operator")
    assert api.call("POST", f"/accounts/{corp}/local/simulate", corp_op,
                    {"action": "new_customer", "userid": "zhang"}).status_code == 200
    assert api.call("POST", f"/accounts/{corp}/local/simulate", corp_op,
                    {"action": "staff_left", "userid": "zhang"}).status_code == 200
    staff = {s["userid"]: s for s in sandbox._call("GET", f"/wecom/{wecom_account.app_id}/staff")["staff"]}
    assert staff["zhang"]["status"] == "resigned"
    before = sandbox.clock()["offset"]
    assert api.call("POST", f"/accounts/{oa}/local/clock", op, {"seconds": 3600}).json_body["offset"] == before + 3600
    assert api.call("POST", f"/accounts/{oa}/local/clock", op, {"seconds": 0}).status_code == 400
    assert api.call("POST", f"/accounts/{oa}/local/drain", op).json_body["drained"] is True
    assert dispatcher.drains == 1
    assert api.call("POST", f"/accounts/{oa}/local/fire/content_push", op).status_code == 200
    assert api.call("POST", f"/accounts/{oa}/local/fire/rm-rf", op).status_code == 404
    assert dispatcher.fired == ["content_push"]
    assert api.call("POST", f"/accounts/{oa}/local/drain", api.key(oa, "read-only")).status_code == 403
    assert api.call("POST", f"/accounts/{corp}/local/drain", op).status_code == 403  # another account's key
