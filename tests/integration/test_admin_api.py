"""Admin API over chalice.test.Client with in-process moto: auth on every route, tenancy, accounts, keys,
audit, idempotency, pagination, JSON errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from functions.admin_common import PUBLIC_PATHS, PUBLIC_PREFIXES
from tests.integration.admin_helpers import demo_secrets, make_api


def is_public(path: str) -> bool:
    """Public on purpose (see admin_common.PUBLIC_*): everything else must answer like an admin route."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    with Client(app) as client:
        yield make_api(client)


def concrete(path: str, account_id: str = "acct-a") -> str:
    return path.replace("{account_id}", account_id).replace("{key_id}", f"{account_id}.k0000000000000000") \
        .replace("{", "").replace("}", "")


def admin_routes():
    from app import app

    for path, methods in app.routes.items():
        if is_public(path):
            continue
        for method in methods:
            yield path, method


def test_every_non_public_route_goes_through_admin_route():
    from app import app

    routes = [(p, m, e) for p, ms in app.routes.items() for m, e in ms.items()]
    assert len(routes) > 10
    for path, method, entry in routes:
        if not is_public(path):
            assert hasattr(entry.view_function, "admin_role"), f"{method} {path} is not wrapped by admin_route"


def test_every_route_refuses_missing_malformed_unknown_revoked_expired_keys(api):
    from scrm.data.admin_keys import AdminKeyRecord
    from scrm.services import admin_keys
    from scrm.tenancy import Scope

    _, revoked = admin_keys.issue(Scope.system("acct-a"), "acct-a", role="admin")
    admin_keys.revoke(Scope.system("acct-a"), "acct-a", revoked.split(".")[1] and ".".join(revoked.split(".")[1:3]))
    _, expired = admin_keys.issue(Scope.system("acct-a"), "acct-a", role="admin",
                                  expires_at=datetime.now(UTC) - timedelta(seconds=1))
    good = api.key("acct-a")
    tampered = good[:-4] + ("0000" if not good.endswith("0000") else "1111")
    unknown = re.sub(r"k[0-9a-f]{16}", "k" + "f" * 16, good)
    bad_headers = [{}, {"Authorization": "Bearer"}, {"Authorization": f"Basic {good}"},
                   {"Authorization": "Bearer not-a-key"}, {"Authorization": f"Bearer {tampered}"},
                   {"Authorization": f"Bearer {unknown}"}, {"Authorization": f"Bearer {revoked}"},
                   {"Authorization": f"Bearer {expired}"}]
    walked = 0
    for path, method in admin_routes():
        for headers in bad_headers:
            r = api.call(method, concrete(path), headers=headers, body={})
            assert r.status_code == 401, (method, path, headers, r.body)
            assert r.json_body["error"]["code"] == "unauthorized"
            assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
        walked += 1
    assert walked >= 13
    assert AdminKeyRecord.count("acct-a") == 5


def test_every_account_route_refuses_another_accounts_key(api):
    walked = 0
    for path, method in admin_routes():
        if "{account_id}" not in path:
            continue
        for role in ("read-only", "operator", "admin"):
            r = api.call(method, concrete(path, "acct-a"), key=api.key("acct-b", role), body={})
            assert r.status_code == 403, (method, path, role, r.body)
            assert r.json_body["error"]["code"] == "forbidden"
        walked += 1
    assert walked >= 10


def test_platform_only_routes_refuse_account_admin_keys(api):
    from app import app

    for path, methods in app.routes.items():
        for method, entry in methods.items():
            if getattr(entry.view_function, "admin_role", None) == "platform":
                r = api.call(method, concrete(path), key=api.key("acct-a", "admin"), body={})
                assert r.status_code == 403, (method, path)


def test_roles_are_enforced(api):
    r = api.call("POST", "/accounts/acct-a/keys", key=api.key("acct-a", "operator"), body={"role": "read-only"})
    assert r.status_code == 403 and "admin" in r.json_body["error"]["message"]
    r = api.call("GET", "/accounts/acct-a", key=api.key("acct-a", "read-only"))
    assert r.status_code == 200
    r = api.call("PATCH", "/accounts/acct-a", key=api.key("acct-a", "operator"), body={"name": "x"})
    assert r.status_code == 403


