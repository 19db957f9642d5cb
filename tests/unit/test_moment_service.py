"""Moment rules on the in-memory twin with a fake WeCom: what a moment body may hold, the 4-a-month rule in the
preview and at creation, exactly one task per moment, the job followed to WeCom's moment, and the API calls a
moment costs."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from scrm import errors
from scrm.services.moments import MomentService
from scrm.stores.moments import MemoryMomentStore
from scrm.tenancy import Scope

NOW = 1_796_176_800.0  # 2026-12-02T10:00:00+08:00
A = "corp"


class FakeWeCom:
    """Two staff members with 150 and 50 customers; jobs settle on the second look."""

    def __init__(self):
        self.customers = {"s1": [f"c{i:03d}" for i in range(150)], "s2": [f"c{i:03d}" for i in range(100, 150)]}
        self.tasks, self.looks, self.published = [], {}, {"s1"}

    def post(self, endpoint, body):
        assert endpoint == "externalcontact/batch/get_by_user"
        pairs = [(u, c) for u in body["userid_list"] for c in self.customers.get(u, [])]
        start = int(body["cursor"] or 0)
        chunk = pairs[start:start + body["limit"]]
        return {"external_contact_list": [{"external_contact": {"external_userid": c},
                                           "follow_info": {"userid": u, "tag_id": ["vip"] if c < "c010" else []}}
                                          for u, c in chunk],
                "next_cursor": str(start + body["limit"]) if start + body["limit"] < len(pairs) else ""}

    def add_moment_task(self, text, attachments, senders, tag_ids):
        self.tasks.append({"text": text, "senders": senders, "tag_ids": tag_ids})
        return {"jobid": f"job{len(self.tasks)}"}

    def moment_task_result(self, jobid):
        self.looks[jobid] = self.looks.get(jobid, 0) + 1
        if self.looks[jobid] < 2:
            return {"status": 2, "type": "add_moment_task"}
        return {"status": 3, "type": "add_moment_task", "result": {"errcode": 0, "moment_id": "mom" + jobid}}

    def moment_list(self, start, end, cursor=""):
        return {"moment_list": [], "next_cursor": ""}

    def moment_task(self, moment_id, cursor=""):
        return {"task_list": [{"userid": u, "publish_status": int(u in self.published)} for u in ("s1", "s2")]}

    def moment_comments(self, moment_id, userid):
        return {"comment_list": [{"external_userid": "c001", "create_time": 1}], "like_list": []}


@pytest.fixture
def env():
    from scrm import bootstrap
    from scrm.stores.tags import MemoryTagStore

    bootstrap.reset(tag_store=MemoryTagStore())
    clock = SimpleNamespace(now=NOW)
    wecom = FakeWeCom()
    account = SimpleNamespace(account_id=A, kind="wecom", account_type="", options={})
    svc = MomentService(MemoryMomentStore(), account_for=lambda _a: account, gateway_for=lambda _a: wecom,
                        clock=lambda: clock.now)
    return svc, wecom, clock


def body(**extra):
    return {"text": "新品", "senders": ["s1", "s2"], "send_at": "2026-12-02T10:00:00+08:00", **extra}  # NOW


@pytest.mark.parametrize("bad, field", [
    ({"text": "", "attachments": []}, "text"),
    ({"text": "字" * 2001}, "text"),
    ({"attachments": [{"msgtype": "image", "image": {"media_id": "1"}},
                      {"msgtype": "link", "link": {"title": "t", "url": "https://x.cn"}}]}, "attachments"),
    ({"attachments": [{"msgtype": "video", "video": {"media_id": "1"}}] * 2}, "attachments"),
    ({"attachments": [{"msgtype": "image", "image": {"media_id": "1"}}] * 10}, "attachments"),
    ({"attachments": [{"msgtype": "link"}]}, "attachments[0].link"),
    ({"senders": []}, "senders"),
    ({"senders": ["s1", "s1"]}, "senders"),
    ({"send_at": "2020-01-01T00:00:00+08:00"}, "send_at"),
])
def test_bad_moments_are_refused_with_the_field_named(env, bad, field):
    svc, wecom, _ = env
    with pytest.raises(errors.ValidationError) as e:
        svc.create(Scope.system(A), A, body(**bad))
    assert e.value.field == field
    assert svc.store.page_moments(A)[0] == [] and not wecom.tasks


def test_a_moment_needs_a_wecom_account(env):
    svc, _, _ = env
    svc.deps.account_for = lambda _a: SimpleNamespace(account_id=A, kind="oa", account_type="", options={})
    with pytest.raises(errors.ValidationError):
        svc.create(Scope.system(A), A, body())


def test_one_task_its_job_and_figures_and_the_calls_it_costs(env):
    svc, wecom, clock = env
    scope = Scope.system(A)
    m = svc.create(scope, A, body())
    assert m["status"] == "scheduled" and m["next_run_at"]
    svc.run_due()  # counts reserved, task created, job not settled yet
    clock.now += 60  # the next tick
    svc.run_due()  # job settled, figures pulled
    svc.run_due()  # a second run of the same tick window: nothing created again
    got = svc.get(scope, A, m["moment_id"])
    assert got["status"] == "publishing" and got["wecom_moment_id"] == "momjob1"
    assert len(wecom.tasks) == 1
    assert (got["visible"], got["reserved"]) == (150, 150)
    f = svc.figures(scope, A, m["moment_id"])
    assert (f["published"], f["not_published"], f["comments"], f["likes"]) == (1, 1, 1, 0)
    # floor: 2 get_by_user pages (150 + 50 pairs, 100 a page) + add_moment_task + 2 job looks (the first unsettled)
    # + per figures pull: get_moment_task + get_moment_comments for the 1 who published (x2 pulls)
    assert svc.calls == 2 + 1 + 2 + 2 * 2


def test_preview_counts_customers_already_at_four_this_month(env):
    svc, wecom, clock = env
    scope = Scope.system(A)
    for _ in range(4):
        svc.create(scope, A, body(senders=["s2"]))
        svc.run_due()
    m = svc.create(scope, A, body())
    p = svc.preview(scope, A, m["moment_id"])
    assert (p["visible"], p["over_quota"], p["eligible"], p["limit"], p["period"]) == (150, 50, 100, 4, "m202612")
    svc.run_due()
    got = svc.get(scope, A, m["moment_id"])
    assert (got["reserved"], got["over_quota"]) == (100, 50)
    clock.now += 31 * 86400  # a new month: everyone may see four again
    m2 = svc.create(scope, A, body(send_at="2027-01-02T10:00:00+08:00"))
    assert svc.preview(scope, A, m2["moment_id"])["over_quota"] == 0


def test_tags_narrow_the_visible_range(env):
    svc, _, _ = env
    m = svc.create(Scope.system(A), A, body(tag_ids=["vip"]))
    assert svc.preview(Scope.system(A), A, m["moment_id"])["visible"] == 10


def test_a_moment_shows_its_tags_by_name_and_a_deleted_one_flagged(env):
    from scrm import bootstrap

    svc, _, _ = env
    scope = Scope.system(A)
    bootstrap.tag_store().replace_catalogue(scope, A, [{"group_id": "g1", "name": "客户等级", "tags": [
        {"tag_id": "vip", "name": "VIP"}, {"tag_id": "gold", "name": "金卡"}]}], NOW)
    m = svc.create(scope, A, body(tag_ids=["vip", "gold"]))
    plain = svc.create(scope, A, body())
    bootstrap.tag_store().remove(scope, A, tag_ids=["gold"])  # deleted in WeCom after the moment was made
    got = svc.get(scope, A, m["moment_id"])
    assert got["tag_ids"] == ["vip", "gold"]
    assert got["tag_names"] == [{"tag_id": "vip", "name": "VIP", "group_name": "客户等级", "deleted": False},
                                {"tag_id": "gold", "name": None, "group_name": None, "deleted": True}]
    listed = {v["moment_id"]: v for v in svc.list_page(scope, A)[0]}
    assert listed[m["moment_id"]]["tag_names"] == got["tag_names"]
    assert "tag_names" not in listed[plain["moment_id"]], "no tags, nothing to name"


def test_cancel_a_scheduled_moment_sends_nothing(env):
    svc, wecom, _ = env
    m = svc.create(Scope.system(A), A, body())
    assert svc.cancel(Scope.system(A), A, m["moment_id"])["status"] == "cancelled"
    assert svc.run_due()["claimed"] == 0 and not wecom.tasks
    with pytest.raises(errors.NotFound):
        svc.get(Scope.system(A), A, "nope")


class NeverSettles(FakeWeCom):
    """WeCom's job for every task stays "creating" (the sandbox with a long moment_job_seconds); 40 more members
    with 2 customers each (a moment each, so the 4-a-month rule does not end them)."""

    def __init__(self):
        super().__init__()
        self.customers.update({f"x{i}": [f"x{i}c{j}" for j in range(2)] for i in range(40)})

    def moment_task_result(self, jobid):
        self.looks[jobid] = self.looks.get(jobid, 0) + 1
        return {"status": 2, "type": "add_moment_task"}


@pytest.fixture
def stuck():
    clock = SimpleNamespace(now=NOW)
    wecom = NeverSettles()
    account = SimpleNamespace(account_id=A, kind="wecom", account_type="", options={})
    svc = MomentService(MemoryMomentStore(), account_for=lambda _a: account, gateway_for=lambda _a: wecom,
                        clock=lambda: clock.now)
    return svc, wecom, clock


def test_a_new_moment_is_not_starved_by_more_than_a_batch_of_moments_whose_jobs_never_settle(stuck):
    svc, wecom, clock = stuck
    scope = Scope.system(A)
    for i in range(30):  # more than one batch (25) of moments whose jobs WeCom never settles
        svc.create(scope, A, body(text=f"旧 {i}", senders=[f"x{i}"]))
    svc.run_due()
    assert len(wecom.tasks) == 30, "one run works through every moment due, not only the first batch"
    clock.now += 30
    new = svc.create(scope, A, body(text="新品", senders=["x39"], send_at="2026-12-02T10:00:30+08:00"))
    clock.now += 30  # the next tick: the 30 are due again, the new one too
    out = svc.run_due()
    assert [t["text"] for t in wecom.tasks].count("新品") == 1, out
    assert svc.get(scope, A, new["moment_id"])["status"] == "creating"
    assert out["claimed"] == 31 and set(wecom.looks.values()) == {2, 1}, "each run looks at each job once"


def test_an_unsettled_job_is_looked_at_less_often_then_given_up_with_the_reason(stuck):
    from scrm.services.moments.publisher import JOB_MAX_POLLS

    svc, wecom, clock = stuck
    scope = Scope.system(A)
    m = svc.create(scope, A, body())
    for _ in range(60):  # an hour of ticks
        svc.run_due()
        clock.now += 60
    # every tick at first, then spaced out to every 10 minutes: 12 looks (60 before, one a tick)
    assert wecom.looks["job1"] == 12, wecom.looks
    for _ in range(24 * 60):
        svc.run_due()
        clock.now += 60
    got = svc.get(scope, A, m["moment_id"])
    assert wecom.looks["job1"] == JOB_MAX_POLLS
    assert got["status"] == "failed" and "had not settled after" in got["reason"] and got["next_run_at"] is None
    assert len(wecom.tasks) == 1 and got["reserved"] == 150, "never resent; the counts stay taken"
