"""`scrm replies`, `scrm pushes`, `scrm campaigns`: what followers and customers are told, sent and can win."""

from __future__ import annotations

import json
from pathlib import Path

import click

from scrm_cli.client import Api, json_wanted, out

RULE_COLUMNS = ["rule_id", "match", "keywords", "priority", "enabled", "name", "reply", "updated_at"]
PUSH_COLUMNS = ["push_id", "name", "status", "delivery", "send_at", "next_run_at", "audience", "created_at"]
CAMPAIGN_COLUMNS = ["campaign_id", "name", "kind", "status", "starts_at", "ends_at", "lottery_state", "version"]
VOTE_COLUMNS = ["option_id", "title", "votes", "share"]
VOTE_DAY_COLUMNS = ["day", "votes", "new_voters"]


def _base(account_id: str) -> str:
    return f"/accounts/{account_id}"


def json_argument(text: str | None, name: str):
    """A JSON value given on the command line, or `@file` to read it from a file."""
    if text is None:
        return None
    if text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(f"cannot read {text[1:]}: {exc}", param_hint=name) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=name) from None


def text_reply(text: str | None):
    return None if text is None else {"type": "text", "content": text}


# --- replies


@click.group()
def replies():
    """Automatic replies: keyword and menu rules, the welcome and the default reply."""


@replies.group("rules")
def reply_rules():
    """Keyword / menu-click reply rules."""


@reply_rules.command("list")
@click.argument("account_id")
@click.pass_obj
def rules_list(api: Api, account_id):
    """Every rule, highest priority first."""
    out(list(api.pages(f"{_base(account_id)}/reply-rules", {}, True)), RULE_COLUMNS)


@reply_rules.command("create")
@click.argument("account_id")
@click.option("--match", type=click.Choice(["exact", "contains", "regex", "click"]), required=True)
@click.option("--keyword", "keywords", multiple=True, required=True, help="a keyword, pattern or menu key (repeat)")
@click.option("--text", help="reply with this text")
@click.option("--reply", "reply_json", help="the reply as JSON (or @file), e.g. a news reply")
@click.option("--priority", type=int, default=0, show_default=True, help="higher answers first")
@click.option("--name", default="")
@click.option("--disabled", is_flag=True)
@click.pass_obj
def rules_create(api: Api, account_id, match, keywords, text, reply_json, priority, name, disabled):
    """Create a rule (operator); give --text or --reply."""
    reply = json_argument(reply_json, "--reply") or text_reply(text)
    if reply is None:
        raise click.UsageError("give --text or --reply")
    body = {"match": match, "keywords": list(keywords), "reply": reply, "priority": priority, "name": name,
            "enabled": not disabled}
    out(api.request("POST", f"{_base(account_id)}/reply-rules", body, idempotent=True))


@reply_rules.command("delete")
@click.argument("account_id")
@click.argument("rule_id")
@click.pass_obj
def rules_delete(api: Api, account_id, rule_id):
    out(api.request("DELETE", f"{_base(account_id)}/reply-rules/{rule_id}"))


@replies.command("welcome")
@click.argument("account_id")
@click.option("--text", help="set the welcome to this text")
@click.option("--default-reply", help="set the reply to messages no rule matches (OA)")
@click.option("--clear", is_flag=True, help="remove the welcome and the default reply")
@click.pass_obj
def replies_welcome(api: Api, account_id, text, default_reply, clear):
    """Show the welcome and default reply; with --text / --default-reply / --clear, replace them."""
    path = f"{_base(account_id)}/welcome"
    if text is None and default_reply is None and not clear:
        out(api.request("GET", path))
        return
    body = {} if clear else {**api.request("GET", path)}
    if text is not None:
        body["welcome"] = text_reply(text)
    if default_reply is not None:
        body["default_reply"] = text_reply(default_reply)
    out(api.request("PUT", path, body))


# --- pushes


@click.group()
def pushes():
    """Content pushes: create a draft, preview its audience, confirm, follow its status."""


@pushes.command("list")
@click.argument("account_id")
@click.option("--all", "everything", is_flag=True)
@click.option("--limit", type=int, default=50)
@click.pass_obj
def pushes_list(api: Api, account_id, everything, limit):
    out(list(api.pages(f"{_base(account_id)}/pushes", {"limit": limit}, everything)), PUSH_COLUMNS)


def _audience(kind: str, values: tuple[str, ...]) -> dict:
    if kind == "all":
        return {"type": "all"}
    if not values:
        raise click.UsageError(f"--audience {kind} needs --to values")
    if kind == "tags":
        return {"type": "tags", "tag_ids": [int(v) if v.isdigit() else v for v in values]}
    if kind == "channel":
        return {"type": "channel", "channel_ids": list(values)}
    if kind == "segment":
        return {"type": "segment", "segment_id": values[0]}
    if kind == "staff":
        return {"type": "staff", "userids": list(values)}
    if kind == "groups":  # customer groups (群发到客户群) of these owners
        return {"type": "groups", "owners": list(values)}
    if kind == "chats":  # customer groups by chat_id
        return {"type": "groups", "chat_ids": list(values)}
    return {"type": "list", "recipients": list(values)}


