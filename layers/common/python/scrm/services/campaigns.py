"""Campaign use cases: admin management, user draws and shares, the end-of-campaign lottery, reports.

Admin calls take a Scope (tenancy is checked on every repository access); user calls take the openid a
signed user token vouched for (see `authenticate`). Exactness lives in scrm.data.draw_ledger.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from datetime import UTC, datetime

from ..domain import campaigns as rules
from ..domain import lottery, user_tokens
from ..errors import Conflict, NotFound, RateLimited, ValidationError
from ..tenancy import Scope

TOKEN_SECRET = "campaign_token_key"
MAX_CODES_PER_UPLOAD = 5000
CODE = re.compile(r"^[\x21-\x7e]{1,64}$")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
LINK_TTL_DEFAULT = 7 * 86400
OAUTH_TTL = 2 * 3600
NOTIFY_MAX_ATTEMPTS = 5
PUBLISH_PARTICIPANTS_MAX = 5000

_rng = random.SystemRandom()


class DrawRefused(Exception):
    """A user request the campaign rules refuse; `reason` is a stable code, nothing was written."""

    def __init__(self, reason: str, message: str = "", status: int = 403):
        super().__init__(message or reason)
        self.reason = reason
        self.status = status


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _models():
    from ..data import campaigns, coupon_codes, draws, participants, prizes, shares

    return campaigns, prizes, coupon_codes, draws, participants, shares


# ---------------------------------------------------------------------------------------------- campaigns


def _to_domain(record) -> rules.Campaign:
    config = dict(record.config)
    campaign = rules.parse_campaign(record.account_id, config, campaign_id=record.campaign_id)
    stocks = config.get("_coupon_stock") or {}
    if stocks:
        prizes = tuple(rules.Prize(**{**p.__dict__, "stock": int(stocks.get(p.prize_id, 0))})
                       if p.kind == "coupon" else p for p in campaign.prizes)
        campaign = rules.Campaign(**{**campaign.__dict__, "prizes": prizes})
    return campaign


def _load(account_id: str, campaign_id: str):
    campaigns = _models()[0]
    try:
        return campaigns.CampaignRecord.get(account_id, campaign_id, consistent_read=True)
    except campaigns.CampaignRecord.DoesNotExist:
        raise NotFound(f"campaign {campaign_id!r} not found") from None


def _seed_path(account_id: str, campaign_id: str) -> str:
    from ..config import settings

    return settings().secret_path("campaigns", account_id, campaign_id, "lottery_seed")


def _store_seed(account_id: str, campaign_id: str) -> str:
    """The campaign's secret seed in SSM (kept there until the draw); returns its commitment.

    The seed is claimed, never overwritten: if one exists already at this path (a campaign with this id, or a
    creation that crashed before its record was saved), that seed is kept and its commitment returned, so a
    commitment once published always verifies against the seed revealed at the draw.
    """
    from ..aws import client

    try:
        client("ssm").put_parameter(Name=_seed_path(account_id, campaign_id), Value=lottery.new_seed(),
                                    Type="SecureString", Overwrite=False)
    except Exception as exc:
        if "ParameterAlreadyExists" not in str(exc):
            raise
    return lottery.commitment(_read_seed(account_id, campaign_id))


def _read_seed(account_id: str, campaign_id: str) -> str:
    from ..aws import client

    return client("ssm").get_parameter(Name=_seed_path(account_id, campaign_id), WithDecryption=True)[
        "Parameter"]["Value"]


def _stock_changes(campaign: rules.Campaign, old: rules.Campaign | None) -> list:
    """Shard items to add stock to: new prizes get their stock, existing ones their growth (stock never shrinks).

    Coupon stock comes only with uploaded codes (upload_codes); thanks-for-playing has none.
    """
    from ..data.campaign_changes import ShardChange

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


def _commit(record, changes, **kw) -> None:
    """campaign_changes.commit with its refusals as the admin API's errors."""
    from ..data import campaign_changes

    try:
        campaign_changes.commit(record, changes, **kw)
    except campaign_changes.TooManyItems as exc:
        raise ValidationError(str(exc), field="prizes") from None
    except campaign_changes.StaleVersion:
        if kw.get("version") is None:
            raise Conflict(f"campaign {record.campaign_id!r} already exists") from None
        raise Conflict("campaign changed concurrently; reload and retry") from None


def _campaign_key(account_id: str, campaign_id: str) -> str:
    from ..data.campaigns import campaign_key

    return campaign_key(account_id, campaign_id)


def view(record) -> dict:
    campaign = _to_domain(record)
    out = campaign.to_dict()
    out["lottery_state"] = record.lottery_state
    if record.lottery_commitment:
        out.setdefault("lottery", {})["commitment"] = record.lottery_commitment
        out["lottery"]["algorithm"] = lottery.ALGORITHM
    out["version"] = int(record.version)
    return out


def create_campaign(scope: Scope, account_id: str, body: dict, now: float | None = None) -> dict:
    scope.check(account_id)
    campaigns = _models()[0]
    campaign = rules.parse_campaign(account_id, body)
    config = campaign.to_dict()
    stamp = datetime.fromtimestamp(_now(now), UTC)
    record = campaigns.CampaignRecord(account_id, campaign.campaign_id, config=config, status=campaign.status,
                                      starts_at=campaign.starts_at, ends_at=campaign.ends_at, version=1,
                                      created_at=stamp, updated_at=stamp)
    if campaign.lottery_prize_id:
        record.lottery_state = "pending"
        record.lottery_commitment = _store_seed(account_id, campaign.campaign_id)  # claimed, never replaced
    _commit(record, _stock_changes(campaign, None))  # the record and its stock, or nothing
    return view(record)


