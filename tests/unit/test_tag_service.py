"""The corp tag use cases on the in-memory twin with a fake WeCom: the catalogue synced once on first use, the
change_external_tag handler for every ChangeType and TagType, ids checked at their place, names and deleted tags
shown, and a lost add_corp_tag answer looked up rather than repeated."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scrm import bootstrap
from scrm.errors import AmbiguousOutcome, ValidationError
from scrm.services import tags
from scrm.services.tags import common
from scrm.stores.tags import MemoryTagStore
from scrm.tenancy import Scope

A = "corp-1"
SCOPE = Scope.system(A)


class FakeWeCom:
    def __init__(self):
        self.groups = {"g1": {"group_id": "g1", "group_name": "等级", "order": 0, "create_time": 1, "deleted": False,
                              "tag": [{"id": "t1", "name": "金卡", "order": 0, "create_time": 1, "deleted": False}]}}
        self.reads = 0
        self.lose_add = False

    def corp_tags(self, tag_ids=None, group_ids=None):
        self.reads += 1
        out = []
        for g in self.groups.values():
            if group_ids and g["group_id"] not in group_ids:
                continue
            t = [x for x in g["tag"] if group_ids or not tag_ids or x["id"] in tag_ids]
            if t:
                out.append({**g, "tag": t})
        return out

    def add_corp_tag(self, new, *, group_id=None, group_name=None, order=None):
        g = self.groups.setdefault("g2", {"group_id": "g2", "group_name": group_name, "order": order or 0,
                                          "create_time": 2, "deleted": False, "tag": []})
        made = [{"id": f"t-{n['name']}", "name": n["name"], "order": 0, "create_time": 2, "deleted": False}
                for n in new]
        g["tag"] += made
        if self.lose_add:
            raise AmbiguousOutcome("externalcontact/add_corp_tag: no answer")
        return {**{k: g[k] for k in ("group_id", "group_name", "order", "create_time")}, "tag": made}


@pytest.fixture
def wecom(monkeypatch):
    bootstrap.reset(tag_store=MemoryTagStore())
    fake = FakeWeCom()
    account = SimpleNamespace(account_id=A, kind="wecom")
    monkeypatch.setattr(common, "account_of", lambda account_id: account)
    monkeypatch.setattr(common, "gateway_of", lambda account: fake)
    return SimpleNamespace(fake=fake, account=account)


def event(change: str, item_id: str = "", kind: str | None = "tag", **extra) -> dict:
    ev = {"ChangeType": change, "Id": item_id, **extra}
    if kind:
        ev["TagType"] = kind
    return {"account_id": A, "kind": f"wecom.change_external_tag.{change}", "dedupe_key": "k", "event": ev}


def test_the_catalogue_is_read_from_wecom_once_then_kept(wecom):
    assert [t["name"] for t in tags.list_tags(SCOPE, A)] == ["金卡"]
    assert [t["group_name"] for t in tags.list_tags(SCOPE, A)] == ["等级"]
    assert wecom.fake.reads == 1


def test_every_change_type_keeps_the_catalogue_in_step(wecom):
    tags.list_tags(SCOPE, A)
    wecom.fake.groups["g1"]["tag"].append({"id": "t2", "name": "银卡", "order": 0, "create_time": 3,
                                           "deleted": False})
    assert tags.on_tag_change(event("create", "t2")) == {"tag": "t2"}
    wecom.fake.groups["g1"]["tag"][1]["name"] = "白银"
    tags.on_tag_change(event("update", "t2"))
    wecom.fake.groups["g1"]["group_name"] = "会员等级"
    tags.on_tag_change(event("update", "g1", "tag_group"))
    assert [(t["group_name"], t["name"]) for t in tags.list_tags(SCOPE, A)] == [
        ("会员等级", "金卡"), ("会员等级", "白银")]
    wecom.fake.groups["g1"]["tag"][1]["order"] = 7
    tags.on_tag_change(event("shuffle", "g1", None))
    assert [t["name"] for t in tags.list_tags(SCOPE, A)] == ["白银", "金卡"]
    assert tags.on_tag_change(event("delete", "t1")) == {"removed": ["t1"]}
    assert tags.on_tag_change(event("delete", "t1")) == {"removed": []}  # twice: no harm
    del wecom.fake.groups["g1"]
    assert tags.on_tag_change(event("update", "t2")) == {"removed": ["t2"]}  # gone again before we asked
    assert tags.list_tags(SCOPE, A) == []
    assert "ignored" in tags.on_tag_change(event("create", "t9", StrategyId="3"))


def test_ids_are_checked_at_their_place_and_deleted_ones_shown(wecom):
    with pytest.raises(ValidationError) as bad:
        tags.check_ids(SCOPE, wecom.account, ["t1", "nope"], "tags", lambda: wecom.fake)
    assert bad.value.field == "tags[1]" and bad.value.details["errors"][0]["field"] == "tags[1]"
    tags.check_ids(SCOPE, SimpleNamespace(account_id="oa", kind="oa"), [101], "tags", lambda: wecom.fake)  # OA: no
    common.store().remove(SCOPE, A, tag_ids=["t1"])
    assert tags.names(SCOPE, A, ["t1"]) == [{"tag_id": "t1", "name": None, "group_name": None, "deleted": True}]
    assert tags.deleted_ids(SCOPE, A, ["t1"]) == ["t1"]


def test_a_lost_create_answer_is_looked_up_not_repeated(wecom):
    wecom.fake.lose_add = True
    made = tags.create(SCOPE, A, {"group_name": "来源", "tags": [{"name": "门店"}]})
    assert [t["name"] for t in made["tags"]] == ["门店"]
    assert len(wecom.fake.groups["g2"]["tag"]) == 1  # made once
