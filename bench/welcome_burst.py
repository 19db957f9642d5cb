"""WeCom welcome latency while a burst of other events is being applied (the welcome has its own queue).

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/welcome_burst.py [--burst 300] [--welcomes 10]

Starts the local stack (moto, sandbox, API, dispatcher with 4 pollers per queue like Lambda's concurrent
consumers), fires `--burst` OA follow events (the events queue, batch size 10: attribution, welcome reply,
tagging) from 8 senders and, while they are still queued, `--welcomes` WeCom add_external_contact events (the
welcome queue, batch size 1), one every 100 ms. Latency is event fired -> send_welcome_msg seen by the sandbox;
a welcome code lives 20 s and the worker skips codes older than 18 s (`missed`). The messages pending on the queues
when the first and the last welcome were fired are printed, so the figure is shown to be measured under the burst.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def start_stack(tmp: Path):
    from local.stack import free_port

    info_file = tmp / "info.json"
    ports = [str(free_port()) for _ in range(4)]
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers/common/python'}:{ROOT}"}
    for k in ("AWS_ENDPOINT_URL", "SCRM_STAGE"):
        env.pop(k, None)
    log = open(tmp / "stack.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "local.stack", "--moto-port", ports[0], "--sandbox-port", ports[1],
                             "--api-port", ports[2], "--control-port", ports[3], "--no-schedules", "--quiet",
                             "--info-file", str(info_file)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not info_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((tmp / "stack.log").read_text()[-2000:])
        time.sleep(0.2)
    return proc, log, json.loads(info_file.read_text())


def pending(info: dict) -> int:
    """Messages on the queues (visible, in flight, delayed) plus deliveries running, from the dispatcher."""
    import requests

    return int(requests.get(f"{info['control_url']}/status", timeout=10).json()["pending"])


def run(burst: int, welcomes: int, senders: int = 8) -> dict:
    import requests

    from local.sandbox import SandboxClient

    tmp = Path(tempfile.mkdtemp())
    proc, log, info = start_stack(tmp)
    try:
        sb = SandboxClient(info["sandbox_url"])
        api = info["api_url"]
        for account in ("demo-oa", "demo-wecom"):
            requests.put(f"{api}/accounts/{account}/welcome", timeout=10,
                         headers={"Authorization": f"Bearer {info[account + ' admin key']}"},
                         json={"welcome": {"type": "text", "content": "Welcome!"}}).raise_for_status()
        appid, corpid = info["demo OA appid"], info["demo WeCom corpid"]
        sb.oa_event(appid, "subscribe", openid="o-warm")
        sb.wecom_event(corpid, "add_external_contact", userid="zhangsan")
        requests.post(f"{info['control_url']}/drain", timeout=300)

        fired_burst = threading.Event()
        done = []

        def fire(i):
            if i == burst // 3:
                fired_burst.set()  # a third of the burst is in: start the welcomes
            done.append(sb.oa_event(appid, "subscribe", openid=f"o-burst-{i}"))

        pool = ThreadPoolExecutor(max_workers=senders)
        started = time.perf_counter()
        futures = [pool.submit(fire, i) for i in range(burst)]
        fired_burst.wait(timeout=120)
        depth_at_start = pending(info)
        fired = []
        for _ in range(welcomes):
            t0 = time.time()
            out = sb.wecom_event(corpid, "add_external_contact", userid="zhangsan")
            fired.append((t0, out.get("welcome_code")))
            time.sleep(0.1)
        depth_after = pending(info)
        for f in futures:
            f.result()
        burst_s = time.perf_counter() - started
        pool.shutdown()
        sent_at: dict[str, float] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(sent_at) < len(fired):
            for c in sb.calls(path_contains="send_welcome_msg"):
                code = (c.get("body") or {}).get("welcome_code")
                if code and not c.get("errcode"):
                    sent_at.setdefault(code, c["time"])
            time.sleep(0.05)
        latencies = [(sent_at[code] - t0) * 1000 for t0, code in fired if code in sent_at]
        drained = requests.post(f"{info['control_url']}/drain", timeout=600).json().get("drained")
        return {"burst": burst, "senders": senders, "burst_seconds": burst_s, "welcomes": welcomes,
                "sent": len(latencies), "missed": welcomes - len(latencies),
                "welcome_p50_ms": pct(latencies, 50) if latencies else None,
                "welcome_max_ms": max(latencies) if latencies else None,
                "pending_when_fired": [depth_at_start, depth_after], "drained": drained}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--welcomes", type=int, default=10)
    args = parser.parse_args(argv)
    r = run(args.burst, args.welcomes)
    print(json.dumps(r, indent=2))
    print(f"WeCom welcome under a {r['burst']}-event burst: p50 {r['welcome_p50_ms']:.0f} ms, max "
          f"{r['welcome_max_ms']:.0f} ms, {r['missed']} missed of {r['welcomes']} "
          f"(messages pending when the first and last were fired: {r['pending_when_fired']})")


if __name__ == "__main__":
    main()
