"""Table `callback_claims`: uniqueness claims that keep WeChat callbacks authentic.

Two kinds of item, both written with a condition so no scan is ever needed:
- `token#<sha256(Token)>` -> account_id: one callback Token belongs to one account. (Only a hash is stored. A
  signed callback query already exposes sha1(Token, timestamp, nonce) to anyone who sees a URL, so the hash
  reveals nothing a captured query does not; generated Tokens are 128 random bits.)
- `query#<account_id>#<sha256(timestamp, nonce, signature)>` -> the dedupe key of the one event that signed
  query carried. Written in the same transaction as the inbox item (scrm.data.inbox), kept until the query's
  timestamp leaves the clock-skew window (after that the query is refused as stale anyway).
"""

from __future__ import annotations

import hashlib

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.models import Model

from ..errors import Conflict
from .registry import table


@table("callback_claims")
class CallbackClaim(Model):
    class Meta:
        pass

    key = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    dedupe_key = UnicodeAttribute(null=True)  # query claims: the event the query carried
    expires_at = TTLAttribute(null=True)  # query claims only; token claims last as long as the account


def token_key(token: str) -> str:
    return "token#" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def query_key(account_id: str, timestamp: str, nonce: str, signature: str) -> str:
    digest = hashlib.sha256(f"{timestamp}\n{nonce}\n{signature.lower()}".encode()).hexdigest()
    return f"query#{account_id}#{digest}"


def claim_token(account_id: str, token: str) -> None:
    """Claim `token` for `account_id` (idempotent for the same account); Conflict if another account has it."""
    item = CallbackClaim(key=token_key(token), account_id=account_id)
    try:
        item.save(condition=CallbackClaim.key.does_not_exist() | (CallbackClaim.account_id == account_id))
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict("token: this callback Token is already used by another account; "
                           "omit it to have one generated") from None
        raise


def release_token(account_id: str, token: str) -> None:
    """Drop the claim on `token` if `account_id` holds it (a changed or abandoned Token)."""
    try:
        CallbackClaim(key=token_key(token), account_id=account_id).delete(
            condition=CallbackClaim.account_id == account_id)
    except DeleteError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
