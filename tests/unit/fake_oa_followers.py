"""An Official Account's followers in memory for the follower sync's unit tests and bench: user/get paging and
user/info/batchget with WeChat's limits and errors (the wire format is the sandbox's job), counting calls.

A million followers fit: each follower's profile is computed from its number unless a test changed it."""

from __future__ import annotations

from collections import Counter

from scrm.errors import WeChatError

LANGS = ("zh_CN", "zh_CN", "zh_CN", "en", "zh_TW")
SCENES = ("ADD_SCENE_QR_CODE", "ADD_SCENE_SEARCH", "ADD_SCENE_PROFILE_CARD", "ADD_SCENE_OTHERS")
T0 = 1_700_000_000


class FakeFollowers:
    def __init__(self, n: int = 0, prefix: str = "o"):
        self.prefix = prefix
        self.order: list[str] = []  # user/get's order (follow order)
        self.gone: set[str] = set()  # unfollowed since
        self.changed: dict[str, dict] = {}
        self.calls: Counter = Counter()
        self.faults: list[tuple[str, Exception]] = []  # (endpoint, error) raised once each, in order
        self.add(n)

    def add(self, n: int) -> list[str]:
        start = len(self.order)
        made = [f"{self.prefix}{i:027d}" for i in range(start, start + n)]
        self.order.extend(made)
        return made

    def info(self, openid: str) -> dict:
        if openid in self.gone:
            return {"subscribe": 0, "openid": openid}
        i = int(openid[len(self.prefix):])
        base = {"subscribe": 1, "openid": openid, "language": LANGS[i % len(LANGS)],
                "subscribe_time": T0 + i * 37, "unionid": f"u{i}" if i % 2 else None, "remark": "",
                "groupid": 0, "tagid_list": [100 + i % 3] if i % 4 == 0 else [],
                "subscribe_scene": SCENES[i % len(SCENES)], "qr_scene": 0, "qr_scene_str": ""}
        base.update(self.changed.get(openid, {}))
        return {k: v for k, v in base.items() if v is not None}

    def _fault(self, endpoint: str) -> None:
        for i, (where, exc) in enumerate(self.faults):
            if where == endpoint:
                del self.faults[i]
                raise exc

    # ---- the gateway's methods
    def followers_page(self, next_openid: str = "") -> dict:
        self.calls["user/get"] += 1
        self._fault("user/get")
        live = [o for o in self.order if o not in self.gone] if self.gone else self.order
        start = 0
        if next_openid:
            start = live.index(next_openid) + 1
        page = live[start:start + 10000]
        if not page:
            return {"total": len(live), "count": 0, "next_openid": ""}
        return {"total": len(live), "count": len(page), "data": {"openid": page}, "next_openid": page[-1]}

    def follower_infos(self, openids: list[str], lang: str = "zh_CN") -> list[dict]:
        self.calls["user/info/batchget"] += 1
        self._fault("user/info/batchget")
        if not 1 <= len(openids) <= 100:
            raise WeChatError(40032, "invalid openid list size", "user/info/batchget")
        for o in openids:
            if not o.startswith(self.prefix) or o not in self._known(o):
                raise WeChatError(40003, "invalid openid", "user/info/batchget")
        return [self.info(o) for o in openids]

    def _known(self, openid: str):
        try:
            i = int(openid[len(self.prefix):])
        except ValueError:
            return ()
        return (openid,) if 0 <= i < len(self.order) else ()

    def follower_tags(self) -> list[dict]:
        self.calls["tags/get"] += 1
        return [{"id": 100, "name": "会员", "count": 0}, {"id": 101, "name": "VIP", "count": 0},
                {"id": 102, "name": "门店", "count": 0}]
