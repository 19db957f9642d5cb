"""What every campaign use case shares: the store, the refusal users see, loading a campaign, the JSON views."""

from __future__ import annotations

import hashlib

from ... import bootstrap
from ...domain import campaigns as rules
from ...domain import lottery
from ...errors import NotFound
from ...stores.campaigns import CampaignRow, DrawRow


class DrawRefused(Exception):
    """A user request the campaign rules refuse; `reason` is a stable code, nothing was written."""

    def __init__(self, reason: str, message: str = "", status: int = 403):
        super().__init__(message or reason)
        self.reason = reason
        self.status = status


def store():
    """The campaign store of this container (scrm.stores.campaigns; the in-memory twin in unit tests).

    Use cases call it as `db = store(); db.<method>(...)`: infra.access follows a method called on a local name
    to the store's methods, which is how each function is granted only the tables its use cases touch."""
    return bootstrap.campaign_store()


def _now(now: float | None) -> float:
    """`now` if the caller gave one, else the container's clock (the wall clock unless a test fixed it)."""
    return bootstrap.container().now() if now is None else now


def to_domain(record: CampaignRow) -> rules.Campaign:
    """The campaign's rules; coupon stock is the count of codes uploaded (kept beside the configuration)."""
    config = dict(record.config)
    campaign = rules.parse_campaign(record.account_id, config, campaign_id=record.campaign_id)
    stocks = config.get("_coupon_stock") or {}
    if stocks:
        prizes = tuple(rules.Prize(**{**p.__dict__, "stock": int(stocks.get(p.prize_id, 0))})
                       if p.kind == "coupon" else p for p in campaign.prizes)
        campaign = rules.Campaign(**{**campaign.__dict__, "prizes": prizes})
    return campaign


def load(account_id: str, campaign_id: str) -> CampaignRow:
    """The campaign as last written, or NotFound."""
    db = store()
    record = db.get_campaign(account_id, campaign_id)
    if record is None:
        raise NotFound(f"campaign {campaign_id!r} not found")
    return record


def load_for_user(account_id: str, campaign_id: str, message: str | None = None) -> CampaignRow:
    """The campaign a user request names, or DrawRefused (404) saying it is unknown."""
    try:
        return load(account_id, campaign_id)
    except NotFound:
        raise DrawRefused("unknown_campaign", message or f"campaign {campaign_id!r} not found", status=404) from None


def view(record: CampaignRow) -> dict:
    campaign = to_domain(record)
    out = campaign.to_dict()
    out["lottery_state"] = record.lottery_state
    if record.lottery_commitment:
        out.setdefault("lottery", {})["commitment"] = record.lottery_commitment
        out["lottery"]["algorithm"] = lottery.ALGORITHM
    out["version"] = int(record.version)
    return out


def lottery_view(record: CampaignRow) -> dict | None:
    if not record.lottery_commitment:
        return None
    out = {"state": record.lottery_state, "commitment": record.lottery_commitment, "algorithm": lottery.ALGORITHM}
    if record.lottery_result:
        out.update(dict(record.lottery_result))
    return out


def draw_view(record: DrawRow, replayed: bool = False) -> dict:
    out = {"draw_id": record.draw_id.split("#", 2)[-1], "outcome": record.outcome, "replayed": replayed,
           "prize": None}
    if record.outcome == "win":
        out["prize"] = {"prize_id": record.prize_id, "name": record.prize_name, "kind": record.prize_kind}
        if record.code:
            out["prize"]["code"] = record.code
        if record.points:
            out["prize"]["points"] = int(record.points)
    if record.fallback:
        out["fallback"] = record.fallback
    return out


def campaign_path(account_id: str, campaign_id: str) -> str:
    """The campaign's public page (GET /u/{account_id}/campaigns/{campaign_id})."""
    return f"/u/{account_id}/campaigns/{campaign_id}"


def share_path(account_id: str, campaign_id: str, share_id: str) -> str:
    """A share link's public page (GET /u/{account_id}/campaigns/{campaign_id}/shares/{share_id})."""
    return f"{campaign_path(account_id, campaign_id)}/shares/{share_id}"


def share_id_for(account_id: str, campaign_id: str, openid: str) -> str:
    return hashlib.sha256(f"{account_id}|{campaign_id}|{openid}".encode()).hexdigest()[:20]
