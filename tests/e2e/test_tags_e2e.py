"""End to end over HTTP: a corp tag created through the admin API appears in the WeCom sandbox; the sandbox's
console deletes it and fires the signed change_external_tag callback, and after the workers ran the catalogue no
longer holds it (and a channel that referred to it shows it as deleted)."""

import pytest

pytestmark = pytest.mark.e2e


def test_tag_created_over_the_api_and_deleted_by_a_callback(stack):
    admin, api = stack.admin("demo-wecom"), f"{stack.api}/accounts/demo-wecom"
    corpid = stack.info["demo WeCom corpid"]
    res = admin.post(f"{api}/tags", json={"group_name": "E2E 等级", "tags": [{"name": "E2E 金卡"}]}, timeout=10)
    assert res.status_code == 201, res.text
    [tag] = res.json()["tags"]
    made = [c for c in stack.sandbox.calls("add_corp_tag", platform="wecom")
            if c["body"].get("group_name") == "E2E 等级"]
    assert made and made[-1]["errcode"] == 0  # made at WeCom (the sandbox's delete below refuses unknown ids: 40068)
    listed = admin.get(f"{api}/tags", params={"limit": 200}, timeout=10).json()["items"]
    assert [t["name"] for t in listed if t["tag_id"] == tag["tag_id"]] == ["E2E 金卡"]
    stack.sandbox.wecom_staff(corpid, "e2e-tagger")
    ch = admin.post(f"{api}/channels", json={"kind": "wecom_contact_way", "name": "E2E tagged", "staff": ["e2e-tagger"],
                                             "tags": [tag["tag_id"]]}, timeout=10)
    assert ch.status_code == 201, ch.text

    out = stack.sandbox.wecom_event(corpid, "change_external_tag", change_type="delete", tag_type="tag",
                                    id=tag["tag_id"])  # the sandbox holds the tag: deleting it in its console works
    assert out["status"] == 200, out  # signed, delivered, answered
    assert stack.drain()
    listed = admin.get(f"{api}/tags", params={"limit": 200}, timeout=10).json()["items"]
    assert tag["tag_id"] not in [t["tag_id"] for t in listed]
    shown = admin.get(f"{api}/channels/{ch.json()['channel_id']}", timeout=10).json()["tag_names"]
    assert shown == [{"tag_id": tag["tag_id"], "name": None, "group_name": None, "deleted": True}]
