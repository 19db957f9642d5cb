"""Attack: a staff member whose console role was taken away keeps using the session they opened before."""

from __future__ import annotations

from tests.security.console_helpers import give_role


def test_staff_role_removed_session_is_refused(console):
    give_role("corp-a", "zhangsan", "operator")
    session, _ = console.staff_sign_in("corp-a", "zhangsan")
    assert console.call("GET", "/accounts/corp-a/channels", session=session).status_code == 200
    removed = console.api.call("DELETE", "/accounts/corp-a/console-staff/zhangsan", console.api.platform_key)
    assert removed.status_code == 200, removed.body
    assert console.call("GET", "/accounts/corp-a/channels", session=session).status_code == 401
    assert console.call("GET", "/console/session", session=session).status_code == 401