def update_campaign(scope: Scope, account_id: str, campaign_id: str, body: dict,
                    now: float | None = None) -> dict:
    """Replace the configuration (optimistic: `version` in the body must match when given).

    The new configuration and the stock it adds are one transaction conditioned on the version read, so two
    interleaved updates cannot both add stock: the second is refused (409) and adds nothing.
    """
    scope.check(account_id)
    campaigns = _models()[0]
    record = _load(account_id, campaign_id)
    old = _to_domain(record)
    if record.lottery_state in ("drawing", "drawn"):
        raise Conflict("the lottery has been drawn; the campaign can no longer change")
    campaign = rules.parse_campaign(account_id, body, campaign_id=campaign_id, existing=old)
    for prize in campaign.prizes:
        before = next((p for p in old.prizes if p.prize_id == prize.prize_id), None)
        if before and before.kind != prize.kind:
            raise ValidationError(f"prize {prize.prize_id!r} cannot change kind", field="prizes")
        if before and prize.kind not in ("coupon", "thanks") and prize.stock < before.stock:
            raise ValidationError(f"prize {prize.prize_id!r}: stock can only grow (set its weight to 0 to stop it)",
                                  field="prizes")
    if old.lottery_prize_id and campaign.lottery_prize_id != old.lottery_prize_id:
        raise ValidationError("the lottery prize cannot change once the seed is committed", field="lottery.prize_id")
    expected = body.get("version")
    version = int(record.version)
    if expected is not None and expected != version:
        raise Conflict(f"campaign changed since version {expected} (now {version}); reload and retry")
    config = campaign.to_dict()
    config["_coupon_stock"] = dict(record.config).get("_coupon_stock") or {}
    actions = [campaigns.CampaignRecord.config.set(config), campaigns.CampaignRecord.status.set(campaign.status),
               campaigns.CampaignRecord.starts_at.set(campaign.starts_at),
               campaigns.CampaignRecord.ends_at.set(campaign.ends_at),
               campaigns.CampaignRecord.version.set(version + 1),
               campaigns.CampaignRecord.updated_at.set(datetime.fromtimestamp(_now(now), UTC))]
    if campaign.lottery_prize_id and not record.lottery_commitment:
        actions += [campaigns.CampaignRecord.lottery_state.set("pending"),
                    campaigns.CampaignRecord.lottery_commitment.set(_store_seed(account_id, campaign_id))]
    _commit(record, _stock_changes(campaign, old), version=version, actions=actions)
    return view(_load(account_id, campaign_id))


def get_campaign(scope: Scope, account_id: str, campaign_id: str) -> dict:
    scope.check(account_id)
    return view(_load(account_id, campaign_id))


def list_campaigns(scope: Scope, account_id: str) -> list[dict]:
    """Every campaign of the account (for scripts; the API pages with query_campaigns)."""
    scope.check(account_id)
    campaigns = _models()[0]
    return [view(r) for r in campaigns.CampaignRecord.query(account_id)]


def query_campaigns(scope: Scope, account_id: str, *, limit: int, start: dict | None = None):
    """One page of the account's campaigns (a PynamoDB result: items and last_evaluated_key)."""
    scope.check(account_id)
    campaigns = _models()[0]
    return campaigns.CampaignRecord.query(account_id, limit=limit, last_evaluated_key=start)


UPLOAD_LEASE_SECONDS = 300


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
    scope.check(account_id)
    campaigns, prizes, coupon_codes, *_ = _models()
    record = _load(account_id, campaign_id)
    prize = _coupon_prize(_to_domain(record), campaign_id, prize_id)
    if not isinstance(codes, list) or not codes:
        raise ValidationError("codes must be a non-empty list of strings", field="codes")
    if len(codes) > MAX_CODES_PER_UPLOAD:
        raise ValidationError(f"at most {MAX_CODES_PER_UPLOAD} codes per upload", field="codes")
    bad = [c for c in codes if not isinstance(c, str) or not CODE.match(c)]
    if bad:
        raise ValidationError("codes must be 1-64 printable ASCII characters without spaces", field="codes",
                              details={"invalid": [str(b)[:80] for b in bad[:10]]})
    now = _now(now)
    pool = coupon_codes.pool_key(account_id, campaign_id, prize_id)
    key = _campaign_key(account_id, campaign_id)
    lease = _take_upload_lease(pool, now)
    try:
        stock = {int(s.shard): int(s.stock) for s in prizes.PrizeShard.query(
            key, prizes.PrizeShard.shard_key.startswith(f"{prize_id}#"), consistent_read=True)}
        fresh = [c for c in dict.fromkeys(codes) if _new_code(coupon_codes, pool, c, stock)]
        duplicates = len(codes) - len(fresh)
        total = sum(stock.values()) + len(fresh)
        shards = max(prize.shards, rules.default_shards(total))
        from ..data.campaign_changes import ShardChange

        changes = []
        for shard in range(shards):
            mine = fresh[shard::shards]
            if not mine:
                continue
            start = stock.get(shard, 0)
            for i, code in enumerate(mine):  # beyond the shard's stock: no draw reads these slots yet
                slot = coupon_codes.slot_sk(shard, start + i)
                coupon_codes.CouponCode(pool, slot, code=code).save()
                coupon_codes.CouponCode(pool, coupon_codes.code_sk(code)).update(
                    actions=[coupon_codes.CouponCode.slot.set(slot)])
            changes.append(ShardChange(prize_id, shard, "coupon", seen=start, to=start + len(mine)))
        if changes:
            _commit_upload(account_id, campaign_id, prize_id, record, changes, total, shards, lease, now)
    finally:
        _release_upload_lease(lease)
    return {"prize_id": prize_id, "added": len(fresh), "duplicates": duplicates, "stock": total, "shards": shards}


def _coupon_prize(campaign: rules.Campaign, campaign_id: str, prize_id: str) -> rules.Prize:
    try:
        prize = campaign.prize(prize_id)
    except KeyError:
        raise NotFound(f"prize {prize_id!r} not found in campaign {campaign_id!r}") from None
    if prize.kind != "coupon":
        raise ValidationError(f"prize {prize_id!r} is a {prize.kind} prize; codes go to coupon prizes",
                              field="prize_id")
    return prize


def _new_code(coupon_codes, pool: str, code: str, stock: dict[int, int]) -> bool:
    """Claim the code's marker; True unless the code already sits in a slot a draw can reach (a true duplicate).

    A marker whose slot was never covered by stock is left from a failed upload: the code is placed again.
    """
    try:
        coupon_codes.CouponCode(pool, coupon_codes.code_sk(code), code=code).save(
            condition=coupon_codes.CouponCode.sk.does_not_exist())
        return True
    except Exception as exc:
        if "ConditionalCheckFailed" not in str(exc):
            raise
    marker = coupon_codes.CouponCode.get(pool, coupon_codes.code_sk(code), consistent_read=True)
    if not marker.slot:
        return True
    _, shard, n = marker.slot.split("#")
    if int(n) >= stock.get(int(shard), 0):
        return True
    try:  # covered by stock: a duplicate, unless a later upload reused that slot for another code
        return coupon_codes.CouponCode.get(pool, marker.slot, consistent_read=True).code != code
    except coupon_codes.CouponCode.DoesNotExist:
        return True