@pushes.command("create")
@click.argument("account_id")
@click.option("--name", default="")
@click.option("--text", help="a text push")
@click.option("--content", "content_json", help="the content as JSON (or @file): image, news, template, wecom")
@click.option("--audience", "audience_kind",
              type=click.Choice(["all", "tags", "channel", "segment", "staff", "list", "groups", "chats"]),
              default="all", show_default=True,
              help="groups / chats: WeCom customer groups of owners (--to userids) / by chat_id (--to chat ids)")
@click.option("--to", "targets", multiple=True,
              help="tag ids, channel ids, a segment id, staff userids, openids, group owners or chat ids")
@click.option("--send-at", required=True, help="ISO 8601, e.g. 2027-01-01T09:00:00+08:00")
@click.option("--timezone", help="IANA zone for a --send-at without offset (default Asia/Shanghai)")
@click.option("--confirm", is_flag=True, help="preview and schedule at once")
@click.pass_obj
def pushes_create(api: Api, account_id, name, text, content_json, audience_kind, targets, send_at, timezone,
                  confirm):
    """Create a push as a draft (nothing is sent): then `preview` and `confirm`."""
    content = json_argument(content_json, "--content") or ({"type": "text", "text": text} if text else None)
    if content is None:
        raise click.UsageError("give --text or --content")
    body = {"name": name, "content": content, "audience": _audience(audience_kind, targets), "send_at": send_at}
    if timezone:
        body["timezone"] = timezone
    push = api.request("POST", f"{_base(account_id)}/pushes", body, idempotent=True)
    if confirm:
        push = api.request("POST", f"{_base(account_id)}/pushes/{push['push_id']}/confirm")
    out(push)


@pushes.command("preview")
@click.argument("account_id")
@click.argument("push_id")
@click.pass_obj
def pushes_preview(api: Api, account_id, push_id):
    """Who would receive it now, who is at quota, how many batches."""
    out(api.request("POST", f"{_base(account_id)}/pushes/{push_id}/preview"))


@pushes.command("confirm")
@click.argument("account_id")
@click.argument("push_id")
@click.pass_obj
def pushes_confirm(api: Api, account_id, push_id):
    """Schedule a draft (previews it first if nobody did)."""
    out(api.request("POST", f"{_base(account_id)}/pushes/{push_id}/confirm"))


@pushes.command("cancel")
@click.argument("account_id")
@click.argument("push_id")
@click.pass_obj
def pushes_cancel(api: Api, account_id, push_id):
    out(api.request("POST", f"{_base(account_id)}/pushes/{push_id}/cancel"))


@pushes.command("results")
@click.argument("account_id")
@click.argument("push_id")
@click.pass_obj
def pushes_results(api: Api, account_id, push_id):
    """Collect a WeCom push's group-message results now (instead of at the next poll)."""
    out(api.request("POST", f"{_base(account_id)}/pushes/{push_id}/results"))


@pushes.command("status")
@click.argument("account_id")
@click.argument("push_id")
@click.option("--batches", is_flag=True, help="also the current run's batches")
@click.pass_obj
def pushes_status(api: Api, account_id, push_id, batches):
    """A push, its status and its runs' delivery figures."""
    push = api.request("GET", f"{_base(account_id)}/pushes/{push_id}")
    if batches:
        push["batches"] = list(api.pages(f"{_base(account_id)}/pushes/{push_id}/batches", {}, True))
    out(push)


# --- campaigns


@click.group()
def campaigns():
    """Campaigns: lucky wheel, share-to-win, end-of-campaign lottery, votes (投票)."""


@campaigns.command("list")
@click.argument("account_id")
@click.option("--all", "everything", is_flag=True)
@click.pass_obj
def campaigns_list(api: Api, account_id, everything):
    out(list(api.pages(f"{_base(account_id)}/campaigns", {"limit": 50}, everything)), CAMPAIGN_COLUMNS)


@campaigns.command("show")
@click.argument("account_id")
@click.argument("campaign_id")
@click.pass_obj
def campaigns_show(api: Api, account_id, campaign_id):
    out(api.request("GET", f"{_base(account_id)}/campaigns/{campaign_id}"))


@campaigns.command("create")
@click.argument("account_id")
@click.option("--file", "config", required=True, help="the campaign as JSON (a file path, or - for stdin)")
@click.pass_obj
def campaigns_create(api: Api, account_id, config):
    """Create a campaign from its JSON document (campaign_id, name, starts_at, ends_at, prizes, ...; a vote:
    kind "vote", options and voting instead of prizes)."""
    text = click.get_text_stream("stdin").read() if config == "-" else None
    body = json_argument(text if text is not None else "@" + config, "--file")
    out(api.request("POST", f"{_base(account_id)}/campaigns", body, idempotent=True))