def test_register_show_update_disable_an_account(api):
    body = {"account_id": "new-oa", "kind": "oa", "app_id": "wx1234567890abcd", "name": "New OA",
            "app_secret": "abcdefabcdefabcdef0123456789", "original_id": "gh_0123456789ab"}
    r = api.call("POST", "/accounts", key=api.platform_key, body=body)
    assert r.status_code == 201, r.body
    created = r.json_body
    assert created["setup"]["callback_url"].endswith("/wechat/oa/new-oa")
    assert re.fullmatch(r"[A-Za-z0-9]{43}", created["setup"]["aes_key"])
    assert created["secrets"]["app_secret"] == "****6789"
    assert body["app_secret"] not in r.body.decode()

    from scrm import accounts

    acct = accounts.get("new-oa")
    assert acct.app_secret == body["app_secret"] and acct.token == created["setup"]["token"]

    r = api.call("POST", "/accounts", key=api.platform_key, body=body)
    assert r.status_code == 409

    shown = api.call("GET", "/accounts/new-oa", key=api.platform_key).json_body
    setup = created["setup"]
    assert shown["secrets"] == {"app_secret": "****6789", "token": "****" + setup["token"][-4:],
                                "aes_key": "****" + setup["aes_key"][-4:]}
    assert body["app_secret"] not in str(shown)

    r = api.call("PATCH", "/accounts/new-oa", key=api.platform_key, body={"name": "Renamed", "token": "newtoken1"})
    assert r.status_code == 200 and r.json_body["name"] == "Renamed"
    accounts.forget_cache()
    assert accounts.get("new-oa").token == "newtoken1"
    setup = api.call("GET", "/accounts/new-oa/setup", key=api.platform_key).json_body
    assert setup["token"] == "newtoken1"

    r = api.call("POST", "/accounts/new-oa/disable", key=api.platform_key)
    assert r.status_code == 200 and r.json_body["status"] == "disabled"
    accounts.forget_cache()
    from scrm.errors import AccountDisabled

    with pytest.raises(AccountDisabled):
        accounts.get("new-oa")
    assert api.call("POST", "/accounts/new-oa/enable", key=api.platform_key).json_body["status"] == "active"


def test_account_keys_see_only_their_account(api):
    r = api.call("GET", "/accounts", key=api.key("acct-a", "read-only"))
    assert [a["account_id"] for a in r.json_body["items"]] == ["acct-a"]
    r = api.call("GET", "/accounts", key=api.platform_key)
    assert {a["account_id"] for a in r.json_body["items"]} == {"acct-a", "acct-b"}


def test_tenancy_is_enforced_in_the_data_layer_too(api):
    from datetime import UTC, datetime

    from scrm import bootstrap
    from scrm.errors import Forbidden
    from scrm.services.admin_keys import authenticate

    scope = authenticate(api.key("acct-b")).scope_for("acct-a")  # a key of acct-b, asking for acct-a
    now = datetime.now(UTC)
    accounts, keys, audit = bootstrap.account_store(), bootstrap.admin_key_store(), bootstrap.audit_store()
    for call in (lambda: accounts.get_account(scope, "acct-a"), lambda: keys.keys_page(scope, "acct-a", limit=5),
                 lambda: keys.revoke_key(scope, "acct-a", "acct-a.k0", now),
                 lambda: audit.entries_page(scope, "acct-a", limit=5),
                 lambda: accounts.update_account(scope, "acct-a", {"name": "pwned"}, now)):
        with pytest.raises(Forbidden):
            call()