def _commit_upload(account_id, campaign_id, prize_id, record, changes, total, shards, lease, now) -> None:
    from ..data import campaign_changes
    from ..data.campaigns import CampaignRecord

    for _ in range(campaign_changes.CONFLICT_RETRIES):
        config = dict(record.config)
        config["prizes"] = [{**p, "shards": max(int(p.get("shards") or 1), shards)} if p.get("prize_id") == prize_id
                            else p for p in config.get("prizes") or []]
        config["_coupon_stock"] = {**(config.get("_coupon_stock") or {}), prize_id: total}
        version = int(record.version)
        actions = [CampaignRecord.config.set(config), CampaignRecord.version.set(version + 1),
                   CampaignRecord.updated_at.set(datetime.fromtimestamp(now, UTC))]
        try:
            campaign_changes.commit(record, changes, version=version, actions=actions, lease=lease)
            return
        except campaign_changes.StaleVersion:  # someone changed the campaign meanwhile: apply ours to theirs
            record = _load(account_id, campaign_id)
            _coupon_prize(_to_domain(record), campaign_id, prize_id)
        except campaign_changes.ShardMoved as exc:
            raise Conflict(f"another upload to this prize committed first; retry ({exc})") from None
    raise Conflict("the campaign keeps changing; retry the upload")


def _take_upload_lease(pool: str, now: float):
    """One upload per prize at a time (their slots would collide); a lease left by a crash expires."""
    import uuid

    from ..data.coupon_codes import CouponCode

    owner = uuid.uuid4().hex  # the lease item lives in the prize's pool: `code` is its owner, `claimed_at` its expiry
    lease = CouponCode(pool, "lease", code=owner, claimed_at=int(now + UPLOAD_LEASE_SECONDS))
    try:
        lease.save(condition=CouponCode.sk.does_not_exist() | (CouponCode.claimed_at < int(now)))
    except Exception as exc:
        if "ConditionalCheckFailed" in str(exc):
            raise Conflict("another upload to this prize is running; retry when it is done") from None
        raise
    return lease, CouponCode.code == owner


def _release_upload_lease(lease) -> None:
    model, mine = lease
    try:
        model.delete(condition=mine)
    except Exception as exc:
        if "ConditionalCheckFailed" not in str(exc):
            raise


# ---------------------------------------------------------------------------------------------- user identity


UNKNOWN_ACCOUNT_SECONDS = 60  # an id found unknown is answered from memory for this long (per container)
UNKNOWN_ACCOUNTS_MAX = 10_000
TOKEN_KEY_SECONDS = 3600  # a user-token key is created once and never overwritten; re-read hourly at most
_unknown_accounts: dict[str, float] = {}
_token_keys: dict[str, tuple[float, bytes]] = {}


def check_account(account_id: str) -> None:
    """The account a user request names exists and is active, or DrawRefused; checked before any secret is read.

    Unknown ids are remembered per container (negative cache), so requests for random ids cost one table read
    each at most and never an SSM call: SSM's request quota is shared with every tenant's callbacks.
    """
    from .. import accounts
    from ..errors import AccountDisabled, UnknownAccount

    if not isinstance(account_id, str) or not accounts.ACCOUNT_ID.match(account_id):
        raise DrawRefused("unknown_account", "unknown account", status=404)
    until = _unknown_accounts.get(account_id)
    if until is not None and until > time.monotonic():
        raise DrawRefused("unknown_account", "unknown account", status=404)
    try:
        accounts.get(account_id)
    except UnknownAccount:
        if len(_unknown_accounts) >= UNKNOWN_ACCOUNTS_MAX:
            _unknown_accounts.clear()
        _unknown_accounts[account_id] = time.monotonic() + UNKNOWN_ACCOUNT_SECONDS
        raise DrawRefused("unknown_account", "unknown account", status=404) from None
    except AccountDisabled:
        raise DrawRefused("account_disabled", "this account is disabled; nothing can be drawn", status=403) from None
    _unknown_accounts.pop(account_id, None)


def forget_caches() -> None:
    _unknown_accounts.clear()
    _token_keys.clear()


def _token_key(account_id: str, create: bool = False) -> bytes:
    """The account's user-token key, cached per container (one SSM read per account and hour at most)."""
    from .. import secrets as secret_store

    hit = _token_keys.get(account_id)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    value = secret_store.account_secrets(account_id).get(TOKEN_SECRET)
    if not value:
        if not create:
            raise DrawRefused("unknown_account", "this account issues no user tokens", status=401)
        from ..aws import client
        from ..config import settings

        name = settings().secret_path("accounts", account_id, TOKEN_SECRET)
        try:  # claimed once: a concurrent issuer's key is kept, never replaced
            client("ssm").put_parameter(Name=name, Value=lottery.new_seed(), Type="SecureString", Overwrite=False)
        except Exception as exc:
            if "ParameterAlreadyExists" not in str(exc):
                raise
        value = client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    key = value.encode()
    _token_keys[account_id] = (time.monotonic() + TOKEN_KEY_SECONDS, key)
    return key


def issue_user_token(account_id: str, openid: str, *, kind: str = "oauth", campaign_id: str | None = None,
                     ttl: int | None = None, now: float | None = None) -> dict:
    """A signed token for an OA user (after OAuth, or for a link put in a message)."""
    from .. import accounts

    accounts.get(account_id)  # the account must exist and be active before it gets a key
    ttl = ttl or (OAUTH_TTL if kind == "oauth" else LINK_TTL_DEFAULT)
    try:
        token = user_tokens.issue(_token_key(account_id, create=True), account_id, openid, now=_now(now), ttl=ttl,
                                  kind=kind, campaign_id=campaign_id)
    except ValueError as exc:
        raise ValidationError(str(exc), field="ttl") from None
    return {"token": token, "expires_at": int(_now(now)) + ttl}


def issue_link(scope: Scope, account_id: str, campaign_id: str, openid: str, ttl: int | None = None,
               now: float | None = None) -> dict:
    scope.check(account_id)
    if not isinstance(openid, str) or not openid:
        raise ValidationError("openid is required", field="openid")
    _load(account_id, campaign_id)
    issued = issue_user_token(account_id, openid, kind="link", campaign_id=campaign_id, ttl=ttl, now=now)
    # The token rides in the fragment: browsers never send it to a server (no access log, proxy or Referer sees
    # it); the campaign page reads it there and calls the API with `Authorization: Bearer`.
    issued["path"] = f"{campaign_path(account_id, campaign_id)}#t={issued['token']}"
    return issued


