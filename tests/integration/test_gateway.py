"""The real gateway code against the sandbox: token sharing, retries on faults, typed errors."""

import pytest

from local.sandbox import SandboxClient
from scrm import accounts
from scrm.errors import (
    AccountDisabled,
    ConfigError,
    UnknownAccount,
    WeChatBusy,
    WeChatError,
    WeChatRateLimited,
    WeChatUnavailable,
)
from scrm.gateway import gateway_for


def test_oa_calls_share_one_token_and_survive_a_token_fault(oa_account, sandbox):
    sb = SandboxClient(sandbox.url)
    gw = gateway_for(oa_account)
    ticket = gw.client.qrcode.create({"action_name": "QR_LIMIT_STR_SCENE",
                                      "action_info": {"scene": {"scene_str": "poster-1"}}})
    assert ticket["ticket"]
    sb.fault("qrcode/create", errcode=40001, platform="oa", times=1)
    assert gw.client.qrcode.create({"action_name": "QR_LIMIT_SCENE",
                                    "action_info": {"scene": {"scene_id": 7}}})["ticket"]
    # a second gateway (another container) reuses the token from DynamoDB
    from scrm.gateway.tokens import forget_memory

    forget_memory()
    gateway_for(oa_account).client.tag.create("vip")
    assert sb.stats()["token_fetches"][oa_account.app_id] == 2  # the first, and the one after 40001


def test_busy_is_retried_and_rate_limit_is_typed(oa_account, sandbox):
    sb = SandboxClient(sandbox.url)
    gw = gateway_for(oa_account)
    sb.fault("tags/create", errcode=-1, platform="oa", times=2)
    assert gw.client.tag.create("retried")["name"] == "retried"
    sb.fault("tags/create", errcode=45009, platform="oa", times=10)
    with pytest.raises(WeChatRateLimited):
        gw.client.tag.create("limited")
    sb.clear_faults()
    sb.fault("tags/create", errcode=-1, platform="oa", times=10)
    with pytest.raises(WeChatBusy):
        gw.client.tag.create("busy")


def test_wecom_missing_api_through_post(wecom_account, sandbox):
    sb = SandboxClient(sandbox.url)
    sb.wecom_staff(wecom_account.app_id, "alice")
    sb.wecom_staff(wecom_account.app_id, "bob")
    gw = gateway_for(wecom_account)
    with pytest.raises(WeChatError) as info:  # alice has not left: resigned transfer is refused
        gw.transfer_customers("alice", "bob", ["wmx"], resigned=True)
    assert info.value.errcode == 40097


def test_unreachable_wechat_is_a_clear_error(oa_account):
    gw = gateway_for(oa_account, base_url="http://127.0.0.1:9")
    with pytest.raises(WeChatUnavailable, match="unreachable"):
        gw.client.tag.get()


def test_unknown_disabled_and_broken_accounts(aws):
    with pytest.raises(UnknownAccount, match="nope"):
        accounts.get("nope")
    with pytest.raises(ConfigError, match="aes_key"):
        accounts.register("bad", "oa", "wx1", "Bad", app_secret="s", token="tok", aes_key="short")
    with pytest.raises(ConfigError, match="kind"):
        accounts.register("bad", "qq", "wx1", "Bad", app_secret="s", token="tok", aes_key="a" * 43)
    accounts.register("off", "oa", "wx2", "Off", app_secret="s", token="tok", aes_key="a" * 43)
    from scrm.data.accounts import AccountRecord

    rec = AccountRecord.get("off")
    rec.update(actions=[AccountRecord.status.set("disabled")])
    accounts.forget_cache()
    with pytest.raises(AccountDisabled):
        accounts.get("off")


