"""The callback use case with in-memory ports: dedupe, stored replies, retries, refusals without side effects.

Includes the fuzz suite: thousands of forged, stale, truncated, re-signed-garbage and hostile requests, each
answered with a 4xx or `success` and none leaving anything in the inbox or the queue.
"""

from __future__ import annotations

import base64
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.sandbox import callbacks as wx
from scrm.accounts import Account
from scrm.data.inbox import MemoryInbox
from scrm.domain.replies import ReplySettings, Rule
from scrm.services.callbacks import CallbackService

TOKEN, AES = "tok12345abc", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OA = Account(account_id="acct-oa", kind="oa", app_id="wx1234567890abcdef", name="OA", original_id="gh_1",
             app_secret="s", token=TOKEN, aes_key=AES)
OA_PLAIN = Account(account_id="acct-oa-plain", kind="oa", app_id=OA.app_id, name="OA", original_id="gh_1",
                   app_secret="s", token=TOKEN, aes_key=AES, message_mode="plaintext")
WECOM = Account(account_id="acct-wecom", kind="wecom", app_id="ww1234567890abcdef", name="corp", app_secret="s",
                token=TOKEN, aes_key=AES)
OA_CFG = {"token": TOKEN, "aes_key": AES, "appid": OA.app_id, "original_id": "gh_1", "encrypt_mode": "aes"}
WECOM_CFG = {"token": TOKEN, "aes_key": AES, "corpid": WECOM.app_id}
SETTINGS = ReplySettings(
    rules=(Rule("r1", "exact", ("hi",), {"type": "text", "content": "hello ]]> you"}),
           Rule("r2", "click", ("MENU",), {"type": "news", "articles": [{"title": f"t{i}"} for i in range(3)]})),
    welcome={"type": "text", "content": "welcome!"}, default={"type": "text", "content": "default"})


class Queue:
    def __init__(self, fail_times: int = 0):
        self.sent, self.fail_times, self.lock = [], fail_times, threading.Lock()

    def __call__(self, payload):
        with self.lock:
            if self.fail_times:
                self.fail_times -= 1
                raise ConnectionError("sqs down")
            self.sent.append(payload)


def make(queue=None, clock=time.time):
    accounts = {a.account_id: a for a in (OA, OA_PLAIN, WECOM)}

    def get_account(account_id):
        from scrm.errors import UnknownAccount

        if account_id not in accounts:
            raise UnknownAccount(account_id)
        return accounts[account_id]

    inbox = MemoryInbox()
    queue = queue or Queue()
    svc = CallbackService(inbox=inbox, enqueue=queue, clock=clock, get_account=get_account,
                          reply_settings=lambda _id: SETTINGS, welcome=lambda account, event: None)
    return svc, inbox, queue


def oa_xml(**fields):
    base = {"ToUserName": "gh_1", "FromUserName": "o-user-1", "CreateTime": int(time.time()), "MsgType": "event",
            "Event": "subscribe", "EventKey": ""}
    base.update(fields)
    return wx.build_xml({k: v for k, v in base.items() if v is not None})


def wecom_xml(**fields):
    base = {"ToUserName": WECOM.app_id, "FromUserName": "sys", "CreateTime": int(time.time()), "MsgType": "event",
            "Event": "change_external_contact", "ChangeType": "add_external_contact", "UserID": "zhangsan",
            "ExternalUserID": "wm-1", "State": "s1", "WelcomeCode": "CODE"}
    base.update(fields)
    return wx.build_xml(base)


def post_oa(svc, xml, aes=True, account="acct-oa"):
    query, body = wx.oa_request(OA_CFG, xml, "o-user-1", encrypt_body=aes)
    return svc.handle("oa", account, "POST", query, body.encode())


def reply_of(answer, wecom=False):
    return wx.open_reply(answer.body, TOKEN, AES, WECOM.app_id if wecom else OA.app_id, wecom=wecom)