def test_bad_bodies_name_the_field(api):
    k = api.platform_key
    cases = [
        ("{not json", "body"), ("[1, 2]", "body"), ('{"x": NaN}', "body"),
        ({"account_id": "Bad_ID", "kind": "oa", "app_id": "wx1", "name": "n", "app_secret": "s"}, "account_id"),
        ({"account_id": "ok-id", "kind": "qq", "app_id": "wx1", "name": "n", "app_secret": "s"}, "kind"),
        ({"account_id": "ok-id", "kind": "oa", "app_id": "wx1", "name": "n"}, "app_secret"),
        ({"account_id": "ok-id", "kind": "oa", "app_id": 5, "name": "n", "app_secret": "s"}, "app_id"),
        ({"account_id": "ok-id", "kind": "oa", "app_id": "wx", "name": "n", "app_secret": "s", "aes_key": "x"},
         "aes_key"),
        ({"account_id": "ok-id", "kind": "oa", "app_id": "wx", "name": "n", "app_secret": "s", "color": 1}, "color"),
        ({"account_id": "ok-id", "kind": "wecom", "app_id": "ww", "name": "n", "app_secret": "s",
          "original_id": "gh_x"}, "original_id"),
        ({"account_id": "ok-id", "kind": "oa", "app_id": "wx", "name": "n", "app_secret": "s",
          "options": {"n": 1e300}}, "options.n"),
        ({"account_id": "ok-id", "kind": "oa", "app_id": "wx", "name": "n", "app_secret": "s",
          "options": {"push_batch_size": 1e300}}, "options.push_batch_size"),
    ]
    for body, field in cases:
        r = api.call("POST", "/accounts", key=k, body=body)
        assert r.status_code == 400, (body, r.body)
        assert r.json_body["error"]["field"] == field, (body, r.json_body)
    r = api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "root"})
    assert (r.status_code, r.json_body["error"]["field"]) == (400, "role")
    r = api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "admin", "expires_in_days": -1})
    assert (r.status_code, r.json_body["error"]["field"]) == (400, "expires_in_days")
    r = api.call("GET", "/accounts/acct-a/keys?limit=0", key=k)
    assert (r.status_code, r.json_body["error"]["field"]) == (400, "limit")
    r = api.call("GET", "/accounts/acct-a/keys?cursor=%%%", key=k)
    assert (r.status_code, r.json_body["error"]["field"]) == (400, "cursor")


def test_unknown_ids_are_404(api):
    k = api.platform_key
    for method, path in (("GET", "/accounts/nope"), ("PATCH", "/accounts/nope"), ("GET", "/accounts/nope/setup"),
                         ("POST", "/accounts/nope/disable"), ("POST", "/accounts/nope/keys"),
                         ("GET", "/accounts/acct-a/keys/acct-a.k0123456789abcdef"),
                         ("DELETE", "/accounts/acct-a/keys/acct-a.k0123456789abcdef"),
                         ("GET", "/accounts/acct-a/keys/acct-b.k0123456789abcdef"),
                         ("GET", "/accounts/NOT_AN_ID")):
        body = {"name": "x"} if method == "PATCH" else {"role": "admin"} if path.endswith("keys") else None
        r = api.call(method, path, key=k, body=body)
        assert r.status_code == 404, (method, path, r.body)
        assert r.json_body["error"]["code"] in ("not_found", "unknown_account")


def test_keys_create_list_revoke(api):
    k = api.key("acct-a", "admin")
    r = api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "operator", "name": "ci", "expires_in_days": 30})
    assert r.status_code == 201
    new = r.json_body
    assert new["key"].startswith(f"scrm.{new['key_id']}.") and new["status"] == "active"
    from scrm.data.admin_keys import AdminKeyRecord

    rec = AdminKeyRecord.get("acct-a", new["key_id"])
    assert new["key"] not in str(rec.attribute_values) and len(rec.key_hash) == 64
    assert api.call("GET", "/accounts/acct-a", key=new["key"]).status_code == 200

    listed = api.call("GET", "/accounts/acct-a/keys", key=k).json_body["items"]
    assert new["key_id"] in [x["key_id"] for x in listed] and all("key" not in x for x in listed)

    r = api.call("DELETE", f"/accounts/acct-a/keys/{new['key_id']}", key=k)
    assert r.status_code == 200 and r.json_body["status"] == "revoked"
    assert api.call("GET", "/accounts/acct-a", key=new["key"]).status_code == 401