def campaign_path(account_id: str, campaign_id: str) -> str:
    """The campaign's public page (GET /u/{account_id}/campaigns/{campaign_id})."""
    return f"/u/{account_id}/campaigns/{campaign_id}"


def share_path(account_id: str, campaign_id: str, share_id: str) -> str:
    """A share link's public page (GET /u/{account_id}/campaigns/{campaign_id}/shares/{share_id})."""
    return f"{campaign_path(account_id, campaign_id)}/shares/{share_id}"


def login_with_oauth_code(account_id: str, code: str, now: float | None = None) -> dict:
    """Exchange a WeChat web-OAuth code (snsapi_base) for the user's openid, and sign a token for it."""
    from .. import accounts
    from ..gateway import gateway_for

    if not code:
        raise DrawRefused("missing_code", "the OAuth code is required", status=400)
    account = accounts.get(account_id)
    if not account.is_oa:
        raise DrawRefused("not_an_official_account", "OAuth sign-in is for Official Accounts", status=400)
    openid = _oauth_openid(gateway_for(account), code)
    return {"openid": openid, **issue_user_token(account_id, openid, kind="oauth", now=now)}


def _oauth_openid(gateway, code: str) -> str:
    """sns/oauth2/access_token (web OAuth, not the API token): appid + secret + code -> openid.

    Kept here rather than on OfficialAccountGateway while that file has other pending edits; it uses the
    gateway's base URL and error classification, so it moves there unchanged.
    """
    import requests

    from ..errors import WeChatUnavailable
    from ..gateway.base import classify

    url = f"{gateway.base_url}/sns/oauth2/access_token"
    try:
        res = requests.get(url, timeout=gateway.timeout, params={
            "appid": gateway.account.app_id, "secret": gateway.account.app_secret, "code": code,
            "grant_type": "authorization_code"})
        data = res.json()
    except (requests.RequestException, ValueError):
        raise WeChatUnavailable(f"WeChat OAuth endpoint {url} unreachable or not JSON") from None
    if data.get("errcode"):
        if int(data["errcode"]) in (40029, 40163, 41008):  # invalid / used / missing code
            raise DrawRefused("bad_oauth_code", "the OAuth code is invalid or was already used", status=401)
        raise classify(int(data["errcode"]), data.get("errmsg", ""), "sns/oauth2/access_token")
    openid = data.get("openid")
    if not openid:
        raise WeChatUnavailable("WeChat OAuth answered without an openid")
    return openid


def authenticate(account_id: str, campaign_id: str | None, token: str | None, now: float | None = None) -> str:
    """The openid a user token vouches for, or DrawRefused naming why not (the account is checked first)."""
    if not token:
        raise DrawRefused("missing_token", "sign in through WeChat first", status=401)
    if token.count(".") != 2 or len(token) > 2048:
        raise DrawRefused("malformed_token", "token refused: malformed_token", status=401)
    check_account(account_id)
    try:
        key = _token_key(account_id)
        return user_tokens.verify(key, token, account_id=account_id, now=_now(now), campaign_id=campaign_id)
    except user_tokens.TokenRefused as exc:
        raise DrawRefused(exc.reason, f"token refused: {exc.reason}", status=401) from None


# ---------------------------------------------------------------------------------------------- eligibility


def contact_facts(account_id: str, openid: str, need_tags: bool = False) -> rules.ContactFacts:
    """What we know about an OA user, for eligibility.

    The contact book (scrm.services.attribution, fed by callbacks) says whether the user follows the OA
    now, whether the same person (by unionid) is a WeCom customer now, and every channel that brought
    them. Tags (OA tag ids, as strings) and, for people not in the contact book yet, the follow state
    come from the OA `user/info` API.
    """
    from .. import accounts
    from ..errors import NotFound as NoContact
    from ..errors import WeChatError
    from ..gateway import gateway_for

    follows = is_customer = known = False
    channels: set[str] = set()
    try:
        from .attribution import find_contact

        contact = find_contact(Scope.system(account_id), account_id, openid=openid)
    except (ImportError, NoContact):
        contact = None
    if contact is not None:
        known = True
        for rel, state in (contact.get("relations") or {}).items():
            parts = rel.split("|")
            if not state.get("active"):
                continue
            if parts[0] == account_id and parts[1] == openid:
                follows = True
            elif len(parts) == 3:  # account|external_userid|staff: a WeCom customer relation
                is_customer = True
        channels = {t["channel"] for t in contact.get("touches") or () if t.get("channel")}
    tags: frozenset[str] = frozenset()
    if need_tags or contact is None:
        try:
            info = gateway_for(accounts.get(account_id)).get("user/info", openid=openid, lang="zh_CN")
        except WeChatError:
            info = None
        if info is not None:
            known = True
            tags = frozenset(str(t) for t in info.get("tagid_list") or ())
            if contact is None:
                follows = bool(info.get("subscribe"))
    return rules.ContactFacts(known=known, follows=follows, is_customer=is_customer,
                              channels=frozenset(channels), tags=tags)


def _active_campaign(account_id: str, campaign_id: str, openid: str, now: float) -> rules.Campaign:
    check_account(account_id)  # a disabled account's customers draw nothing (cached: no extra read)
    try:
        record = _load(account_id, campaign_id)
    except NotFound:
        raise DrawRefused("unknown_campaign", f"campaign {campaign_id!r} not found", status=404) from None
    campaign = _to_domain(record)
    refusal = rules.window_refusal(campaign, now)
    if refusal:
        raise DrawRefused(refusal, "the campaign is not running" if refusal == rules.NOT_ACTIVE
                          else "the campaign is not open at this time")
    if campaign.has_eligibility_rules:
        refusal = rules.eligibility_refusal(campaign, contact_facts(account_id, openid, bool(campaign.tags)))
        if refusal:
            raise DrawRefused(refusal, f"not eligible: {refusal}")
    return campaign


# ---------------------------------------------------------------------------------------------- draws


def _draw_view(record, replayed: bool = False) -> dict:
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


def _bonus(campaign_key: str, openid: str) -> int:
    from ..data.participants import ParticipantRecord, user_sk

    try:
        item = ParticipantRecord.get(campaign_key, user_sk(openid), consistent_read=True)
    except ParticipantRecord.DoesNotExist:
        return 0
    return int(item.bonus_draws or 0)


