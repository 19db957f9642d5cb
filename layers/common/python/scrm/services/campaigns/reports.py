"""What admins read about a running campaign: its draws (paged) and the report (exact counts)."""

from __future__ import annotations

from ...errors import ValidationError
from ...stores.campaigns import DrawRow
from ...tenancy import Scope
from .common import draw_view, load, lottery_view, store, to_domain

DRAWS_PAGE_MAX = 500


def query_draws(scope: Scope, account_id: str, campaign_id: str, outcome: str | None = "win", *, limit: int,
                start: dict | None = None):
    """One page of the campaign's draws, (rows, the key to continue from) as functions.admin_common.page takes;
    `outcome` filters (a filtered page may be short)."""
    db = store()
    scope.check(account_id)
    load(account_id, campaign_id)
    after = None
    if start:
        after = start.get("draw_id")
        if not isinstance(after, str) or not after:
            raise ValidationError("cursor is not one this listing returned", field="cursor")
    rows, last = db.page_draws(account_id, campaign_id, outcome, limit, after)
    return rows, ({"draw_id": last} if last else None)


def draw_admin_view(r: DrawRow) -> dict:
    v = draw_view(r)
    v.update(draw_id=r.draw_id, openid=r.openid, source=r.source, created_at=int(r.created_at),
             redeemed_at=int(r.redeemed_at) if r.redeemed_at else None, notified_at=int(r.notified_at)
             if r.notified_at else None, notify_error=r.notify_error)
    return v


def list_draws(scope: Scope, account_id: str, campaign_id: str, outcome: str | None = "win",
               limit: int = 100, cursor: str | None = None) -> dict:
    start = {"draw_id": cursor} if cursor else None
    rows, last = query_draws(scope, account_id, campaign_id, outcome, limit=max(1, min(limit, DRAWS_PAGE_MAX)),
                             start=start)
    return {"items": [draw_admin_view(r) for r in rows], "cursor": last["draw_id"] if last else None}


def _prize_counts(account_id: str, campaign_id: str, campaign) -> tuple[dict, dict, int, int]:
    """Per prize: wins, redemptions, stock and issued; wins by source; thanks and fallbacks to thanks."""
    db = store()
    per_prize = {p.prize_id: {"prize_id": p.prize_id, "name": p.name, "kind": p.kind, "wins": 0, "redeemed": 0,
                              "stock": None if p.is_thanks else 0, "issued": 0, "stock_left": None}
                 for p in campaign.prizes}
    by_source = {"instant": 0, "lottery": 0, "share": 0}
    thanks = fallbacks = 0
    for d in db.query_draws(account_id, campaign_id):
        if d.outcome == "win":
            by_source[d.source] = by_source.get(d.source, 0) + 1
            entry = per_prize.setdefault(d.prize_id, {"prize_id": d.prize_id, "wins": 0, "redeemed": 0})
            entry["wins"] += 1
            entry["redeemed"] += 1 if d.redeemed_at else 0
        else:
            thanks += 1
            fallbacks += 1 if d.fallback else 0
    for shard in db.shard_stock(account_id, campaign_id):
        entry = per_prize.get(shard.prize_id)
        if entry is not None and entry["stock"] is not None:
            entry["stock"] += shard.stock
            entry["issued"] += shard.issued
    for entry in per_prize.values():
        if entry.get("stock") is not None:
            entry["stock_left"] = entry["stock"] - entry["issued"]
    return per_prize, by_source, thanks, fallbacks


def report(scope: Scope, account_id: str, campaign_id: str) -> dict:
    """Participants, draws, wins/redemptions per prize, stock left, shares and views (exact counts)."""
    db = store()
    scope.check(account_id)
    record = load(account_id, campaign_id)
    campaign = to_domain(record)
    people = db.participants(account_id, campaign_id)
    per_prize, by_source, thanks, fallbacks = _prize_counts(account_id, campaign_id, campaign)
    links = db.share_links(account_id, campaign_id)
    out = {"campaign_id": campaign_id, "name": campaign.name, "status": campaign.status,
            "participants": len(people), "lottery_entries": sum(1 for p in people if p.entered_at),
            "draws": sum(p.draws for p in people),
            "wins": sum(by_source.values()), "wins_by_source": by_source, "thanks": thanks,
            "fell_back_to_thanks": fallbacks, "prizes": list(per_prize.values()),
            "shares": {"links": len(links), "distinct_views": sum(s.views for s in links),
                       "onward_shares": sum(s.shares for s in links)},
            "lottery": lottery_view(record)}
    if campaign.is_vote:
        from .votes import vote_results

        out["votes"] = vote_results(scope, account_id, campaign_id)
    return out