@campaigns.command("codes")
@click.argument("account_id")
@click.argument("campaign_id")
@click.argument("prize_id")
@click.argument("codes_file", type=click.File("r", encoding="utf-8-sig"))
@click.pass_obj
def campaigns_codes(api: Api, account_id, campaign_id, prize_id, codes_file):
    """Upload a coupon prize's redemption codes: one a line (a CSV's first column; '-' reads stdin), 5000 a call."""
    codes = [line.split(",")[0].strip() for line in codes_file]
    codes = [c for c in codes if c]
    path = f"{_base(account_id)}/campaigns/{campaign_id}/prizes/{prize_id}/codes"
    results = [api.request("POST", path, {"codes": codes[i:i + 5000]}) for i in range(0, len(codes), 5000)]
    if not results:
        raise click.UsageError("the file holds no codes")
    last = results[-1]
    out({**last, "added": sum(r["added"] for r in results), "duplicates": sum(r["duplicates"] for r in results)})


@campaigns.command("report")
@click.argument("account_id")
@click.argument("campaign_id")
@click.pass_obj
def campaigns_report(api: Api, account_id, campaign_id):
    """Participants, draws, wins and redemptions per prize, stock left, shares."""
    out(api.request("GET", f"{_base(account_id)}/campaigns/{campaign_id}/report"))


@campaigns.command("lottery")
@click.argument("account_id")
@click.argument("campaign_id")
@click.pass_obj
def campaigns_lottery(api: Api, account_id, campaign_id):
    """The published lottery facts: the seed commitment before the draw; participants, seed and winners after."""
    out(api.request("GET", f"{_base(account_id)}/campaigns/{campaign_id}/lottery"))


def _option(text: str) -> dict:
    """`ID=TITLE` or `ID=TITLE=IMAGE` (an https:// URL or a /media/ path) -> a vote option."""
    parts = text.split("=", 2)
    if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
        raise click.BadParameter(f"{text!r}: expected ID=TITLE or ID=TITLE=IMAGE", param_hint="--option")
    option = {"option_id": parts[0].strip(), "title": parts[1].strip()}
    if len(parts) == 3 and parts[2].strip():
        option["image"] = parts[2].strip()
    return option


@campaigns.command("new-vote")
@click.argument("account_id")
@click.argument("campaign_id")
@click.option("--name", required=True, help="the campaign's name")
@click.option("--starts", "starts_at", required=True, help="ISO 8601 with an offset, e.g. 2027-01-01T10:00:00+08:00")
@click.option("--ends", "ends_at", required=True, help="ISO 8601 with an offset")
@click.option("--option", "options", multiple=True, required=True,
              help="ID=TITLE or ID=TITLE=IMAGE (an https:// URL or a /media/ path); repeat for each option")
@click.option("--votes-per-day", type=int, default=1, show_default=True, help="votes a user may cast a day")
@click.option("--one-per-option", is_flag=True, help="at most one vote per option per user per day")
@click.option("--must-follow/--anyone", default=True, show_default=True,
              help="only followers of the Official Account may vote")
@click.option("--active", is_flag=True, help="open it now (default: a draft)")
@click.pass_obj
def campaigns_new_vote(api: Api, account_id, campaign_id, name, starts_at, ends_at, options, votes_per_day,
                       one_per_option, must_follow, active):
    """Create a vote campaign (投票) from options given on the command line."""
    body = {"campaign_id": campaign_id, "name": name, "kind": "vote", "starts_at": starts_at, "ends_at": ends_at,
            "status": "active" if active else "draft", "options": [_option(o) for o in options],
            "voting": {"votes_per_day": votes_per_day, "one_per_option": one_per_option},
            "eligibility": {"must_follow": must_follow}}
    out(api.request("POST", f"{_base(account_id)}/campaigns", body, idempotent=True), CAMPAIGN_COLUMNS)


@campaigns.command("votes")
@click.argument("account_id")
@click.argument("campaign_id")
@click.option("--days", is_flag=True, help="votes and first-time voters per campaign-local day instead")
@click.pass_obj
def campaigns_votes(api: Api, account_id, campaign_id, days):
    """A vote's live results: votes per option with its share, distinct voters (or per day with --days)."""
    results = api.request("GET", f"{_base(account_id)}/campaigns/{campaign_id}/votes")
    if json_wanted():
        out(results)
        return
    if days:
        out(results.get("days") or [], VOTE_DAY_COLUMNS)
        return
    total = int(results.get("votes") or 0)
    rows = [{**o, "share": f"{100 * o['votes'] / total:.1f}%" if total else "–"} for o in results.get("options") or []]
    click.echo(f"{results['campaign_id']}  {results.get('status')}  votes {total}  voters {results.get('voters')}")
    out(rows, VOTE_COLUMNS)