def test_subscribe_is_recorded_enqueued_and_welcomed():
    svc, inbox, queue = make()
    answer = post_oa(svc, oa_xml())
    opened = reply_of(answer)
    assert answer.status == 200 and opened["reply_encrypted"] and opened["reply_signature_ok"]
    assert "<Content><![CDATA[welcome!]]></Content>" in opened["reply"]
    (payload,) = queue.sent
    assert payload["kind"] == "oa.subscribe" and payload["platform"] == "oa" and payload["account_id"] == "acct-oa"
    assert payload["event"]["FromUserName"] == "o-user-1" and "received_at" in payload["event"]
    (entry,) = inbox.items.values()
    assert entry.enqueued and entry.reply == opened["reply"]


def test_plaintext_mode_keyword_default_and_click():
    svc, _, queue = make()
    plain = "acct-oa-plain"
    hit = post_oa(svc, oa_xml(MsgType="text", Event=None, EventKey=None, Content="HI", MsgId=1), aes=False,
                  account=plain)
    assert hit.content_type == "application/xml" and "hello ]]]]><![CDATA[> you" in hit.body
    miss = post_oa(svc, oa_xml(MsgType="text", Event=None, EventKey=None, Content="what", MsgId=2), aes=False,
                   account=plain)
    assert "default" in miss.body
    click = post_oa(svc, oa_xml(Event="CLICK", EventKey="MENU"), aes=False, account=plain)
    assert "<ArticleCount>3</ArticleCount>" in click.body  # an event reply may carry up to 8 articles
    view = post_oa(svc, oa_xml(Event="VIEW", EventKey="https://x"), aes=False, account=plain)
    assert view.body == "success"
    assert [p["kind"] for p in queue.sent] == ["oa.text", "oa.text", "oa.click", "oa.view"]


def test_retry_gets_the_same_reply_and_no_second_effect():
    svc, inbox, queue = make()
    xml = oa_xml(MsgType="text", Event=None, EventKey=None, Content="hi", MsgId=77)
    first = reply_of(post_oa(svc, xml))["reply"]
    for _ in range(3):
        assert reply_of(post_oa(svc, xml))["reply"] == first
    assert len(queue.sent) == 1 and len(inbox.items) == 1


def test_queue_failure_answers_503_and_the_retry_enqueues():
    svc, inbox, queue = make(queue=Queue(fail_times=1))
    xml = oa_xml()
    assert post_oa(svc, xml).status == 503
    (entry,) = inbox.items.values()
    assert not entry.enqueued
    retry = post_oa(svc, xml)
    assert retry.status == 200 and "welcome!" in reply_of(retry)["reply"]
    assert len(queue.sent) == 1 and entry.enqueued
    post_oa(svc, xml)
    assert len(queue.sent) == 1


def test_four_concurrent_deliveries_one_effect():
    svc, inbox, queue = make()
    xml = oa_xml(EventKey="qrscene_9", Ticket="T")
    query, body = wx.oa_request(OA_CFG, xml, "o-user-1")
    barrier = threading.Barrier(4)
    answers = []

    def deliver():
        barrier.wait()
        answers.append(svc.handle("oa", "acct-oa", "POST", query, body.encode()))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert {reply_of(a)["reply"] for a in answers} == {reply_of(answers[0])["reply"]}
    # one stored event; a delivery racing the first (not yet marked enqueued) may queue it again under the same
    # dedupe key, which the worker applies once
    assert len(inbox.items) == 1 and len({p["dedupe_key"] for p in queue.sent}) == 1


def test_wecom_event_and_verification():
    svc, _, queue = make()
    query, body = wx.wecom_request(WECOM_CFG, wecom_xml())
    answer = svc.handle("wecom", "acct-wecom", "POST", query, body.encode())
    assert (answer.status, answer.body) == (200, "success")
    assert queue.sent[0]["kind"] == "wecom.change_external_contact.add_external_contact"
    assert queue.sent[0]["event"]["WelcomeCode"] == "CODE"
    ts, nonce = str(int(time.time())), "123"
    echostr = wx.encrypt(AES, "echo-42", WECOM.app_id, wecom=True)
    verify = {"msg_signature": wx.sha1_sign(TOKEN, ts, nonce, echostr), "timestamp": ts, "nonce": nonce,
              "echostr": echostr.replace("+", " ")}
    assert svc.handle("wecom", "acct-wecom", "GET", verify, b"").body == "echo-42"


