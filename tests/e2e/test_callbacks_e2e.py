"""End to end over HTTP: the sandbox plays WeChat against the running local stack.

The foundation acceptance test: a signed and encrypted follow event delivered by the sandbox gets a passive
reply that decrypts to the configured welcome text. Plus: WeChat's retries (4 concurrent deliveries) store one
event, and a WeCom add_external_contact makes the worker send the welcome with the code in time.
"""

import boto3
import pytest
import requests

from tests.timing import wait_until

pytestmark = pytest.mark.e2e


def inbox_keys(stack, needle: str) -> list[str]:
    db = boto3.client("dynamodb", endpoint_url=stack.info["moto_url"], region_name="ap-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    items = db.scan(TableName="scrm-local-inbox")["Items"]
    return [i["key"]["S"] for i in items if needle in i["key"]["S"]]


def test_follow_event_gets_the_welcome(stack):
    welcome = {"welcome": {"type": "text", "content": "欢迎关注 Demo ]]> OA"}}
    res = stack.admin("demo-oa").put(f"{stack.api}/accounts/demo-oa/welcome", json=welcome, timeout=10)
    assert res.status_code == 200, res.text
    out = stack.sandbox.oa_event(stack.info["demo OA appid"], "subscribe", openid="o-e2e-follow-1")
    assert out["status"] == 200, out
    assert out["reply_encrypted"] and out["reply_signature_ok"], out
    assert "<Content><![CDATA[欢迎关注 Demo ]]]]><![CDATA[> OA]]></Content>" in out["reply"]
    assert "<ToUserName><![CDATA[o-e2e-follow-1]]></ToUserName>" in out["reply"]


def test_url_verification(stack):
    assert stack.sandbox.oa_verify(stack.info["demo OA appid"])["matched"]
    assert stack.sandbox.wecom_verify(stack.info["demo WeCom corpid"])["matched"]


def test_four_concurrent_deliveries_store_one_event(stack):
    out = stack.sandbox.oa_event(stack.info["demo OA appid"], "text", openid="o-e2e-retry-1", content="hi",
                                 deliveries=4, concurrent=True)
    assert [d["status"] for d in out["deliveries"]] == [200] * 4
    assert len(inbox_keys(stack, "msg:")) >= 1
    msg_id = out["xml"].split("<MsgId>")[1].split("</MsgId>")[0]
    assert len(inbox_keys(stack, f"msg:{msg_id}")) == 1


def test_forged_delivery_is_refused(stack):
    out = stack.sandbox.oa_event(stack.info["demo OA appid"], "subscribe", openid="o-e2e-forged",
                                 query_overrides={"msg_signature": "0" * 40})
    assert out["status"] == 403
    assert inbox_keys(stack, "o-e2e-forged") == []


def test_wecom_new_customer_gets_the_welcome(stack):
    welcome = {"welcome": {"type": "text", "content": "Welcome from Demo corp"}}
    res = stack.admin("demo-wecom").put(f"{stack.api}/accounts/demo-wecom/welcome", json=welcome, timeout=10)
    assert res.status_code == 200, res.text
    corpid = stack.info["demo WeCom corpid"]
    out = stack.sandbox.wecom_event(corpid, "add_external_contact", userid="zhangsan")
    assert (out["status"], out["body"]) == (200, "success"), out
    stack.drain()  # the worker runs now, not whenever the dispatcher's next poll comes round

    def welcomed():
        view = stack.sandbox.wecom_customer(corpid, out["external_userid"])
        return view if all(w["used"] for w in view["welcome_codes"]) else None

    view = wait_until(welcomed, what="the welcome to be sent")
    assert [w["used"] for w in view["welcome_codes"]] == [True]
    sent = [c for c in stack.sandbox.calls(path_contains="send_welcome_msg")
            if out["welcome_code"] in str(c)]
    assert len(sent) == 1
    assert requests.post(f"{stack.control}/drain", timeout=60).json()["drained"]
