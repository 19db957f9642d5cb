"""The local stack (moto server, sandbox, API, dispatcher) in a subprocess, for the tests that drive it over HTTP:
tests/e2e and tests/browser share one per session (the `stack` fixture, registered in tests/conftest.py)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.timing import wait_until

ROOT = Path(__file__).resolve().parents[1]


class Stack:
    def __init__(self, info: dict):
        self.info = info
        self.api = info["api_url"]
        self.sandbox_url = info["sandbox_url"]
        self.control = info["control_url"]
        from local.sandbox import SandboxClient

        self.sandbox = SandboxClient(self.sandbox_url)

    def drain(self) -> bool:
        return requests.post(f"{self.control}/drain", timeout=120).json()["drained"]

    def fire(self, function: str) -> dict:
        res = requests.post(f"{self.control}/fire/{function}", timeout=300)
        res.raise_for_status()
        return res.json()

    def key(self, account: str = "demo-oa") -> str:
        """The demo account's admin key."""
        return self.info[f"{account} admin key"]

    def admin(self, account: str = "demo-oa") -> requests.Session:
        """A session carrying the demo account's admin key."""
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {self.key(account)}"
        return s

    def fresh_oa(self, account_id: str, name: str) -> dict:
        """An Official Account of the test's own, on our side (POST /accounts, platform key) and the sandbox's (its
        app, the same Token and EncodingAESKey, our callback): {account_id, appid, key (its admin key)}. For tests
        that assert an account's figures: the OA pull keeps a day once pulled, so the demo account's days belong to
        whichever test pulled first."""
        platform = {"Authorization": f"Bearer {self.info['admin key']}"}
        appid, secret, original_id = f"wx{secrets.token_hex(8)}", secrets.token_hex(16), f"gh_{secrets.token_hex(6)}"
        made = requests.post(f"{self.api}/accounts", headers=platform, timeout=30, json={
            "account_id": account_id, "kind": "oa", "app_id": appid, "name": name, "app_secret": secret,
            "original_id": original_id, "account_type": "service"})
        assert made.status_code == 201, made.text
        setup = made.json()["setup"]
        self.sandbox.register_oa(appid, secret, token=setup["token"], aes_key=setup["aes_key"],
                                 original_id=original_id, callback_url=setup["callback_url"], encrypt_mode="aes",
                                 account_type="service")
        return {"account_id": account_id, "appid": appid, "key": self.new_key(account_id, "admin")}

    def new_key(self, account_id: str, role: str) -> str:
        """A new admin key of `role` on the account (platform key)."""
        platform = {"Authorization": f"Bearer {self.info['admin key']}"}
        made = requests.post(f"{self.api}/accounts/{account_id}/keys", headers=platform, timeout=30,
                             json={"role": role, "name": f"test {role}"})
        assert made.status_code == 201, made.text
        return made.json()["key"]


def _start(info_file: Path):
    """The local stack in a subprocess on free ports, once it has written `info_file` or exited."""
    from local.stack import free_port

    ports = [str(free_port()) for _ in range(4)]
    log = open(info_file.with_suffix(".log"), "w")
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'layers/common/python'}:{ROOT}"}
    env.pop("AWS_ENDPOINT_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "local.stack", "--moto-port", ports[0], "--sandbox-port", ports[1],
         "--api-port", ports[2], "--control-port", ports[3], "--no-schedules", "--quiet",
         "--info-file", str(info_file)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:  # the limit is a hang detector, not a speed requirement: a loaded machine starts the stack slowly
        wait_until(lambda: info_file.exists() or proc.poll() is not None, what="the local stack", limit=600, poll=0.2)
    except AssertionError:
        pass
    return proc, log


@pytest.fixture(scope="session")
def running_stack(tmp_path_factory):
    # A port found free can be taken by another program before the stack binds it (the stack then exits at once,
    # saying so): a second start, on other ports, tells that apart from a stack that cannot start.
    for attempt in (1, 2):
        info_file = tmp_path_factory.mktemp("stack") / "info.json"
        proc, log = _start(info_file)
        if info_file.exists():
            break
        proc.kill()
        log.close()
        if attempt == 2 or "its port was taken" not in info_file.with_suffix(".log").read_text():
            raise RuntimeError(f"local stack did not start: {info_file.with_suffix('.log').read_text()[-3000:]}")
    yield Stack(json.loads(info_file.read_text()))
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@contextmanager
def sandbox_clock_kept(sandbox):
    """The sandbox's clock back where it was once the block ends, however far the block moved it.

    Our functions read the machine's clock and WeChat's events carry the sandbox's: a test that moves the sandbox an
    hour on and leaves it there dates every later event an hour ahead, which after 23:00 Beijing time is tomorrow,
    so another test's "today" figures came out empty (only between 15:00 and 16:00 UTC, only in some orders)."""
    before = sandbox.clock()["offset"]
    try:
        yield
    finally:
        moved = sandbox.clock()["offset"] - before
        if moved:
            sandbox.advance(-moved)


@pytest.fixture
def stack(running_stack):
    """The session's stack, its sandbox clock put back after each test (tests share the stack, not its time)."""
    with sandbox_clock_kept(running_stack.sandbox):
        yield running_stack
