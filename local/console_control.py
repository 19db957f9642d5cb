"""The console's sandbox control (local stack only): simulate what WeChat users and staff do, move the sandbox's
clock, run a schedule, drain the queues.

The browser cannot reach the sandbox (:8089) or the dispatcher's control port (:8001) from the console's origin,
so the local stack registers this blueprint on the API it serves (`LocalStack.start`) and nowhere else: it lives
in local/, which no artifact ships, its routes stay out of the route table and the OpenAPI document
(`contract=False`), and `blueprint()` refuses any stage but `local`
(tests/integration/test_console_control.py: absent from the app of every other stage). The routes are admin
routes like any other (a key or a console session, the operator role, the account's tenancy).
"""

from __future__ import annotations

from typing import Annotated, Literal

from chalice import Blueprint
from pydantic import Field

from functions.admin_common import admin_route
from scrm import errors
from scrm.contracts.fields import StrictBody

PREFIX = "/accounts/{account_id}/local"
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")]
# what each simulated action is on each platform: (account kind, the sandbox event type)
ACTIONS = {"follow": ("oa", "subscribe"), "scan": ("oa", "scan"), "message": ("oa", "text"),
           "unfollow": ("oa", "unsubscribe"), "new_customer": ("wecom", "add_external_contact"),
           "staff_left": ("wecom", "delete_user")}


class Simulation(StrictBody):
    """One thing a WeChat user or a staff member does; the sandbox sends the signed callback to our API."""

    action: Literal[tuple(ACTIONS)]
    openid: Id | None = None  # OA: the follower (a new one when absent)
    scene: Annotated[str, Field(min_length=1, max_length=64)] | None = None  # scan: the channel's scene
    content: Annotated[str, Field(min_length=1, max_length=2048)] | None = None  # message: the text
    userid: Id | None = None  # WeCom: the staff member
    state: Annotated[str, Field(max_length=30)] | None = None  # new_customer: the contact way's state
    name: Annotated[str, Field(max_length=64)] | None = None  # new_customer: the customer's name


class ClockMove(StrictBody):
    seconds: Annotated[int, Field(ge=1, le=90 * 86400)]



def _event(account, sim: Simulation) -> dict:
    kind, event_type = ACTIONS[sim.action]
    if account.kind != kind:
        raise errors.ValidationError(f"{sim.action} is for {'Official Accounts' if kind == 'oa' else 'WeCom corps'}",
                                     field="action")
    if kind == "oa":
        needs = {"scan": "scene", "message": "content"}.get(sim.action)
        if needs and getattr(sim, needs) is None:
            raise errors.ValidationError(f"{sim.action} needs {needs}", field=needs)
        spec = {"type": event_type, "openid": sim.openid, "scene": sim.scene, "content": sim.content}
    else:
        if sim.userid is None:
            raise errors.ValidationError(f"{sim.action} needs userid", field="userid")
        spec = {"type": event_type, "userid": sim.userid, "state": sim.state, "name": sim.name}
    return {k: v for k, v in spec.items() if v is not None}


def blueprint(sandbox, dispatcher, stage: str) -> Blueprint:
    """The control routes over `sandbox` (a local.sandbox.SandboxClient) and `dispatcher()` (the stack's)."""
    if stage != "local":
        raise RuntimeError(f"the console's sandbox control exists on the local stack only, not in {stage!r}")
    bp = Blueprint(__name__)

    def account_of(ctx, account_id):
        from scrm import accounts

        ctx.scope.check(account_id)
        return accounts.get(account_id)

    def sandbox_call(fn, *args, **kwargs):
        from local.sandbox.client import SandboxError

        try:
            return fn(*args, **kwargs)
        except SandboxError as exc:  # the sandbox's own refusal (an unknown scene, a missing staff member)
            raise errors.ValidationError(f"the sandbox refused: {exc}"[:500]) from None

    @admin_route(bp, PREFIX, role="operator", contract=False)
    def status(ctx, account_id):
        """What the local stack runs: the sandbox's clock and the dispatcher's queues and schedules"""
        account = account_of(ctx, account_id)
        return {"stage": "local", "account": {"kind": account.kind, "app_id": account.app_id},
                "clock": sandbox_call(sandbox.clock), "dispatcher": dispatcher().describe(),
                "actions": [a for a, (kind, _) in ACTIONS.items() if kind == account.kind]}

    @admin_route(bp, PREFIX + "/simulate", methods=("POST",), role="operator", body=Simulation, contract=False)
    def simulate(ctx, account_id):
        """The sandbox sends the callback of one simulated action; the API's answer and passive reply come back"""
        from scrm.contracts import parse

        account = account_of(ctx, account_id)
        spec = _event(account, parse(Simulation, ctx.body))
        send = sandbox.oa_event if account.kind == "oa" else sandbox.wecom_event
        out = sandbox_call(send, account.app_id, **spec)
        keep = ("status", "reply", "openid", "external_userid", "welcome_code", "error")
        return {"action": ctx.body["action"], **{k: out[k] for k in keep if out.get(k) is not None}}

    @admin_route(bp, PREFIX + "/clock", methods=("POST",), role="operator", body=ClockMove, contract=False)
    def move_clock(ctx, account_id):
        """Move the sandbox's clock forward (transfers complete, welcome codes expire)"""
        account_of(ctx, account_id)
        return sandbox_call(sandbox.advance, int(ctx.body["seconds"]))

    @admin_route(bp, PREFIX + "/drain", methods=("POST",), role="operator", contract=False)
    def drain(ctx, account_id):
        """Deliver every queued message to its worker now"""
        account_of(ctx, account_id)
        return {"drained": dispatcher().drain(), **dispatcher().describe()}

    @admin_route(bp, PREFIX + "/fire/{schedule}", methods=("POST",), role="operator", contract=False)
    def fire(ctx, account_id, schedule):
        """Run one scheduled function now, then drain"""
        account_of(ctx, account_id)
        if schedule not in dispatcher().describe()["schedules"]:
            raise errors.NotFound(f"no scheduled function {schedule[:40]!r}")
        result = dispatcher().fire(schedule)
        return {"schedule": schedule, "result": result if isinstance(result, dict) else None,
                "drained": dispatcher().drain()}

    return bp