def test_pagination_walks_every_item_once(api):
    from scrm.services import admin_keys
    from scrm.tenancy import Scope

    for i in range(7):
        admin_keys.issue(Scope.system("acct-a"), "acct-a", role="read-only", name=f"bulk {i}")
    seen, cursor, pages = [], None, 0
    while True:
        r = api.call("GET", "/accounts/acct-a/keys?limit=3" + (f"&cursor={cursor}" if cursor else ""),
                     key=api.key("acct-a"))
        assert r.status_code == 200
        seen += [x["key_id"] for x in r.json_body["items"]]
        cursor, pages = r.json_body["next_cursor"], pages + 1
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 10 and pages >= 4


def test_cursor_of_another_account_is_rejected(api):
    r = api.call("GET", "/accounts/acct-b/keys?limit=1", key=api.key("acct-b"))
    cursor = r.json_body["next_cursor"]
    r = api.call("GET", f"/accounts/acct-a/keys?limit=1&cursor={cursor}", key=api.key("acct-a"))
    assert r.status_code == 400 and r.json_body["error"]["field"] == "cursor"


def test_idempotency_key_replays_the_first_create(api):
    k = api.key("acct-a")
    h = {"Idempotency-Key": "create-ci-key-1"}
    first = api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "operator"}, headers=h)
    again = api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "operator"}, headers=h)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    # the same key, but not the secret itself: it was shown once (tests/security/test_secrets_in_idempotency_table)
    assert {**first.json_body, "key": None} == {k: v for k, v in again.json_body.items() if k != "secrets_withheld"}
    other = api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "admin"}, headers=h)
    assert other.status_code == 409
    from scrm.data.admin_keys import AdminKeyRecord

    assert AdminKeyRecord.count("acct-a") == 4  # three from the fixture, one created

    body = {"account_id": "idem-oa", "kind": "oa", "app_id": "wx1", "name": "n", "app_secret": "s3cr3t",
            "original_id": "gh_idem"}
    a = api.call("POST", "/accounts", key=api.platform_key, body=body, headers={"Idempotency-Key": "acct-1"})
    b = api.call("POST", "/accounts", key=api.platform_key, body=body, headers={"Idempotency-Key": "acct-1"})
    assert a.status_code == b.status_code == 201 and a.json_body["account_id"] == b.json_body["account_id"]


def test_failed_create_can_be_retried_with_the_same_idempotency_key(api):
    k, h = api.key("acct-a"), {"Idempotency-Key": "retry-me"}
    assert api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "boss"}, headers=h).status_code == 400
    assert api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "admin"}, headers=h).status_code == 201


def test_audit_log_records_who_did_what(api):
    k = api.key("acct-a")
    key_id = ".".join(k.split(".")[1:3])
    created = api.call("POST", "/accounts/acct-a/keys", key=k, body={"role": "read-only"}).json_body
    api.call("DELETE", f"/accounts/acct-a/keys/{created['key_id']}", key=k)
    api.call("PATCH", "/accounts/acct-a", key=k, body={"bogus": 1})
    api.call("PATCH", "/accounts/acct-a", key=api.key("acct-b"), body={"name": "pwned"})
    entries = api.call("GET", "/accounts/acct-a/audit", key=k).json_body["items"]
    got = [(e["action"], e["outcome"], e["status"]) for e in entries]
    assert got == [("account.update", "denied", 403), ("account.update", "error", 400), ("key.revoke", "ok", 200),
                   ("key.create", "ok", 201)]
    assert entries[-1]["key_id"] == key_id and entries[-2]["object"] == f"/accounts/acct-a/keys/{created['key_id']}"
    only = api.call("GET", "/accounts/acct-a/audit?action=key.", key=k).json_body["items"]
    assert {e["action"] for e in only} == {"key.create", "key.revoke"}
    assert api.call("GET", "/accounts/acct-b/audit", key=api.key("acct-b")).json_body["items"] == []
    assert api.call("GET", "/accounts/acct-a/audit", key=api.key("acct-a", "operator")).status_code == 403


