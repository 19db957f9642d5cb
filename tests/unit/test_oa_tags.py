"""An Official Account's user tags (用户标签) on the in-memory twins with a fake WeChat that answers as WeChat's tag
API documents (errcodes 45157/45158/45058/45159): the catalogue read once, create / rename / delete at WeChat and
in the store, a lost create answer found rather than made twice, a taken name refused, the reserved tags kept,
a referenced tag's delete refused with its references (an OA channel's integer ids too) unless forced, and a
segment naming a deleted user tag flagged."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scrm import bootstrap
from scrm.errors import AmbiguousOutcome, Conflict, NotFound, ValidationError, WeChatError
from scrm.services.segments import admin as segment_admin
from scrm.services.tags import common, official
from scrm.stores.channels import MemoryChannelStore
from scrm.stores.journeys import MemoryJourneyStore
from scrm.stores.moments import MemoryMomentStore
from scrm.stores.pushes import MemoryPushStore
from scrm.stores.segments import MemorySegmentStore
from scrm.stores.tags import MemoryTagStore
from scrm.tenancy import Scope

A = "oa-1"
SCOPE = Scope.system(A)


class FakeOA:
    """WeChat's tag API as documented (https://developers.weixin.qq.com/doc/offiaccount/User_Management/
    User_Tag_Management.html)."""

    def __init__(self):
        self.tags = {2: "星标组", 100: "金卡"}
        self.next_id, self.reads, self.lose_create = 101, 0, False

    def follower_tags(self):
        self.reads += 1
        return [{"id": i, "name": n, "count": 0} for i, n in self.tags.items()]

    def create_follower_tag(self, name):
        if name in self.tags.values():
            raise WeChatError(45157, "invalid tag name", "tags/create")
        if len(name.encode()) > 30:
            raise WeChatError(45158, "tag name too long", "tags/create")
        self.tags[self.next_id] = name
        self.next_id += 1
        if self.lose_create:
            raise AmbiguousOutcome("tags/create: no answer")
        return {"id": self.next_id - 1, "name": name}

    def rename_follower_tag(self, tag_id, name):
        if tag_id in (0, 1, 2):
            raise WeChatError(45058, "can't modify sys tag", "tags/update")
        if tag_id not in self.tags:
            raise WeChatError(45159, "invalid tag id", "tags/update")
        self.tags[tag_id] = name

    def delete_follower_tag(self, tag_id):
        if tag_id not in self.tags:
            raise WeChatError(45159, "invalid tag id", "tags/delete")
        del self.tags[tag_id]


@pytest.fixture
def oa(monkeypatch):
    stores = {"tag_store": MemoryTagStore(), "channel_store": MemoryChannelStore(), "push_store": MemoryPushStore(),
              "moment_store": MemoryMomentStore(), "segment_store": MemorySegmentStore(),
              "journey_store": MemoryJourneyStore()}
    bootstrap.reset(**stores)
    fake = FakeOA()
    account = SimpleNamespace(account_id=A, kind="oa")
    monkeypatch.setattr(common, "account_of", lambda account_id: account)
    monkeypatch.setattr(common, "gateway_of", lambda account: fake)
    return SimpleNamespace(fake=fake, account=account, **stores)


def listed() -> list[tuple[str, str, bool]]:
    items, _ = official.list_page(SCOPE, A, limit=100)
    return [(t["tag_id"], t["name"], t["system"]) for t in items]


def test_the_catalogue_is_read_from_wechat_once_then_changed_there_first(oa):
    assert listed() == [("2", "星标组", True), ("100", "金卡", False)]
    assert listed() and oa.fake.reads == 1
    made = official.create(SCOPE, A, "银卡")
    assert made == {"tag_id": "101", "name": "银卡", "system": False} and oa.fake.tags[101] == "银卡"
    assert official.rename(SCOPE, A, "101", "白银")["name"] == "白银" and oa.fake.tags[101] == "白银"
    assert official.delete(SCOPE, A, "101") == {"deleted": "101", "tag_ids": ["101"], "references": []}
    assert 101 not in oa.fake.tags and listed() == [("2", "星标组", True), ("100", "金卡", False)]
    assert oa.fake.reads == 1  # every change kept what WeChat answered: no read again
    oa.fake.tags[105] = "门店"  # made in WeChat's own console
    assert official.sync(SCOPE, A)["tags"] == 3 and ("105", "门店", False) in listed()


def test_a_lost_create_answer_is_found_not_made_twice(oa):
    oa.fake.lose_create = True
    assert official.create(SCOPE, A, "新客")["name"] == "新客"
    assert list(oa.fake.tags.values()).count("新客") == 1
    assert ("101", "新客", False) in listed()


def test_a_taken_name_and_the_reserved_tags_are_refused_with_the_reason(oa):
    with pytest.raises(Conflict, match="45157"):
        official.create(SCOPE, A, "金卡")
    assert len(oa.fake.tags) == 2
    with pytest.raises(ValidationError, match="reserved"):
        official.rename(SCOPE, A, "2", "x")
    with pytest.raises(ValidationError, match="reserved"):
        official.delete(SCOPE, A, "2")
    with pytest.raises(NotFound):
        official.rename(SCOPE, A, "999", "x")
    with pytest.raises(NotFound):
        official.delete(SCOPE, A, "abc")
    assert oa.fake.tags == {2: "星标组", 100: "金卡"}


def test_a_wecom_corp_has_no_user_tags(oa, monkeypatch):
    monkeypatch.setattr(common, "account_of", lambda account_id: SimpleNamespace(account_id=A, kind="wecom"))
    with pytest.raises(ValidationError) as refused:
        official.list_page(SCOPE, A)
    assert refused.value.field == "account_id" and "/tags" in str(refused.value)


def test_a_referenced_tag_is_kept_unless_forced_then_a_segment_shows_it_deleted(oa):
    oa.channel_store.put_channel(SCOPE, {  # an OA channel names its tags by WeChat's integer ids
        "account_id": A, "channel_id": "c1", "name": "门店码", "status": "active", "definition": {"tags": [100]}})
    rule = {"field": "tag", "op": "has", "value": "100"}
    oa.segment_store.put_segment(SCOPE, A, {"segment_id": "r000000000001", "name": "金卡会员", "rule": rule})
    assert segment_admin.flags_of_many(SCOPE, A, [rule]) == [[]]
    with pytest.raises(Conflict) as refused:
        official.delete(SCOPE, A, "100")
    refs = refused.value.details["references"]
    assert {"kind": "channel", "id": "c1", "name": "门店码", "field": "tags", "tag_ids": ["100"]} in refs
    assert {"kind": "segment_rule", "id": "r000000000001", "name": "金卡会员", "field": "rule.value",
            "tag_ids": ["100"]} in refs
    assert 100 in oa.fake.tags
    gone = official.delete(SCOPE, A, "100", force=True)
    assert gone["tag_ids"] == ["100"] and 100 not in oa.fake.tags
    assert segment_admin.flags_of_many(SCOPE, A, [rule]) == [
        [{"field": "rule", "problem": "tag_deleted", "value": "100"}]]
