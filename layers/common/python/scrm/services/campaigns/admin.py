"""Admin use cases: create, change, read and list campaigns; upload coupon codes.

Every call takes a Scope (checked here and again by the store). A campaign's configuration and the stock it lays
out change in one step of the store, conditioned on the version read (see scrm.stores.campaigns).
"""

from __future__ import annotations

import re

from ... import secrets
from ...domain import campaigns as rules
from ...domain import lottery
from ...errors import Conflict, NotFound, ValidationError
from ...stores.campaigns import (
    CampaignRow,
    ShardChange,
    ShardMoved,
    StaleVersion,
    TooManyItems,
    UploadBusy,
    UploadLease,
)
from ...tenancy import Scope
from .. import campaigns as api  # the package: loads and leases go through its names, so a test can interleave
from .common import _now, store, to_domain, view

MAX_CODES_PER_UPLOAD = 5000
CODE = re.compile(r"^[\x21-\x7e]{1,64}$")
UPLOAD_LEASE_SECONDS = 300
CONFLICT_RETRIES = 5  # an upload re-applied over concurrent changes of the campaign, at most


def store_seed(account_id: str, campaign_id: str) -> str:
    """The campaign's secret seed (kept in SSM until the draw); returns its commitment.

    The seed is claimed, never overwritten: if one exists already at this path (a campaign with this id, or a
    creation that crashed before its record was saved), that seed is kept and its commitment returned, so a
    commitment once published always verifies against the seed revealed at the draw.
    """
    return lottery.commitment(secrets.claim_campaign_seed(account_id, campaign_id, lottery.new_seed()))


def stock_changes(campaign: rules.Campaign, old: rules.Campaign | None) -> list[ShardChange]:
    """Shard items to add stock to: new prizes get their stock, existing ones their growth (stock never shrinks).

    Coupon stock comes only with uploaded codes (upload_codes); thanks-for-playing has none.
    """
    previous = {p.prize_id: p for p in old.prizes} if old else {}
    changes = []
    for prize in campaign.prizes:
        if prize.is_thanks or prize.kind == "coupon":
            continue
        before = previous.get(prize.prize_id)
        grow = prize.stock - (before.stock if before else 0)
        if grow > 0:
            changes += [ShardChange(prize.prize_id, shard, prize.kind, add=size)
                        for shard, size in enumerate(rules.split_stock(grow, prize.shards)) if size]
    return changes


def check_follow_channel(scope: Scope, account_id: str, campaign: rules.Campaign) -> None:
    """The follow channel a campaign names is one of the account's OA parametric codes (its code is what the
    campaign page shows a user who does not follow yet), or ValidationError naming the field."""
    channel_id = campaign.follow_channel
    if channel_id is None:
        return
    from ..channels.common import store as channel_store  # the channel capability's store: one read

    field = "eligibility.follow_channel"
    channels = channel_store()
    channel = channels.get_channel(scope, account_id, channel_id)
    if channel is None:
        raise ValidationError(f"{field}: no channel {channel_id!r} in account {account_id}", field=field)
    if channel["kind"] != "oa_qr":
        raise ValidationError(f"{field}: channel {channel_id!r} is a {channel['kind']} channel; the follow code "
                              "must be an Official Account QR code (oa_qr)", field=field)


def create_campaign(scope: Scope, account_id: str, body: dict, now: float | None = None) -> dict:
    db = store()
    scope.check(account_id)
    campaign = rules.parse_campaign(account_id, body)
    check_follow_channel(scope, account_id, campaign)
    now = _now(now)
    record = CampaignRow(account_id, campaign.campaign_id, campaign.to_dict(), campaign.status, campaign.starts_at,
                         campaign.ends_at, version=1, created_at=now, updated_at=now)
    if campaign.lottery_prize_id:  # claimed, never replaced
        record = CampaignRow(**{**record.__dict__, "lottery_state": "pending",
                                "lottery_commitment": store_seed(account_id, campaign.campaign_id)})
    try:
        db.create_campaign(record, stock_changes(campaign, None))  # the record and its stock, or nothing
    except TooManyItems as exc:
        raise ValidationError(str(exc), field="prizes") from None
    except StaleVersion:
        raise Conflict(f"campaign {campaign.campaign_id!r} already exists") from None
    return view(record)


