"""The admin API from the command line, so operators can do the common things without curl.

    export SCRM_API_URL=https://<api id>.execute-api.<region>.amazonaws.com/api   # or http://127.0.0.1:8000
    export SCRM_API_KEY=scrm.<key id>.<secret>
    python -m scrm_cli accounts list
    python -m scrm_cli accounts create --id shop-oa --kind oa --app-id wx... --name "Shop" --app-secret -
    python -m scrm_cli keys create shop-oa --role operator --name "campaign team"
    python -m scrm_cli audit shop-oa --action key.
    python -m scrm_cli privacy export|erase shop-oa --openid o... [--yes] [--wait 120]
    python -m scrm_cli privacy erasure shop-oa er-...
    python -m scrm_cli contact-books set shop --member shop-oa --member shop-wecom     # platform key

`bootstrap`, `platform-keys` and `dlq` do not use the API: with AWS credentials for the stage, they write the first
platform admin key straight to the `admin_keys` table (the API cannot create platform keys), list or revoke platform
keys, and list or redrive the dead-letter queues (`dlq list [--queue events] [--peek 5]`, `dlq redrive [--queue
events] [--max N]`).
Every area of the admin API has its commands (channels, stats, replies, pushes, moments, journeys, campaigns,
reassignment; each in its own module) and `sandbox` drives the local stack's WeChat sandbox (docs/sandbox.md).
Output is a readable table; `--json` (anywhere on the line) prints JSON for scripts. Errors print the API's error
and exit with status 1.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from scrm_cli.client import Api, ApiError, out, secret_value  # noqa: E402,F401  (re-exported)


class Root(click.Group):
    """The `scrm` group: `--json` is taken anywhere on the line (`scrm channels list shop-oa --json`), since
    a script writer adds it last; an argument after `--` stays an argument."""

    def parse_args(self, ctx, args):
        end = args.index("--") if "--" in args else len(args)
        if "--json" in args[:end]:
            ctx.meta["scrm.json"] = True
            args = [a for a in args[:end] if a != "--json"] + args[end:]
        return super().parse_args(ctx, args)


@click.group(cls=Root)
@click.option("--url", envvar="SCRM_API_URL", default="http://127.0.0.1:8000", show_default=True,
              help="admin API base URL (env SCRM_API_URL)")
@click.option("--key", envvar="SCRM_API_KEY", help="API key (env SCRM_API_KEY)")
@click.option("--json", "as_json", is_flag=True, help="print JSON (every field) instead of tables; for scripts")
@click.pass_context
def cli(ctx, url, key, as_json):
    """Operate the WeChat SCRM through its admin API. Answers print as tables; --json prints them as JSON."""
    ctx.meta["scrm.json"] = ctx.meta.get("scrm.json") or as_json
    ctx.obj = ctx.obj or Api(url, key)
    if isinstance(ctx.obj, Api) and ctx.obj.key is None:
        ctx.obj.key = key


# --- accounts

MESSAGE_MODES = ["plaintext", "compatible", "safe"]
LOGIN_SECRET_HELP = ("WeCom: the Secret of the app staff sign in to the console with (AgentID in "
                     "options.console_login_agentid); '-' reads it from stdin")

AGENT_SECRET_HELP = ("WeCom: AGENTID SECRET of a self-built app that sends loss alerts or reassignment notices "
                     "(repeatable); SECRET '-' reads it from stdin")


def agent_secrets(pairs) -> dict | None:
    """--agent-secret AGENTID SECRET pairs as the API's {AgentId: Secret}; a '-' reads the Secret from stdin."""
    if not pairs:
        return None
    return {str(agentid): secret_value(secret, f"Secret of app {agentid}") for agentid, secret in pairs}


@cli.group()
def accounts():
    """Official Accounts and WeCom corps."""


@accounts.command("list")
@click.option("--all", "everything", is_flag=True, help="follow every page")
@click.option("--limit", type=int, default=50)
@click.pass_obj
def accounts_list(api: Api, everything, limit):
    out(list(api.pages("/accounts", {"limit": limit}, everything)))


@accounts.command("show")
@click.argument("account_id")
@click.pass_obj
def accounts_show(api: Api, account_id):
    out(api.request("GET", f"/accounts/{account_id}"))


@accounts.command("create")
@click.option("--id", "account_id", required=True)
@click.option("--kind", type=click.Choice(["oa", "wecom"]), required=True)
@click.option("--app-id", required=True, help="OA appid (wx...) or WeCom corpid")
@click.option("--name", required=True)
@click.option("--app-secret", required=True, help="AppSecret / corp secret; '-' reads it from stdin")
@click.option("--token", help="callback Token (generated when omitted)")
@click.option("--aes-key", help="EncodingAESKey (generated when omitted)")
@click.option("--original-id", help="OA original id gh_...")
@click.option("--account-type", type=click.Choice(["service", "subscription"]))
@click.option("--message-mode", type=click.Choice(MESSAGE_MODES), help="as in the WeChat console (default safe)")
@click.option("--console-login-secret", help=LOGIN_SECRET_HELP)
@click.option("--agent-secret", "agent_secret_pairs", nargs=2, type=(int, str), multiple=True,
              metavar="AGENTID SECRET", help=AGENT_SECRET_HELP)