def draw(account_id: str, campaign_id: str, openid: str, request_id: str, now: float | None = None,
         rng=None) -> dict:
    """One spin of the wheel for an authenticated user. Retrying the same request id returns the same draw."""
    from ..data import draw_ledger, draws

    now = _now(now)
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        raise DrawRefused("bad_request_id", "request_id must be 8-64 letters, digits or ._:-", status=400)
    key = _campaign_key(account_id, campaign_id)
    draw_id = draws.instant_id(openid, request_id)
    try:  # a retry of a finished draw answers from the record, whatever the campaign state is now
        return _draw_view(draws.DrawRecord.get(key, draw_id, consistent_read=True), replayed=True)
    except draws.DrawRecord.DoesNotExist:
        pass
    campaign = _active_campaign(account_id, campaign_id, openid, now)
    rng = rng or _rng
    total_cap = rules.draw_cap(campaign, _bonus(key, openid)) if campaign.draws_total is not None else None
    plan = draw_ledger.DrawPlan(
        account_id=account_id, campaign_id=campaign_id, campaign_key=key, draw_id=draw_id, openid=openid,
        source="instant", now=now, prize=rules.pick_prize(campaign, rng), day=rules.local_day(campaign, now),
        daily_cap=campaign.draws_per_day, total_cap=total_cap, wins_cap=campaign.wins_total,
        notify=bool(campaign.notify_template_id or campaign.notify_text),
        enter_lottery=bool(campaign.lottery_prize_id))
    try:
        record = draw_ledger.commit_draw(plan, rng=rng)
    except draw_ledger.DuplicateDraw as dup:
        return _draw_view(dup.record, replayed=True)
    except draw_ledger.LimitReached as limit:  # a refusal, not throttling: 429 would make clients retry
        raise DrawRefused(limit.reason, "you have no draws left" + (" today" if limit.reason == rules.DAILY_LIMIT
                                                                      else ""), status=403) from None
    except draw_ledger.LedgerBusy:
        raise RateLimited("too many draws at once; retry with the same request_id") from None
    return _draw_view(record)


def enter(account_id: str, campaign_id: str, openid: str, now: float | None = None) -> dict:
    """Join the end-of-campaign lottery (eligibility checked now and again at the draw)."""
    from ..data.participants import ParticipantRecord, user_sk

    now = _now(now)
    campaign = _active_campaign(account_id, campaign_id, openid, now)
    if not campaign.lottery_prize_id:
        raise DrawRefused("no_lottery", "this campaign has no lottery", status=400)
    ParticipantRecord(_campaign_key(account_id, campaign_id), user_sk(openid)).update(actions=[
        ParticipantRecord.openid.set(openid), ParticipantRecord.entered_at.set(ParticipantRecord.entered_at | int(now)),
        ParticipantRecord.first_seen_at.set(ParticipantRecord.first_seen_at | int(now))])
    return {"entered": True}


def my_status(account_id: str, campaign_id: str, openid: str, now: float | None = None) -> dict:
    from ..data.draws import DrawRecord
    from ..data.participants import ParticipantRecord, day_sk, user_sk

    now = _now(now)
    record = _load(account_id, campaign_id)
    campaign = _to_domain(record)
    key = _campaign_key(account_id, campaign_id)

    def counter(sk):
        try:
            return ParticipantRecord.get(key, sk, consistent_read=True)
        except ParticipantRecord.DoesNotExist:
            return None

    user, day = counter(user_sk(openid)), counter(day_sk(openid, rules.local_day(campaign, now)))
    drawn, today = int(user.draws or 0) if user else 0, int(day.draws or 0) if day else 0
    cap = rules.draw_cap(campaign, int(user.bonus_draws or 0) if user else 0)
    left = [x for x in (None if cap is None else cap - drawn,
                        None if campaign.draws_per_day is None else campaign.draws_per_day - today) if x is not None]
    wins = [_draw_view(d) for d in DrawRecord.query(key, DrawRecord.draw_id.startswith(f"i#{openid}#"),
                                                    filter_condition=DrawRecord.outcome == "win")]
    for prefix in (f"l#{openid}", "s#"):
        wins += [_draw_view(d) for d in DrawRecord.query(key, DrawRecord.draw_id.startswith(prefix),
                                                         filter_condition=(DrawRecord.outcome == "win")
                                                         & (DrawRecord.openid == openid))]
    return {"campaign": {"campaign_id": campaign_id, "name": campaign.name, "starts_at": rules.iso(campaign.starts_at),
                         "ends_at": rules.iso(campaign.ends_at), "status": campaign.status},
            "draws": drawn, "draws_today": today, "draws_left": max(0, min(left)) if left else None,
            "entered": bool(user and user.entered_at), "wins": wins,
            "share_id": share_id_for(account_id, campaign_id, openid)}


def public_campaign(account_id: str, campaign_id: str) -> dict:
    """What anyone may see of a published campaign (the page a link opens): no user data, no token needed."""
    check_account(account_id)
    try:
        record = _load(account_id, campaign_id)
    except NotFound:
        raise DrawRefused("unknown_campaign", f"campaign {campaign_id!r} not found", status=404) from None
    campaign = _to_domain(record)
    if campaign.status == "draft":  # not published yet
        raise DrawRefused("unknown_campaign", f"campaign {campaign_id!r} not found", status=404)
    out = {"campaign_id": campaign_id, "name": campaign.name, "status": campaign.status,
           "starts_at": rules.iso(campaign.starts_at), "ends_at": rules.iso(campaign.ends_at),
           "prizes": [{"prize_id": p.prize_id, "name": p.name, "kind": p.kind} for p in campaign.prizes],
           "api": {"draws": f"{campaign_path(account_id, campaign_id)}/draws",
                   "me": f"{campaign_path(account_id, campaign_id)}/me"}}
    if record.lottery_commitment:  # the commitment is public by design; who entered and won is not (openids)
        out["lottery"] = {k: v for k, v in lottery_view(record).items() if k not in ("participants", "winners")}
    return out


def public_share(account_id: str, campaign_id: str, share_id: str) -> dict:
    """A share link's page: its campaign, and where to count the view (POST …/views with the viewer's token)."""
    out = {"campaign": public_campaign(account_id, campaign_id), "share_id": share_id}
    if _share_item(_campaign_key(account_id, campaign_id), share_id) is None:
        raise DrawRefused("unknown_share", "the share link does not exist", status=404)
    out["api"] = {"views": f"{share_path(account_id, campaign_id, share_id)}/views"}
    return out