def test_wecom_list_field_and_chat_event():
    svc, _, queue = make()
    xml = wecom_xml(Event="change_external_chat", ChangeType="update", ChatId="wr1", UpdateDetail="add_member",
                    MemChangeList=["Jack"], WelcomeCode=None)
    query, body = wx.wecom_request(WECOM_CFG, xml)
    assert svc.handle("wecom", "acct-wecom", "POST", query, body.encode()).status == 200
    assert queue.sent[0]["event"]["MemChangeList"] == ["Jack"]


def test_unknown_types_are_acknowledged_without_effect():
    svc, inbox, queue = make()
    assert post_oa(svc, oa_xml(Event="something_new")).body == "success"
    query, body = wx.wecom_request(WECOM_CFG, wecom_xml(ChangeType="brand_new"))
    assert svc.handle("wecom", "acct-wecom", "POST", query, body.encode()).body == "success"
    assert not queue.sent and not inbox.items


def test_platform_mismatch_and_unknown_account_are_404():
    svc, _, _ = make()
    query, body = wx.oa_request(OA_CFG, oa_xml(), "o")
    assert svc.handle("wecom", "acct-oa", "POST", query, body.encode()).status == 404
    assert svc.handle("oa", "nobody", "POST", query, body.encode()).status == 404
    assert svc.handle("oa", "../etc", "POST", query, body.encode()).status == 404
    assert svc.handle("oa", "acct-oa", "PUT", query, body.encode()).status == 405


# ------------------------------------------------------------------------------------------- fuzz suite

def _resign(query, encrypted):
    q = dict(query)
    q["msg_signature"] = wx.sha1_sign(TOKEN, q["timestamp"], q["nonce"], encrypted)
    return q


def _envelope(encrypted, to="gh_1"):
    return wx.build_xml({"ToUserName": to, "Encrypt": encrypted})


MUTATIONS = ["signature", "msg_signature", "stale", "future", "ts_garbage", "nonce", "drop_param", "no_query",
             "wrong_appid", "garbage_b64", "non_b64", "truncate", "random_plain", "random_body", "doctype",
             "entity_inner", "oversize", "bit_flip", "empty_body", "unknown_account", "echostr_forged"]


class Hostile:
    """One request being made hostile: a mutation changes some of its fields."""

    def __init__(self, platform, data):
        self.platform, self.data = platform, data
        self.account = "acct-oa" if platform == "oa" else "acct-wecom"
        self.rid = OA.app_id if platform == "oa" else WECOM.app_id
        self.xml = oa_xml() if platform == "oa" else wecom_xml()
        if platform == "oa":
            self.query, body = wx.oa_request(OA_CFG, self.xml, "o-user-1", encrypt_body=True)
        else:
            self.query, body = wx.wecom_request(WECOM_CFG, self.xml)
        self.body = body.encode()
        self.method = "POST"
        self.rnd = data.draw(st.binary(min_size=0, max_size=300))

    def draw(self, strategy):
        return self.data.draw(strategy)

    def encrypted(self) -> str:
        return wx.xmltodict.parse(self.body)["xml"]["Encrypt"]

    def carry(self, enc: str) -> None:
        """Send `enc` as the Encrypt, correctly signed (only the content is hostile)."""
        self.query, self.body = _resign(self.query, enc), _envelope(enc).encode()

    def carry_plain(self, plain: str, appid: str | None = None) -> None:
        self.carry(wx.encrypt(AES, plain, appid or self.rid, wecom=self.platform == "wecom"))


