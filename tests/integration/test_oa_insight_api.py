"""OA insight over moto and the WeChat sandbox: the schedule's real handler (functions/oa_insight.py) pulls the
sandbox's datacube through the OA gateway (full datacube URLs, the gateway's policy), back-fills 30 days in
ceil(30 / span) calls per API, stores per API per day, is idempotent on re-run, records an API the sandbox refuses
(48001) while the others go on; the admin API serves the days (JSON, CSV with a BOM) and the CLI prints them."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, timedelta

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.domain.channels import day_of
from scrm.domain.insight import APIS, MAX_SPAN
from scrm.tenancy import Scope


@pytest.fixture
def oa(oa_account, sandbox, monkeypatch):
    sb = SandboxClient(sandbox.url)
    sb.oa_followers(oa_account.app_id, count=50)
    sb.advance(-86400)  # yesterday: three follow through a code, one of them leaves again
    for openid in ("o_it_1", "o_it_2", "o_it_3"):
        sb.oa_event(oa_account.app_id, "subscribe", openid=openid, scene="shop-1")
    sb.oa_event(oa_account.app_id, "unsubscribe", openid="o_it_3")
    sb.advance(86400)
    now = sb.now()
    monkeypatch.setattr(bootstrap.container(), "clock", lambda: now)  # our days are the sandbox's days
    yesterday = (date.fromisoformat(day_of(now)) - timedelta(days=1)).isoformat()
    sb.oa_datacube(oa_account.app_id, "getarticleread", yesterday,
                   [{"msgid": "2247490098_1", "detail": {"read_user": 40}},
                    {"msgid": "2247490098_2", "detail": {"read_user": 2}}])
    sb.oa_datacube(oa_account.app_id, "getarticleshare", yesterday,
                   [{"msgid": "2247490098_1", "detail": {"share_user": 6}}])
    return sb, oa_account, yesterday


def _key(account_id: str, role: str = "read-only") -> str:
    from scrm.services import admin_keys

    return admin_keys.issue(Scope.system(account_id), account_id, role=role, name="insight test")[1]


def test_the_daily_pull_back_fills_and_the_api_serves_the_days(oa):
    from chalice.test import Client

    from app import app
    from functions.oa_insight import oa_insight
    from tests.packaging.recorded import SCHEDULED, LambdaContext

    sb, account, yesterday = oa
    sb.fault("datacube/getinterfacesummary", errcode=48001, platform="oa", times=1)
    out = oa_insight(SCHEDULED, LambdaContext("OaInsight"))
    assert out["accounts"] == 1 and out["refused"] == 1 and out["failed_accounts"] == 0
    calls = {api: len(sb.calls(path_contains=f"datacube/{api}")) for api in APIS}
    assert calls == {api: math.ceil(30 / MAX_SPAN[api]) for api in APIS}  # the floor; interface refused at once
    assert all(c["errcode"] in (0, None) for c in sb.calls(path_contains="datacube/getusersummary"))
    assert oa_insight(SCHEDULED, LambdaContext("OaInsight"))["calls"] == 0  # a re-run asks nothing (interface paused)
    a, key = account.account_id, _key(account.account_id)
    with Client(app) as client:
        h = {"Authorization": f"Bearer {key}"}
        r = client.http.get(f"/accounts/{a}/insight/figures?from={yesterday}&to={yesterday}", headers=h)
        assert r.status_code == 200, r.body
        day = r.json_body["days"][0]
        assert (day["new_user"], day["cancel_user"], day["net_user"], day["cumulate_user"]) == (3, 1, 2, 52)
        assert day["by_source"] == [{"user_source": 30, "new_user": 3, "cancel_user": 1}]
        assert (day["read_user"], day["share_user"]) == (42, 6)
        assert day["articles"][0] == {"msgid": "2247490098_1", "read_user": 40, "share_user": 6}
        assert day["callback_count"] is None  # refused: not a zero WeChat never said
        assert [(x["api"], x["errcode"]) for x in r.json_body["refusals"]] == [("getinterfacesummary", 48001)]
        r = client.http.get(f"/accounts/{a}/insight/figures.csv?from={yesterday}&to={yesterday}", headers=h)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
        assert r.body.startswith("\ufeff".encode())
        table = list(csv.DictReader(io.StringIO(r.body.decode("utf-8-sig"))))
        assert table[0]["new_user"] == "3" and table[0]["cumulate_user"] == "52" and table[0]["callback_count"] == ""
        bad = client.http.get(f"/accounts/{a}/insight/figures?from=2025-02-30", headers=h)
        assert bad.status_code == 400 and bad.json_body["error"]["field"] == "from"


def test_the_gateway_hears_the_date_range_error(oa):
    from scrm import accounts
    from scrm.errors import WeChatError
    from scrm.gateway import gateway_for

    sb, account, yesterday = oa
    gw = gateway_for(accounts.get(account.account_id))
    week_ago = (date.fromisoformat(yesterday) - timedelta(days=7)).isoformat()
    with pytest.raises(WeChatError) as err:  # 8 days: over getusersummary's 7
        gw.datacube("getusersummary", week_ago, yesterday)
    assert err.value.errcode == 61501
    assert len(gw.datacube("getusersummary", (date.fromisoformat(week_ago) + timedelta(days=1)).isoformat(),
                           yesterday)) >= 7


def test_the_cli_prints_and_downloads_the_figures(oa, tmp_path):
    from click.testing import CliRunner

    from app import app
    from scrm.services.insight.pull import pull_all
    from scrm_cli.main import cli
    from tests.integration.admin_helpers import served

    sb, account, yesterday = oa
    pull_all()
    key = _key(account.account_id)
    with served(app) as url:
        def run(*args):
            result = CliRunner().invoke(cli, ["--url", url, "--key", key, *args], catch_exceptions=False)
            assert result.exit_code == 0, result.output
            return result.stdout

        table = run("insight", "figures", account.account_id, "--from", yesterday, "--to", yesterday).splitlines()
        assert table[0].split()[:3] == ["day", "new_user", "cancel_user"]
        assert table[-1].split()[:5] == [yesterday, "3", "1", "2", "52"]
        path = tmp_path / "insight.csv"
        run("insight", "figures", account.account_id, "--from", yesterday, "--to", yesterday, "--csv", "-o", str(path))
        assert path.read_bytes().startswith(b"\xef\xbb\xbfday,new_user,")
