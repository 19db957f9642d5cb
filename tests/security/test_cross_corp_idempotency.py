"""Attack (or plain bad luck): two WeCom corps send the same-looking event in the same second, e.g. each removes
its own staff member `zhangsan`. WeCom dedupe keys hold no corp id, and the worker's idempotency key was the
dedupe key alone: the second corp's departure was silently dropped, its customers never reassigned.

Defence: every idempotency and dedupe key is scoped by account (the worker's key is (account_id, dedupe_key);
a contact's touches are duplicates only within one account).
"""

from __future__ import annotations

import json
import time

from local.sandbox import callbacks as wx
from scrm.domain import attribution as rules


def _register_corps():
    from scrm import accounts

    corps = []
    for n in (1, 2):
        corps.append(accounts.register(f"corp-{n}", "wecom", f"ww00000000corp000{n}", f"Corp {n}",
                                       app_secret="s" * 16, token=f"corp{n}token", aes_key=chr(64 + n) * 43))
    return corps


def _sqs_event(payloads):
    return {"Records": [{"messageId": f"m{i}", "receiptHandle": "r", "body": json.dumps(p), "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:q", "awsRegion": "ap-east-1"}
                        for i, p in enumerate(payloads)]}


def test_the_same_delete_user_from_two_corps_is_applied_for_both(aws, monkeypatch):
    from scrm.services import events
    from scrm.services.callbacks import CallbackService

    corps = _register_corps()
    queue = []
    svc = CallbackService(enqueue=queue.append, welcome=lambda a, e: None)
    second = int(time.time())
    for corp in corps:
        xml = wx.build_xml({"ToUserName": corp.app_id, "FromUserName": "sys", "CreateTime": second,
                            "MsgType": "event", "Event": "change_contact", "ChangeType": "delete_user",
                            "UserID": "zhangsan"})
        query, body = wx.wecom_request({"token": corp.token, "aes_key": corp.aes_key, "corpid": corp.app_id}, xml)
        assert svc.handle("wecom", corp.account_id, "POST", query, body).status == 200
    assert queue[0]["dedupe_key"] == queue[1]["dedupe_key"]  # identical-looking events

    applied = []

    def departure(payload):
        applied.append(payload["account_id"])
        return "ok"

    monkeypatch.setattr(events, "handlers_for", lambda kind: [departure])
    assert events.process_batch(_sqs_event(queue)) == {"batchItemFailures": []}
    assert sorted(applied) == ["corp-1", "corp-2"]
    events.process_batch(_sqs_event(queue))  # redeliveries stay applied once per corp
    assert sorted(applied) == ["corp-1", "corp-2"]


def test_a_shared_contact_book_dedupes_touches_per_account():
    mine = rules.make_touch(kind=rules.ADD, t=100, account_id="corp-1", identity="wm1", channel="c",
                            dedupe_key="wecom:k", staff="zhangsan")
    assert rules.is_duplicate([mine], "corp-1", "wecom:k")
    assert not rules.is_duplicate([mine], "corp-2", "wecom:k")