def _check_change(old: rules.Campaign, campaign: rules.Campaign) -> None:
    for prize in campaign.prizes:
        before = next((p for p in old.prizes if p.prize_id == prize.prize_id), None)
        if before and before.kind != prize.kind:
            raise ValidationError(f"prize {prize.prize_id!r} cannot change kind", field="prizes")
        if before and prize.kind not in ("coupon", "thanks") and prize.stock < before.stock:
            raise ValidationError(f"prize {prize.prize_id!r}: stock can only grow (set its weight to 0 to stop it)",
                                  field="prizes")
    if old.lottery_prize_id and campaign.lottery_prize_id != old.lottery_prize_id:
        raise ValidationError("the lottery prize cannot change once the seed is committed", field="lottery.prize_id")


def update_campaign(scope: Scope, account_id: str, campaign_id: str, body: dict,
                    now: float | None = None) -> dict:
    """Replace the configuration (optimistic: `version` in the body must match when given).

    The new configuration and the stock it adds are one transaction conditioned on the version read, so two
    interleaved updates cannot both add stock: the second is refused (409) and adds nothing.
    """
    db = store()
    scope.check(account_id)
    record = api._load(account_id, campaign_id)
    old = to_domain(record)
    if record.lottery_state in ("drawing", "drawn"):
        raise Conflict("the lottery has been drawn; the campaign can no longer change")
    campaign = rules.parse_campaign(account_id, body, campaign_id=campaign_id, existing=old)
    _check_change(old, campaign)
    check_follow_channel(scope, account_id, campaign)
    expected = body.get("version")
    version = int(record.version)
    if expected is not None and expected != version:
        raise Conflict(f"campaign changed since version {expected} (now {version}); reload and retry")
    config = campaign.to_dict()
    config["_coupon_stock"] = dict(record.config).get("_coupon_stock") or {}
    fields = {"config": config, "status": campaign.status, "starts_at": campaign.starts_at,
              "ends_at": campaign.ends_at, "updated_at": _now(now)}
    if campaign.lottery_prize_id and not record.lottery_commitment:
        fields.update(lottery_state="pending", lottery_commitment=store_seed(account_id, campaign_id))
    try:
        db.change_campaign(account_id, campaign_id, version, fields, stock_changes(campaign, old))
    except TooManyItems as exc:
        raise ValidationError(str(exc), field="prizes") from None
    except StaleVersion:
        raise Conflict("campaign changed concurrently; reload and retry") from None
    return view(api._load(account_id, campaign_id))


def get_campaign(scope: Scope, account_id: str, campaign_id: str) -> dict:
    scope.check(account_id)
    return view(api._load(account_id, campaign_id))


def list_campaigns(scope: Scope, account_id: str) -> list[dict]:
    """Every campaign of the account (for scripts; the API pages with query_campaigns)."""
    db = store()
    scope.check(account_id)
    out, after = [], None
    while True:
        rows, after = db.page_campaigns(account_id, 100, after)
        out += [view(r) for r in rows]
        if after is None:
            return out


def query_campaigns(scope: Scope, account_id: str, *, limit: int, start: dict | None = None):
    """One page of the account's campaigns: (rows, the key to continue from) as functions.admin_common.page takes."""
    db = store()
    scope.check(account_id)
    rows, after = db.page_campaigns(account_id, limit, _cursor(start, "campaign_id"))
    return rows, ({"campaign_id": after} if after else None)


def _cursor(start: dict | None, name: str) -> str | None:
    """The id a page continues after, from the key an earlier page handed out."""
    if not start:
        return None
    after = start.get(name)
    if not isinstance(after, str) or not after:
        raise ValidationError("cursor is not one this listing returned", field="cursor")
    return after


# ---------------------------------------------------------------------------------------------- coupon codes


def _check_codes(codes) -> None:
    if not isinstance(codes, list) or not codes:
        raise ValidationError("codes must be a non-empty list of strings", field="codes")
    if len(codes) > MAX_CODES_PER_UPLOAD:
        raise ValidationError(f"at most {MAX_CODES_PER_UPLOAD} codes per upload", field="codes")
    bad = [c for c in codes if not isinstance(c, str) or not CODE.match(c)]
    if bad:
        raise ValidationError("codes must be 1-64 printable ASCII characters without spaces", field="codes",
                              details={"invalid": [str(b)[:80] for b in bad[:10]]})