@click.pass_obj
def accounts_create(api: Api, account_id, kind, app_id, name, app_secret, token, aes_key, original_id,
                    account_type, message_mode, console_login_secret, agent_secret_pairs):
    """Register an account (platform key). Prints the callback URL, Token and EncodingAESKey for the console."""
    body = {"account_id": account_id, "kind": kind, "app_id": app_id, "name": name,
            "app_secret": secret_value(app_secret, "AppSecret")}
    for k, v in (("token", token), ("aes_key", aes_key), ("original_id", original_id),
                 ("account_type", account_type), ("message_mode", message_mode),
                 ("console_login_secret", secret_value(console_login_secret, "console login Secret")),
                 ("agent_secrets", agent_secrets(agent_secret_pairs))):
        if v is not None:
            body[k] = v
    out(api.request("POST", "/accounts", body, idempotent=True))


@accounts.command("update")
@click.argument("account_id")
@click.option("--name")
@click.option("--app-secret", help="'-' reads it from stdin")
@click.option("--token")
@click.option("--aes-key")
@click.option("--original-id")
@click.option("--account-type", type=click.Choice(["service", "subscription"]))
@click.option("--options", "options_json", help="per-account options as a JSON object")
@click.option("--message-mode", type=click.Choice(MESSAGE_MODES))
@click.option("--console-login-secret", help=LOGIN_SECRET_HELP)
@click.option("--agent-secret", "agent_secret_pairs", nargs=2, type=(int, str), multiple=True,
              metavar="AGENTID SECRET", help=AGENT_SECRET_HELP)
@click.pass_obj
def accounts_update(api: Api, account_id, name, app_secret, token, aes_key, original_id, account_type,
                    options_json, message_mode, console_login_secret, agent_secret_pairs):
    body = {k: v for k, v in (("name", name), ("app_secret", secret_value(app_secret, "AppSecret")),
                              ("token", token), ("aes_key", aes_key), ("original_id", original_id),
                              ("account_type", account_type), ("message_mode", message_mode),
                              ("console_login_secret", secret_value(console_login_secret, "console login Secret")),
                              ("agent_secrets", agent_secrets(agent_secret_pairs)))
            if v is not None}
    if options_json is not None:
        try:
            body["options"] = json.loads(options_json)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--options") from None
    out(api.request("PATCH", f"/accounts/{account_id}", body))


@accounts.command("mode")
@click.argument("account_id")
@click.argument("message_mode", required=False, type=click.Choice(MESSAGE_MODES))
@click.pass_obj
def accounts_mode(api: Api, account_id, message_mode):
    """Show or set the callback message mode (plaintext | compatible | safe), as set in the WeChat console.

    `safe` refuses unencrypted callbacks; set it to what the console says (changes are audited)."""
    if message_mode is None:
        out({"account_id": account_id,
             "message_mode": api.request("GET", f"/accounts/{account_id}").get("message_mode", "safe")})
    else:
        out(api.request("PATCH", f"/accounts/{account_id}", {"message_mode": message_mode}))


@accounts.command("setup")
@click.argument("account_id")
@click.pass_obj
def accounts_setup(api: Api, account_id):
    """Callback URL, Token and EncodingAESKey to paste into the WeChat console (admin; audited)."""
    out(api.request("GET", f"/accounts/{account_id}/setup"))


@accounts.command("disable")
@click.argument("account_id")
@click.pass_obj
def accounts_disable(api: Api, account_id):
    out(api.request("POST", f"/accounts/{account_id}/disable"))


@accounts.command("enable")
@click.argument("account_id")
@click.pass_obj
def accounts_enable(api: Api, account_id):
    out(api.request("POST", f"/accounts/{account_id}/enable"))


@accounts.command("contact-book")
@click.argument("account_id")
@click.pass_obj
def accounts_contact_book(api: Api, account_id):
    """The contact book the account uses: its own, or the shared one and its members."""
    out(api.request("GET", f"/accounts/{account_id}/contact-book"))


# --- shared contact books (platform key)


@cli.group("contact-books")
def contact_books():
    """Contact books shared by several accounts (platform key)."""


@contact_books.command("show")
@click.argument("book_id")
@click.pass_obj
def contact_books_show(api: Api, book_id):
    out(api.request("GET", f"/contact-books/{book_id}"))


