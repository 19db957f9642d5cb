"""Personal data on request (PIPL) against moto and the sandbox: one person seeded across an OA follow, a WeCom
customer (joined by unionid in a shared contact book), draws with a coupon code, shares and views, a push, the
quota ledger, a transfer, the inbox and the audit log; exported, then erased: nothing of theirs is left in any
table, reported figures are unchanged, a late queued event does not re-create them, erasing twice is harmless."""

from __future__ import annotations

import json
import time
import zlib
from datetime import datetime

import pytest

from local.sandbox import SandboxClient
from scrm.services import attribution, campaigns, channels, privacy
from scrm.tenancy import Scope
from tests.integration.test_attribution import oa, run, totals, wecom

NOW = 0.0  # set when each test starts (fresh_caches): never at import
OPENID, EXT, UNIONID = "o-joined", "wm-joined", "u-42"


@pytest.fixture(autouse=True)
def fresh_caches():
    global NOW
    NOW = time.time()
    channels.forget_cache()
    yield
    channels.forget_cache()


def everything_stored() -> str:
    """Every item of every table as text (compressed recipient chunks decoded)."""
    import boto3

    from scrm.data.registry import all_models

    db = boto3.client("dynamodb", region_name="ap-east-1")
    parts = []
    for model in all_models():
        for page in db.get_paginator("scan").paginate(TableName=model.Meta.table_name):
            for item in page["Items"]:
                for value in item.values():
                    if "B" in value:
                        try:
                            value["B"] = zlib.decompress(value["B"]).decode()
                        except zlib.error:
                            value["B"] = value["B"].decode("latin-1")
                parts.append(model.logical_name + " " + json.dumps(item, default=str, ensure_ascii=False))
    return "\n".join(parts)


