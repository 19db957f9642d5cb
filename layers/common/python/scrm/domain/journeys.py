"""Journey (SOP) rules, pure: which steps are messages, which journeys an event enrols into, what a step's outcome
adds to the figures, and how long to wait before retrying a transient failure."""

from __future__ import annotations

MESSAGE_STEPS = ("custom", "template", "wecom")
OUTCOMES = ("sent", "done", "skipped_quota", "refused", "unknown")
MAX_ATTEMPTS = 5  # transient WeChat errors (busy, rate limited) of one step before it is recorded refused
RETRY_BASE_SECONDS = 60
PAUSED_RECHECK_SECONDS = 300  # a paused journey's due entrants are looked at again this much later
LEASE_SECONDS = 120  # longer than one step's WeChat call with its retries inside the gateway
EDITABLE = ("draft",)
# status -> what an operator may move it to
TRANSITIONS = {"activate": (("draft", "paused"), "active"), "pause": (("active",), "paused"),
               "end": (("draft", "active", "paused"), "ended")}
# trigger kind -> the accounts whose events it is (a prize is won by an OA follower in a campaign; a customer
# group is WeCom's; a tag may be an OA user tag or a WeCom corp tag)
PLATFORMS_OF_TRIGGER = {"followed": ("oa",), "customer_added": ("wecom",), "won_prize": ("oa",),
                        "joined_group": ("wecom",), "tag_added": ("oa", "wecom")}
# the optional narrowing of each trigger: only events whose field has the trigger's value
TRIGGER_FILTERS = {"followed": ("scene",), "customer_added": ("state",), "won_prize": ("campaign_id",),
                   "joined_group": ("chat_id", "channel_id"), "tag_added": ("tag_id",)}
EXTERNAL_MEMBER = 2  # groupchat/get member_list type: 1 staff member, 2 customer (external contact)
PLATFORM_STEPS = {"oa": ("wait", "custom", "template", "tag"), "wecom": ("wait", "wecom", "tag")}
GOAL_PLATFORMS = {"goal_tag_id": ("oa", "wecom"), "goal_prize": ("oa",)}

# 客服消息 (customer-service message) types a `custom` step sends, with the step fields each needs; the bodies
# follow 客服接口-发消息: https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html
# (also https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage)
CUSTOM_TYPES = {"text": ("text",), "image": ("media_id",), "mpnews": ("media_id",), "news": ("title", "url"),
                "miniprogrampage": ("title", "appid", "pagepath", "thumb_media_id")}


def matches(trigger: dict, kind: str, event: dict) -> bool:
    """Whether an event of `kind` enrols into a journey with this trigger: the kind, and each narrowing the trigger
    names (followed: `scene`, the QR scene string followed through; customer_added: `state`, the contact way's
    state; won_prize: `campaign_id`; joined_group: `chat_id`, the group, and `channel_id`, the group code;
    tag_added: `tag_id`) equal to the event's."""
    if trigger.get("kind") != kind:
        return False
    return all(not trigger.get(f) or str(trigger[f]) == str(event.get(f) or "") for f in TRIGGER_FILTERS.get(kind, ()))


def goal_reached(journey: dict, *, tag_id: str | None = None, prize: dict | None = None) -> bool:
    """Whether a person getting this tag, or winning this prize ({campaign_id}), reaches the journey's goal:
    `goal_tag_id`, or `goal_prize` (any prize, or only one of its `campaign_id`)."""
    if tag_id is not None and journey.get("goal_tag_id") and str(journey["goal_tag_id"]) == str(tag_id):
        return True
    goal = journey.get("goal_prize")
    if prize is None or not isinstance(goal, dict):
        return False
    return not goal.get("campaign_id") or goal["campaign_id"] == prize.get("campaign_id")


def custom_message(step: dict, openid: str) -> dict:
    """The message/custom/send body of a `custom` step (msgtype text when the step names none)."""
    kind = step.get("msgtype") or "text"
    if kind == "text":
        payload = {"content": step["text"]}
    elif kind in ("image", "mpnews"):
        payload = {"media_id": step["media_id"]}
    elif kind == "news":  # 图文消息 (点击跳转到外链): one article
        payload = {"articles": [{"title": step["title"], "description": step.get("description") or "",
                                 "url": step["url"], "picurl": step.get("picurl") or ""}]}
    elif kind == "miniprogrampage":  # 小程序卡片 (the mini program linked to the OA)
        payload = {k: step[k] for k in ("title", "appid", "pagepath", "thumb_media_id")}
    else:
        raise ValueError(f"no customer-service message of type {kind!r}")
    return {"touser": openid, "msgtype": kind, kind: payload}


def step_figures(step_no: int, steps: int, outcome: str) -> dict[int, dict[str, int]]:
    """What one step's final outcome adds: done (or its message outcome) at this step, then entered at the next
    step, or finished here when it was the last."""
    here = {"done": 1} if outcome in ("sent", "done") else {}
    if outcome != "done":
        here[outcome] = here.get(outcome, 0) + 1
    out = {step_no: here}
    if step_no + 1 < steps:
        out[step_no + 1] = {"entered": 1}
    else:
        here["finished"] = 1
    return out


def retry_delay(attempts: int) -> float:
    return RETRY_BASE_SECONDS * (2 ** min(attempts, 6))


def scene_of(event_key: str | None) -> str | None:
    """The QR scene a subscribe came through: EventKey `qrscene_<scene>` (OA 接收事件推送: 扫描带参数二维码事件,
    https://developers.weixin.qq.com/doc/service/guide/product/message/Receiving_event_pushes.html)."""
    if event_key and event_key.startswith("qrscene_"):
        return event_key[len("qrscene_"):]
    return None