@contact_books.command("set")
@click.argument("book_id")
@click.option("--member", "members", multiple=True, required=True, help="a member account id (repeat)")
@click.pass_obj
def contact_books_set(api: Api, book_id, members):
    """Create the shared book or set its members (the whole list)."""
    out(api.request("PUT", f"/contact-books/{book_id}", {"members": list(members)}))


@contact_books.command("delete")
@click.argument("book_id")
@click.pass_obj
def contact_books_delete(api: Api, book_id):
    """Stop sharing: every member goes back to its own book."""
    out(api.request("DELETE", f"/contact-books/{book_id}"))


# --- keys


@cli.group()
def keys():
    """API keys of an account."""


@keys.command("list")
@click.argument("account_id")
@click.option("--all", "everything", is_flag=True)
@click.pass_obj
def keys_list(api: Api, account_id, everything):
    out(list(api.pages(f"/accounts/{account_id}/keys", {"limit": 100}, everything)))


@keys.command("create")
@click.argument("account_id")
@click.option("--role", type=click.Choice(["read-only", "operator", "admin"]), required=True)
@click.option("--name", default="")
@click.option("--expires-in-days", type=float)
@click.pass_obj
def keys_create(api: Api, account_id, role, name, expires_in_days):
    """Create a key; the key is printed once (store it now)."""
    body = {"role": role, "name": name}
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    out(api.request("POST", f"/accounts/{account_id}/keys", body, idempotent=True))


@keys.command("revoke")
@click.argument("account_id")
@click.argument("key_id")
@click.pass_obj
def keys_revoke(api: Api, account_id, key_id):
    out(api.request("DELETE", f"/accounts/{account_id}/keys/{key_id}"))


# --- audit


@cli.command()
@click.argument("account_id")
@click.option("--action", help="only actions starting with this, e.g. key. or account.create")
@click.option("--key-id", help="only this key's actions")
@click.option("--limit", type=int, default=50)
@click.option("--all", "everything", is_flag=True)
@click.pass_obj
def audit(api: Api, account_id, action, key_id, limit, everything):
    """The account's audit log, newest first."""
    params = {"limit": limit, **({"action": action} if action else {}), **({"key_id": key_id} if key_id else {})}
    out(list(api.pages(f"/accounts/{account_id}/audit", params, everything)))


# --- personal data on request (PIPL)


@cli.group()
def privacy():
    """Export or erase one customer's personal data (admin key; audited)."""


def _person(openid, external_userid, unionid) -> dict:
    given = {k: v for k, v in (("openid", openid), ("external_userid", external_userid), ("unionid", unionid)) if v}
    if len(given) != 1:
        raise click.UsageError("give exactly one of --openid, --external-userid, --unionid")
    return given


def _person_options(fn):
    for name in ("--unionid", "--external-userid", "--openid"):
        fn = click.option(name)(fn)
    return fn


@privacy.command("export")
@click.argument("account_id")
@_person_options
@click.pass_obj
def privacy_export(api: Api, account_id, openid, external_userid, unionid):
    """Everything held about the person in the account, per table, as JSON."""
    out(api.request("POST", f"/accounts/{account_id}/privacy/export", _person(openid, external_userid, unionid)))


@privacy.command("erase")
@click.argument("account_id")
@_person_options
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.option("--wait", "wait_seconds", type=int, default=0, metavar="SECONDS",
              help="follow the erasure until it is done or failed, at most this long (default: answer at once)")
@click.pass_obj
def privacy_erase(api: Api, account_id, openid, external_userid, unionid, yes, wait_seconds):
    """Ask for the person to be erased everywhere (figures already reported stay); the erasure is queued: this
    prints the request (its id and status URL), or with --wait follows it. Repeating it is harmless."""
    person = _person(openid, external_userid, unionid)
    if not yes:
        click.confirm(f"Erase {next(iter(person))} {next(iter(person.values()))} from {account_id}?", abort=True,
                      err=True)
    asked = api.request("POST", f"/accounts/{account_id}/privacy/erase", person)
    out(_follow(api, asked, wait_seconds) if wait_seconds > 0 else asked)


