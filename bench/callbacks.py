"""WeChat callback figures: handler overhead vs the bare wechatpy floor, DynamoDB round trips per event,
sustained events/s through the local stack, and WeCom welcome latency.

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/callbacks.py [--events 300] [--skip-stack]

1. Overhead: the same N encrypted OA text messages through (a) the bare floor - wechatpy check_signature,
   WeChatCrypto.decrypt_message, parse_message, create_reply(...).render() and encrypt_message - and (b) our
   CallbackService with in-memory inbox/queue ports (no datastore time), warm caches, a keyword rule answering
   with the same text. Best (and median) of rounds, interleaved. Same for WeCom events (floor: decrypt + parse).
   Ours includes every authenticity check: message mode, ToUserName, the signed-query claim (in memory).
2. DynamoDB round trips on the synchronous path (in-process moto, counted with a botocore hook).
3. The local stack (subprocess, moto server, sandbox, Chalice local server, dispatcher): the sandbox fires
   signed+encrypted follow events from a thread pool; events/s, p50/p99 of the sandbox-measured latency;
   then WeCom add_external_contact events: event fired -> send_welcome_msg at the sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT / "layers/common/python"), str(ROOT)):
    if p not in sys.path:
        sys.path.insert(0, p)
os.environ.setdefault("AWS_DEFAULT_REGION", "ap-east-1")
os.environ.setdefault("AWS_REGION", "ap-east-1")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("SCRM_STAGE", "bench")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

TOKEN, AES = "benchtoken123", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECOM_TOKEN = "benchcorptoken1"
APPID, CORPID = "wxbench000000000001", "wwbench000000000001"
REPLY = "Thanks for your message - 谢谢"


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


# ------------------------------------------------------------------------------------------ 1. overhead

def _signed_requests(n: int, now: int, cfg: dict) -> tuple[list, list]:
    """n encrypted OA text messages (50 followers) and n WeCom add_external_contact events, as WeChat sends them."""
    from local.sandbox import callbacks as wx

    oa_reqs = []
    for i in range(n):
        xml = wx.build_xml({"ToUserName": "gh_bench", "FromUserName": f"o-bench-{i % 50}", "CreateTime": now,
                            "MsgType": "text", "Content": f"hello {i}", "MsgId": 10**15 + i})
        oa_reqs.append(wx.oa_request(cfg, xml, f"o-bench-{i % 50}"))
    wecom_reqs = []
    for i in range(n):
        xml = wx.build_xml({"ToUserName": CORPID, "FromUserName": "sys", "CreateTime": now, "MsgType": "event",
                            "Event": "change_external_contact", "ChangeType": "add_external_contact",
                            "UserID": "zhangsan", "ExternalUserID": f"wm{i:030d}", "State": "s",
                            "WelcomeCode": "W" * 43})
        wecom_reqs.append(wx.wecom_request({"token": TOKEN, "aes_key": AES, "corpid": CORPID}, xml))
    return oa_reqs, wecom_reqs


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def overhead(n: int, rounds: int) -> dict:
    from wechatpy import create_reply, parse_message
    from wechatpy.crypto import WeChatCrypto
    from wechatpy.enterprise import parse_message as parse_wecom
    from wechatpy.enterprise.crypto import WeChatCrypto as WeComCrypto
    from wechatpy.utils import check_signature

    from scrm.accounts import Account
    from scrm.data.inbox import MemoryInbox
    from scrm.domain.replies import ReplySettings, Rule
    from scrm.services.callbacks import CallbackService

    oa = Account("bench-oa", "oa", APPID, "OA", original_id="gh_bench", token=TOKEN, aes_key=AES, app_secret="s")
    wecom = Account("bench-wecom", "wecom", CORPID, "corp", token=TOKEN, aes_key=AES, app_secret="s")
    accounts = {a.account_id: a for a in (oa, wecom)}
    settings = ReplySettings(rules=(Rule("r", "contains", ("hello",), {"type": "text", "content": REPLY}),))
    cfg = {"token": TOKEN, "aes_key": AES, "appid": APPID, "original_id": "gh_bench", "encrypt_mode": "aes"}
    oa_reqs, wecom_reqs = _signed_requests(n, int(time.time()), cfg)

    oa_crypto = WeChatCrypto(TOKEN, AES, APPID)
    wecom_crypto = WeComCrypto(TOKEN, AES, CORPID)

    def floor_oa():
        for q, body in oa_reqs:
            check_signature(TOKEN, q["signature"], q["timestamp"], q["nonce"])
            xml = oa_crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"])
            msg = parse_message(xml)
            oa_crypto.encrypt_message(create_reply(REPLY, msg).render(), q["nonce"], q["timestamp"])

    def floor_wecom():
        for q, body in wecom_reqs:
            parse_wecom(wecom_crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"]))

    def ours(platform, reqs):
        sent = []
        svc = CallbackService(inbox=MemoryInbox(), enqueue=sent.append, get_account=accounts.__getitem__,
                              reply_settings=lambda _id: settings, welcome=lambda a, e: None)
        account = "bench-oa" if platform == "oa" else "bench-wecom"
        encoded = [(q, b.encode()) for q, b in reqs]

        def run():
            for q, body in encoded:
                answer = svc.handle(platform, account, "POST", q, body)
                assert answer.status == 200, answer
            assert len(sent) == len(encoded)
        return run

    ours("oa", oa_reqs[:50])()  # warm imports and caches
    floor_oa()
    result = {}
    for platform, floor, reqs in (("oa", floor_oa, oa_reqs), ("wecom", floor_wecom, wecom_reqs)):
        f_times, o_times = [], []
        for _ in range(rounds):
            f_times.append(timed(floor))
            o_times.append(timed(ours(platform, reqs)))
        # best of the rounds: on a shared machine the minimum is the run least disturbed by neighbours (timeit's
        # rule); the median ratio is reported beside it
        f, o = min(f_times), min(o_times)
        result[platform] = {"floor_us": f / n * 1e6, "ours_us": o / n * 1e6, "ratio": o / f,
                            "median_ratio": statistics.median(o_times) / statistics.median(f_times)}
    return result


# ------------------------------------------------------------------------------------------ 2. round trips

def round_trips() -> dict:
    import botocore.client
    from moto import mock_aws

    from local.moto_atomic import install

    install()
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self, operation, params):
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation)
        return original(self, operation, params)

    from local.sandbox import callbacks as wx

    with mock_aws():
        from scrm import accounts
        from scrm.data.registry import ensure_tables
        from scrm.queues import ensure_queues
        from scrm.services import replies
        from scrm.services.callbacks import CallbackService
        from scrm.tenancy import Scope

        ensure_tables()
        ensure_queues()
        accounts.register("bench-oa", "oa", APPID, "OA", original_id="gh_bench", app_secret="s" * 16, token=TOKEN,
                          aes_key=AES)
        accounts.register("bench-wecom", "wecom", CORPID, "corp", app_secret="s" * 16, token=WECOM_TOKEN,
                          aes_key=AES)  # one Token per account: registration refuses a shared one
        replies.put_welcome(Scope.system("bench-oa"), "bench-oa", {"welcome": {"type": "text", "content": "hi"}})
        accounts.forget_cache()
        replies.forget_cache()
        svc = CallbackService(welcome=lambda a, e: None)
        cfg = {"token": TOKEN, "aes_key": AES, "appid": APPID, "original_id": "gh_bench", "encrypt_mode": "aes"}

        def oa(i):
            xml = wx.build_xml({"ToUserName": "gh_bench", "FromUserName": f"o{i}", "CreateTime": int(time.time()),
                                "MsgType": "event", "Event": "subscribe", "EventKey": ""})
            q, b = wx.oa_request(cfg, xml, f"o{i}")
            return q, b.encode()

        def measure(platform, account, q, b):
            calls.clear()
            botocore.client.BaseClient._make_api_call = counting
            try:
                assert svc.handle(platform, account, "POST", q, b).status == 200
            finally:
                botocore.client.BaseClient._make_api_call = original
            return list(calls)

        out = {"cold container (account, secrets, rules not cached)": measure("oa", "bench-oa", *oa(0))}
        q, b = oa(1)
        out["new OA event, warm"] = measure("oa", "bench-oa", q, b)
        out["retry of that event"] = measure("oa", "bench-oa", q, b)
        # a captured signed query re-used with a forged plaintext body: refused before any write in safe mode
        forged = wx.build_xml({"ToUserName": "gh_bench", "FromUserName": "o-forged", "CreateTime": int(time.time()),
                               "MsgType": "event", "Event": "subscribe", "EventKey": ""}).encode()
        plain_q = {k: v for k, v in q.items() if k not in ("encrypt_type", "msg_signature")}

        def refused(platform, account, q, b):
            calls.clear()
            botocore.client.BaseClient._make_api_call = counting
            try:
                assert svc.handle(platform, account, "POST", q, b).status == 403
            finally:
                botocore.client.BaseClient._make_api_call = original
            return list(calls)

        out["forged body under that query, safe mode (refused)"] = refused("oa", "bench-oa", plain_q, forged)
        wq, wb = wx.wecom_request({"token": WECOM_TOKEN, "aes_key": AES, "corpid": CORPID}, wx.build_xml({
            "ToUserName": CORPID, "FromUserName": "sys", "CreateTime": int(time.time()), "MsgType": "event",
            "Event": "change_external_contact", "ChangeType": "del_follow_user", "UserID": "u",
            "ExternalUserID": "wm1"}))
        svc.handle("wecom", "bench-wecom", "POST", {"timestamp": "0"}, b"")  # loads the account (then 403)
        out["new WeCom event, warm"] = measure("wecom", "bench-wecom", wq, wb.encode())
        out["retry of that WeCom event"] = measure("wecom", "bench-wecom", wq, wb.encode())
    return out


# ------------------------------------------------------------------------------------------ 3. local stack

def _welcome_latencies(sb, corpid: str, welcomes: int) -> tuple[list[float], int]:
    """Ms from each WeCom add event to its send_welcome_msg at the sandbox, and how many never came (25 s)."""
    welcome_ms, missed = [], 0
    for _ in range(welcomes):
        t0 = time.time()
        out = sb.wecom_event(corpid, "add_external_contact", userid="zhangsan")
        code, sent_at = out.get("welcome_code"), None
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and sent_at is None:
            for c in sb.calls(path_contains="send_welcome_msg"):
                if (c.get("body") or {}).get("welcome_code") == code and not c.get("errcode"):
                    sent_at = c["time"]
            if sent_at is None:
                time.sleep(0.01)
        if sent_at is None:
            missed += 1
        else:
            welcome_ms.append((sent_at - t0) * 1000)
    return welcome_ms, missed


def local_stack(events: int, concurrency: int, welcomes: int) -> dict:
    import requests

    from local.sandbox import SandboxClient
    from local.stack import free_port

    tmp = Path(tempfile.mkdtemp())
    info_file = tmp / "info.json"
    ports = [str(free_port()) for _ in range(4)]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers/common/python'}:{ROOT}"}
    for k in ("AWS_ENDPOINT_URL", "SCRM_STAGE"):
        env.pop(k, None)
    log = open(tmp / "stack.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "local.stack", "--moto-port", ports[0], "--sandbox-port", ports[1],
                             "--api-port", ports[2], "--control-port", ports[3], "--no-schedules", "--quiet",
                             "--info-file", str(info_file)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not info_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp / "stack.log").read_text()[-2000:])
            time.sleep(0.2)
        info = json.loads(info_file.read_text())
        sb = SandboxClient(info["sandbox_url"])
        api = info["api_url"]
        for account in ("demo-oa", "demo-wecom"):
            requests.put(f"{api}/accounts/{account}/welcome", timeout=10,
                         headers={"Authorization": f"Bearer {info[account + ' admin key']}"},
                         json={"welcome": {"type": "text", "content": "Welcome!"}}).raise_for_status()
        appid, corpid = info["demo OA appid"], info["demo WeCom corpid"]
        sb.oa_event(appid, "subscribe", openid="o-warm")  # warm the API process's caches

        def fire(i):
            return sb.oa_event(appid, "subscribe", openid=f"o-load-{i}")

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(fire, range(events)))
        wall = time.perf_counter() - started
        ok = [r for r in results if r["status"] == 200 and "Welcome!" in (r.get("reply") or "")]
        latencies = [r["elapsed_ms"] for r in results]
        drained = requests.post(f"{info['control_url']}/drain", timeout=300).json()["drained"]

        welcome_ms, missed = _welcome_latencies(sb, corpid, welcomes)
        return {"events": events, "concurrency": concurrency, "ok": len(ok), "events_per_s": events / wall,
                "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99), "drained": drained,
                "welcome_p50_ms": pct(welcome_ms, 50) if welcome_ms else None,
                "welcome_max_ms": max(welcome_ms) if welcome_ms else None, "welcomes": welcomes,
                "welcomes_missed": missed}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="events per overhead round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--events", type=int, default=300, help="events fired through the local stack")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--welcomes", type=int, default=10)
    parser.add_argument("--skip-stack", action="store_true")
    args = parser.parse_args(argv)

    print("== 1. handler overhead per encrypted event (no datastore time), best of", args.rounds, "rounds")
    for platform, r in overhead(args.n, args.rounds).items():
        print(f"  {platform:6} floor {r['floor_us']:7.1f} us   ours {r['ours_us']:7.1f} us   "
              f"ratio {r['ratio']:.2f}x (median {r['median_ratio']:.2f}x)  (aim <= 1.2x)")
    print("== 2. DynamoDB round trips on the synchronous path")
    for what, ops in round_trips().items():
        print(f"  {what:55} {len(ops)}  {ops}")
    if not args.skip_stack:
        print("== 3. local stack")
        r = local_stack(args.events, args.concurrency, args.welcomes)
        print(f"  {r['events']} follow events, {r['concurrency']} concurrent senders: {r['ok']} answered with the "
              f"welcome; {r['events_per_s']:.1f} events/s; p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms; "
              f"drained={r['drained']}")
        print(f"  WeCom welcome latency (event fired -> send_welcome_msg at the sandbox) over {r['welcomes']}: "
              f"p50 {r['welcome_p50_ms']:.0f} ms, max {r['welcome_max_ms']:.0f} ms, missed {r['welcomes_missed']}")


if __name__ == "__main__":
    main()