def test_internal_errors_are_json_without_traceback(api, monkeypatch):
    from scrm.services import admin_accounts

    def boom(*a, **k):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(admin_accounts, "show", boom)
    r = api.call("GET", "/accounts/acct-a", key=api.key("acct-a"))
    assert r.status_code == 500 and r.json_body["error"]["code"] == "internal"
    assert "secret internals" not in r.body.decode() and "Traceback" not in r.body.decode()


def test_scrm_errors_map_to_statuses(api, monkeypatch):
    from scrm import errors
    from scrm.services import admin_accounts

    for exc, status in ((errors.RateLimited("slow down"), 429), (errors.Conflict("x"), 409),
                        (errors.WeChatRateLimited(45009, "freq"), 429), (errors.WeChatBusy(-1, "busy"), 503),
                        (errors.AccountDisabled("acct-a"), 409)):
        def raise_it(*a, _exc=exc, **k):
            raise _exc

        monkeypatch.setattr(admin_accounts, "show", raise_it)
        r = api.call("GET", "/accounts/acct-a", key=api.key("acct-a"))
        assert r.status_code == status and r.json_body["error"]["code"] == exc.code


def test_bootstrap_local_key_gives_working_credentials(aws):
    from chalice.test import Client

    from app import app
    from scrm import accounts
    from scrm.services.admin_keys import bootstrap_local_key

    accounts.register("demo-oa", "oa", "wxdemo", "Demo", original_id="gh_demo", **demo_secrets())
    info = bootstrap_local_key()
    assert set(info) == {"admin key", "demo-oa admin key"}
    with Client(app) as c:
        r = c.http.get("/accounts", headers={"Authorization": f"Bearer {info['admin key']}"})
        assert r.status_code == 200 and r.json_body["items"][0]["account_id"] == "demo-oa"
        r = c.http.get("/accounts/demo-oa/keys", headers={"Authorization": f"Bearer {info['demo-oa admin key']}"})
        assert r.status_code == 200


def test_platform_bootstrap_refuses_a_second_key_unless_forced(aws):
    from scrm.errors import ValidationError
    from scrm.services.admin_keys import bootstrap_platform_key

    first = bootstrap_platform_key()
    with pytest.raises(ValidationError):
        bootstrap_platform_key()
    assert bootstrap_platform_key(force=True)["key_id"] != first["key_id"]


def test_gateway_authorizer_allows_valid_keys_only(api):
    from functions.admin_common import authorizer

    class Req:
        def __init__(self, token):
            self.token = token

    ok = authorizer.func(Req(f"Bearer {api.key('acct-a')}"))
    assert ok.routes == ["*"] and ok.context["account_id"] == "acct-a"
    assert authorizer.func(Req("Bearer scrm.x.y.z")).routes == []
    assert authorizer.func(Req(None)).routes == []


def test_a_bad_body_is_answered_with_every_wrong_field_and_changes_nothing(api):
    body = {"account_id": "Bad ID", "kind": "qq", "app_id": "", "name": "x", "app_secret": "s" * 10,
            "account_type": "enterprise", "colour": "red"}
    r = api.call("POST", "/accounts", key=api.platform_key, body=body)
    assert r.status_code == 400
    err = r.json_body["error"]
    fields = [e["field"] for e in err["details"]["errors"]]
    assert {"account_id", "kind", "app_id", "account_type", "colour"} <= set(fields)
    assert err["field"] == fields[0]
    assert api.call("GET", "/accounts", key=api.platform_key).json_body["items"] == [] or all(
        a["account_id"] != "Bad ID" for a in api.call("GET", "/accounts", key=api.platform_key).json_body["items"])
    key = api.call("POST", "/accounts/acct-a/keys", key=api.key("acct-a"), body={"role": "root", "name": 7})
    assert {e["field"] for e in key.json_body["error"]["details"]["errors"]} == {"role", "name"}
