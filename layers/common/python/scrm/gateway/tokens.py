"""Access tokens shared by every Lambda through DynamoDB.

Rules: expiry is checked on every read (DynamoDB TTL deletes late); one refresher at a time holds a
conditional lock, the others wait for its token instead of fetching their own (a refetch of an OA
`/cgi-bin/token` invalidates the previous token, and token fetches are rate-limited).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from pynamodb.exceptions import UpdateError

from ..bootstrap import container
from ..config import settings
from ..data.tokens import TokenRecord

EARLY_REFRESH_SECONDS = 300  # stop using a token 5 minutes before WeChat says it ends
POLL_SECONDS = 0.05

Fetch = Callable[[], tuple[str, int]]  # returns (access_token, expires_in seconds)


def app_token_key(platform: str, app_id: str, app: str, secret: str) -> str:
    """The cache key of one app's token: `<platform>:<corp or appid>:<app>:<secret fingerprint>`.

    WeCom gives each app of a corp its own token ("由于企业微信每个应用的access_token是彼此独立的,所以进行缓存时
    需要区分应用来进行存储", https://developer.work.weixin.qq.com/document/path/91039): `app` names which one
    (`contact`, the customer-contact Secret; `agent-<AgentID>`, a self-built app), so two apps' tokens never mix.
    The fingerprint (a hash, never characters of the secret itself) makes a rotated secret fetch a new token."""
    fingerprint = hashlib.sha256(secret.encode()).hexdigest()[:12]
    return f"{platform}:{app_id}:{app}:{fingerprint}"


def _memory() -> dict[str, tuple[str, float]]:
    """The container's copy of the tokens it has read: key -> (access token, expires at on the TokenCache clock)."""
    return container().slot("access_tokens", lambda _: {})


class TokenCache:
    def __init__(self, lock_seconds: int | None = None, clock: Callable[[], float] = time.time):
        self.lock_seconds = lock_seconds or settings().token_lock_seconds
        self.clock = clock
        self.owner = uuid.uuid4().hex

    def _usable(self, token, expires_at) -> bool:
        return bool(token) and expires_at is not None and expires_at > self.clock()

    def _read(self, key: str):
        try:
            rec = TokenRecord.get(key, consistent_read=True)
        except TokenRecord.DoesNotExist:
            return None
        return rec

    def get(self, key: str, fetch: Fetch) -> str:
        hit = _memory().get(key)
        if hit and hit[1] > self.clock():
            return hit[0]
        deadline = self.clock() + self.lock_seconds * 3
        while True:
            rec = self._read(key)
            if rec and self._usable(rec.access_token, rec.expires_at):
                _memory()[key] = (rec.access_token, rec.expires_at)
                return rec.access_token
            if self._try_lock(key):
                return self._refresh(key, fetch)
            if self.clock() > deadline:
                # The lock holder keeps failing; surface it rather than spin.
                raise TimeoutError(f"no access token for {key} after waiting {self.lock_seconds * 3}s")
            time.sleep(POLL_SECONDS)

    def _try_lock(self, key: str) -> bool:
        now = self.clock()
        rec = TokenRecord(key)
        free = TokenRecord.lock_until.does_not_exist() | (TokenRecord.lock_until < now)
        stale = TokenRecord.expires_at.does_not_exist() | (TokenRecord.expires_at <= now)
        try:
            rec.update(actions=[TokenRecord.lock_owner.set(self.owner),
                                TokenRecord.lock_until.set(now + self.lock_seconds)],
                       condition=free & stale)
            return True
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise

    def _refresh(self, key: str, fetch: Fetch) -> str:
        try:
            token, expires_in = fetch()
        except BaseException:
            self._unlock(key)
            raise
        expires_at = self.clock() + max(int(expires_in) - EARLY_REFRESH_SECONDS, 60)
        TokenRecord(key).update(actions=[
            TokenRecord.access_token.set(token),
            TokenRecord.expires_at.set(expires_at),
            TokenRecord.fetches.add(1),
            TokenRecord.lock_owner.remove(),
            TokenRecord.lock_until.remove(),
            TokenRecord.ttl.set(datetime.fromtimestamp(int(expires_at) + 86400, tz=timezone.utc)),
        ])
        _memory()[key] = (token, expires_at)
        return token

    def _unlock(self, key: str) -> None:
        try:
            TokenRecord(key).update(actions=[TokenRecord.lock_owner.remove(), TokenRecord.lock_until.remove()],
                                    condition=TokenRecord.lock_owner == self.owner)
        except UpdateError:
            pass

    def invalidate(self, key: str, bad_token: str) -> None:
        """WeChat refused `bad_token`: drop it, unless another worker already replaced it."""
        _memory().pop(key, None)
        try:
            TokenRecord(key).update(actions=[TokenRecord.expires_at.set(0)],
                                    condition=TokenRecord.access_token == bad_token)
        except UpdateError:
            pass


def forget_memory() -> None:
    _memory().clear()
