"""Staff figures over moto and the WeChat sandbox: the daily pull's real handler (functions/staff_figures.py) reads
the sandbox's 联系客户统计 and 群聊数据统计 in WeCom's shapes, stores per member per day, is idempotent on re-run, and
the admin API serves the rows (JSON, CSV with a BOM) and refuses bad ranges; the CLI prints and downloads them."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.domain.channels import day_of
from scrm.tenancy import Scope


@pytest.fixture
def corp(wecom_account, sandbox, monkeypatch):
    sb = SandboxClient(sandbox.url)
    now = sb.now()
    monkeypatch.setattr(bootstrap.container(), "clock", lambda: now)  # our days are the sandbox's days
    yesterday = (date.fromisoformat(day_of(now)) - timedelta(days=1)).isoformat()
    for userid in ("alice", "bob"):
        sb.wecom_staff(wecom_account.app_id, userid)
    sb.wecom_stats(wecom_account.app_id, "alice", yesterday,
                   behavior={"new_contact_cnt": 5, "chat_cnt": 3, "message_cnt": 40, "reply_percentage": 66.67,
                             "avg_reply_time": 12, "negative_feedback_cnt": 1, "new_apply_cnt": 2},
                   groupchat={"new_chat_cnt": 1, "chat_total": 4, "chat_has_msg": 2, "new_member_cnt": 9,
                              "member_total": 120, "member_has_msg": 30, "msg_total": 200})
    return sb, wecom_account, yesterday


def _key(account_id: str, role: str = "read-only") -> str:
    from scrm.services import admin_keys

    return admin_keys.issue(Scope.system(account_id), account_id, role=role, name="staff test")[1]


def test_the_daily_pull_stores_figures_and_the_api_serves_them(corp):
    from chalice.test import Client

    from app import app
    from functions.staff_figures import staff_figures
    from tests.packaging.recorded import SCHEDULED, LambdaContext

    sb, account, yesterday = corp
    out = staff_figures(SCHEDULED, LambdaContext("StaffFigures"))
    assert out == {"accounts": 1, "days": 30, "rows": 60, "failed_accounts": 0}
    assert len(sb.calls(path_contains="get_user_behavior_data")) == 2  # one per member, 30 days each
    assert len(sb.calls(path_contains="groupchat/statistic")) == 30  # one per day
    assert staff_figures(SCHEDULED, LambdaContext("StaffFigures"))["days"] == 1  # a re-run asks for yesterday only
    assert len(sb.calls(path_contains="get_user_behavior_data")) == 4  # yesterday again, one call per member
    assert len(sb.calls(path_contains="groupchat/statistic")) == 31
    a, key = account.account_id, _key(account.account_id)
    with Client(app) as client:
        h = {"Authorization": f"Bearer {key}"}
        r = client.http.get(f"/accounts/{a}/staff/figures?from={yesterday}&to={yesterday}", headers=h)
        assert r.status_code == 200, r.body
        rows = {x["userid"]: x for x in r.json_body["items"]}
        assert rows["alice"]["new_contact_cnt"] == 5 and rows["alice"]["reply_percentage"] == 66.67
        assert rows["alice"]["avg_reply_time"] == 12 and rows["alice"]["member_total"] == 120
        assert rows["bob"]["avg_reply_time"] is None and rows["bob"]["chat_cnt"] == 0
        r = client.http.get(f"/accounts/{a}/staff/figures?from={yesterday}&to={yesterday}&userid=bob&limit=1",
                            headers=h)
        assert [x["userid"] for x in r.json_body["items"]] == ["bob"]
        r = client.http.get(f"/accounts/{a}/staff/figures.csv?from={yesterday}&to={yesterday}", headers=h)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
        assert r.body.startswith("\ufeff".encode())
        table = list(csv.DictReader(io.StringIO(r.body.decode("utf-8-sig"))))
        assert [t["userid"] for t in table] == ["alice", "bob"] and table[0]["negative_feedback_cnt"] == "1"
        assert table[1]["avg_reply_time"] == ""
        bad = client.http.get(f"/accounts/{a}/staff/figures?from=2025-02-30", headers=h)
        assert bad.status_code == 400 and bad.json_body["error"]["field"] == "from"


def test_the_sandbox_refuses_what_wecom_refuses(corp):
    sb, account, yesterday = corp
    from scrm import accounts
    from scrm.errors import WeChatError
    from scrm.gateway import gateway_for

    gw = gateway_for(accounts.get(account.account_id))
    today_start = int(sb.now()) - 40 * 86400
    with pytest.raises(WeChatError) as err:  # a span of 40 days
        gw.user_behavior("alice", today_start, today_start + 40 * 86400)
    assert err.value.errcode == 600018
    with pytest.raises(WeChatError) as err:
        gw.user_behavior("nobody", today_start, today_start)
    assert err.value.errcode == 60111
    with pytest.raises(WeChatError) as err:  # today: group figures start at yesterday
        gw.group_chat_statistic(["alice"], int(sb.now()))
    assert err.value.errcode == 600018


def test_the_cli_prints_and_downloads_the_figures(corp, tmp_path):
    from click.testing import CliRunner

    from app import app
    from scrm.services.staff.figures import pull_all
    from scrm_cli.main import cli
    from tests.integration.admin_helpers import served

    sb, account, yesterday = corp
    pull_all()
    key = _key(account.account_id)
    with served(app) as url:
        def run(*args):
            result = CliRunner().invoke(cli, ["--url", url, "--key", key, *args], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.stdout

        table = run("staff", "figures", account.account_id, "--from", yesterday, "--to", yesterday).splitlines()
        assert table[0].split()[:3] == ["day", "userid", "new_contact_cnt"]
        assert next(line for line in table if "alice" in line).split()[2] == "5"
        import json

        rows = json.loads(run("staff", "figures", account.account_id, "--from", yesterday, "--to", yesterday,
                              "--json"))
        assert {r["userid"] for r in rows} == {"alice", "bob"}
        path = tmp_path / "figures.csv"
        run("staff", "figures", account.account_id, "--from", yesterday, "--to", yesterday, "--csv", "-o", str(path))
        assert path.read_bytes().startswith(b"\xef\xbb\xbfday,userid,")
