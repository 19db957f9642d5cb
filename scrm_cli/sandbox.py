"""`scrm sandbox`: drive the WeChat sandbox of the local stack (docs/sandbox.md): simulate follows, scans,
messages, new customers and staff leaving; move its clock; drain the local dispatcher's queues.

Only for the local stack: these talk to the sandbox's control API (SCRM_SANDBOX_URL) and the dispatcher's
control port (SCRM_DISPATCHER_URL), not to WeChat. An account id is looked up through the admin API for its
appid / corpid (or give --app-id).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote

import click
import requests

from scrm_cli.client import Api, json_wanted, out

CHINA = timezone(timedelta(hours=8))


class Sandbox:
    def __init__(self, url: str, dispatcher_url: str, timeout: float = 30.0) -> None:
        self.url, self.dispatcher_url, self.timeout = url.rstrip("/"), dispatcher_url.rstrip("/"), timeout

    def control(self, method: str, path: str, body: dict | None = None):
        return self._call(method, f"{self.url}/_sandbox{path}", body)

    def dispatcher(self, method: str, path: str):
        return self._call(method, f"{self.dispatcher_url}{path}", None)

    def _call(self, method: str, url: str, body: dict | None):
        try:
            res = requests.request(method, url, json=body, timeout=self.timeout)
        except requests.ConnectionError:
            raise click.ClickException(f"cannot reach {url}: is the local stack running (make run)?") from None
        try:
            data = res.json()
        except ValueError:
            data = {"error": res.text[:300]}
        if res.status_code != 200:
            raise click.ClickException(f"sandbox answered HTTP {res.status_code}: {data}")
        return data


@click.group()
@click.option("--sandbox-url", envvar="SCRM_SANDBOX_URL", default="http://127.0.0.1:8089", show_default=True,
              help="the WeChat sandbox (env SCRM_SANDBOX_URL)")
@click.option("--dispatcher-url", envvar="SCRM_DISPATCHER_URL", default="http://127.0.0.1:8001", show_default=True,
              help="the local dispatcher's control port (env SCRM_DISPATCHER_URL)")
@click.pass_context
def sandbox(ctx, sandbox_url, dispatcher_url):
    """The local stack's WeChat sandbox (make run): simulate users and staff, move the clock."""
    ctx.meta["scrm.sandbox"] = Sandbox(sandbox_url, dispatcher_url)


def _sandbox() -> Sandbox:
    return click.get_current_context().meta["scrm.sandbox"]


def _app_id(api: Api, account_id: str, app_id: str | None, kind: str) -> str:
    if app_id:
        return app_id
    account = api.request("GET", f"/accounts/{account_id}")
    if account.get("kind") != kind:
        raise click.UsageError(f"{account_id} is a {account.get('kind')} account; this needs a {kind} account")
    return account["app_id"]


def _app_option(fn):
    return click.option("--app-id", help="the OA appid / WeCom corpid (default: looked up for ACCOUNT_ID)")(fn)


def _oa_event(api: Api, account_id: str, app_id: str | None, body: dict) -> None:
    appid = _app_id(api, account_id, app_id, "oa")
    out(_sandbox().control("POST", f"/oa/{quote(appid, safe='')}/events", body))


def _wecom_event(api: Api, account_id: str, app_id: str | None, body: dict) -> None:
    corpid = _app_id(api, account_id, app_id, "wecom")
    out(_sandbox().control("POST", f"/wecom/{quote(corpid, safe='')}/events", body))


@sandbox.command("follow")
@click.argument("account_id")
@click.option("--openid", help="default: a new follower")
@click.option("--scene", help="through this channel's code (its scene), as a scan would")
@_app_option
@click.pass_obj
def sandbox_follow(api: Api, account_id, openid, scene, app_id):
    """A user follows the Official Account (with --scene: by scanning a channel's code)."""
    _oa_event(api, account_id, app_id, {"type": "subscribe", "openid": openid, "scene": scene})


@sandbox.command("unfollow")
@click.argument("account_id")
@click.option("--openid", required=True)
@_app_option
@click.pass_obj
def sandbox_unfollow(api: Api, account_id, openid, app_id):
    _oa_event(api, account_id, app_id, {"type": "unsubscribe", "openid": openid})


