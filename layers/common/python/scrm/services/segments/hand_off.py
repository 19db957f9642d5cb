"""What the campaigns' draw and redemption use cases hand to segments: a `campaign.draw` / `campaign.redemption`
event on the events queue, which the event worker applies to the person's facts (scrm.services.segments.facts,
exactly once by the event's marker). A module of its own, so the event worker (which applies them) is not granted
the queue's send (infra/access.py grants per module reached)."""

from __future__ import annotations

from ... import bootstrap
from ...observability import logger


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
    """A wheel draw committed (or answered again from its record): a draw, or a win."""
    openid, draw_id = draw.get("openid"), draw.get("draw_id")
    if openid and draw_id:
        _hand_off({"account_id": account_id, "platform": "oa", "kind": "campaign.draw",
                   "dedupe_key": f"draw:{campaign_id}:{draw_id}",
                   "event": {"FromUserName": openid, "CreateTime": int(draw.get("at") or 0) or None,
                             "won": draw.get("outcome") == "win"}})


def prize_redeemed(account_id: str, campaign_id: str, openid: str, draw_id: str, at: int) -> None:
    _hand_off({"account_id": account_id, "platform": "oa", "kind": "campaign.redemption",
               "dedupe_key": f"redeem:{campaign_id}:{draw_id}", "event": {"FromUserName": openid, "CreateTime": at}})
