"""Admin API for journeys (SOP): a trigger, steps run once per person, exits, figures per step.

Flow: create a draft -> change it while a draft -> activate (follows, added customers, prize wins, group joins or
tags given enrol from then on) ->
the minute schedule (functions/content_push.py) runs each person's due step once -> figures per step and the people
at a step. Pause stops enrolment and advancing; end lets everybody still in it go.
"""

from chalice import Blueprint

from functions.admin_common import admin_route, page
from scrm import errors

bp = Blueprint(__name__)
BASE = "/accounts/{account_id}/journeys"
JOURNEY_FIELDS = ("name", "trigger", "steps", "goal_tag_id", "goal_prize")


def _admin(ctx):
    from scrm.services.journeys import service

    return service(ctx.scope).admin


@admin_route(bp, BASE, answer="journeys.Journey", paged=True)
def list_journeys(ctx, account_id):
    """The account's journeys, newest first (paged)"""
    admin = _admin(ctx)
    return page(lambda limit, start: admin.list_page(ctx.scope, account_id, limit=limit, start=start), ctx)


@admin_route(bp, BASE, methods=("POST",), role="operator", audit="journey.create", status=201,
             idempotent_create=True, body="journeys.JourneyBody", answer="journeys.Journey")
def create_journey(ctx, account_id):
    """Create a journey draft (operator): its trigger, steps and goal; nobody enrols until it is activated"""
    ctx.allow_only(*JOURNEY_FIELDS)
    return _admin(ctx).create(ctx.scope, account_id, ctx.body, created_by=getattr(ctx.scope, "key_id", None))


@admin_route(bp, BASE + "/{journey_id}", answer="journeys.Journey")
def get_journey(ctx, account_id, journey_id):
    """One journey: status, trigger, steps, goal"""
    return _admin(ctx).get(ctx.scope, account_id, journey_id)


@admin_route(bp, BASE + "/{journey_id}", methods=("PUT",), role="operator", audit="journey.update",
             body="journeys.JourneyBody", answer="journeys.Journey", raises=(errors.Conflict,))
def update_journey(ctx, account_id, journey_id):
    """Replace a draft's definition (operator); 409 once it was activated"""
    ctx.allow_only(*JOURNEY_FIELDS)
    return _admin(ctx).update(ctx.scope, account_id, journey_id, ctx.body)


@admin_route(bp, BASE + "/{journey_id}/activate", methods=("POST",), role="operator", audit="journey.activate",
             answer="journeys.Journey", raises=(errors.Conflict,))
def activate_journey(ctx, account_id, journey_id):
    """Activate a draft or paused journey (operator): follows and added customers enrol from now on"""
    return _admin(ctx).move(ctx.scope, account_id, journey_id, "activate")


@admin_route(bp, BASE + "/{journey_id}/pause", methods=("POST",), role="operator", audit="journey.pause",
             answer="journeys.Journey", raises=(errors.Conflict,))
def pause_journey(ctx, account_id, journey_id):
    """Pause an active journey (operator): nobody enrols, nobody advances until it is activated again"""
    return _admin(ctx).move(ctx.scope, account_id, journey_id, "pause")


@admin_route(bp, BASE + "/{journey_id}/end", methods=("POST",), role="operator", audit="journey.end",
             answer="journeys.Journey", raises=(errors.Conflict,))
def end_journey(ctx, account_id, journey_id):
    """End a journey for good (operator): the people still in it exit when the schedule reaches them"""
    return _admin(ctx).move(ctx.scope, account_id, journey_id, "end")


@admin_route(bp, BASE + "/{journey_id}/figures", answer="journeys.JourneyFigures")
def journey_figures(ctx, account_id, journey_id):
    """Per step: entered, done, sent, skipped by quota, refused by WeChat, outcome unknown, exited"""
    return _admin(ctx).figures(ctx.scope, account_id, journey_id)


@admin_route(bp, BASE + "/{journey_id}/entrants", answer="journeys.JourneyEntrant", paged=True,
             query="journeys.EntrantsQuery")
def journey_entrants(ctx, account_id, journey_id):
    """The people in the journey (at one step with `step`), with each step's outcome (paged; a filtered page may
    hold fewer than `limit`)"""
    raw = ctx.query.get("step")
    if raw is not None and not str(raw).isdigit():
        raise errors.ValidationError("step must be a step number (0, 1, ...)", field="step")
    admin = _admin(ctx)
    return page(lambda limit, start: admin.entrants(ctx.scope, account_id, journey_id,
                                                    step=None if raw is None else int(raw), limit=limit,
                                                    start=start), ctx)