@sandbox.command("scan")
@click.argument("account_id")
@click.option("--scene", required=True, help="the channel's scene")
@click.option("--openid", help="default: a new user (who then follows, as WeChat reports it)")
@_app_option
@click.pass_obj
def sandbox_scan(api: Api, account_id, scene, openid, app_id):
    """A user scans a channel's QR code."""
    _oa_event(api, account_id, app_id, {"type": "scan", "openid": openid, "scene": scene})


@sandbox.command("message")
@click.argument("account_id")
@click.option("--openid", required=True)
@click.option("--text", help="the message text")
@click.option("--click", "click_key", help="a menu click with this key instead")
@_app_option
@click.pass_obj
def sandbox_message(api: Api, account_id, openid, text, click_key, app_id):
    """A follower sends a text message (or clicks a menu item); the reply comes back."""
    body = {"type": "click", "key": click_key} if click_key else {"type": "text", "content": text or "hello"}
    _oa_event(api, account_id, app_id, {**body, "openid": openid})


@sandbox.command("menu-click")
@click.argument("account_id")
@click.option("--openid", required=True, help="a follower")
@click.option("--name", required=True, help="the entry of the menu they see, e.g. 会员/签到 for a sub-button")
@_app_option
@click.pass_obj
def sandbox_menu_click(api: Api, account_id, openid, name, app_id):
    """A follower taps an entry of the published menu: its CLICK or VIEW callback is delivered."""
    appid = _app_id(api, account_id, app_id, "oa")
    out(_sandbox().control("POST", f"/oa/{quote(appid, safe='')}/menu/click", {"openid": openid, "name": name}))


@sandbox.command("new-customer")
@click.argument("account_id")
@click.option("--staff", "userid", required=True, help="the staff member the customer adds")
@click.option("--external-userid", help="default: a new customer")
@click.option("--state", help="the contact way's state (a channel's scene)")
@click.option("--config-id", help="the contact way the customer came through")
@click.option("--name", help="the customer's name")
@_app_option
@click.pass_obj
def sandbox_new_customer(api: Api, account_id, userid, external_userid, state, config_id, name, app_id):
    """A WeChat user adds a staff member (WeCom add_external_contact, with a welcome code)."""
    body = {"type": "add_external_contact", "userid": userid, "external_userid": external_userid, "state": state,
            "config_id": config_id, "name": name}
    _wecom_event(api, account_id, app_id, {k: v for k, v in body.items() if v is not None})


@sandbox.command("staff-leaving")
@click.argument("account_id")
@click.option("--staff", "userid", required=True, help="the userid of the staff member who leaves")
@_app_option
@click.pass_obj
def sandbox_staff_leaving(api: Api, account_id, userid, app_id):
    """A staff member leaves the corp (WeCom delete_user): their customers wait for a takeover."""
    _wecom_event(api, account_id, app_id, {"type": "delete_user", "userid": userid})


def _epoch(text: str) -> float:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("not an ISO 8601 time", param_hint="--set") from None
    if when.tzinfo is None:
        raise click.BadParameter("give an offset, e.g. 2027-01-01T09:00:00+08:00", param_hint="--set")
    return when.timestamp()


@sandbox.command("clock")
@click.option("--move", "seconds", type=float, help="move the sandbox clock forward by this many seconds")
@click.option("--set", "at", help="set the sandbox clock to this ISO 8601 time (with offset)")
def sandbox_clock(seconds, at):
    """Show the sandbox's clock, or move it (transfers complete, welcome codes expire as time passes)."""
    sb = _sandbox()
    if seconds is not None and at is not None:
        raise click.UsageError("give --move or --set, not both")
    if seconds is not None:
        data = sb.control("POST", "/clock/advance", {"seconds": seconds})
    elif at is not None:
        data = sb.control("POST", "/clock/set", {"now": _epoch(at)})
    else:
        data = sb.control("GET", "/clock")
    if not json_wanted():
        data = {**data, "time": datetime.fromtimestamp(data["now"], UTC).astimezone(CHINA).isoformat("T", "seconds")}
    out(data)


@sandbox.command("drain")
def sandbox_drain():
    """Deliver every queued message to its function now (the local dispatcher), and wait for them."""
    out(_sandbox().dispatcher("POST", "/drain"))