def upload_codes(scope: Scope, account_id: str, campaign_id: str, prize_id: str, codes,
                 now: float | None = None) -> dict:
    """Add redemption codes to a coupon prize's pool: each code once, spread over the stock shards.

    Uploads to one prize hold a lease (one at a time; a concurrent one gets Conflict). Code slots are written
    beyond each shard's stock first, invisible to draws; then one transaction moves every shard's stock over
    them (conditioned on the stock seen) together with the configuration (the prize's code count and shard
    count, conditioned on the campaign's version; a concurrent change of the campaign is re-read and kept,
    never overwritten). The shard count follows the codes (rules.default_shards), so a coupon prize that
    grows to thousands of codes is spread like any other prize. A failed upload can be retried as is.
    """
    db = store()
    scope.check(account_id)
    record = api._load(account_id, campaign_id)
    prize = _coupon_prize(to_domain(record), campaign_id, prize_id)
    _check_codes(codes)
    now = _now(now)
    lease = api._take_upload_lease((account_id, campaign_id, prize_id), now)
    try:
        stock = {s.shard: s.stock for s in db.shard_stock(account_id, campaign_id, prize_id)}
        fresh = [c for c in dict.fromkeys(codes) if db.claim_code(account_id, campaign_id, prize_id, c, stock)]
        duplicates = len(codes) - len(fresh)
        total = sum(stock.values()) + len(fresh)
        shards = max(prize.shards, rules.default_shards(total))
        changes = _place_codes(account_id, campaign_id, prize_id, fresh, stock, shards)
        if changes:
            _commit_upload(record, prize_id, changes, total, shards, lease, now)
    finally:
        _release_upload_lease(lease)
    return {"prize_id": prize_id, "added": len(fresh), "duplicates": duplicates, "stock": total, "shards": shards}


def _place_codes(account_id, campaign_id, prize_id, fresh: list[str], stock: dict[int, int],
                 shards: int) -> list[ShardChange]:
    """Write the codes beyond each shard's stock (no draw reads these slots yet); the stock moves that cover them."""
    db = store()
    changes = []
    for shard in range(shards):
        mine = fresh[shard::shards]
        if not mine:
            continue
        start = stock.get(shard, 0)
        for i, code in enumerate(mine):
            db.put_code(account_id, campaign_id, prize_id, shard, start + i, code)
        changes.append(ShardChange(prize_id, shard, "coupon", seen=start, to=start + len(mine)))
    return changes


def _coupon_prize(campaign: rules.Campaign, campaign_id: str, prize_id: str) -> rules.Prize:
    try:
        prize = campaign.prize(prize_id)
    except KeyError:
        raise NotFound(f"prize {prize_id!r} not found in campaign {campaign_id!r}") from None
    if prize.kind != "coupon":
        raise ValidationError(f"prize {prize_id!r} is a {prize.kind} prize; codes go to coupon prizes",
                              field="prize_id")
    return prize


def _commit_upload(record: CampaignRow, prize_id, changes, total, shards, lease: UploadLease, now) -> None:
    db = store()
    account_id, campaign_id = record.account_id, record.campaign_id
    for _ in range(CONFLICT_RETRIES):
        config = dict(record.config)
        config["prizes"] = [{**p, "shards": max(int(p.get("shards") or 1), shards)} if p.get("prize_id") == prize_id
                            else p for p in config.get("prizes") or []]
        config["_coupon_stock"] = {**(config.get("_coupon_stock") or {}), prize_id: total}
        try:
            db.change_campaign(account_id, campaign_id, int(record.version),
                                    {"config": config, "updated_at": now}, changes, lease=lease)
            return
        except StaleVersion:  # someone changed the campaign meanwhile: apply ours to theirs
            record = api._load(account_id, campaign_id)
            _coupon_prize(to_domain(record), campaign_id, prize_id)
        except ShardMoved as exc:
            raise Conflict(f"another upload to this prize committed first; retry ({exc})") from None
    raise Conflict("the campaign keeps changing; retry the upload")


def take_upload_lease(pool: tuple[str, str, str], now: float) -> UploadLease:
    """One upload per prize (account, campaign, prize) at a time (their slots would collide); a lease left by a
    crash expires."""
    db = store()
    try:
        return db.take_upload_lease(*pool, now, UPLOAD_LEASE_SECONDS)
    except UploadBusy:
        raise Conflict("another upload to this prize is running; retry when it is done") from None


def _release_upload_lease(lease: UploadLease) -> None:
    db = store()
    db.release_upload_lease(lease)
