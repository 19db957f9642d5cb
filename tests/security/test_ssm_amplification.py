"""Attack: make the public `/u/` routes read SSM for ids that are no account (or with junk tokens), to exhaust the
SSM request quota that every tenant's callbacks depend on. Held: the account is checked first (with a negative
cache), a user-token key is read once per account and container, so 50 random ids cost 0 SSM calls."""

from __future__ import annotations

import time
import uuid

import pytest

ACCT = "acme"


class Calls(list):
    token = ""


@pytest.fixture
def ssm_calls(aws):
    from tests.integration.admin_helpers import register

    register(ACCT)
    from scrm import accounts, bootstrap
    from scrm.aws import client
    from scrm.services import campaigns as svc
    from scrm.tenancy import Scope

    now = time.time()
    svc.create_campaign(Scope.system(ACCT), ACCT, {
        "campaign_id": "spring", "name": "Spring", "starts_at": int(now - 60), "ends_at": int(now + 3600),
        "status": "active", "eligibility": {"must_follow": False},
        "prizes": [{"prize_id": "mug", "name": "Mug", "kind": "physical", "weight": 1, "stock": 100}]})
    token = svc.issue_user_token(ACCT, "u1", ttl=600)["token"]
    accounts.forget_cache()  # a cold container: nothing about any account in memory
    bootstrap.reset()  # nor any user-token key or unknown account
    calls = Calls()
    client("ssm").meta.events.register("before-call.ssm", lambda **kw: calls.append(kw["model"].name))
    calls.token = token
    yield calls
    bootstrap.reset()


def test_random_account_ids_cost_no_ssm_call(ssm_calls):
    from chalice.test import Client

    from app import app

    answers = []
    with Client(app) as c:
        for _ in range(50):
            acct = "x" + uuid.uuid4().hex[:12]
            for method, path in (("post", f"/u/{acct}/campaigns/spring/draws"), ("get", f"/u/{acct}/campaigns/s"),
                                 ("post", f"/u/{acct}/oauth")):
                r = getattr(c.http, method)(path, headers={"Authorization": f"Bearer v1.{uuid.uuid4().hex}.sig",
                                                           "Content-Type": "application/json"},
                                            body='{"request_id": "request-0001", "code": "c"}')
                answers.append((r.status_code, r.json_body["error"]["code"]))
    assert ssm_calls == []
    assert set(answers) == {(404, "unknown_account")}


def test_an_unknown_id_asked_again_is_answered_from_memory(ssm_calls, monkeypatch):
    from chalice.test import Client

    from app import app
    from scrm.data.accounts import AccountRecord

    reads = []
    real = AccountRecord.get.__func__
    monkeypatch.setattr(AccountRecord, "get", classmethod(lambda cls, *a, **k: reads.append(a) or real(cls, *a, **k)))
    with Client(app) as c:
        for _ in range(20):
            r = c.http.post("/u/xunknown1/campaigns/spring/draws", headers={"Authorization": "Bearer v1.a.b"},
                            body="{}")
            assert r.status_code == 404
    assert len(reads) == 1 and ssm_calls == []


def test_junk_tokens_for_a_real_account_read_its_secrets_once(ssm_calls):
    from chalice.test import Client

    from app import app

    with Client(app) as c:
        for i in range(50):
            r = c.http.post(f"/u/{ACCT}/campaigns/spring/draws", body='{"request_id": "request-0001"}',
                            headers={"Authorization": f"Bearer v1.{uuid.uuid4().hex}.sig{i}",
                                     "Content-Type": "application/json"})
            assert r.status_code == 401 and r.json_body["error"]["code"] == "bad_signature"
        for i in range(20):  # and real draws by a signed-in user
            r = c.http.post(f"/u/{ACCT}/campaigns/spring/draws", body=f'{{"request_id": "request-{i:04d}"}}',
                            headers={"Authorization": f"Bearer {ssm_calls.token}",
                                     "Content-Type": "application/json"})
            assert r.status_code == 200
    assert ssm_calls == ["GetParametersByPath"]  # one read of the account's secrets, for 70 requests


def test_malformed_tokens_are_refused_before_any_lookup(ssm_calls, monkeypatch):
    from chalice.test import Client

    from app import app
    from scrm.data.accounts import AccountRecord

    reads = []
    real = AccountRecord.get.__func__
    monkeypatch.setattr(AccountRecord, "get", classmethod(lambda cls, *a, **k: reads.append(a) or real(cls, *a, **k)))
    with Client(app) as c:
        for token in ("junk", "a.b", "x" * 5000):
            r = c.http.post(f"/u/x{uuid.uuid4().hex[:8]}/campaigns/spring/draws", body="{}",
                            headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 401 and r.json_body["error"]["code"] == "malformed_token"
    assert reads == [] and ssm_calls == []
