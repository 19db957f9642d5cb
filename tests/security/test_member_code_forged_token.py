"""Attack: seeing a members-only group code without proving membership: no token, a forged or tampered token, a
token in the URL, a token of another page (the campaign sign-in of the same OA, another members-only code) or of
another account. Each is refused 401 (or 400 for the URL) and nothing of the code is answered."""

from __future__ import annotations

import pytest

from scrm.services.campaigns import issue_user_token
from scrm.services.channels import create_channel
from scrm.tenancy import Scope
from tests.integration.test_members import admin, env, sign_in, user  # noqa: F401  (env is a fixture)

GOOD = {"member_id": "VIP001", "phone": "13800138000"}


@pytest.fixture
def code(env):  # noqa: F811
    admin(env, "post", "/accounts/test-wecom/members", body={"members": [GOOD]})
    return env


def _verify(env, token, path_suffix=""):  # noqa: F811
    cid = env["channel"]["channel_id"]
    return user(env, "post", f"/u/test-wecom/member-codes/{cid}/verify{path_suffix}", token, {**GOOD, "consent": True})


def _refused(answer, status=401):
    got, out = answer
    assert got == status, out
    assert "qr_image" not in out and "qr_code" not in out


def test_no_token_and_forged_tokens_are_refused(code):
    _refused(_verify(code, None))
    real = sign_in(code, "o-honest")
    head, body, sig = real.split(".")
    _refused(_verify(code, f"{head}.{body}.{'A' * len(sig)}"))  # forged signature
    _refused(_verify(code, f"{head}.{body[:-2]}xx.{sig}"))  # tampered payload
    _refused(_verify(code, "not-a-token"))
    _refused(_verify(code, real, f"?t={real}"), status=400)  # never in the URL


def test_tokens_of_other_pages_and_accounts_are_refused(code):
    # the OA's own campaign sign-in token: another account's key
    oa_token = issue_user_token("test-oa", "o-honest")["token"]
    _refused(_verify(code, oa_token))
    # a token bound to another members-only code of the same corp
    chats = code["sb"].wecom_groupchats("ww00000000test0001", "zhangsan", count=1)["chat_ids"]
    other = create_channel(Scope.system("test-wecom"), "test-wecom", {
        "kind": "wecom_group", "name": "另一个群", "chat_ids": chats,
        "members_only": True,
        "sign_in_account": "test-oa"})
    foreign = issue_user_token("test-wecom", "o-honest", campaign_id=f"m.{other['channel_id']}")["token"]
    status, out = _verify(code, foreign)
    assert status == 401 and out["error"]["code"] == "wrong_campaign"
    # the real one works: the refusals above were about the token, nothing else
    status, out = _verify(code, sign_in(code, "o-honest"))
    assert status == 200 and out["verified"]


def test_the_sign_in_returns_only_to_the_codes_own_page(code):
    cid = code["channel"]["channel_id"]
    for page in ("https://evil.example/m/test-wecom/" + cid, "http://shop.example/m/test-wecom/other",
                 "http://shop.example/c/test-oa/spring", f"http://shop.example/m/test-wecom/{cid}?x=1"):
        status, out = user(code, "get", f"/u/test-wecom/member-codes/{cid}/authorize-url?redirect_uri={page}"
                           "&state=st4te-0001")
        assert status == 400 and out["error"]["code"] == "foreign_url", page


def test_the_member_list_keeps_no_phone_number(code):
    from scrm.data.members import MemberRecord

    values = [str(v) for rec in MemberRecord.scan() for v in rec.attribute_values.values()]
    assert values and not any("13800138000" in v for v in values)
