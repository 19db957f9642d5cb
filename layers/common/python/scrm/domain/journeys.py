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
PLATFORM_OF_TRIGGER = {"followed": "oa", "customer_added": "wecom"}
PLATFORM_STEPS = {"oa": ("wait", "custom", "template", "tag"), "wecom": ("wait", "wecom", "tag")}


def matches(trigger: dict, kind: str, event: dict) -> bool:
    """Whether an event of `kind` (followed / customer_added) with its channel (`scene`: the QR scene string
    followed through; `state`: the contact way's state) enrols into a journey with this trigger."""
    if trigger.get("kind") != kind:
        return False
    if trigger.get("scene") and trigger["scene"] != event.get("scene"):
        return False
    return not (trigger.get("state") and trigger["state"] != event.get("state"))


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
