"""Signed user tokens (pure): who an OA user is, for the user-facing campaign endpoints.

A token is issued after WeChat OAuth (the page learns the user's openid) or put in a link sent to the
user in a message. Format: `v1.<payload>.<signature>`, both base64url without padding; payload is
compact JSON {"a": account_id, "o": openid, "k": "oauth"|"link", "iat", "exp", "c": campaign_id?};
signature = HMAC-SHA256(per-account secret, "v1." + payload). Verification is constant-time and
checks the account, the expiry and, for links, the campaign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

VERSION = "v1"
MAX_TTL = 30 * 86400
KINDS = ("oauth", "link")


class TokenRefused(Exception):
    """The token is missing, malformed, forged, expired or for another account/campaign."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def issue(key: bytes, account_id: str, openid: str, *, now: float, ttl: int, kind: str = "oauth",
          campaign_id: str | None = None) -> str:
    if not openid or not account_id:
        raise ValueError("account_id and openid are required")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be between 1 and {MAX_TTL} seconds")
    payload = {"a": account_id, "o": openid, "k": kind, "iat": int(now), "exp": int(now) + int(ttl)}
    if campaign_id:
        payload["c"] = campaign_id
    body = f"{VERSION}.{_b64(json.dumps(payload, separators=(',', ':'), sort_keys=True).encode())}"
    return f"{body}.{_sign(key, body)}"


def verify(key: bytes, token: str | None, *, account_id: str, now: float, campaign_id: str | None = None) -> str:
    """Return the openid the token vouches for, or raise TokenRefused with a reason."""
    if not token:
        raise TokenRefused("missing_token")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION:
        raise TokenRefused("malformed_token")
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_sign(key, body).encode(), parts[2].encode("utf-8", "replace")):
        raise TokenRefused("bad_signature")
    try:
        payload = json.loads(_unb64(parts[1]))  # signed by us: well-formed unless the key leaked
    except (ValueError, UnicodeDecodeError):
        raise TokenRefused("malformed_token") from None
    if not isinstance(payload, dict) or payload.get("a") != account_id:
        raise TokenRefused("wrong_account")
    exp = payload.get("exp")
    if not isinstance(exp, int) or now >= exp:
        raise TokenRefused("token_expired")
    bound = payload.get("c")
    if bound and campaign_id and bound != campaign_id:
        raise TokenRefused("wrong_campaign")
    openid = payload.get("o")
    if not isinstance(openid, str) or not openid:
        raise TokenRefused("malformed_token")
    return openid
