"""What the campaigns' draw and redemption use cases hand to the event worker: a `campaign.draw` /
`campaign.redemption` event on the events queue, which it applies to the person's facts (scrm.services.segments.facts,
exactly once by the event's marker), and the winning draws (a wheel's `campaign.draw` with won, a lottery award's
`campaign.win`) to journeys (scrm.services.journeys: the won_prize trigger and the prize goal); and what pushes
delivered beyond template messages (`push.delivered`: customer-service messages, WeCom group messages received).
A module of its own, so the event worker (which applies them) is not granted the queue's send (infra/access.py
grants per module reached)."""

from __future__ import annotations

import hashlib

from ... import bootstrap
from ...observability import logger

DELIVERED_BATCH = 100  # people named in one push.delivered message


def _hand_off(message: dict) -> None:
    """Queue a draw's or redemption's fact for the event worker (tests put a list's append in slot
    `segment_events`). The draw stands whatever happens here: a failure is logged, and the draw's retry (answered
    from its record) queues it again; the marker makes a second delivery change nothing."""
    def make(_):
        from ... import queues

        return lambda m: queues.send(queues.EVENTS, m)

    try:
        bootstrap.container().slot("segment_events", make)(message)
    except Exception:  # noqa: BLE001 - the draw's own outcome must stand
        logger().exception("segment fact not queued", extra={"dedupe_key": message.get("dedupe_key")})


def draw_made(account_id: str, campaign_id: str, draw: dict) -> None:
    """A wheel draw committed (or answered again from its record): a draw, or a win (of which prize)."""
    openid, draw_id = draw.get("openid"), draw.get("draw_id")
    if openid and draw_id:
        won = draw.get("outcome") == "win"
        _hand_off({"account_id": account_id, "platform": "oa", "kind": "campaign.draw",
                   "dedupe_key": f"draw:{campaign_id}:{draw_id}",
                   "event": {"FromUserName": openid, "CreateTime": int(draw.get("at") or 0) or None, "won": won,
                             "CampaignId": campaign_id, **({"PrizeId": draw.get("prize_id")} if won else {})}})


def prize_awarded(account_id: str, campaign_id: str, draw: dict) -> None:
    """A prize won without a draw of the wheel: a lottery award, or a share link's threshold reward. Recorded (or
    found recorded: a re-run after a crash queues it again; the event worker applies it once by its key). Not a
    `campaign.draw`: the person's draws are not counted again, only the win."""
    openid, draw_id = draw.get("openid"), draw.get("draw_id")
    if openid and draw_id:
        _hand_off({"account_id": account_id, "platform": "oa", "kind": "campaign.win",
                   "dedupe_key": f"win:{campaign_id}:{draw_id}",
                   "event": {"FromUserName": openid, "CreateTime": int(draw.get("at") or 0) or None, "won": True,
                             "CampaignId": campaign_id, "PrizeId": draw.get("prize_id")}})


def prize_redeemed(account_id: str, campaign_id: str, openid: str, draw_id: str, at: int) -> None:
    _hand_off({"account_id": account_id, "platform": "oa", "kind": "campaign.redemption",
               "dedupe_key": f"redeem:{campaign_id}:{draw_id}", "event": {"FromUserName": openid, "CreateTime": at}})


def push_delivered(account_id: str, platform: str, push_id: str, run_no: int, identities: list[str], at: int) -> None:
    """A push reached these people (a customer-service message WeChat accepted, a WeCom group message a customer
    received): their facts count one push delivery each, once per push run (the worker's key names person and
    run), however often the same outcome is handed off again (a WeCom result polled twice)."""
    people = sorted(set(identities))
    for i in range(0, len(people), DELIVERED_BATCH):
        chunk = people[i:i + DELIVERED_BATCH]
        digest = hashlib.sha256("\n".join(chunk).encode()).hexdigest()[:16]
        _hand_off({"account_id": account_id, "platform": platform, "kind": "push.delivered",
                   "dedupe_key": f"push-delivered:{push_id}:{run_no}:{digest}",
                   "event": {"push_id": push_id, "run_no": run_no, "identities": chunk, "at": int(at)}})