# ---------------------------------------------------------------------------------------------- shares


def share_id_for(account_id: str, campaign_id: str, openid: str) -> str:
    return hashlib.sha256(f"{account_id}|{campaign_id}|{openid}".encode()).hexdigest()[:20]


def _share_item(key: str, share_id: str):
    from ..data.shares import ShareRecord, link_sk

    try:
        return ShareRecord.get(key, link_sk(share_id), consistent_read=True)
    except ShareRecord.DoesNotExist:
        return None


def create_share(account_id: str, campaign_id: str, openid: str, parent: str | None = None,
                 now: float | None = None) -> dict:
    """The user's own share link; sharing onward from someone else's link counts for that link once."""
    from ..data.shares import ShareRecord, forward_sk, link_sk

    now = _now(now)
    campaign = _active_campaign(account_id, campaign_id, openid, now)
    key = _campaign_key(account_id, campaign_id)
    sid = share_id_for(account_id, campaign_id, openid)
    try:
        ShareRecord(key, link_sk(sid), share_id=sid, owner=openid, parent=parent, views=0, shares=0,
                    created_at=int(now)).save(condition=ShareRecord.sk.does_not_exist())
    except Exception as exc:
        if "ConditionalCheckFailed" not in str(exc):
            raise
    granted = []
    if parent and parent != sid:
        parent_item = _share_item(key, parent)
        if parent_item is None:
            raise DrawRefused("unknown_share", "the share link does not exist", status=404)
        if parent_item.owner != openid and _first(key, forward_sk(parent, openid), now):
            parent_item.update(actions=[ShareRecord.shares.add(1)])
            granted = _grant_thresholds(campaign, key, parent, now)
    return {"share_id": sid, "path": share_path(account_id, campaign_id, sid), "granted": granted}


def _first(key: str, sk: str, now: float) -> bool:
    """Put a marker once; True only for the first call (distinct viewers / sharers count once)."""
    from ..data.shares import ShareRecord

    try:
        ShareRecord(key, sk, created_at=int(now)).save(condition=ShareRecord.sk.does_not_exist())
        return True
    except Exception as exc:
        if "ConditionalCheckFailed" in str(exc):
            return False
        raise


def view_share(account_id: str, campaign_id: str, share_id: str, viewer: str, now: float | None = None) -> dict:
    """A person opened a share link. Counts once per distinct viewer; the owner's own views never count."""
    from ..data.shares import ShareRecord, view_sk

    now = _now(now)
    check_account(account_id)
    key = _campaign_key(account_id, campaign_id)
    try:
        campaign = _to_domain(_load(account_id, campaign_id))
    except NotFound:
        raise DrawRefused("unknown_campaign", "campaign not found", status=404) from None
    item = _share_item(key, share_id)
    if item is None:
        raise DrawRefused("unknown_share", "the share link does not exist", status=404)
    counted = False
    granted = []
    open_now = rules.window_refusal(campaign, now) is None
    if open_now and item.owner != viewer and _first(key, view_sk(share_id, viewer), now):
        item.update(actions=[ShareRecord.views.add(1)])
        counted = True
        granted = _grant_thresholds(campaign, key, share_id, now)
    return {"counted": counted, "granted": granted,
            "campaign": {"campaign_id": campaign_id, "name": campaign.name}}


def _grant_thresholds(campaign: rules.Campaign, key: str, share_id: str, now: float) -> list[str]:
    from ..data import draw_ledger, draws
    from ..data.shares import ShareRecord, link_sk

    item = _share_item(key, share_id)
    granted = []
    for threshold in rules.newly_reached(campaign.thresholds, int(item.views or 0), int(item.shares or 0),
                                         item.granted):
        if threshold.extra_draws:
            if draw_ledger.grant_bonus_draws(key, link_sk(share_id), item.owner, threshold.threshold_id,
                                             threshold.extra_draws, now):
                granted.append(threshold.threshold_id)
            continue
        plan = draw_ledger.DrawPlan(
            account_id=campaign.account_id, campaign_id=campaign.campaign_id, campaign_key=key,
            draw_id=draws.share_reward_id(share_id, threshold.threshold_id), openid=item.owner, source="share",
            now=now, prize=campaign.prize(threshold.prize_id), counts_as_draw=False, notify=True)
        try:
            draw_ledger.commit_draw(plan)
            granted.append(threshold.threshold_id)
        except draw_ledger.DuplicateDraw:
            pass
        item.update(actions=[ShareRecord.granted.add({threshold.threshold_id})])
    return granted


# ---------------------------------------------------------------------------------------------- admin: wins


def query_draws(scope: Scope, account_id: str, campaign_id: str, outcome: str | None = "win", *, limit: int,
                start: dict | None = None):
    """One page of the campaign's draws (PynamoDB result); `outcome` filters (a filtered page may be short)."""
    scope.check(account_id)
    from ..data.draws import DrawRecord

    _load(account_id, campaign_id)
    cond = DrawRecord.outcome == outcome if outcome else None
    return DrawRecord.query(_campaign_key(account_id, campaign_id), filter_condition=cond, limit=limit,
                            last_evaluated_key=start)


def draw_admin_view(r) -> dict:
    v = _draw_view(r)
    v.update(draw_id=r.draw_id, openid=r.openid, source=r.source, created_at=int(r.created_at),
             redeemed_at=int(r.redeemed_at) if r.redeemed_at else None, notified_at=int(r.notified_at)
             if r.notified_at else None, notify_error=r.notify_error)
    return v


def list_draws(scope: Scope, account_id: str, campaign_id: str, outcome: str | None = "win",
               limit: int = 100, cursor: str | None = None) -> dict:
    key = _campaign_key(account_id, campaign_id)
    start = {"campaign_key": {"S": key}, "draw_id": {"S": cursor}} if cursor else None
    results = query_draws(scope, account_id, campaign_id, outcome, limit=max(1, min(limit, 500)), start=start)
    items = [draw_admin_view(r) for r in results]
    last = results.last_evaluated_key
    return {"items": items, "cursor": last["draw_id"]["S"] if last else None}