def _follow(api: Api, asked: dict, wait_seconds: int, poll_seconds: float = 1.0) -> dict:
    import time

    deadline = time.monotonic() + wait_seconds
    status = asked
    while status["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(poll_seconds)
        status = api.request("GET", asked["status_url"])
    return status


@privacy.command("erasure")
@click.argument("account_id")
@click.argument("request_id")
@click.pass_obj
def privacy_erasure(api: Api, account_id, request_id):
    """An erasure request's status: pending, running, done or failed, and the items erased per table."""
    out(api.request("GET", f"/accounts/{account_id}/privacy/erasures/{request_id}"))


# --- bootstrap (direct to AWS: no key exists yet)


@cli.command()
@click.option("--name", default="bootstrap", show_default=True)
@click.option("--force", is_flag=True, help="add one even if an active platform key exists")
@click.option("--expires-in-days", type=float)
@click.option("--stage", envvar="SCRM_STAGE", help="stage whose tables to write (env SCRM_STAGE)")
def bootstrap(name, force, expires_in_days, stage):
    """Create a platform admin key directly in the stage's `admin_keys` table (needs AWS credentials).

    Run once after the first deploy; the key is printed once. Use it to register accounts and create their
    keys, then keep it offline. Platform keys are listed and revoked with `scrm platform-keys` (also direct)."""
    _use_layer(stage)
    from scrm.errors import ScrmError
    from scrm.services.admin_keys import bootstrap_platform_key

    try:
        out(bootstrap_platform_key(name, force=force, expires_in_days=expires_in_days))
    except ScrmError as exc:
        raise click.ClickException(str(exc)) from None


@cli.command("platform-keys")
@click.option("--revoke", "revoke_id", help="revoke this platform key id")
@click.option("--stage", envvar="SCRM_STAGE")
def platform_keys(revoke_id, stage):
    """List platform keys (or revoke one) directly in the stage's `admin_keys` table (needs AWS credentials)."""
    _use_layer(stage)
    from scrm.errors import ScrmError
    from scrm.services import admin_keys

    try:
        if revoke_id:
            out(admin_keys.revoke_platform_key(revoke_id))
        else:
            out(admin_keys.list_platform_keys())
    except ScrmError as exc:
        raise click.ClickException(str(exc)) from None


# --- dead-letter queues (direct to AWS)


@cli.group()
def dlq():
    """Dead-letter queues: list what failed for good, and replay it once the cause is fixed (needs AWS
    credentials for the stage)."""


@dlq.command("list")
@click.option("--queue", "queue_names", multiple=True, help="events, reassignment, ... (default: every queue)")
@click.option("--peek", type=click.IntRange(0, 100), default=0, help="also show up to N messages of each DLQ")
@click.option("--stage", envvar="SCRM_STAGE")
def dlq_list(queue_names, peek, stage):
    """How many messages each dead-letter queue holds (and, with --peek, which)."""
    _use_layer(stage)
    from scrm.errors import ScrmError
    from scrm.services.dead_letters import list_dead_letters

    try:
        out(list_dead_letters(list(queue_names) or None, peek=peek))
    except ScrmError as exc:
        raise click.ClickException(str(exc)) from None


@dlq.command("redrive")
@click.option("--queue", "queue_names", multiple=True, help="events, reassignment, ... (default: every queue)")
@click.option("--max", "limit", type=click.IntRange(1), help="move at most N messages per queue")
@click.option("--stage", envvar="SCRM_STAGE")
def dlq_redrive(queue_names, limit, stage):
    """Move each message of the dead-letter queue back to its source queue, once (send, then delete)."""
    _use_layer(stage)
    from scrm.errors import ScrmError
    from scrm.queues import ALL_QUEUES
    from scrm.services.dead_letters import redrive

    try:
        out([redrive(q, limit=limit) for q in (list(queue_names) or ALL_QUEUES)])
    except ScrmError as exc:
        raise click.ClickException(str(exc)) from None


def _use_layer(stage: str | None) -> None:
    layer = Path(__file__).resolve().parent.parent / "layers" / "common" / "python"
    if layer.is_dir() and str(layer) not in sys.path:
        sys.path.insert(0, str(layer))
    if stage:
        os.environ["SCRM_STAGE"] = stage


from scrm_cli.channels import channels, stats  # noqa: E402  (each area in its own module)
from scrm_cli.engagement import campaigns, pushes, replies  # noqa: E402
from scrm_cli.followers import followers  # noqa: E402
from scrm_cli.groups import groups  # noqa: E402
from scrm_cli.insight import insight  # noqa: E402
from scrm_cli.journeys import journeys  # noqa: E402
from scrm_cli.menus import menus  # noqa: E402
from scrm_cli.moments import moments  # noqa: E402
from scrm_cli.reassignment import reassignment  # noqa: E402
from scrm_cli.sandbox import sandbox  # noqa: E402
from scrm_cli.segments import segments  # noqa: E402
from scrm_cli.smoke import smoke  # noqa: E402  (post-deploy check; its own module)
from scrm_cli.staff import staff  # noqa: E402
from scrm_cli.tags import oa_tags, tags  # noqa: E402

for command in (channels, stats, replies, pushes, campaigns, reassignment, sandbox, smoke, menus, tags, oa_tags,
                moments, groups, staff, insight, followers, segments, journeys):
    cli.add_command(command)

if __name__ == "__main__":
    cli(prog_name="scrm")