def seed(oa_account, wecom_account, sandbox):
    """The person everywhere; returns what the reports said before any erasure."""
    from scrm.data.admin_idempotency import AdminRequest
    from scrm.data.channel_tagging import PendingTagging
    from scrm.data.inbox import Entry, Inbox
    from scrm.data.push_batches import PushBatchRecord
    from scrm.data.pushes import PushRecord
    from scrm.data.quota_ledger import QuotaLedgerRecord
    from scrm.data.segments import SegmentRecord
    from scrm.data.transfer_batches import TransferBatch
    from scrm.data.transfer_ledger import TransferLedgerEntry
    from scrm.data.transfer_notices import TransferNotice
    from scrm.data.transfers import TransferItem
    from scrm.services import audit, contact_books
    from scrm.stores.pushes.dynamo import DynamoPushStore
    from scrm.stores.pushes.layout import pack, run_pk

    a, w = oa_account.account_id, wecom_account.account_id
    sb = SandboxClient(sandbox.url)
    # one contact book (a platform decision): the unionid joins follower and customer
    contact_books.set_members(Scope.system(), "shop", [a, w])
    sb.oa_followers(oa_account.app_id, openids=[OPENID, "o-friend"], unionids={OPENID: UNIONID})
    sb.wecom_event(wecom_account.app_id, "add_external_contact", userid="dave", external_userid=EXT,
                   unionid=UNIONID, welcome=False)
    ch = channels.create_channel(Scope.system(a), a, {"kind": "oa_qr", "name": "Poster", "group": "posters",
                                                      "qr_type": "temporary", "expire_seconds": 86400})
    run(oa(a, "subscribe", OPENID, NOW - 600, "qrscene_" + ch["scene"]),
        oa(a, "subscribe", "o-friend", NOW - 590, "qrscene_" + ch["scene"]),
        wecom(w, "add_external_contact", "dave", EXT, NOW - 500, "no-such-state"))
    # the inbox copy of a callback, the 48-hour window, a tagging waiting for its batch
    Inbox().claim(Scope.system(a), Entry(a, f"evt:{OPENID}|1|CLICK|m1", "oa.click",
                                         {"event": {"FromUserName": OPENID}}, "success", NOW - 400))
    DynamoPushStore(Scope.system(a)).touch(a, OPENID, NOW - 400, "text")
    PendingTagging(a, f"oa#101#{OPENID}", tags=["101"], queued_at=int(NOW)).save()
    # a campaign: a coupon won, a share link viewed by a friend, the person viewing a friend's link
    scope = Scope.system(a)
    campaigns.create_campaign(scope, a, {
        "campaign_id": "spring", "name": "Spring", "starts_at": int(NOW - 3600), "ends_at": int(NOW + 3600),
        "status": "active", "eligibility": {"must_follow": False},
        "prizes": [{"prize_id": "c10", "name": "10 off", "kind": "coupon", "probability": 1.0, "shards": 1}]})
    campaigns.upload_codes(scope, a, "spring", "c10", ["CODE-1", "CODE-2", "CODE-3"])
    won = campaigns.draw(a, "spring", OPENID, "req-000001")
    assert won["outcome"] == "win"
    mine = campaigns.create_share(a, "spring", OPENID)["share_id"]
    assert campaigns.view_share(a, "spring", mine, "o-friend")["counted"]
    theirs = campaigns.create_share(a, "spring", "o-friend")["share_id"]
    assert campaigns.view_share(a, "spring", theirs, OPENID)["counted"]
    campaigns.create_share(a, "spring", "o-friend", parent=mine)
    # a push to an explicit list, its recipients, a once-marker, the quota row, a saved segment
    audience = json.dumps({"type": "list", "openids": [OPENID, "o-friend"]})
    runs = json.dumps([{"run": 1, "recipients": 2, "sent": 2}])
    PushRecord(a, "p1", name="News", platform="oa", delivery="mass", status="completed", content="{}",
               audience=audience, timezone="Asia/Shanghai", send_at=int(NOW), run_no=1, next_run_at=int(NOW),
               runs=runs, created_at=int(NOW), updated_at=int(NOW)).save()
    PushBatchRecord(run_pk(a, "p1", 1), "b000001#r000", recipients=pack([OPENID, "o-friend"]), count=2).save()
    PushBatchRecord(run_pk(a, "p1", 1), f"m#{OPENID}", state="sent").save()
    QuotaLedgerRecord(f"{a}#mass#recipient#2026-12#{OPENID}", used=1, holders={"p1#1"}).save()
    SegmentRecord(a, "s1", name="VIP", audience=audience, created_at=int(NOW)).save()
    AdminRequest(id=f"{a}#k1#POST /accounts/{a}/pushes#idem", body_hash="h", state="done", status=201,
                 response=json.dumps({"audience": json.loads(audience)}),
                 expires=__import__("datetime").datetime.fromtimestamp(NOW + 86400, __import__("datetime").UTC)
                 ).save()
    # a transfer of the customer when dave left
    pk = f"{w}#plan1"
    TransferItem(pk, f"c#{EXT}", account_id=w, plan_id="plan1", kind="customer", target_id=EXT,
                 target_key=f"{w}#{EXT}", handover_userid="dave", takeover_userid="erin", state="succeeded",
                 updated_at=int(NOW), history=[{"errcode": 0, "external_userid": EXT}]).save()
    TransferItem(pk, "c#wm-other", account_id=w, plan_id="plan1", kind="customer", target_id="wm-other",
                 target_key=f"{w}#wm-other", handover_userid="dave", takeover_userid="erin", state="succeeded",
                 updated_at=int(NOW)).save()
    TransferBatch(pk, "b000001", kind="customer", takeover_userid="erin", targets=[EXT, "wm-other"], state="sent",
                  created_at=int(NOW)).save()
    TransferLedgerEntry(f"{w}#{EXT}", f"{int(NOW)}#plan1#erin", at=int(NOW), plan_id="plan1",
                        takeover_userid="erin", mode="onjob").save()
    TransferNotice(pk, "erin#1", takeover_userid="erin", customers=2, sample=[EXT, "wm-other"],
                   text=f"You now serve {EXT} and 1 more", delivery="sent", created_at=int(NOW)).save()
    audit.record(w, key_id="k1", action="reassignment.customer.read",
                 object=f"/accounts/{w}/reassignment/customers/{EXT}", outcome="ok", status=200, method="GET")
    return {"channel": totals(a, ch["channel_id"], NOW), "channel_id": ch["channel_id"],
            "unknown": totals(w, "unknown", NOW), "report": campaigns.report(scope, a, "spring"),
            "push_runs": runs, "plan_items": 2, "share_ids": (mine, theirs), "code": won["prize"]["code"]}


