"""Telling each takeover what they received: one notice per takeover per plan, stored once, sent once."""

from __future__ import annotations

from collections import defaultdict

from ...domain import reassignment as rules
from ...errors import WeChatError, WeChatUnavailable
from .. import reassignment as package
from .policy import plan_policy
from .run import Run


def _received(items: dict) -> dict[str, dict[str, list[str]]]:
    out = defaultdict(lambda: {"customer": [], "chat": []})
    for it in items.values():
        if it["state"] == rules.DONE and it.get("takeover_userid"):
            out[it["takeover_userid"]][it["kind"]].append(it["target_id"])
    return out


def notify(run: Run, items: dict) -> list[dict]:
    """Tell each takeover what they received (one notice per takeover per plan, idempotent: the notice is stored
    before it is sent, and a takeover already noticed is skipped)."""
    agentid = plan_policy(run.plan).get("notify_agentid")
    out = []
    for takeover, got in _received(items).items():
        text = (f"You received {len(got['customer'])} customers and {len(got['chat'])} group chats "
                f"from {run.plan['handover_userid']} (plan {run.plan_id}).")
        notice = {"notice_key": f"{takeover}#final", "takeover_userid": takeover, "customers": len(got["customer"]),
                  "chats": len(got["chat"]), "sample": (got["customer"] + got["chat"])[:20], "text": text,
                  "delivery": "recorded", "created_at": int(package._now())}
        if not run.store.add_notice(run.account_id, run.plan_id, notice):
            continue  # already notified
        if agentid:
            _deliver(run, int(agentid), notice)
        out.append({"takeover_userid": takeover, "text": text})
    return out


def _deliver(run: Run, agentid: int, notice: dict) -> None:
    try:
        run.gw.send_app_text(agentid, [notice["takeover_userid"]], notice["text"])
        delivery = "sent"
    except (WeChatError, WeChatUnavailable) as exc:
        delivery = f"failed: {exc}"[:300]
    run.store.set_notice_delivery(run.account_id, run.plan_id, notice["notice_key"], delivery)