def redeem(scope: Scope, account_id: str, campaign_id: str, body: dict, now: float | None = None) -> dict:
    """Record that a prize was handed over (by draw_id, or by coupon code). Once."""
    scope.check(account_id)
    from ..data.coupon_codes import CouponCode, code_sk, pool_key
    from ..data.draws import DrawRecord

    campaign = _to_domain(_load(account_id, campaign_id))
    key = _campaign_key(account_id, campaign_id)
    draw_id = body.get("draw_id")
    code = body.get("code")
    if not draw_id and not code:
        raise ValidationError("give draw_id or code", field="draw_id")
    if code and not draw_id:
        for prize in campaign.prizes:
            if prize.kind != "coupon":
                continue
            try:
                marker = CouponCode.get(pool_key(account_id, campaign_id, prize.prize_id), code_sk(code))
            except CouponCode.DoesNotExist:
                continue
            if marker.slot:
                slot = CouponCode.get(marker.pool_key, marker.slot, consistent_read=True)
                draw_id = slot.draw_id
            if not draw_id:
                raise Conflict(f"code {code!r} was never handed out")
            break
        if not draw_id:
            raise NotFound(f"code {code!r} is not one of this campaign's codes")
    try:
        record = DrawRecord.get(key, draw_id, consistent_read=True)
    except DrawRecord.DoesNotExist:
        raise NotFound(f"draw {draw_id!r} not found") from None
    if record.outcome != "win":
        raise Conflict("this draw won nothing to redeem")
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise ValidationError("note must be a string of at most 500 characters", field="note")
    actions = [DrawRecord.redeemed_at.set(int(_now(now))), DrawRecord.redeemed_by.set(scope.key_id)]
    if note:
        actions.append(DrawRecord.redemption_note.set(note))
    try:
        record.update(actions=actions, condition=DrawRecord.redeemed_at.does_not_exist())
    except Exception as exc:
        if "ConditionalCheckFailed" in str(exc):
            raise Conflict(f"already redeemed at {rules.iso(int(_load_draw(key, draw_id).redeemed_at))}") from None
        raise
    out = _draw_view(record)
    out.update(draw_id=draw_id, openid=record.openid, redeemed_at=int(record.redeemed_at))
    return out


def _load_draw(key: str, draw_id: str):
    from ..data.draws import DrawRecord

    return DrawRecord.get(key, draw_id, consistent_read=True)


def report(scope: Scope, account_id: str, campaign_id: str) -> dict:
    """Participants, draws, wins/redemptions per prize, stock left, shares and views (exact counts)."""
    scope.check(account_id)
    from ..data.draws import DrawRecord
    from ..data.participants import ParticipantRecord
    from ..data.prizes import PrizeShard
    from ..data.shares import ShareRecord

    record = _load(account_id, campaign_id)
    campaign = _to_domain(record)
    key = _campaign_key(account_id, campaign_id)
    participants = entered = draws_total = 0
    for p in ParticipantRecord.query(key, ParticipantRecord.sk.startswith("u#")):
        participants += 1
        entered += 1 if p.entered_at else 0
        draws_total += int(p.draws or 0)
    per_prize = {p.prize_id: {"prize_id": p.prize_id, "name": p.name, "kind": p.kind, "wins": 0, "redeemed": 0,
                              "stock": None if p.is_thanks else 0, "issued": 0, "stock_left": None}
                 for p in campaign.prizes}
    by_source = {"instant": 0, "lottery": 0, "share": 0}
    thanks = fallbacks = 0
    for d in DrawRecord.query(key):
        if d.outcome == "win":
            by_source[d.source] = by_source.get(d.source, 0) + 1
            entry = per_prize.setdefault(d.prize_id, {"prize_id": d.prize_id, "wins": 0, "redeemed": 0})
            entry["wins"] += 1
            entry["redeemed"] += 1 if d.redeemed_at else 0
        else:
            thanks += 1
            fallbacks += 1 if d.fallback else 0
    for shard in PrizeShard.query(key):
        entry = per_prize.get(shard.prize_id)
        if entry is not None and entry["stock"] is not None:
            entry["stock"] += int(shard.stock)
            entry["issued"] += int(shard.issued)
    for entry in per_prize.values():
        if entry.get("stock") is not None:
            entry["stock_left"] = entry["stock"] - entry["issued"]
    links = views = onward = 0
    for s in ShareRecord.query(key, ShareRecord.sk.startswith("s#")):
        links += 1
        views += int(s.views or 0)
        onward += int(s.shares or 0)
    return {"campaign_id": campaign_id, "name": campaign.name, "status": campaign.status,
            "participants": participants, "lottery_entries": entered, "draws": draws_total,
            "wins": sum(by_source.values()), "wins_by_source": by_source, "thanks": thanks,
            "fell_back_to_thanks": fallbacks, "prizes": list(per_prize.values()),
            "shares": {"links": links, "distinct_views": views, "onward_shares": onward},
            "lottery": lottery_view(record)}


def get_lottery(scope: Scope, account_id: str, campaign_id: str) -> dict:
    """The published lottery facts: commitment before the draw; winners, digest and seed after."""
    scope.check(account_id)
    return lottery_view(_load(account_id, campaign_id)) or {"state": None}


def lottery_view(record) -> dict | None:
    if not record.lottery_commitment:
        return None
    out = {"state": record.lottery_state, "commitment": record.lottery_commitment, "algorithm": lottery.ALGORITHM}
    if record.lottery_result:
        out.update(dict(record.lottery_result))
    return out


# ---------------------------------------------------------------------------------------------- schedule


def _eligible_entrants(campaign: rules.Campaign, key: str) -> list[str]:
    from ..data.participants import ParticipantRecord

    entered = ParticipantRecord.entered_at.exists()
    if campaign.wins_total is not None:  # who has won as often as the campaign allows is not in the draw
        entered &= ParticipantRecord.wins.does_not_exist() | (ParticipantRecord.wins < campaign.wins_total)
    people = [p.openid for p in ParticipantRecord.query(key, ParticipantRecord.sk.startswith("u#"),
                                                        filter_condition=entered)]
    if not campaign.has_eligibility_rules:
        return people
    return [o for o in people
            if rules.eligibility_refusal(campaign, contact_facts(campaign.account_id, o, bool(campaign.tags))) is None]


