"""`python -m scrm_cli smoke`: the post-deploy check an operator runs against a stage's API.

    python -m scrm_cli --url <EndpointURL> --key <admin or platform key> smoke --account shop-oa

Checks, each printed as one JSON line (name, ok, detail); exit status 1 if any fails:
  health        GET /health answers 200 {"status": "ok"};
  openapi       GET /openapi.json is an OpenAPI 3 document listing /health and both callback routes;
  unknown-route an unknown path answers 404 in the API's error shape (API Gateway's own answer, reshaped);
  callback      with --account: the account's callback URL answers WeChat's GET check the way WeChat's
                console performs it when the URL is saved (OA: signature over Token, timestamp, nonce and the
                plaintext echostr comes back; WeCom: msg_signature over the encrypted echostr, the decrypted
                text comes back). Token and EncodingAESKey come from `GET /accounts/{id}/setup` (admin key).
No state is changed: the URL check stores nothing.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse

import click
import requests

DOCUMENTED = ("/health", "/wechat/oa/{account_id}", "/wechat/wecom/{account_id}")


def _get(api, path_or_url: str, **params) -> requests.Response:
    url = path_or_url if path_or_url.startswith("http") else f"{api.base_url}{path_or_url}"
    return api.session.get(url, params=params or None, timeout=api.timeout)


def check_health(api) -> tuple[bool, str]:
    res = _get(api, "/health")
    ok = res.status_code == 200 and res.headers.get("content-type", "").startswith("application/json") \
        and res.json() == {"status": "ok"}
    return ok, f"HTTP {res.status_code} {res.text[:200]}"


def check_openapi(api) -> tuple[bool, str]:
    res = _get(api, "/openapi.json")
    if res.status_code != 200:
        return False, f"HTTP {res.status_code}"
    doc = res.json()
    missing = [p for p in DOCUMENTED if p not in doc.get("paths", {})]
    ok = str(doc.get("openapi", "")).startswith("3.") and not missing
    return ok, f"{len(doc.get('paths', {}))} paths" + (f"; missing {missing}" if missing else "")


def check_unknown_route(api) -> tuple[bool, str]:
    res = _get(api, f"/smoke-no-such-route-{secrets.token_hex(4)}")
    try:
        code = res.json().get("error", {}).get("code")
    except ValueError:
        code = None
    return res.status_code == 404 and code == "not_found", f"HTTP {res.status_code} {res.text[:200]}"


def check_callback(api, account_id: str) -> tuple[bool, str]:
    from scrm.services.callback_check import verification_request

    setup = api.request("GET", f"/accounts/{account_id}/setup")
    url, token, aes_key = setup["callback_url"], setup["token"], setup["aes_key"]
    kind = "wecom" if "/wechat/wecom/" in url else "oa"
    app_id = api.request("GET", f"/accounts/{account_id}")["app_id"] if kind == "wecom" else ""
    params, expected = verification_request(kind, token, aes_key, app_id)
    res = api.session.get(f"{url}?{urllib.parse.urlencode(params)}", timeout=api.timeout)
    ok = res.status_code == 200 and res.text == expected
    return ok, f"{url}: HTTP {res.status_code}" + ("" if ok else f" {res.text[:200]!r}")


@click.command()
@click.option("--account", "account_id", help="also check this account's callback URL (needs an admin key)")
@click.pass_obj
def smoke(api, account_id):
    """Post-deploy check: health, the OpenAPI document, unknown routes, an account's callback URL."""
    from scrm_cli.main import _use_layer

    _use_layer(None)
    checks = [("health", check_health), ("openapi", check_openapi), ("unknown-route", check_unknown_route)]
    if account_id:
        checks.append(("callback", lambda a: check_callback(a, account_id)))
    failed = 0
    for name, check in checks:
        try:
            ok, detail = check(api)
        except (requests.RequestException, click.ClickException, ValueError, KeyError) as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        failed += not ok
        click.echo(json.dumps({"check": name, "ok": ok, "detail": detail}, ensure_ascii=False))
    if failed:
        raise click.ClickException(f"{failed} of {len(checks)} smoke checks failed")