def _stale_or_future(r: Hostile, mutation: str) -> None:
    delta = r.draw(st.integers(301, 10**9))
    r.query["timestamp"] = str(max(0, int(time.time()) + (delta if mutation == "future" else -delta)))
    r.query["msg_signature"] = _resign(r.query, r.encrypted())["msg_signature"]


def _wrong_appid(r: Hostile, _m) -> None:
    other = r.draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=20))
    r.carry_plain(r.xml, other + "x" if other == r.rid else other)


def _non_b64(r: Hostile, _m) -> None:
    enc = r.draw(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
                         max_size=100)).replace("]]>", "")
    r.carry(enc or "x")


def _truncate(r: Hostile, _m) -> None:
    full = r.encrypted()
    r.carry(full[:r.draw(st.integers(1, len(full) - 1))])


def _random_plain(r: Hostile, _m) -> None:
    r.carry_plain(r.draw(st.text(max_size=300) | st.sampled_from(
        ["<xml></xml>", "<xml><MsgType>event</MsgType></xml>", '<!DOCTYPE x [<!ENTITY a "b">]><xml>&a;</xml>',
         "<xml><MsgType>event</MsgType><Event>subscribe</Event><CreateTime>x</CreateTime></xml>"])))


def _bit_flip(r: Hostile, _m) -> None:
    start = r.body.index(b"<Encrypt><![CDATA[") + len(b"<Encrypt><![CDATA[")
    end = r.body.index(b"]]></Encrypt>")
    i = r.draw(st.integers(start, end - 1))  # inside the signed Encrypt (elsewhere a flip can be benign)
    r.body = r.body[:i] + bytes([r.body[i] ^ (1 << r.draw(st.integers(0, 7)))]) + r.body[i + 1:]


def _unknown_account(r: Hostile, _m) -> None:
    r.account = r.draw(st.text(max_size=70))
    if r.account in ("acct-oa", "acct-wecom"):
        r.account += "-x"


def _echostr_forged(r: Hostile, _m) -> None:
    r.method = "GET"
    r.query = {"msg_signature" if r.platform == "wecom" else "signature": r.draw(st.text(max_size=45)),
               "timestamp": r.query.get("timestamp"), "nonce": r.query.get("nonce"), "echostr": r.draw(st.text())}


def _set(r: Hostile, **fields) -> None:
    for name, value in fields.items():
        setattr(r, name, value)


ENTITY_INNER = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;">]><xml>&l2;</xml>'
MUTATE = {
    "signature": lambda r, m: r.query.update(
        msg_signature=r.draw(st.text(alphabet="0123456789abcdef", min_size=40, max_size=40))),
    "msg_signature": lambda r, m: r.query.update(msg_signature=r.draw(st.text(max_size=60))),
    "stale": _stale_or_future,
    "future": _stale_or_future,
    "ts_garbage": lambda r, m: r.query.update(timestamp=r.draw(st.text(max_size=20))),
    "nonce": lambda r, m: r.query.update(nonce=r.draw(st.text(max_size=80))),
    # the others are optional
    "drop_param": lambda r, m: r.query.pop(r.draw(st.sampled_from(["msg_signature", "timestamp", "nonce"]))),
    "no_query": lambda r, m: _set(r, query=None),
    "wrong_appid": _wrong_appid,
    "garbage_b64": lambda r, m: r.carry(base64.b64encode(r.rnd).decode()),
    "non_b64": _non_b64,
    "truncate": _truncate,
    "random_plain": _random_plain,
    "random_body": lambda r, m: _set(r, body=r.rnd),
    "doctype": lambda r, m: _set(r, body=b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + r.body),
    "entity_inner": lambda r, m: r.carry_plain(ENTITY_INNER),
    "oversize": lambda r, m: _set(r, body=r.body[:-6] + b"<Pad>" + b"a" * r.draw(st.integers(65536, 70000))
                                  + b"</Pad></xml>"),
    "bit_flip": _bit_flip,
    "empty_body": lambda r, m: _set(r, body=b""),
    "unknown_account": _unknown_account,
    "echostr_forged": _echostr_forged,
}
assert set(MUTATE) == set(MUTATIONS)


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(platform=st.sampled_from(["oa", "wecom"]), mutation=st.sampled_from(MUTATIONS), data=st.data())
def test_hostile_requests_have_no_side_effect(platform, mutation, data):
    svc, inbox, queue = make()
    r = Hostile(platform, data)
    MUTATE[mutation](r, mutation)
    answer = svc.handle(platform, r.account, r.method, r.query, r.body)
    assert answer.status in (400, 403, 404, 413) or (answer.status == 200 and answer.body == "success"), \
        (mutation, answer)
    assert not queue.sent and not inbox.items


