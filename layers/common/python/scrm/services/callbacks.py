"""WeChat callbacks (OA and WeCom): verify, decrypt, record once, hand to the workers, answer in time.

The synchronous path per event: the account (cached per container) → timestamp, signature, body checks
→ decrypt and parse → kind and dedupe key → the passive reply (rules cached per container) → ONE
conditional PutItem into the inbox carrying the payload and the reply → SQS send → ONE UpdateItem marking
it enqueued → the reply (encrypted when the request was). A retry of the same event fails the put, gets
the first attempt's item back in that same round trip (ALL_OLD) and answers its stored reply; it enqueues
again only if the first attempt never marked the item enqueued (workers dedupe by dedupe_key anyway).

Authenticity (DESIGN "Correctness rules"): an account in `safe` message mode refuses unencrypted bodies (the
plain `signature` covers only token, timestamp and nonce, never the body, and WeChat puts it on every URL);
the event's `ToUserName` must be the account's own id (OA original id gh_..., WeCom corp id); and a signed
query (timestamp, nonce, signature) carries at most one event: its claim is written in the same transaction
as the inbox item, so a captured query cannot carry a forged event while WeChat's retries of the real one
still get the stored reply. The timestamp window is `SCRM_CALLBACK_CLOCK_SKEW_SECONDS` (default 300).

Refusals (`Rejected`) have no side effect: nothing is written before every check has passed. Each refusal
is logged with its reason (never a secret or a whole signature) and answered generically.
If the inbox or the queue is unavailable we answer 503 so WeChat retries; a retry finds the item and
finishes the hand-off.

Channel-specific welcomes: modules listed in WELCOME_PROVIDER_MODULES (or anything calling
`register_welcome_provider`) add functions `provider(account, event) -> content | None` to
`welcome_providers`. The first content returned wins over the account's default welcome. For OA
subscribe/SCAN events the content is a reply (`{"type": "text"|"news", ...}`, see scrm.domain.replies);
for WeCom add_external_contact it is the welcome message content (`{"type": "text", "content",
"attachments"}`) sent by scrm.services.welcome.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from .. import accounts, bootstrap
from ..config import settings
from ..data.callback_claims import query_key
from ..data.inbox import Entry, Inbox, SignedQueryReused
from ..domain import callbacks as rules
from ..domain import replies
from ..domain.wechat_crypto import (
    Forged,
    Malformed,
    Rejected,
    check_nonce,
    check_timestamp,
    cipher_for,
    envelope,
    verify,
)
from ..errors import AccountDisabled, ConfigError, UnknownAccount
from ..observability import logger
from ..queues import queue_for, send
from ..tenancy import Scope
from .replies import settings_for

SUCCESS = "success"
PLATFORMS = ("oa", "wecom")
NEGATIVE_CACHE_SECONDS = 5
SWEEP_MIN_AGE_SECONDS = 60  # older than WeChat's retries (3 x 5 s) and any in-flight first attempt

welcome_providers: list[Callable] = []
WELCOME_PROVIDER_MODULES: list[str] = ["scrm.services.channels"]
_providers_loaded = False


def register_welcome_provider(fn: Callable) -> Callable:
    if fn not in welcome_providers:
        welcome_providers.append(fn)
    return fn


def channel_welcome(account, event: dict) -> dict | None:
    """Content from the first welcome provider that has one for this event (errors are logged, skipped)."""
    global _providers_loaded
    if not _providers_loaded:
        for module in WELCOME_PROVIDER_MODULES:
            try:
                importlib.import_module(module)
            except ImportError:  # a missing feature module must not take the callback path down
                _log().exception("welcome provider module missing", extra={"module": module})
        _providers_loaded = True
    for provider in list(welcome_providers):
        try:
            content = provider(account, event)
        except Exception:
            _log().exception("welcome provider failed", extra={"provider": getattr(provider, "__name__", "?")})
            continue
        if content:
            return content
    return None


def _log():
    return logger()


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


class NotFoundAnswer(Rejected):
    status = 404
    reason = "unknown account"


class Unavailable(Rejected):
    status = 503
    reason = "temporarily unavailable"


QUERY_CLAIM_MARGIN_SECONDS = 60  # a query claim outlives the last moment its timestamp is accepted


def _default_enqueue(payload: dict) -> None:
    send(queue_for(payload), payload)


def _default_account(account_id: str):
    return accounts.get(account_id)


def _default_settings(account_id: str):
    return settings_for(account_id)


class CallbackService:
    def __init__(self, inbox=None, enqueue: Callable[[dict], None] | None = None,
                 clock: Callable[[], float] = time.time, get_account: Callable | None = None,
                 reply_settings: Callable | None = None, welcome: Callable | None = None,
                 max_skew: int | None = None):
        if inbox is None:  # the container's, unless this service runs on its own clock
            inbox = bootstrap.inbox() if clock is time.time else Inbox(clock=clock)
        self.inbox = inbox
        self.enqueue = enqueue or _default_enqueue
        self.clock = clock
        self.get_account = get_account or _default_account
        self.reply_settings = reply_settings or _default_settings
        self.welcome = welcome or channel_welcome
        self.max_skew = settings().callback_clock_skew if max_skew is None else max_skew

    # ---------------------------------------------------------------- entry point
    def handle(self, platform: str, account_id: str, method: str, query: dict | None, body: bytes | str | None
               ) -> Answer:
        try:
            account = self._account(platform, account_id)
            query = query or {}
            if isinstance(body, str):
                body = body.encode("utf-8")
            body = body or b""
            if method == "GET":
                return self._verify_url(platform, account, query)
            if method == "POST":
                return self._receive(platform, account, query, body)
            return Answer(405, "method not allowed")
        except Rejected as exc:
            # why WeChat's URL check or an event failed, for the operator; the answer stays generic
            _log().log(20 if exc.status == 404 else 30, "callback refused",
                       extra={"account_id": str(account_id)[:64], "platform": str(platform)[:8], "method": method,
                              "status": exc.status, "reason": exc.detail,
                              "encrypt_type": str((query or {}).get("encrypt_type") or "")[:8]})
            return Answer(exc.status, exc.reason)
        except Exception:  # an outage (account store, SSM) or a bug: WeChat retries a 503
            _log().exception("callback failed", extra={"account_id": account_id, "platform": platform})
            return Answer(503, Unavailable.reason)

    def _account(self, platform: str, account_id: str):
        if platform not in PLATFORMS or not accounts.ACCOUNT_ID.match(account_id or ""):
            raise NotFoundAnswer()
        unknown = bootstrap.container().cache("unknown_callback_accounts", NEGATIVE_CACHE_SECONDS)
        if unknown.get(account_id):
            raise NotFoundAnswer()
        try:
            account = self.get_account(account_id)
        except (UnknownAccount, AccountDisabled):
            if len(unknown) > 4096:
                unknown.clear()
            unknown.put(account_id, True)
            raise NotFoundAnswer() from None
        except ConfigError as exc:
            raise Unavailable(str(exc)) from None
        if account.kind != platform:
            raise NotFoundAnswer()
        return account

    # ---------------------------------------------------------------- GET: URL verification
    def _verify_url(self, platform: str, account, q: dict) -> Answer:
        timestamp = q.get("timestamp")
        self._fresh(timestamp)
        nonce = check_nonce(q.get("nonce"))
        echostr = (q.get("echostr") or "").replace(" ", "+")  # '+' arrives as ' ' if the sender did not escape it
        if not echostr or len(echostr) > 1024:
            raise Malformed("missing echostr")
        if platform == "oa":
            verify(q.get("signature"), account.token, timestamp, nonce)
            if not echostr.isascii() or not echostr.isprintable():
                raise Malformed("bad echostr")
            return Answer(200, echostr)
        verify(q.get("msg_signature"), account.token, timestamp, nonce, echostr)
        return Answer(200, cipher_for(account.aes_key, account.app_id).decrypt(echostr))

    # ---------------------------------------------------------------- POST: events
    def _fresh(self, timestamp: str | None) -> int:
        try:
            return check_timestamp(timestamp, self.clock(), self.max_skew)
        except Forged as exc:
            if exc.detail == "stale timestamp":
                skew = int(self.clock() - int(timestamp))
                side = "behind" if skew > 0 else "ahead of"
                raise Forged(f"stale timestamp: {abs(skew)} s {side} our clock (window ±{self.max_skew} s)") from None
            raise

    def _open(self, platform: str, account, q: dict, body: bytes) -> tuple[dict, bool, str, int]:
        """Checks and decryption; returns (event fields, was encrypted, nonce, timestamp)."""
        timestamp = q.get("timestamp")
        ts = self._fresh(timestamp)
        nonce = check_nonce(q.get("nonce"))
        rules.check_body(body)
        mode = (q.get("encrypt_type") or "raw").lower()
        if mode not in ("raw", "aes"):
            raise Malformed("unknown encrypt_type")
        encrypted = platform == "wecom" or mode == "aes"
        if not encrypted:
            if account.message_mode == "safe":
                raise Forged("unencrypted body refused: the account is in safe mode")
            verify(q.get("signature"), account.token, timestamp, nonce)
            event = rules.parse(body, checked=True)
        else:
            outer = rules.parse(body, checked=True)
            encrypt = outer.get("Encrypt")
            if not isinstance(encrypt, str) or not encrypt:
                raise Malformed("no Encrypt")
            verify(q.get("msg_signature"), account.token, timestamp, nonce, encrypt)
            event = rules.parse(cipher_for(account.aes_key, account.app_id).decrypt(encrypt).encode("utf-8"))
        own_id = account.original_id if platform == "oa" else account.app_id
        if not own_id:
            raise Forged("the account has no original_id (gh_...) to check ToUserName against; set it")
        if event.get("ToUserName") != own_id:
            raise Forged("ToUserName is not this account")
        return event, encrypted, nonce, ts

    def _signed_query(self, platform: str, account, q: dict, ts: int) -> tuple[str, int]:
        """The claim key of this request's signed query, and until when the claim must hold."""
        signature = (q.get("signature") if platform == "oa" else None) or q.get("msg_signature") or ""
        return (query_key(account.account_id, q["timestamp"], q["nonce"], signature),
                ts + self.max_skew + QUERY_CLAIM_MARGIN_SECONDS)

    def _receive(self, platform: str, account, q: dict, body: bytes) -> Answer:
        event, encrypted, nonce, ts = self._open(platform, account, q, body)
        kind = rules.kind_of(platform, event)
        if kind is None:  # a type we do not handle: acknowledged, no effect
            if platform == "oa" and account.message_mode != "safe":
                # its query could otherwise carry a forged plaintext event afterwards
                signed_query, until = self._signed_query(platform, account, q, ts)
                try:
                    self.inbox.claim_query(Scope.system(account.account_id), account.account_id,
                                           rules.dedupe_key(platform, event), signed_query, until)
                except SignedQueryReused:
                    raise Forged("signed query replayed with another event") from None
                except Exception as exc:
                    raise Unavailable("query claim unavailable") from exc
            return Answer(200, SUCCESS)
        create_time = event.get("CreateTime")
        if not isinstance(create_time, str) or not create_time.isdigit() or len(create_time) > 12:
            raise Malformed("bad CreateTime")
        if platform == "oa" and not (isinstance(event.get("FromUserName"), str) and event["FromUserName"]):
            raise Malformed("no FromUserName")
        now = self.clock()
        dedupe = rules.dedupe_key(platform, event)
        payload = {"account_id": account.account_id, "platform": platform, "kind": kind, "dedupe_key": dedupe,
                   "event": {**event, "received_at": round(now, 3)}}
        reply = self._reply(account, kind, event, now) if platform == "oa" else None
        scope = Scope.system(account.account_id)
        entry = Entry(account_id=account.account_id, dedupe_key=dedupe, kind=kind, payload=payload, reply=reply,
                      received_at=now)
        signed_query, until = self._signed_query(platform, account, q, ts)
        try:
            old = self.inbox.claim(scope, entry, signed_query, until)
        except SignedQueryReused:
            raise Forged("signed query replayed with another event") from None
        except Exception as exc:
            _log().exception("inbox write failed", extra={"account_id": account.account_id, "kind": kind})
            raise Unavailable("inbox unavailable") from exc
        if old is None:
            self._hand_off(scope, account.account_id, dedupe, payload)
        else:
            if not old.enqueued:  # the first attempt never got it onto the queue (or is still trying)
                self._hand_off(scope, account.account_id, dedupe, old.payload or payload)
            reply = old.reply
        return self._answer(account, reply, encrypted, nonce, now)

    def _hand_off(self, scope: Scope, account_id: str, dedupe: str, payload: dict) -> None:
        try:
            self.enqueue(payload)
        except Exception as exc:
            _log().exception("enqueue failed", extra={"account_id": account_id, "kind": payload.get("kind")})
            raise Unavailable("queue unavailable") from exc  # WeChat retries; the retry enqueues
        try:
            self.inbox.mark_enqueued(scope, account_id, dedupe)
        except Exception:  # the message is queued; a retry would only queue a harmless duplicate
            _log().exception("marking enqueued failed", extra={"account_id": account_id})

    # ---------------------------------------------------------------- replies
    def _reply(self, account, kind: str, event: dict, now: float) -> str | None:
        try:
            content = self._reply_content(account, kind, event)
        except Exception:  # a broken rule store must not stop events from being recorded
            _log().exception("reply rules unavailable", extra={"account_id": account.account_id})
            content = None
        if not content:
            return None
        return replies.render(content, to_user=event.get("FromUserName", ""), from_user=event.get("ToUserName", ""),
                              create_time=int(now), replying_to_message=rules.is_message(event))

    def _reply_content(self, account, kind: str, event: dict) -> dict | None:
        if kind in ("oa.subscribe", "oa.scan"):
            content = self.welcome(account, event)
            if content or kind == "oa.scan":
                return content
            return self.reply_settings(account.account_id).welcome
        if kind == "oa.click":
            rule = replies.choose_click(self.reply_settings(account.account_id).rules, event.get("EventKey") or "")
            return rule.reply if rule else None
        if not rules.is_message(event):
            return None
        settings = self.reply_settings(account.account_id)
        if kind == "oa.text":
            return replies.answer_text(settings, event.get("Content"))[1]
        return settings.default

    def _answer(self, account, reply: str | None, encrypted: bool, nonce: str, now: float) -> Answer:
        if not reply or reply == SUCCESS:
            return Answer(200, SUCCESS)
        if encrypted:
            cipher = cipher_for(account.aes_key, account.app_id)
            return Answer(200, envelope(cipher, account.token, reply, nonce, int(now)), "application/xml")
        return Answer(200, reply, "application/xml")


    # ---------------------------------------------------------------- the sweeper
    def sweep(self, min_age_seconds: float = SWEEP_MIN_AGE_SECONDS, limit: int = 500) -> dict:
        """Enqueue events that were stored but never reached the queue (the queue failed and WeChat gave up
        retrying, or the function died between the put and the send). Workers dedupe, so a late duplicate
        of an event that did get queued costs nothing."""
        found = self.inbox.pending(Scope.system(), self.clock() - min_age_seconds, limit)
        sent = failed = 0
        for entry in found:
            scope = Scope.system(entry.account_id)
            try:
                self._hand_off(scope, entry.account_id, entry.dedupe_key, entry.payload)
                sent += 1
            except Unavailable:
                failed += 1
        if found:
            _log().warning("inbox sweep re-enqueued events", extra={"sent": sent, "failed": failed})
        return {"pending": len(found), "enqueued": sent, "failed": failed}


def service() -> CallbackService:
    """The container's service (scrm.bootstrap.callback_service)."""
    return bootstrap.callback_service()


def handle(platform: str, account_id: str, method: str, query: dict | None, body) -> Answer:
    """The use case the HTTP function calls."""
    return service().handle(platform, account_id, method, query, body)


def sweep() -> dict:
    """The use case the scheduled inbox sweeper calls."""
    return service().sweep()


__all__ = ["Answer", "CallbackService", "Forged", "Malformed", "Rejected", "SUCCESS", "channel_welcome", "handle",
           "sweep", "register_welcome_provider", "welcome_providers", "WELCOME_PROVIDER_MODULES"]