def test_account_without_secrets_names_what_is_missing(aws):
    from scrm import secrets

    accounts.register("half", "oa", "wx3", "Half", app_secret="s", token="tok", aes_key="a" * 43)
    from scrm.aws import client

    client("ssm").delete_parameter(Name=secrets._path("half") + "/token")
    accounts.forget_cache()
    with pytest.raises(ConfigError, match="token"):
        accounts.get("half")


def test_concurrent_registrations_of_one_id_cannot_mix_secrets(aws):
    import threading

    from scrm import secrets
    from scrm.errors import Conflict

    outcomes = {}
    gate = threading.Barrier(6)

    def register(n):
        gate.wait()
        try:
            accounts.register("race", "oa", f"wx{n}", f"Racer {n}", app_secret=f"secret{n}", token=f"tok{n}xx",
                              aes_key=str(n) * 43, create_only=True)
            outcomes[n] = "won"
        except Conflict:
            outcomes[n] = "conflict"

    threads = [threading.Thread(target=register, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for n, o in outcomes.items() if o == "won"]
    assert len(winners) == 1 and len(outcomes) == 6
    accounts.forget_cache()
    account = accounts.get("race")
    n = winners[0]
    assert (account.app_id, account.app_secret, account.token) == (f"wx{n}", f"secret{n}", f"tok{n}xx")
    assert secrets.account_secrets("race")["aes_key"] == str(n) * 43


# --- answers that are not JSON (issue 12.11) and calls that must not be resent blindly (12.13)


@pytest.mark.parametrize("answer", ["html", "empty"])
def test_a_200_answer_that_is_not_json_is_a_typed_retryable_error(oa_account, sandbox, answer):
    from scrm.errors import WeChatBadAnswer

    sb = SandboxClient(sandbox.url)
    gw = gateway_for(oa_account)
    sb.fault("tags/create", platform="oa", answer=answer)
    with pytest.raises(WeChatBadAnswer, match="not a JSON object") as info:
        gw.client.tag.create("vip")
    assert isinstance(info.value, WeChatUnavailable)  # retryable: 503 to admins, retried by workers
    sb.fault("tags/members/batchtagging", platform="oa", answer=answer)
    with pytest.raises(WeChatBadAnswer):
        gw.post("tags/members/batchtagging", {"openid_list": ["o1"], "tagid": 100})


def test_calls_without_a_dedupe_key_are_not_resent_on_busy(wecom_account, sandbox):
    from scrm.errors import AmbiguousOutcome

    sb = SandboxClient(sandbox.url)
    sb.wecom_staff(wecom_account.app_id, "alice")
    sb.wecom_customers(wecom_account.app_id, "alice", external_userids=["wm1"])
    gw = gateway_for(wecom_account)
    sb.fault("externalcontact/add_msg_template", errcode=-1, platform="wecom", times=1, apply=True)
    with pytest.raises(AmbiguousOutcome) as info:
        gw.add_msg_template("alice", ["wm1"], {"text": {"content": "hi"}})
    assert info.value.errcode == -1 and isinstance(info.value, WeChatUnavailable)
    assert len(sb.calls("externalcontact/add_msg_template")) == 1  # sent once, never blindly again
    # 45009 refuses before doing anything: typed, and not retried in the gateway either
    sb.fault("externalcontact/add_msg_template", errcode=45009, platform="wecom", times=1)
    with pytest.raises(WeChatRateLimited):
        gw.add_msg_template("alice", ["wm1"], {"text": {"content": "hi"}})
    assert len(sb.calls("externalcontact/add_msg_template")) == 2
    # a non-JSON answer to such a call is ambiguous too
    sb.fault("externalcontact/add_msg_template", platform="wecom", answer="html", apply=True)
    with pytest.raises(AmbiguousOutcome):
        gw.add_msg_template("alice", ["wm1"], {"text": {"content": "hi"}})
    # an idempotent call is still retried on -1
    sb.fault("externalcontact/get_follow_user_list", errcode=-1, platform="wecom", times=1)
    assert "alice" in gw.customer_contact_staff()
