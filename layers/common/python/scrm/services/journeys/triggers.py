"""The callback events that enrol people into journeys and take them out.

- `oa.subscribe` enrols the follower into every active journey triggered by `followed` (with the channel's QR scene,
  when the journey names one); `oa.unsubscribe` exits them from every journey of the account.
- WeCom `add_external_contact` enrols the customer into `customer_added` journeys (the contact way's state, when
  named), remembering the staff member they added (the sender of WeCom steps); `del_follow_user` (the customer
  deleted the staff member) and `del_external_contact` exit them.

Events are redelivered: the event worker's exactly-once wrapper is the first guard, and the enrolment itself is a
conditional write (once per (journey, person)), so a second delivery enrols nobody twice."""

from __future__ import annotations

from ...domain import journeys as rules
from .deps import JourneyDeps


class Triggers:
    def __init__(self, deps: JourneyDeps):
        self.deps = deps

    @property
    def store(self):
        return self.deps.store

    def enrol(self, account_id: str, kind: str, person: str, context: dict, staff: str | None = None) -> list[str]:
        """Enrol `person` into the account's active journeys this event triggers; the journey ids entered now."""
        now = self.deps.clock()
        entered = []
        for j in self.store.active_journeys(account_id):
            if j["status"] != "active" or not rules.matches(j["trigger"], kind, context):
                continue
            entrant = {"account_id": account_id, "journey_id": j["journey_id"], "person": person, "step": 0,
                       "state": "ready", "next_run_at": now, "due": "1", "entered_at": now, "updated_at": now,
                       **({"staff": staff} if staff else {})}
            if self.store.enrol(entrant):
                entered.append(j["journey_id"])
        return entered

    def exit_all(self, account_id: str, person: str, reason: str) -> list[str]:
        now = self.deps.clock()
        return [j["journey_id"] for j in self.store.active_journeys(account_id)
                if self.store.exit(account_id, j["journey_id"], person, reason, now) is not None]

    def on_oa(self, payload: dict) -> dict:
        ev = payload.get("event") or {}
        openid, event = ev.get("FromUserName"), (ev.get("Event") or "").lower()
        if not openid:
            return {"ignored": "no FromUserName"}
        if event == "subscribe":
            return {"entered": self.enrol(payload["account_id"], "followed", openid,
                                          {"scene": rules.scene_of(ev.get("EventKey"))})}
        return {"exited": self.exit_all(payload["account_id"], openid, "unfollowed")}

    def on_wecom(self, payload: dict) -> dict:
        ev = payload.get("event") or {}
        ext, userid, change = ev.get("ExternalUserID"), ev.get("UserID"), ev.get("ChangeType")
        if not ext:
            return {"ignored": "no ExternalUserID"}
        if change == "add_external_contact":
            return {"entered": self.enrol(payload["account_id"], "customer_added", ext,
                                          {"state": ev.get("State") or None}, staff=userid)}
        if change == "del_external_contact" and ev.get("Source") == "DELETE_BY_TRANSFER":
            return {"ignored": "a transfer to another staff member, not a lost customer"}
        why = "deleted the staff member" if change == "del_follow_user" else "removed by the staff member"
        return {"exited": self.exit_all(payload["account_id"], ext, why)}
