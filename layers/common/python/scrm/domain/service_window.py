"""The customer-service window (客服消息下发规则): which of a follower's actions let an account send them
customer-service messages (message/custom/send), how many, and for how long.

WeChat's rules, https://developers.weixin.qq.com/doc/offiaccount/Customer_Service/Customer_Service_Messages.html:
- 用户发送消息 (the follower sends a message): 5 messages within 48 hours;
- 点击自定义菜单 (only the click, scancode_push and scancode_waitmsg menu types), 关注 (a follow) and 扫描二维码
  (a QR scan): 3 messages within 1 minute;
- 支付成功 (a payment): unlimited within 48 hours; we receive no payment event, so it is not modelled.
A menu click gives only the click allowance ("不会产生用户发送消息场景的客服消息下发额度"), so an allowance is kept per
scene kind. A newer action of the same kind starts that allowance afresh (WeChat: "若用户继续发送消息，企业可再次下发
消息"); the old one's remainder is not added to it (the page does not say that it carries over). A view menu, a
location report or an unfollow opens nothing.

Every sender (scheduled pushes, journeys) counts each message against the allowance that ends first among those with
messages left (the 1-minute one before the 48-hour one), with a conditional write, so two senders together never
exceed it (stores: claim_service_message).
"""

from __future__ import annotations

from dataclasses import dataclass

USER_MESSAGE_KINDS = ("oa.text", "oa.image", "oa.voice", "oa.video", "oa.shortvideo", "oa.location_msg", "oa.link",
                      "oa.file")
ACTION_KINDS = ("oa.click", "oa.scancode_push", "oa.scancode_waitmsg", "oa.subscribe", "oa.scan")
OPENING_KINDS = USER_MESSAGE_KINDS + ACTION_KINDS
MESSAGE_WINDOW_SECONDS = 48 * 3600


@dataclass(frozen=True)
class Allowance:
    name: str  # the store's field prefix: <name>_at, <name>_sent
    seconds: int
    messages: int


MESSAGE = Allowance("message", MESSAGE_WINDOW_SECONDS, 5)
ACTION = Allowance("action", 60, 3)
ALLOWANCES = (ACTION, MESSAGE)  # the order they are used in: the one that ends first


@dataclass(frozen=True)
class Window:
    """A follower's allowances: when each was last opened and how many messages were counted against it since."""
    message_at: float = 0.0
    message_sent: int = 0
    action_at: float = 0.0
    action_sent: int = 0

    def opened_at(self, allowance: Allowance) -> float:
        return getattr(self, f"{allowance.name}_at")

    def sent(self, allowance: Allowance) -> int:
        return getattr(self, f"{allowance.name}_sent")


def allowance_of(kind: str) -> Allowance | None:
    """The allowance an event of `kind` opens, or None."""
    if kind in USER_MESSAGE_KINDS:
        return MESSAGE
    return ACTION if kind in ACTION_KINDS else None


def seconds_of(allowance: Allowance, message_seconds: int | None = None) -> int:
    """How long the allowance lasts; an account may shorten the 48 hours (option custom_window_seconds), never
    lengthen them."""
    if allowance is MESSAGE and message_seconds:
        return min(int(message_seconds), MESSAGE.seconds)
    return allowance.seconds


def left(window: Window, allowance: Allowance, now: float, message_seconds: int | None = None) -> int:
    """Messages the allowance still permits at `now` (0 once it has ended)."""
    opened = window.opened_at(allowance)
    if not opened or now > opened + seconds_of(allowance, message_seconds):
        return 0
    return max(0, allowance.messages - window.sent(allowance))


def messages_left(window: Window | None, now: float, message_seconds: int | None = None) -> int:
    return sum(left(window, a, now, message_seconds) for a in ALLOWANCES) if window else 0


def usable(window: Window | None, now: float, message_seconds: int | None = None) -> list[Allowance]:
    """The allowances a message may be counted against, in the order to try them."""
    return [a for a in ALLOWANCES if window and left(window, a, now, message_seconds) > 0]


def refusal_gives_back(errcode: int | None) -> bool:
    """Whether a message WeChat refused gives its claim back: it did not count, unless the refusal says the
    allowance is gone (45015 out of the window, 45047 over the limit), where WeChat knows better than our count."""
    return errcode not in (45015, 45047)


def touched(window: Window | None, allowance: Allowance, at: float) -> Window | None:
    """The window after an action at `at` opening `allowance`: started afresh when newer, else None (no change)."""
    window = window or Window()
    if window.opened_at(allowance) >= at:
        return None
    return Window(**{**window.__dict__, f"{allowance.name}_at": at, f"{allowance.name}_sent": 0})
