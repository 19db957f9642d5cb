"""The callback events that enrol people into journeys and take them out.

- `oa.subscribe` enrols the follower into every active journey triggered by `followed` (with the channel's QR scene,
  when the journey names one); `oa.unsubscribe` exits them from every journey of the account.
- WeCom `add_external_contact` enrols the customer into `customer_added` journeys (the contact way's state, when
  named), remembering the staff member they added (the sender of WeCom steps); `del_follow_user` (the customer
  deleted the staff member) and `del_external_contact` exit them.
- A campaign win (`campaign.draw` with won, queued by the wheel's draw; `campaign.win`, queued by the lottery's
  award) enrols the winner into `won_prize` journeys (of that campaign, when named) and is the goal of journeys
  with `goal_prize`.
- A customer group join (`change_external_chat` update add_member, after scrm.services.groups.membership stored
  the members) enrols each customer (type 2) who is in the group now into `joined_group` journeys (of that group,
  or through that group code's channel, when named); the group's owner sends their WeCom steps.
- A tag given (a journey's tag step; a channel's tagging applied by its schedule: `tagged`) enrols into
  `tag_added` journeys (of that tag, when named) and is the goal of journeys with that `goal_tag_id`.

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

    def reach_goal(self, account_id: str, person: str, *, tag_id: str | None = None, prize: dict | None = None
                   ) -> list[str]:
        """The person got a tag or won a prize: they leave every journey of the account whose goal it is."""
        now = self.deps.clock()
        return [j["journey_id"] for j in self.store.active_journeys(account_id)
                if rules.goal_reached(j, tag_id=tag_id, prize=prize)
                and self.store.exit(account_id, j["journey_id"], person, "goal", now) is not None]

    def tagged(self, account_id: str, person: str, tag_id, staff: str | None = None) -> dict:
        """A tag was given to the person (OA openid or WeCom external userid; `staff`: the WeCom staff member whose
        relationship carries it): the goal first (a journey whose goal it is lets them go), then enrolment."""
        tag = str(tag_id)
        left = self.reach_goal(account_id, person, tag_id=tag)
        return {"entered": self.enrol(account_id, "tag_added", person, {"tag_id": tag}, staff=staff), "goal": left}

    def on_prize(self, payload: dict) -> dict:
        ev = payload.get("event") or {}
        openid = ev.get("FromUserName")
        if not openid or not ev.get("won"):
            return {"ignored": "not a win"}
        prize = {"campaign_id": ev.get("CampaignId"), "prize_id": ev.get("PrizeId")}
        left = self.reach_goal(payload["account_id"], openid, prize=prize)
        return {"entered": self.enrol(payload["account_id"], "won_prize", openid, prize), "goal": left}

    def on_group(self, payload: dict, groups=None, scope=None) -> dict:
        """Who the add_member event names, as the group store holds them now (membership ran first): customers
        in the group. A redelivery finds the same members and enrols nobody twice."""
        ev = payload.get("event") or {}
        if (ev.get("ChangeType") or "").lower() != "update" or ev.get("UpdateDetail") != "add_member":
            return {"ignored": "not a join"}
        chat_id = ev.get("ChatId")
        userids = [u for u in ev.get("MemChangeList") or [] if isinstance(u, str) and u]
        if not chat_id or not userids or groups is None:
            return {"ignored": "no members named"}
        account_id = payload["account_id"]
        group = groups.get_groups(scope, account_id, [chat_id]).get(chat_id) or {}
        members = groups.get_members(scope, account_id, chat_id, userids)
        entered = {}
        for userid in userids:
            m = members.get(userid)
            if not m or not m.get("in_group") or int(m.get("type") or 0) != rules.EXTERNAL_MEMBER:
                continue
            context = {"chat_id": chat_id, "channel_id": m.get("channel_id")}
            staff = group.get("owner") or m.get("invitor")
            entered[userid] = self.enrol(account_id, "joined_group", userid, context, staff=staff)
        return {"entered": entered}

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
