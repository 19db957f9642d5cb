"""`make run`'s banner prints the `export` lines the CLI reads, with the demo accounts' keys."""

from __future__ import annotations

import shlex

from local.stack import LocalStack


def _exports(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            out.append(dict(w.split("=", 1) for w in words[1:]))
    return out


def _envvars(command) -> set[str]:
    return {p.envvar for p in command.params if p.envvar}


def test_banner_exports_what_the_cli_reads():
    from scrm_cli.main import cli
    from scrm_cli.sandbox import sandbox

    stack = LocalStack(api_port=8123, sandbox_port=8124, control_port=8125)
    stack.info = {"admin key": "scrm._platform.p.s", "demo-oa admin key": "scrm.demo-oa.k.s",
                  "demo-wecom admin key": "scrm.demo-wecom.k.s"}
    exports = _exports(stack.banner())
    urls, keys = exports[0], [e["SCRM_API_KEY"] for e in exports[1:]]
    assert urls == {"SCRM_API_URL": "http://127.0.0.1:8123", "SCRM_SANDBOX_URL": "http://127.0.0.1:8124",
                    "SCRM_DISPATCHER_URL": "http://127.0.0.1:8125"}
    assert keys == ["scrm.demo-oa.k.s", "scrm.demo-wecom.k.s", "scrm._platform.p.s"]
    named = set(urls) | {"SCRM_API_KEY"}
    assert named == _envvars(cli) | _envvars(sandbox)  # every name the CLI reads, and only those


def test_banner_leaves_out_accounts_that_were_not_seeded():
    stack = LocalStack()
    stack.info = {"admin key": "scrm._platform.p.s"}
    assert [e.get("SCRM_API_KEY") for e in _exports(stack.banner())] == [None, "scrm._platform.p.s"]
