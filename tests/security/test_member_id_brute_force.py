"""Attack: walking member ids (or phones) on a members-only group code's page to find a registered member and see
the code. Each check costs a try, at most 5 per openid per hour, counted by a conditional write (so concurrent
requests cannot slip past), the answer never says whether the member id exists, and every refusal is counted."""

from __future__ import annotations

import threading

from scrm import bootstrap
from scrm.tenancy import Scope
from tests.integration.test_members import admin, env, sign_in, user  # noqa: F401  (env is a fixture)


def test_walking_member_ids_is_refused_after_five_tries_and_never_reveals_the_code(env):  # noqa: F811
    cid = env["channel"]["channel_id"]
    admin(env, "post", "/accounts/test-wecom/members", body={"members": [{"member_id": "VIP0042",
                                                                          "phone": "13800138042"}]})
    token = sign_in(env, "o-attacker")
    seen = []
    for i in range(40):
        status, out = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token,
                           {"consent": True, "member_id": f"VIP{i:04d}", "phone": "13800138042"})
        seen.append((status, out["error"]["code"]))
        assert "qr_image" not in out and "qr_code" not in out
    assert seen[:5] == [(403, "member_mismatch")] * 5 and set(seen[5:]) == {(429, "too_many_tries")}
    # an unknown id and a wrong phone read the same: the answer does not tell which members exist
    token2 = sign_in(env, "o-attacker-2")
    _, unknown = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token2,
                      {"consent": True, "member_id": "NOPE", "phone": "13800138042"})
    _, wrong = user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify", token2,
                    {"consent": True, "member_id": "VIP0042", "phone": "13800138043"})
    assert unknown == wrong
    _, figures = admin(env, "get", f"/accounts/test-wecom/channels/{cid}/member-figures", key=env["reader"])
    assert (figures["refused"], figures["verified"]) == (7, 0)


def test_concurrent_tries_cannot_pass_the_limit(env):  # noqa: F811
    db, scope = bootstrap.member_store(), Scope.system("test-wecom")
    results, lock = [], threading.Lock()

    def attempt():
        ok = db.take_try(scope, "test-wecom", "o-racer", 500_000, 5)
        with lock:
            results.append(ok)

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 5
