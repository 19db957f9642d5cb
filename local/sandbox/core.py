"""Shared sandbox machinery: the controllable clock, API errors, the call log and fault injection.

Everything here is guarded by the Sandbox's single lock; nothing in this module does I/O.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass, field
from typing import Any

DAY = 86400


class Clock:
    """Wall time plus an offset, so tests can jump 20 s, 48 h or 24 h ahead without sleeping.

    A frozen clock (tests) starts at the wall time of its creation and moves only when advanced or set: WeChat's
    own deadlines (a welcome code's 20 s) must not depend on how fast a loaded machine runs a test."""

    def __init__(self, frozen: bool = False) -> None:
        self.offset = 0.0
        self._frozen_at = time.time() if frozen else None

    def _wall(self) -> float:
        return time.time() if self._frozen_at is None else self._frozen_at

    def now(self) -> float:
        return self._wall() + self.offset

    def advance(self, seconds: float) -> float:
        self.offset += float(seconds)
        return self.now()

    def set(self, epoch: float) -> float:
        self.offset = float(epoch) - self._wall()
        return self.now()

    def day(self) -> int:
        # WeChat quotas reset at Beijing midnight (UTC+8).
        return int((self.now() + 8 * 3600) // DAY)

    def month(self) -> str:
        t = time.gmtime(self.now() + 8 * 3600)
        return f"{t.tm_year}-{t.tm_mon:02d}"


class ApiError(Exception):
    """An error answered as HTTP 200 `{"errcode": N, "errmsg": "..."}` like the real platforms."""

    def __init__(self, errcode: int, errmsg: str, **extra: Any) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg
        self.extra = extra

    def body(self) -> dict:
        return {"errcode": self.errcode, "errmsg": f"{self.errmsg} hint: [sandbox]", **self.extra}


# errmsg texts used when a fault is injected by code only
FAULT_MESSAGES = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40014: "invalid access_token",
    42001: "access_token expired",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    45033: "api concurrent out of limit",
    41051: "externaluser has started chatting",
    41096: "welcome msg is being distributed",
}


def rand_id(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def rand_hex(n: int) -> str:
    return secrets.token_hex(n // 2 + 1)[:n]


class CallLog:
    """Every platform API call, so tests can assert what the gateway really sent."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self._seq = 0

    def record(self, **entry: Any) -> None:
        self._seq += 1
        entry["id"] = self._seq
        self.calls.append(entry)

    def query(self, path_contains: str | None = None, platform: str | None = None,
              app: str | None = None) -> list[dict]:
        out = self.calls
        if path_contains:
            out = [c for c in out if path_contains in c["path"]]
        if platform:
            out = [c for c in out if c["platform"] == platform]
        if app:
            out = [c for c in out if c.get("app") == app]
        return out

    @staticmethod
    def counts(calls: list[dict]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in calls:
            key = f'{c["platform"]}:{c["path"]}'
            counts[key] = counts.get(key, 0) + 1
        return counts

    def clear(self) -> None:
        self.calls.clear()


@dataclass
class Fault:
    path: str | None  # endpoint like "message/mass/send"; None or "*" = every endpoint
    platform: str | None
    errcode: int | None  # None = only delay, then answer normally
    errmsg: str | None = None
    delay_ms: int = 0
    times: int | None = 1  # None = until cleared
    app: str | None = None
    # "html" | "empty": answer HTTP 200 with an HTML error page or an empty body instead of JSON (what a
    # proxy, a gateway page or a broken connection in front of WeChat gives)
    answer: str | None = None
    # True: do the call's work first, then answer with the fault (a -1 or an HTML page WeChat sends after
    # it has in fact processed the call); False: refuse before doing anything
    apply: bool = False
    hits: int = field(default=0)

    def matches(self, platform: str, path: str, app: str | None) -> bool:
        if self.platform and self.platform != platform:
            return False
        if self.app and app and self.app != app:
            return False
        return self.path in (None, "", "*") or self.path.strip("/").removeprefix("cgi-bin/") == path

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in
                ("path", "platform", "errcode", "errmsg", "delay_ms", "times", "app", "answer", "apply", "hits")}


ANSWERS = {  # non-JSON 200 answers a fault can give (body, Content-Type)
    "html": (b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
             b"</center><hr><center>stgw</center></body></html>", "text/html"),
    "empty": (b"", "application/json"),
}


class Faults:
    def __init__(self) -> None:
        self.items: list[Fault] = []

    def add(self, spec: dict) -> Fault:
        times = spec.get("times", 1)
        answer = spec.get("answer")
        if answer is not None and answer not in ANSWERS:
            raise ValueError(f"answer must be one of {', '.join(ANSWERS)}, got {answer!r}")
        f = Fault(path=spec.get("path"), platform=spec.get("platform"), errcode=spec.get("errcode"),
                  errmsg=spec.get("errmsg"), delay_ms=int(spec.get("delay_ms") or 0),
                  times=None if times is None else int(times), app=spec.get("app"), answer=answer,
                  apply=bool(spec.get("apply")))
        self.items.append(f)
        return f

    def take(self, platform: str, path: str, app: str | None) -> Fault | None:
        """Consume one use of the first matching fault (first registered wins)."""
        for f in self.items:
            if f.matches(platform, path, app):
                f.hits += 1
                if f.times is not None:
                    f.times -= 1
                    if f.times <= 0:
                        self.items.remove(f)
                return f
        return None

    def clear(self) -> None:
        self.items.clear()


class TokenStore:
    """Issued access tokens of both platforms: token -> (platform, app, expires_at)."""

    def __init__(self) -> None:
        self.tokens: dict[str, dict] = {}
        self.fetches: dict[str, int] = {}  # successful token-endpoint calls per appid/corpid
        self.minted: dict[str, int] = {}  # distinct tokens created per appid/corpid

    def mint(self, platform: str, app: str, now: float, ttl: int = 7200, kind: str = "token",
             agentid: str = "") -> str:
        """`agentid`: WeCom, the self-built app the token is for ("" for the customer-contact Secret's)."""
        token = f"SBX{platform.upper()}_{rand_id(100)}"
        self.tokens[token] = {"platform": platform, "app": app, "expires_at": now + ttl, "kind": kind,
                              "agentid": agentid}
        self.minted[app] = self.minted.get(app, 0) + 1
        return token

    def count_fetch(self, app: str) -> None:
        self.fetches[app] = self.fetches.get(app, 0) + 1

    def expire(self, token: str | None, at: float) -> None:
        if token and token in self.tokens:
            info = self.tokens[token]
            info["expires_at"] = min(info["expires_at"], at)

    def check(self, platform: str, token: str | None, now: float) -> str:
        """Return the app the token belongs to, or raise the platform's token error."""
        if not token:
            raise ApiError(41001, "access_token missing")
        info = self.tokens.get(token)
        if info is None or info["platform"] != platform:
            if platform == "oa":
                raise ApiError(40001, "invalid credential, access_token is invalid or not latest")
            raise ApiError(40014, "invalid access_token")
        if info["expires_at"] <= now:
            raise ApiError(42001, "access_token expired")
        return info["app"]

    def drop_app(self, platform: str, app: str) -> None:
        for t in [t for t, i in self.tokens.items() if i["platform"] == platform and i["app"] == app]:
            del self.tokens[t]
