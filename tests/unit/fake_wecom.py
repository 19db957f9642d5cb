"""A sandbox-free WeCom for unit tests of reassignment: the gateway methods the use cases call, in memory.

It keeps what the rules depend on (the real wire format is the sandbox's job, tests/integration): departed and
current staff, customers and their owners, group chats, transfers that wait 24 h on the test's clock unless the
customer refuses (status 3) or the takeover is full (4), the in-transfer errcodes 40100/40129, and injected
faults (`fail("transfer_customers", WeChatBusy(-1, "busy"))`, or `lose_answer=True`: WeCom acts, we hear an error).
"""

from __future__ import annotations

from collections import Counter
from itertools import count

from scrm.errors import NoAppSecret, WeChatError

DAY = 86400


class FakeWeCom:
    def __init__(self, clock):
        self.clock = clock
        self.staff: dict[str, dict] = {}
        self.owners: dict[str, list[str]] = {}  # external_userid -> staff who have the customer
        self.chats: dict[str, str] = {}  # chat_id -> owner
        self.transfers: list[dict] = []
        self.calls: Counter = Counter()
        self.sent_texts: list[tuple[int, list[str], str]] = []
        self.app_secrets: dict[int, str] = {1000002: "notify-app-secret"}  # the self-built apps it has Secrets of
        self._faults: dict[str, list[tuple[Exception, bool]]] = {}
        self._ids = count(1)

    # ---- arranging the corp
    def member(self, userid: str, *, departed: bool = False, department=(1,)) -> None:
        self.staff[userid] = {"status": "resigned" if departed else "active", "department": list(department)}

    def customers(self, owner: str, n: int) -> list[str]:
        self.staff.setdefault(owner, {"status": "active", "department": [1]})
        ids = [f"wm{next(self._ids):05d}" for _ in range(n)]
        for e in ids:
            self.owners[e] = [owner]
        return ids

    def group_chats(self, owner: str, n: int) -> list[str]:
        ids = [f"wr{next(self._ids):05d}" for _ in range(n)]
        for c in ids:
            self.chats[c] = owner
        return ids

    def leave(self, userid: str) -> None:
        self.staff[userid]["status"] = "resigned"

    def outcome(self, external_userid: str, status: int) -> None:
        """The customer refuses (3) or the takeover hits its limit (4) before the 24 h are over."""
        pending = [t for t in self.transfers if t["external_userid"] == external_userid and t["status"] == 2]
        pending[-1]["status"] = status

    def fail(self, method: str, exc: Exception, *, times: int = 1, lose_answer: bool = False) -> None:
        """The next `times` calls of `method` raise `exc`; with lose_answer the call takes effect first."""
        self._faults.setdefault(method, []).extend([(exc, lose_answer)] * times)

    def _call(self, method: str) -> tuple[Exception, bool] | None:
        self.calls[method] += 1
        faults = self._faults.get(method)
        return faults.pop(0) if faults else None

    def _tick(self) -> None:
        for t in self.transfers:
            if t["status"] == 2 and self.clock() >= t["takeover_time"]:
                t["status"] = 1
                self.owners[t["external_userid"]] = [t["takeover_userid"]]

    def _raise_before(self, method: str) -> Exception | None:
        fault = self._call(method)
        if fault and not fault[1]:
            raise fault[0]
        return fault[0] if fault else None

    # ---- the gateway's methods
    def user(self, userid: str) -> dict:
        self._call("user")
        s = self.staff.get(userid)
        if s is None or s["status"] != "active":
            raise WeChatError(60111, "invalid userid", "user/get")
        return {"userid": userid, "department": s["department"]}

    def customer_contact_staff(self) -> list[str]:
        self._call("customer_contact_staff")
        return [u for u, s in self.staff.items() if s["status"] == "active"]

    def customer_ids(self, userid: str) -> list[str]:
        self._call("customer_ids")
        self._tick()
        return [e for e, owners in self.owners.items() if userid in owners]

    def unassigned_customers(self, cursor: str = "", page_size: int = 1000) -> dict:
        self._call("unassigned_customers")
        self._tick()
        rows = [{"handover_userid": o, "external_userid": e} for e, owners in self.owners.items() for o in owners
                if self.staff.get(o, {}).get("status") == "resigned"]
        return {"info": rows, "is_last": True, "next_cursor": ""}

    def group_chats_of(self, owner: str, cursor: str = "", limit: int = 1000) -> dict:
        self._call("group_chats_of")
        return {"group_chat_list": [{"chat_id": c} for c, o in self.chats.items() if o == owner], "next_cursor": ""}

    def group_chat(self, chat_id: str) -> dict:
        self._call("group_chat")
        return {"group_chat": {"chat_id": chat_id, "owner": self.chats[chat_id]}}

    def _customer_code(self, handover: str, takeover: str, e: str, resigned: bool) -> int:
        if handover not in self.owners.get(e, []):
            return 40131
        if any(t["external_userid"] == e and t["status"] == 2 for t in self.transfers):
            return 40100 if resigned else 40129
        self.transfers.append({"handover_userid": handover, "takeover_userid": takeover, "external_userid": e,
                               "status": 2, "resigned": resigned, "takeover_time": self.clock() + DAY})
        return 0

    def transfer_customers(self, handover: str, takeover: str, external_userids: list[str], *, resigned: bool,
                           transfer_success_msg: str | None = None) -> dict:
        assert len(external_userids) <= 100
        lost = self._raise_before("transfer_customers")
        if resigned and self.staff[handover]["status"] != "resigned":
            raise WeChatError(40097, "the handover member has not resigned", "resigned/transfer_customer")
        out = [{"external_userid": e, "errcode": self._customer_code(handover, takeover, e, resigned)}
               for e in external_userids]
        if lost:
            raise lost
        return {"customer": out}

    def transfer_result(self, handover: str, takeover: str, cursor: str = "", *, resigned: bool) -> dict:
        self._raise_before("transfer_result")
        self._tick()
        latest = {t["external_userid"]: t for t in self.transfers if t["handover_userid"] == handover
                  and t["takeover_userid"] == takeover and t["resigned"] == resigned}
        return {"customer": [{"external_userid": e, "status": t["status"], "takeover_time": t["takeover_time"]}
                             for e, t in latest.items()], "next_cursor": ""}

    def transfer_group_chats(self, chat_ids: list[str], new_owner: str, *, resigned: bool) -> dict:
        lost = self._raise_before("transfer_group_chats")
        for c in chat_ids:
            self.chats[c] = new_owner
        if lost:
            raise lost
        return {"failed_chat_list": []}

    def as_app(self, agentid: int) -> _App:
        """The corp as its app `agentid` (as WeComGateway.as_app): NoAppSecret without that app's Secret."""
        if not self.app_secrets.get(int(agentid)):
            raise NoAppSecret("corp-a", agentid)
        return _App(self, int(agentid))

    # ---- what the tests look at
    def faults_left(self) -> int:
        return sum(len(f) for f in self._faults.values())

    def accepted(self) -> Counter:
        """How many transfers WeCom accepted for each customer (must be one each: never sent twice)."""
        return Counter(t["external_userid"] for t in self.transfers)


class _App:
    """The fake corp speaking as one of its apps: only app messages."""

    def __init__(self, corp: FakeWeCom, agentid: int):
        self.corp, self.agentid = corp, agentid

    def send_app_text(self, touser: list[str], content: str) -> dict:
        self.corp._raise_before("send_app_text")
        self.corp.sent_texts.append((self.agentid, list(touser), content))
        return {}
