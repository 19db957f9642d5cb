"""Attack: a signed query (timestamp, nonce, signature) copied from an access log or a proxy is reused within the
clock-skew window to post a different event: the plain `signature` does not cover the body.

Defence: a signed query carries at most one event. Its claim is written in the same DynamoDB transaction as the
inbox item, so a second, different event under it is refused (403, nothing written, nothing queued), while
WeChat's own retries of the first event still get the stored reply. Round trips stay 2 per new event and 1 per
retry.
"""

from __future__ import annotations

import time

import pytest

from local.sandbox import callbacks as wx
from tests.security.callback_helpers import follow_xml, oa_account, oa_cfg, plaintext_under, service


@pytest.mark.parametrize("mode,encrypt", [("compatible", "aes"), ("plaintext", "plain")])
def test_a_second_event_under_one_signed_query_is_refused_in_memory(mode, encrypt):
    account = oa_account(mode)
    svc, inbox, queue = service(account)
    query, body = wx.oa_request(oa_cfg(account, encrypt), follow_xml("o-real"), "o-real")
    first = svc.handle("oa", account.account_id, "POST", query, body)
    assert first.status == 200
    forged = svc.handle("oa", account.account_id, "POST", plaintext_under(query), follow_xml("o-forged"))
    assert (forged.status, forged.body) == (403, "forbidden")
    retry = svc.handle("oa", account.account_id, "POST", query, body)  # WeChat's retry of the real event
    def opened(answer):  # an encrypted reply is re-encrypted (fresh random prefix): compare what it says
        return wx.open_reply(answer.body, account.token, account.aes_key, account.app_id)["reply"]

    assert retry.status == 200 and opened(retry) == opened(first) and "welcome" in opened(first)
    assert [p["event"]["FromUserName"] for p in queue] == ["o-real"] and len(inbox.items) == 1


def test_the_query_of_an_unhandled_event_cannot_carry_a_forged_one():
    account = oa_account("plaintext")
    svc, inbox, queue = service(account)
    query, body = wx.oa_request(oa_cfg(account, "plain"), follow_xml(Event="some_new_event"), "o-real")
    assert svc.handle("oa", account.account_id, "POST", query, body).body == "success"
    assert svc.handle("oa", account.account_id, "POST", query, follow_xml("o-forged")).status == 403
    assert not queue and not inbox.items


def test_replay_refused_in_one_transaction_on_dynamodb(oa_account, monkeypatch):
    """Against (moto) DynamoDB: the claim and the inbox item are one TransactWriteItems."""
    from scrm.accounts import forget_cache
    from scrm.data.accounts import AccountRecord
    from scrm.services.callbacks import CallbackService
    from tests.integration.test_callbacks import DynamoCalls, inbox_items, queued

    AccountRecord(oa_account.account_id).update(actions=[AccountRecord.message_mode.set("compatible")])
    forget_cache()
    svc = CallbackService(welcome=lambda a, e: None)
    cfg = {"token": oa_account.token, "aes_key": oa_account.aes_key, "appid": oa_account.app_id,
           "original_id": oa_account.original_id, "encrypt_mode": "aes"}
    warm_q, warm_b = wx.oa_request(cfg, follow_xml("o-warm", to=oa_account.original_id), "o-warm")
    assert svc.handle("oa", oa_account.account_id, "POST", warm_q, warm_b).status == 200  # caches warm
    queued()

    counter = DynamoCalls(monkeypatch)
    query, body = wx.oa_request(cfg, follow_xml("o-real", to=oa_account.original_id), "o-real")
    assert svc.handle("oa", oa_account.account_id, "POST", query, body).status == 200
    assert counter.calls == ["TransactWriteItems", "UpdateItem"]  # <= 2 round trips per new event
    counter.calls.clear()
    forged = follow_xml("o-forged", to=oa_account.original_id, EventKey="qrscene_7")
    assert svc.handle("oa", oa_account.account_id, "POST", plaintext_under(query), forged).status == 403
    assert counter.calls == ["TransactWriteItems"]  # cancelled: nothing written
    counter.calls.clear()
    assert svc.handle("oa", oa_account.account_id, "POST", query, body).status == 200
    assert counter.calls == ["TransactWriteItems"]  # <= 1 round trip per retry
    assert [m["event"]["FromUserName"] for m in queued()] == ["o-real"]
    assert sorted(i.dedupe_key.split("|")[0] for i in inbox_items()) == ["evt:o-real", "evt:o-warm"]


def test_the_claim_lasts_until_the_timestamp_is_stale_anyway():
    now = [time.time()]
    account = oa_account("plaintext")
    svc, inbox, _ = service(account, clock=lambda: now[0])
    ts = str(int(now[0]))
    query, body = wx.oa_request(oa_cfg(account, "plain"), follow_xml("o-real", create_time=int(now[0])), "o-real",
                                timestamp=ts)
    assert svc.handle("oa", account.account_id, "POST", query, body).status == 200
    (held,) = inbox.queries.values()
    assert held[1] >= int(ts) + svc.max_skew  # outlives the window in which the timestamp is accepted
    now[0] += svc.max_skew + 1
    assert svc.handle("oa", account.account_id, "POST", query, follow_xml("o-forged")).status == 403  # stale
