"""One command for the whole system on this machine: `python -m local.stack` (or `make run`).

Starts moto in server mode (DynamoDB, SQS, SSM, EventBridge), creates the tables and queues from the
same definitions infra/ deploys, starts the WeChat sandbox, serves the Chalice app over HTTP, runs the
dispatcher that plays Lambda's event sources, and seeds a demo Official Account and WeCom corp.
Ctrl-C stops everything; starting again starts clean.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
REGION = "ap-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up within {timeout:.0f}s")


@contextmanager
def backing_services(stage: str, *, sandbox: bool = True, quiet: bool = True):
    """moto server (atomic DynamoDB) and, optionally, the WeChat sandbox as subprocesses on free ports, with
    this process's environment pointed at them; for benchmarks and scripts that need no API or dispatcher.
    Yields {"moto_url", "sandbox_url"}; stops both on exit."""
    moto_port, sandbox_port = free_port(), free_port()
    urls = {"moto_url": f"http://127.0.0.1:{moto_port}", "sandbox_url": f"http://127.0.0.1:{sandbox_port}"}
    os.environ.update({"AWS_ENDPOINT_URL": urls["moto_url"], "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                       "SCRM_STAGE": stage})
    commands = [(["-m", "local.moto_atomic", "-H", "127.0.0.1", "-p", str(moto_port)], f"{urls['moto_url']}/moto-api/")]
    if sandbox:
        os.environ.update({"WECHAT_OA_BASE_URL": f"{urls['sandbox_url']}/oa",
                           "WECOM_BASE_URL": f"{urls['sandbox_url']}/wecom"})
        commands.append((["-m", "local.sandbox", "--host", "127.0.0.1", "--port", str(sandbox_port)],
                         f"{urls['sandbox_url']}/_sandbox/clock"))
    out = subprocess.DEVNULL if quiet else None
    procs = [subprocess.Popen([sys.executable, *args], cwd=ROOT, env={**os.environ}, stdout=out, stderr=out)
             for args, _ in commands]
    try:
        for _, ready in commands:
            wait_http(ready)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


class LocalStack:
    def __init__(self, *, moto_port: int = 4566, sandbox_port: int = 8089, api_port: int = 8000,
                 control_port: int = 8001, schedules: bool = True, schedule_speedup: float = 1.0, quiet=False):
        self.moto_port, self.sandbox_port = moto_port, sandbox_port
        self.api_port, self.control_port = api_port, control_port
        self.schedules, self.speedup, self.quiet = schedules, schedule_speedup, quiet
        self.procs: list[subprocess.Popen] = []
        self.servers = []
        self.dispatcher = None
        self.info: dict = {}

    @property
    def api_url(self):
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def sandbox_url(self):
        return f"http://127.0.0.1:{self.sandbox_port}"

    @property
    def moto_url(self):
        return f"http://127.0.0.1:{self.moto_port}"

    def environment(self) -> dict:
        return {
            "AWS_ENDPOINT_URL": self.moto_url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "SCRM_STAGE": "local",
            "WECHAT_OA_BASE_URL": f"{self.sandbox_url}/oa", "WECOM_BASE_URL": f"{self.sandbox_url}/wecom",
            "WECHAT_OAUTH_BASE_URL": f"{self.sandbox_url}/open",
            "WECOM_LOGIN_BASE_URL": self.sandbox_url,  # the sandbox plays WeCom's web login page too
            "WECHAT_RETRY_BACKOFF": "0.05", "POWERTOOLS_METRICS_NAMESPACE": "WeChatSCRM",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon locally
        }

    def _spawn(self, args: list[str], name: str):
        out = subprocess.DEVNULL if self.quiet else None
        proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=out, stderr=out,
                                env={**os.environ, **self.environment()})
        self.procs.append(proc)
        return proc

    def _check_ours(self) -> None:
        """What answered on the moto and sandbox ports is ours: a port found free can be taken by another program
        before our process binds it (ours then exits, and the other program answers the readiness checks)."""
        moto = requests.get(f"{self.moto_url}/moto-api/data.json", timeout=10)
        mine = moto.status_code == 200 and "dynamodb" in moto.text
        for proc in self.procs:
            mine = mine and proc.poll() is None
        if not mine:
            raise SystemExit(f"the moto server or the sandbox did not start on ports {self.moto_port}, "
                             f"{self.sandbox_port}: its port was taken")

    def start(self) -> LocalStack:
        for port, what in ((self.moto_port, "moto server"), (self.sandbox_port, "sandbox"), (self.api_port, "API"),
                           (self.control_port, "dispatcher control")):
            if port_in_use(port):
                raise SystemExit(f"port {port} for the {what} is already in use: is another local stack running?")
        os.environ.update(self.environment())
        sys.path[:0] = [str(ROOT / "layers/common/python"), str(ROOT)]
        self._spawn(["-m", "local.moto_atomic", "-H", "127.0.0.1", "-p", str(self.moto_port)], "moto")
        self._spawn(["-m", "local.sandbox", "--host", "127.0.0.1", "--port", str(self.sandbox_port)], "sandbox")
        wait_http(f"{self.moto_url}/moto-api/")
        wait_http(f"{self.sandbox_url}/_sandbox/clock")
        self._check_ours()

        from scrm.data.registry import ensure_tables
        from scrm.queues import ensure_queues

        ensure_tables()
        ensure_queues()

        from chalice.config import Config

        from app import app  # imported after the environment is set: config is parsed once
        from functions.gateway_answers import local_server
        from local.dispatcher import Dispatcher, control_handler
        from local.seed import seed

        self.info = seed(self)
        from local import console_control
        from local.sandbox import SandboxClient
        from scrm.config import settings

        # the console's sandbox control: registered here, on the local stack's API only
        app.register_blueprint(console_control.blueprint(SandboxClient(self.sandbox_url), lambda: self.dispatcher,
                                                         settings().stage))
        config = Config.create(chalice_stage="local", app_name="wechat-scrm", project_dir=str(ROOT))
        server = local_server(app, config, "127.0.0.1", self.api_port)
        threading.Thread(target=server.serve_forever, daemon=True, name="api").start()
        self.servers.append(server)
        self.dispatcher = Dispatcher(app, REGION, self.speedup).start(run_schedules=self.schedules)
        control = ThreadingHTTPServer(("127.0.0.1", self.control_port), control_handler(self.dispatcher))
        threading.Thread(target=control.serve_forever, daemon=True, name="control").start()
        self.servers.append(control)
        wait_http(f"{self.api_url}/health")
        return self

    def stop(self) -> None:
        if self.dispatcher:
            self.dispatcher.stop()
        for server in self.servers:
            try:
                server.shutdown()
            except Exception:
                pass
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()

    def banner(self) -> str:
        lines = ["", "WeChat SCRM local stack is up.",
                 f"  API (Chalice):        {self.api_url}",
                 f"  WeChat sandbox:       {self.sandbox_url}",
                 f"  moto (AWS):           {self.moto_url}",
                 f"  dispatcher control:   http://127.0.0.1:{self.control_port}/status"]
        for key, value in self.info.items():
            lines.append(f"  {key + ':':<21} {value}")
        lines += ["", "Try:",
                  f"  curl {self.api_url}/health",
                  f"  curl -XPOST {self.sandbox_url}/_sandbox/oa/{self.info.get('demo OA appid', 'APPID')}/events "
                  "-H 'Content-Type: application/json' -d '{\"type\": \"subscribe\", \"openid\": \"o-demo-1\"}'",
                  f"  curl -XPOST http://127.0.0.1:{self.control_port}/drain",
                  f"  curl -H 'Authorization: Bearer {self.info.get('demo-oa admin key', 'KEY')}' "
                  f"'{self.api_url}/accounts/demo-oa/contacts?openid=o-demo-1'",
                  "", "The CLI (python -m scrm_cli --help; tables, or --json), in another shell:",
                  *self.cli_exports(),
                  "  python -m scrm_cli channels list demo-oa",
                  "  python -m scrm_cli sandbox follow demo-oa --openid o-demo-2 && python -m scrm_cli sandbox drain",
                  "Ctrl-C stops everything.", ""]
        return "\n".join(lines)

    def cli_exports(self) -> list[str]:
        """The `export` lines the CLI reads (scrm_cli: SCRM_API_URL, SCRM_API_KEY, SCRM_SANDBOX_URL,
        SCRM_DISPATCHER_URL): one key line per demo account, and the platform key's for registering accounts."""
        lines = [f"  export SCRM_API_URL={self.api_url} SCRM_SANDBOX_URL={self.sandbox_url} "
                 f"SCRM_DISPATCHER_URL=http://127.0.0.1:{self.control_port}"]
        for account_id in ("demo-oa", "demo-wecom"):
            if f"{account_id} admin key" in self.info:
                lines.append(f"  export SCRM_API_KEY={self.info[f'{account_id} admin key']}   # {account_id} (admin)")
        if "admin key" in self.info:
            lines.append(f"  export SCRM_API_KEY={self.info['admin key']}   # platform: register accounts, keys")
        return lines


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moto-port", type=int, default=4566)
    parser.add_argument("--sandbox-port", type=int, default=8089)
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--control-port", type=int, default=8001)
    parser.add_argument("--no-schedules", action="store_true", help="fire scheduled functions only on request")
    parser.add_argument("--schedule-speedup", type=float, default=1.0)
    parser.add_argument("--info-file", help="write URLs and credentials as JSON here once up (for tests)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    stack = LocalStack(moto_port=args.moto_port, sandbox_port=args.sandbox_port, api_port=args.api_port,
                       control_port=args.control_port, schedules=not args.no_schedules,
                       schedule_speedup=args.schedule_speedup, quiet=args.quiet)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        try:
            stack.start()
        except (RuntimeError, OSError, requests.RequestException) as exc:
            raise SystemExit(f"local stack failed to start: {exc}") from None
        except Exception as exc:  # a ScrmError names what is wrong (config, account); say it plainly
            if type(exc).__module__.startswith("scrm"):
                raise SystemExit(f"local stack failed to start: {exc}") from None
            raise
        if args.info_file:
            Path(args.info_file).write_text(json.dumps({
                "api_url": stack.api_url, "sandbox_url": stack.sandbox_url, "moto_url": stack.moto_url,
                "control_url": f"http://127.0.0.1:{stack.control_port}", **stack.info}))
        print(stack.banner(), flush=True)
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping local stack ...", flush=True)
        stack.stop()


if __name__ == "__main__":
    main()
