"""The admin API over HTTP, and how a command prints what it answers (a table, or JSON with `--json`)."""

from __future__ import annotations

import json
import sys
import uuid

import click
import requests

from scrm_cli.tables import render


class ApiError(click.ClickException):
    def __init__(self, status: int, body):
        err = body.get("error", {}) if isinstance(body, dict) else {}
        msg = f"HTTP {status}: {err.get('code', 'error')}: {err.get('message', body)}"
        if err.get("field"):
            msg += f" (field: {err['field']})"
        super().__init__(msg)
        self.status, self.body = status, body


class Api:
    def __init__(self, base_url: str, key: str | None, session: requests.Session | None = None, timeout=30.0):
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.session = session or requests.Session()
        self.timeout = timeout

    def request(self, method: str, path: str, body=None, params=None, idempotent: bool = False):
        res = self.send(method, path, body, params, idempotent=idempotent)
        try:
            data = res.json()
        except ValueError:
            data = {"error": {"code": "not_json", "message": res.text[:300]}}
        if res.status_code >= 400:
            raise ApiError(res.status_code, data)
        return data

    def download(self, path: str, params=None, accept: str | None = None) -> requests.Response:
        """A non-JSON answer (CSV, an image): the response, its body as bytes; an error answer raises ApiError."""
        res = self.send("GET", path, params=params, headers={"Accept": accept} if accept else None)
        if res.status_code >= 400:
            try:
                raise ApiError(res.status_code, res.json())
            except ValueError:
                raise ApiError(res.status_code, {"error": {"code": "error", "message": res.text[:300]}}) from None
        return res

    def send(self, method: str, path: str, body=None, params=None, *, idempotent: bool = False,
             headers: dict | None = None) -> requests.Response:
        if not self.key:
            raise click.UsageError("no API key: pass --key or set SCRM_API_KEY")
        headers = {"Authorization": f"Bearer {self.key}", **(headers or {})}
        if idempotent:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        attempts = 2 if idempotent or method == "GET" else 1  # a retry is safe only then
        for attempt in range(attempts):
            try:
                return self.session.request(method, f"{self.base_url}{path}", json=body, params=params,
                                            headers=headers, timeout=self.timeout)
            except requests.ConnectionError as exc:
                if attempt == attempts - 1:
                    raise click.ClickException(f"cannot reach {self.base_url}: {exc}") from None
        raise AssertionError("unreachable")

    def pages(self, path: str, params: dict | None = None, everything: bool = False):
        params = dict(params or {})
        while True:
            page = self.request("GET", path, params=params)
            yield from page["items"]
            if not everything or not page.get("next_cursor"):
                return
            params["cursor"] = page["next_cursor"]


def json_wanted() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("scrm.json"))


def out(data, columns: list[str] | None = None) -> None:
    """Print an answer: a readable table by default, JSON (every field, Chinese as it is) with `--json`."""
    if json_wanted():
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render(data, columns))
    if isinstance(data, dict) and isinstance(data.get("secrets_withheld"), dict):
        # a retried create got the stored first response: its secrets were shown once and are stored nowhere
        click.echo(data["secrets_withheld"].get("message", ""), err=True)


def secret_value(value: str | None, prompt: str) -> str | None:
    """`-` reads the value from stdin, so secrets stay out of shell history."""
    if value == "-":
        return sys.stdin.readline().strip()
    return value