def run_lottery(account_id: str, campaign_id: str, now: float | None = None) -> dict:
    """Draw the lottery of an ended campaign: freeze the winners, award each (idempotent), reveal the seed.

    Safe to re-run after a crash: the frozen winner list is reused and each award is keyed by winner.
    """
    from ..data import draw_ledger, draws
    from ..data.campaigns import CampaignRecord

    now = _now(now)
    record = _load(account_id, campaign_id)
    campaign = _to_domain(record)
    if record.lottery_state == "drawn":
        return lottery_view(record)
    if record.lottery_state not in ("pending", "drawing") or not campaign.lottery_prize_id:
        raise Conflict("this campaign has no pending lottery")
    if now < campaign.ends_at:
        raise Conflict(f"the lottery is drawn after the campaign ends ({rules.iso(campaign.ends_at)})")
    key = _campaign_key(account_id, campaign_id)
    seed = _read_seed(account_id, campaign_id)
    if lottery.commitment(seed) != record.lottery_commitment:  # never draw with a seed nobody committed to
        from ..errors import ConfigError

        raise ConfigError(f"campaign {campaign_id!r}: the stored lottery seed does not match its commitment")
    if record.lottery_state == "pending":
        people = lottery.canonical(_eligible_entrants(campaign, key))
        winners = lottery.select_winners(seed, people, campaign.lottery_winners)
        result = {"participants_count": len(people), "participants_digest": lottery.participants_digest(people),
                  "winners_requested": campaign.lottery_winners, "winners": winners, "drawn_at": int(now)}
        if len(people) <= PUBLISH_PARTICIPANTS_MAX:
            result["participants"] = people
        try:
            record.update(actions=[CampaignRecord.lottery_state.set("drawing"),
                                   CampaignRecord.lottery_result.set(result)],
                          condition=CampaignRecord.lottery_state == "pending")
        except Exception as exc:
            if "ConditionalCheckFailed" not in str(exc):
                raise
            record = _load(account_id, campaign_id)
    winners = list(dict(record.lottery_result)["winners"])
    prize = campaign.prize(campaign.lottery_prize_id)
    awarded = unfulfilled = 0
    for openid in winners:
        plan = draw_ledger.DrawPlan(account_id=account_id, campaign_id=campaign_id, campaign_key=key,
                                    draw_id=draws.lottery_id(openid), openid=openid, source="lottery", now=now,
                                    prize=prize, counts_as_draw=False, notify=True, wins_cap=campaign.wins_total)
        try:
            rec = draw_ledger.commit_draw(plan)
        except draw_ledger.DuplicateDraw as dup:
            rec = dup.record
        if rec.outcome == "win":
            awarded += 1
        else:
            unfulfilled += 1
    result = {**dict(record.lottery_result), "seed": seed, "awarded": awarded, "unfulfilled": unfulfilled}
    record.update(actions=[CampaignRecord.lottery_state.set("drawn"), CampaignRecord.lottery_result.set(result)])
    return lottery_view(record)


def _notify_text(campaign: rules.Campaign, rec) -> str:
    base = campaign.notify_text or "Congratulations! You won {prize} in {campaign}."
    text = base.replace("{prize}", rec.prize_name or "").replace("{campaign}", campaign.name)
    if rec.code:
        text += f" Code: {rec.code}"
    return text


def notify_winners(account_id: str, campaign_id: str, now: float | None = None, limit: int = 200) -> dict:
    """Tell pending winners (template message when configured, else a customer-service text)."""
    from .. import accounts
    from ..data.draws import DrawRecord
    from ..errors import ScrmError
    from ..gateway import gateway_for

    campaign = _to_domain(_load(account_id, campaign_id))
    key = _campaign_key(account_id, campaign_id)
    pending = list(DrawRecord.notify_index.query(key, limit=limit))
    if not pending:
        return {"sent": 0, "failed": 0}
    gateway = gateway_for(accounts.get(account_id))
    sent = failed = 0
    for rec in pending:
        rec = DrawRecord.get(key, rec.draw_id, consistent_read=True)
        if rec.notify_campaign is None:
            continue
        try:
            if campaign.notify_template_id:
                gateway.send_template(rec.openid, campaign.notify_template_id, {
                    "prize": {"value": rec.prize_name or ""}, "campaign": {"value": campaign.name},
                    "code": {"value": rec.code or ""}},
                    client_msg_id=hashlib.sha256(f"{key}|{rec.draw_id}".encode()).hexdigest()[:32])
            else:
                gateway.post("message/custom/send", {"touser": rec.openid, "msgtype": "text",
                                                     "text": {"content": _notify_text(campaign, rec)}})
            rec.update(actions=[DrawRecord.notify_campaign.remove(), DrawRecord.notified_at.set(int(_now(now))),
                                DrawRecord.notify_error.remove()])
            sent += 1
        except ScrmError as exc:
            attempts = int(rec.notify_attempts or 0) + 1
            actions = [DrawRecord.notify_attempts.set(attempts), DrawRecord.notify_error.set(str(exc)[:300])]
            if attempts >= NOTIFY_MAX_ATTEMPTS:
                actions.append(DrawRecord.notify_campaign.remove())
            rec.update(actions=actions)
            failed += 1
    return {"sent": sent, "failed": failed}


def run_schedule(now: float | None = None) -> dict:
    """The campaign_draw schedule: draw due lotteries, then notify pending winners of recent campaigns.

    Campaigns are few (a handful per account), so this scans the campaigns table.
    """
    from .. import accounts
    from ..data.campaigns import CampaignRecord
    from ..errors import AccountDisabled, UnknownAccount
    from ..observability import logger

    now = _now(now)
    summary = {"lotteries": 0, "notified": 0, "notify_failed": 0, "errors": 0, "skipped_disabled": 0}
    for record in CampaignRecord.scan():
        try:
            try:  # a disabled account's lotteries wait (they are drawn once it is enabled again)
                accounts.get(record.account_id)
            except (AccountDisabled, UnknownAccount):
                summary["skipped_disabled"] += 1
                continue
            if record.lottery_state in ("pending", "drawing") and record.ends_at <= now:
                run_lottery(record.account_id, record.campaign_id, now)
                summary["lotteries"] += 1
            if record.starts_at <= now <= record.ends_at + 30 * 86400:
                result = notify_winners(record.account_id, record.campaign_id, now)
                summary["notified"] += result["sent"]
                summary["notify_failed"] += result["failed"]
        except Exception:
            summary["errors"] += 1
            logger().exception("campaign schedule failed", extra={"account_id": record.account_id,
                                                                   "campaign_id": record.campaign_id})
    return summary
