"""End to end over HTTP: a follower made by a signed follow callback, exported, then erased through the admin API
(202 and a status URL; the dispatcher runs the erasure worker off its queue until the request is done), the status
read back done with its counts, the export empty; a second follower erased with the CLI following the request
(`privacy erase --wait`)."""

import json
import secrets
import time

import pytest

pytestmark = pytest.mark.e2e


def follower(stack, appid: str) -> str:
    openid = "o-e2e-erase-" + secrets.token_hex(4)
    out = stack.sandbox.oa_event(appid, "subscribe", openid=openid, create_time=int(time.time()))
    assert out["status"] == 200, out
    assert stack.drain()
    return openid


def test_erasure_is_queued_done_by_the_worker_and_leaves_nothing(stack):
    admin, api = stack.admin("demo-oa"), f"{stack.api}/accounts/demo-oa"
    openid = follower(stack, stack.info["demo OA appid"])
    exported = admin.post(f"{api}/privacy/export", json={"openid": openid}, timeout=30)
    assert exported.status_code == 200 and "contacts" in exported.json()["tables"], exported.text

    res = admin.post(f"{api}/privacy/erase", json={"openid": openid}, timeout=30)
    assert res.status_code == 202, res.text
    asked = res.json()
    assert asked["status"] == "pending" and openid not in res.text
    assert stack.drain()
    status = admin.get(stack.api + asked["status_url"], timeout=30)
    assert status.status_code == 200, status.text
    done = status.json()
    assert done["status"] == "done" and done["tables_done"] == done["tables"], done
    assert done["erased"]["contacts"] >= 2 and done["items"] == sum(done["erased"].values())
    assert admin.post(f"{api}/privacy/export", json={"openid": openid}, timeout=30).json()["tables"] == {}
    audit = admin.get(f"{api}/audit", params={"action": "privacy.erase.done"}, timeout=30).json()["items"]
    assert any(e["object"] == asked["status_url"] for e in audit)


def test_the_cli_follows_an_erasure_until_it_is_done(stack):
    from click.testing import CliRunner

    from scrm_cli.main import cli

    openid = follower(stack, stack.info["demo OA appid"])
    result = CliRunner().invoke(cli, ["--url", stack.api, "--key", stack.key("demo-oa"), "--json", "privacy", "erase",
                                      "demo-oa", "--openid", openid, "--yes", "--wait", "120"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["status"] == "done" and done["erased"].get("contacts", 0) >= 2, done
    result = CliRunner().invoke(cli, ["--url", stack.api, "--key", stack.key("demo-oa"), "--json", "privacy",
                                      "erasure", "demo-oa", done["request_id"]], catch_exceptions=False)
    assert result.exit_code == 0 and json.loads(result.stdout)["status"] == "done"