def figures(a, w, before):
    from scrm.data.push_batches import PushBatchRecord
    from scrm.data.pushes import PushRecord
    from scrm.data.transfers import TransferItem
    from scrm.stores.pushes.layout import run_pk, unpack

    batch = PushBatchRecord.get(run_pk(a, "p1", 1), "b000001#r000")
    return {"channel": totals(a, before["channel_id"], NOW), "unknown": totals(w, "unknown", NOW),
            "report": campaigns.report(Scope.system(a), a, "spring"),
            "push_runs": PushRecord.get(a, "p1").runs, "recipients": len(unpack(batch.recipients)),
            "plan_items": sum(1 for _ in TransferItem.query(f"{w}#plan1"))}


def test_export_then_erase_leaves_nothing_and_keeps_every_figure(oa_account, wecom_account, sandbox):
    a, w = oa_account.account_id, wecom_account.account_id
    before = seed(oa_account, wecom_account, sandbox)
    mine, theirs = before["share_ids"]
    stored = everything_stored()
    for value in (OPENID, EXT, UNIONID, mine):
        assert value in stored

    exported = privacy.export(Scope.system(a), a, {"unionid": UNIONID})
    assert exported["identifiers"] == {"openid": [OPENID], "external_userid": [], "unionid": [UNIONID]}
    assert {"contacts", "interactions", "channel_tagging", "inbox", "draws", "participants", "shares",
            "coupon_codes", "pushes", "segments", "push_batches", "quota_ledger",
            "admin_idempotency"} <= set(exported["tables"])
    assert any(d.get("code") == before["code"] for d in exported["tables"]["draws"])
    assert "o-friend" not in json.dumps(exported["tables"]["shares"])  # not other people's view markers
    json.dumps(exported)  # JSON as it stands
    wexport = privacy.export(Scope.system(w), w, {"external_userid": EXT})
    assert {"contacts", "transfers", "transfer_batches", "transfer_notices", "transfer_ledger",
            "audit_log"} <= set(wexport["tables"])

    erased_at = NOW + 1000
    first = privacy.erase(Scope.system(a), a, {"openid": OPENID}, clock=lambda: erased_at)
    assert first["items"] > 0
    privacy.erase(Scope.system(w), w, {"external_userid": EXT}, clock=lambda: erased_at)

    stored = everything_stored()
    for value in (OPENID, EXT, UNIONID, mine):
        assert value not in stored, [line for line in stored.splitlines() if value in line][:3]
    assert "o-friend" in stored and "wm-other" in stored and theirs in stored  # other people untouched
    after = figures(a, w, before)
    assert after["channel"] == before["channel"] and after["unknown"] == before["unknown"]
    assert after["report"] == before["report"]
    assert after["push_runs"] == before["push_runs"] and after["recipients"] == 2
    assert after["plan_items"] == before["plan_items"]
    with pytest.raises(Exception, match="no contact"):
        attribution.find_contact(Scope.system(a), a, openid=OPENID)
    # the code is still handed out once: the erased holder's slot stays claimed
    assert campaigns.draw(a, "spring", "o-friend", "req-000002")["prize"]["code"] != before["code"]

    # a late event still in the queue (created before the erasure) is dropped; a new follow after it is applied
    run(oa(a, "SCAN", OPENID, NOW - 300, before["channel_id"]))
    assert OPENID not in everything_stored()
    assert totals(a, before["channel_id"], NOW) == after["channel"]
    run(oa(a, "subscribe", OPENID, erased_at + 60, ""))
    touched = attribution.find_contact(Scope.system(a), a, openid=OPENID)["touches"][0]["at"]  # an answer time
    assert datetime.fromisoformat(touched).timestamp() >= erased_at

    again = privacy.erase(Scope.system(w), w, {"external_userid": EXT}, clock=lambda: erased_at + 1)
    assert again["items"] == 0 and EXT not in everything_stored()