@pytest.mark.parametrize("mutation", ["missing_create_time", "missing_from"])
def test_valid_signature_but_incomplete_event_is_400(mutation):
    svc, inbox, queue = make()
    xml = oa_xml(CreateTime=None) if mutation == "missing_create_time" else oa_xml(FromUserName="")
    assert post_oa(svc, xml).status == 400
    assert not queue.sent and not inbox.items


def test_store_outages_answer_503_so_wechat_retries():
    svc, inbox, queue = make()

    def broken(*a, **k):
        raise ConnectionError("dynamodb down")

    svc.get_account = broken
    assert post_oa(svc, oa_xml()).status == 503
    svc2, inbox2, _ = make()
    inbox2.claim = broken
    assert post_oa(svc2, oa_xml()).status == 503


def test_sweeper_enqueues_events_that_never_reached_the_queue():
    now = [time.time()]
    svc, inbox, queue = make(queue=Queue(fail_times=1), clock=lambda: now[0])
    assert post_oa(svc, oa_xml()).status == 503  # stored, not queued; suppose WeChat never retries
    assert svc.sweep() == {"pending": 0, "enqueued": 0, "failed": 0}  # too young: maybe still in flight
    now[0] += 61
    assert svc.sweep() == {"pending": 1, "enqueued": 1, "failed": 0}
    assert len(queue.sent) == 1 and all(e.enqueued for e in inbox.items.values())
    assert svc.sweep()["pending"] == 0


def test_clock_skew_window_comes_from_the_setting(monkeypatch):
    from scrm.config import reset_settings

    monkeypatch.setenv("SCRM_CALLBACK_CLOCK_SKEW_SECONDS", "30")
    reset_settings()
    try:
        now = time.time()
        svc, inbox, _ = make(clock=lambda: now)
        assert svc.max_skew == 30
        for age, status in ((31, 403), (29, 200)):
            query, body = wx.oa_request(OA_CFG, oa_xml(FromUserName=f"o-{age}"), f"o-{age}",
                                        timestamp=str(int(now) - age))
            assert svc.handle("oa", "acct-oa", "POST", query, body.encode()).status == status
        assert len(inbox.items) == 1
    finally:
        monkeypatch.delenv("SCRM_CALLBACK_CLOCK_SKEW_SECONDS")
        reset_settings()


def test_refusals_are_logged_with_the_reason_never_the_secret(caplog):
    svc, _, _ = make()
    query, body = wx.oa_request(OA_CFG, oa_xml(), "o-user-1")
    forged = {**query, "msg_signature": "f" * 40}
    stale_ts = str(int(time.time()) - 400)
    stale = {**query, "timestamp": stale_ts,
             "msg_signature": wx.sha1_sign(TOKEN, stale_ts, query["nonce"], wx.xmltodict.parse(body)["xml"]["Encrypt"])}
    for q in (forged, stale):
        answer = svc.handle("oa", "acct-oa", "POST", q, body.encode())
        assert answer.status == 403 and answer.body == "forbidden"  # generic answer
    reasons = [r.reason for r in caplog.records if r.getMessage() == "callback refused"]
    assert reasons[0] == "bad signature" and reasons[1].startswith("stale timestamp: 400 s behind our clock")
    logged = " ".join(str(vars(r)) for r in caplog.records)
    assert TOKEN not in logged and AES not in logged and query["msg_signature"] not in logged
