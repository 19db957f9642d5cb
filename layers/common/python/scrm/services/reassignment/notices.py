"""Telling each takeover what they received: one notice per takeover per plan, stored once, sent once, as the app
`notify_agentid` of the policy (its Secret among the account's agent_secrets)."""

from __future__ import annotations

from collections import defaultdict

from ...domain import reassignment as rules
from ...errors import NoAppSecret, WeChatError, WeChatUnavailable
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
    """Send the notice as the app `notify_agentid`, with that app's own token (WeCom refuses the customer-contact
    token, 301002: https://developer.work.weixin.qq.com/document/path/90313). With no Secret for the app the notice
    stays "unsent: ..." (the reason), sent never: the plan goes on."""
    try:
        run.gw.as_app(agentid).send_app_text([notice["takeover_userid"]], notice["text"])
        delivery = "sent"
    except NoAppSecret as exc:
        delivery = f"unsent: {exc}"[:300]
    except (WeChatError, WeChatUnavailable) as exc:
        delivery = f"failed: {exc}"[:300]
    run.store.set_notice_delivery(run.account_id, run.plan_id, notice["notice_key"], delivery)
