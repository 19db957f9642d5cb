"""Attack: a staff member of corp A uses their console session on corp B (even where B gave the same userid a role)."""

from __future__ import annotations

import json

from tests.security.console_helpers import give_role


def test_staff_session_of_account_a_cannot_reach_account_b(console):
    give_role("corp-a", "zhangsan", "admin")
    give_role("corp-b", "lisi", "viewer")
    session, csrf = console.staff_sign_in("corp-a", "zhangsan")
    for method, path, body in (("GET", "/accounts/corp-b/channels", None),
                               ("GET", "/accounts/corp-b/console-staff", None),
                               ("PUT", "/accounts/corp-b/console-staff/lisi", {"role": "admin"})):
        res = console.call(method, path, session=session, csrf=csrf, body=body)
        assert res.status_code == 403, (path, res.body)
        assert json.loads(res.body)["error"]["code"] == "forbidden"
    listed = json.loads(console.call("GET", "/accounts", session=session).body)["items"]
    assert [a["account_id"] for a in listed] == ["corp-a"]
    from scrm.bootstrap import console_store

    assert console_store().get_staff_role("corp-b", "lisi").role == "viewer"


def test_a_code_of_corp_b_does_not_sign_in_to_corp_a(console):
    give_role("corp-a", "zhangsan", "admin")
    _, bound = console.start_login("corp-a")
    res = console.callback(console.login_code("corp-b", "zhangsan"), bound, bound)
    assert res.status_code == 401 and "Set-Cookie" not in res.headers
