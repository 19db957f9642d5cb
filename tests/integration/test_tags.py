"""Corp tags through the admin API (chalice test client, moto, the WeCom sandbox): the catalogue synced on first
use, create / rename / reorder / delete at WeCom and in the store, channels and pushes referring to tags by id
(unknown ids refused at their place, names shown, a referenced tag's delete refused with the references unless
forced, then shown as deleted and skipped), and change_external_tag callbacks applied exactly once under
redelivery."""

from __future__ import annotations

import json

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.domain import callbacks
from scrm.services import channels, events
from scrm.tenancy import Scope


@pytest.fixture
def api(wecom_account):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    channels.forget_cache()
    _, key = admin_keys.issue(Scope.system(wecom_account.account_id), wecom_account.account_id, role="operator",
                              name="tags test")
    with Client(app) as client:
        def call(method, path, body=None):
            h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            return getattr(client.http, method.lower())(
                f"/accounts/{wecom_account.account_id}{path}", headers=h,
                body=None if body is None else json.dumps(body))
        yield call


def sqs(*payloads):
    return {"Records": [{
        "messageId": f"m{i}", "receiptHandle": f"r{i}", "body": json.dumps(p), "attributes": {},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:events", "awsRegion": "ap-east-1"}
        for i, p in enumerate(payloads)]}


def queued(account, fired: dict) -> dict:
    """The sandbox's callback as the callback path queues it (parsed, kind, dedupe key)."""
    event = callbacks.parse(fired["xml"])
    return {"account_id": account.account_id, "platform": "wecom", "kind": callbacks.kind_of("wecom", event),
            "dedupe_key": callbacks.dedupe_key("wecom", event), "event": event}


def names(api) -> list[tuple[str, str]]:
    return [(t["group_name"], t["name"]) for t in api("GET", "/tags").json_body["items"]]


def test_create_rename_reorder_delete_through_wecom(api, wecom_account, sandbox):
    sb = SandboxClient(sandbox.url)
    made = api("POST", "/tags", {"group_name": "会员等级", "order": 2, "tags": [{"name": "金卡"}, {"name": "银卡"}]})
    assert made.status_code == 201, made.json_body
    group = made.json_body
    assert sorted(t["name"] for t in group["tags"]) == ["金卡", "银卡"] and group["name"] == "会员等级"
    ids = {t["name"]: t["tag_id"] for t in group["tags"]}
    gold, silver = ids["金卡"], ids["银卡"]
    listed = api("GET", "/tags").json_body["items"]
    assert sorted((t["tag_id"], t["group_name"]) for t in listed) == sorted([(gold, "会员等级"), (silver, "会员等级")])
    assert "金卡" in api("GET", "/tags").body.decode("utf-8")  # Chinese unescaped

    renamed = api("PATCH", f"/tags/{silver}", {"name": "白银", "order": 5})
    assert renamed.status_code == 200 and (renamed.json_body["name"], renamed.json_body["order"]) == ("白银", 5)
    assert names(api) == [("会员等级", "白银"), ("会员等级", "金卡")]  # a larger order first, as WeCom shows
    taken = api("PATCH", f"/tags/{gold}", {"name": "白银"})
    assert taken.status_code == 409 and "40071" in taken.json_body["error"]["message"]
    assert api("PATCH", f"/tags/{gold}", {}).json_body["error"]["field"] == "name"
    assert api("PATCH", "/tags/et-nope", {"name": "x"}).status_code == 404
    assert api("PATCH", f"/tag-groups/{group['group_id']}", {"name": "等级"}).json_body["name"] == "等级"

    more = api("POST", "/tags", {"group_id": group["group_id"], "tags": [{"name": "钻石", "order": 9}]}).json_body
    assert [t["name"] for t in more["tags"]] == ["钻石", "白银", "金卡"]
    bad = api("POST", "/tags", {"group_name": "x" * 31, "tags": [{"name": ""}, {"name": "a"}]})
    assert sorted(e["field"] for e in bad.json_body["error"]["details"]["errors"]) == ["group_name", "tags[0].name"]
    twice = api("POST", "/tags", {"group_name": "g", "group_id": "x", "tags": [{"name": "a"}, {"name": "a"}]})
    assert sorted(e["field"] for e in twice.json_body["error"]["details"]["errors"]) == ["group_name", "tags[1].name"]

    gone = api("DELETE", f"/tags/{gold}")
    assert gone.status_code == 200 and gone.json_body["tag_ids"] == [gold]
    wecom_side = sb.calls("get_corp_tag_list", platform="wecom")
    assert wecom_side  # the catalogue was read from WeCom
    assert api("DELETE", f"/tags/{gold}").status_code == 404
    synced = api("POST", "/tags/sync").json_body  # a full read of WeCom: the deleted tag is gone there too
    assert (synced["groups"], synced["tags"], synced["removed"]) == (1, 2, 0)
    assert gold not in [t["tag_id"] for t in api("GET", "/tags").json_body["items"]]


def test_channels_and_pushes_refer_to_tags_by_id(api, wecom_account, sandbox):
    sb = SandboxClient(sandbox.url)
    for u in ("alice", "bob"):
        sb.wecom_staff(wecom_account.app_id, u)
    group = api("POST", "/tags", {"group_name": "来源", "tags": [{"name": "门店"}, {"name": "展会"}]}).json_body
    ids = {t["name"]: t["tag_id"] for t in group["tags"]}
    store, fair = ids["门店"], ids["展会"]
    body = {"kind": "wecom_contact_way", "name": "门店活码", "staff": ["alice"], "tags": [store, "et-unknown"]}
    refused = api("POST", "/channels", body)
    assert refused.status_code == 400 and refused.json_body["error"]["field"] == "tags[1]"
    ch = api("POST", "/channels", {**body, "tags": [store, fair]}).json_body
    assert ch["tag_names"] == [{"tag_id": store, "name": "门店", "group_name": "来源", "deleted": False},
                               {"tag_id": fair, "name": "展会", "group_name": "来源", "deleted": False}]
    # (through the service here; tests/integration/test_pushes_platform.py makes WeCom pushes over the admin API)
    from scrm.errors import ValidationError
    from scrm.services import pushes

    acct, system = wecom_account.account_id, Scope.system(wecom_account.account_id)
    svc = pushes.service(system)
    push = {"content": {"type": "wecom", "text": "新品到店"}, "audience": {"type": "tags", "tag_ids": ["et-x", fair]},
            "send_at": "2099-01-01T09:00:00+08:00"}
    with pytest.raises(ValidationError) as bad:
        svc.create(system, acct, push)
    assert bad.value.field == "audience.tag_ids[0]"
    made = svc.create(system, acct, {**push, "audience": {"type": "tags", "tag_ids": [fair]}})
    assert made["audience"]["tag_names"][0]["name"] == "展会"
    seg = svc.create_segment(system, acct, {"name": "展会客户", "audience": {"type": "tags", "tag_ids": [fair]}})
    assert seg["audience"]["tag_names"][0]["group_name"] == "来源"

    moment = api("POST", "/moments", {"text": "展会见", "senders": ["alice"], "tag_ids": [fair],
                                      "send_at": "2099-01-01T09:00:00+08:00"})
    assert moment.status_code == 201, moment.json_body

    in_use = api("DELETE", f"/tags/{fair}")
    assert in_use.status_code == 409
    refs = in_use.json_body["error"]["details"]["references"]
    assert sorted((r["kind"], r["id"]) for r in refs) == sorted([("channel", ch["channel_id"]),
                                                                 ("push", made["push_id"]),
                                                                 ("segment", seg["segment_id"]),
                                                                 ("moment", moment.json_body["moment_id"])])
    assert api("DELETE", f"/tags/{fair}?force=maybe").status_code == 400
    forced = api("DELETE", f"/tags/{fair}?force=true")
    assert forced.status_code == 200 and len(forced.json_body["references"]) == 4
    shown = api("GET", f"/channels/{ch['channel_id']}").json_body["tag_names"]
    assert shown[1] == {"tag_id": fair, "name": None, "group_name": None, "deleted": True}
    pushed = api("GET", f"/pushes/{made['push_id']}").json_body
    assert pushed["audience"]["tag_names"] == [{"tag_id": fair, "name": None, "group_name": None, "deleted": True}]
    # the saved push's audience skips the deleted tag with a stated reason; nothing crashes
    with pytest.raises(ValidationError) as empty:
        svc.preview_push(system, acct, made["push_id"])
    assert f"tag_deleted:{fair}" in str(empty.value)


def test_change_external_tag_callbacks_apply_once_under_redelivery(api, wecom_account, sandbox):
    sb = SandboxClient(sandbox.url)
    corp = wecom_account.app_id
    assert names(api) == []  # synced (empty)
    created = sb.wecom_event(corp, "change_external_tag", change_type="create", tag_type="tag", name="复购",
                             group_name="行为")
    payload = queued(wecom_account, created)
    assert payload["kind"] == "wecom.change_external_tag.create"
    sb.clear_calls()
    for _ in range(4):  # WeCom's retries and the queue's redeliveries: the same event four times
        assert events.process_batch(sqs(payload)) == {"batchItemFailures": []}
    assert names(api) == [("行为", "复购")]
    assert len(sb.calls("get_corp_tag_list", platform="wecom")) == 1  # applied once

    renamed = sb.wecom_event(corp, "change_external_tag", change_type="update", tag_type="tag",
                             id=created["id"], name="多次复购")
    events.process_batch(sqs(queued(wecom_account, renamed)))
    assert names(api) == [("行为", "多次复购")]
    gid = api("GET", "/tags").json_body["items"][0]["group_id"]
    shuffled = sb.wecom_event(corp, "change_external_tag", change_type="shuffle", id=gid)
    events.process_batch(sqs(queued(wecom_account, shuffled)))
    deleted = queued(wecom_account, sb.wecom_event(corp, "change_external_tag", change_type="delete",
                                                   tag_type="tag", id=created["id"]))
    sb.clear_calls()
    events.process_batch(sqs(deleted, deleted))
    assert names(api) == [] and sb.calls("get_corp_tag_list", platform="wecom") == []
    group = sb.wecom_event(corp, "change_external_tag", change_type="create", tag_type="tag_group", name="地区",
                           tag_name="上海")
    events.process_batch(sqs(queued(wecom_account, group)))
    assert names(api) == [("地区", "上海")]
    gone = sb.wecom_event(corp, "change_external_tag", change_type="delete", tag_type="tag_group", id=group["id"])
    events.process_batch(sqs(queued(wecom_account, gone)))
    assert names(api) == []
    strategy = {**queued(wecom_account, created), "dedupe_key": "strategy-1"}
    strategy["event"] = {**strategy["event"], "StrategyId": "1"}
    assert events.apply(strategy) == {"handled": 1}
    assert bootstrap.tag_store().catalogue(Scope.system(wecom_account.account_id), wecom_account.account_id) == []


def test_a_channels_tagging_skips_a_tag_deleted_since_and_applies_the_others(api, wecom_account, sandbox):
    from scrm.services import attribution

    sb = SandboxClient(sandbox.url)
    corp = wecom_account.app_id
    sb.wecom_staff(corp, "alice")
    ids = {t["name"]: t["tag_id"] for t in api("POST", "/tags", {
        "group_name": "来源", "tags": [{"name": "门店"}, {"name": "展会"}]}).json_body["tags"]}
    ch = api("POST", "/channels", {"kind": "wecom_contact_way", "name": "门店活码", "staff": ["alice"],
                                   "tags": [ids["门店"], ids["展会"]]}).json_body
    added = sb.wecom_event(corp, "add_external_contact", userid="alice", config_id=ch["config_id"])
    assert events.process_batch(sqs(queued(wecom_account, added))) == {"batchItemFailures": []}
    assert api("DELETE", f"/tags/{ids['展会']}?force=true").status_code == 200
    assert attribution.flush_taggings(force=True) == {"calls": 1, "applied": 1, "failed": 0}
    assert sb.wecom_customer(corp, added["external_userid"])["follow"]["alice"]["tags"] == [ids["门店"]]
