"""`scrm journeys`: journeys (SOP): create a draft from a JSON definition, change it, activate / pause / end it,
its figures per step and the people at a step."""

from __future__ import annotations

import click

from scrm_cli.client import Api, json_wanted, out
from scrm_cli.engagement import json_argument

JOURNEY_COLUMNS = ["journey_id", "name", "status", "created_at"]
STEP_COLUMNS = ["step", "type", "entered", "done", "sent", "skipped_quota", "refused", "unknown", "exited"]
ENTRANT_COLUMNS = ["person", "step", "state", "exit_reason"]


def _base(account_id: str) -> str:
    return f"/accounts/{account_id}/journeys"


@click.group()
def journeys():
    """Journeys (SOP): a trigger, steps once per person, exits; figures per step."""


@journeys.command("list")
@click.argument("account_id")
@click.option("--all", "everything", is_flag=True)
@click.option("--limit", type=int, default=50)
@click.pass_obj
def journeys_list(api: Api, account_id, everything, limit):
    out(list(api.pages(_base(account_id), {"limit": limit}, everything)), JOURNEY_COLUMNS)


@journeys.command("create")
@click.argument("account_id")
@click.argument("definition")
@click.pass_obj
def journeys_create(api: Api, account_id, definition):
    """Create a draft from DEFINITION (JSON or @file): {"name", "trigger": {"kind": "followed" | "customer_added" |
    "won_prize" | "joined_group" | "tag_added", narrowed by scene | state | campaign_id | chat_id, channel_id |
    tag_id}, "steps": [...; custom: "msgtype" text | image | news | mpnews | miniprogrampage], "goal_tag_id",
    "goal_prize": {"campaign_id"?}}."""
    out(api.request("POST", _base(account_id), json_argument(definition, "DEFINITION"), idempotent=True))


@journeys.command("update")
@click.argument("account_id")
@click.argument("journey_id")
@click.argument("definition")
@click.pass_obj
def journeys_update(api: Api, account_id, journey_id, definition):
    """Replace a draft's definition (JSON or @file)."""
    out(api.request("PUT", f"{_base(account_id)}/{journey_id}", json_argument(definition, "DEFINITION")))


@journeys.command("status")
@click.argument("account_id")
@click.argument("journey_id")
@click.pass_obj
def journeys_status(api: Api, account_id, journey_id):
    out(api.request("GET", f"{_base(account_id)}/{journey_id}"))


def _move(action: str, help_text: str):
    @click.argument("account_id")
    @click.argument("journey_id")
    @click.pass_obj
    def command(api: Api, account_id, journey_id):
        out(api.request("POST", f"{_base(account_id)}/{journey_id}/{action}"))

    command.__doc__ = help_text
    journeys.command(action)(command)


_move("activate", "Activate a draft or paused journey: follows enrol from now on.")
_move("pause", "Pause: nobody enrols, nobody advances.")
_move("end", "End for good: the people still in it exit.")


@journeys.command("figures")
@click.argument("account_id")
@click.argument("journey_id")
@click.pass_obj
def journeys_figures(api: Api, account_id, journey_id):
    """Per step: entered, done, sent, skipped by quota, refused, unknown, exited."""
    figures = api.request("GET", f"{_base(account_id)}/{journey_id}/figures")
    if json_wanted():
        out(figures)
    else:
        out(figures["steps"], STEP_COLUMNS)
        click.echo(f"entrants {figures['entrants']}, completed {figures['completed']}")


@journeys.command("entrants")
@click.argument("account_id")
@click.argument("journey_id")
@click.option("--step", type=int, help="only the people at this step (0-based)")
@click.option("--all", "everything", is_flag=True)
@click.option("--limit", type=int, default=50)
@click.pass_obj
def journeys_entrants(api: Api, account_id, journey_id, step, everything, limit):
    params = {"limit": limit, **({"step": step} if step is not None else {})}
    out(list(api.pages(f"{_base(account_id)}/{journey_id}/entrants", params, everything)), ENTRANT_COLUMNS)
