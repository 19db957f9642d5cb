"""The composition root: everything a warm Lambda container keeps between invocations, wired in one place.

Stores, gateways, AWS clients, the clock and the per-container caches (accounts, secrets, reply settings, the /u/
negative cache, ...) are made here on first use and kept on the one `Container`. Nothing else in the layer keeps
module-level state: code asks `container()` for what it needs, so

- a cold start is `reset()`: tests call it before and after each test (tests/conftest.py) instead of knowing
  which module caches what;
- a test passes fakes: `reset(campaign_store=MemoryCampaignStore())` makes every use case in the process use the
  in-memory twin (each capability names its slot below, next to the factory that builds the real one).

Factories import their implementation lazily: building the container costs nothing, and a function that never
touches DynamoDB never imports PynamoDB.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .config import settings


class TtlCache:
    """A per-container cache whose entries expire `seconds` after they were put (thread-safe).

    `clock` is monotonic by default: a cache must not live longer because the wall clock was stepped back.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._items: dict[Any, tuple[float, Any, float]] = {}  # key -> (fresh until, value, put at)

    def get(self, key, default=None):
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] <= self.clock():
                return default
            return hit[1]

    def stale(self, key) -> tuple[Any, float] | None:
        """(value, seconds since it was put) whether or not it has expired: for serving a stale copy when the
        source is down. None if it was never put (or was popped)."""
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            return hit[1], self.clock() - hit[2]

    def put(self, key, value, seconds: float | None = None) -> None:
        with self._lock:
            now = self.clock()
            self._items[key] = (now + (self.seconds if seconds is None else seconds), value, now)

    def pop(self, key) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class Container:
    """One container's objects, each made once on first use by its factory (`slot`)."""

    def __init__(self, clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
                 **overrides):
        self.clock = clock  # wall-clock "now" for business rules (draw days, schedules); tests pass a fixed one
        # elapsed time for the per-container caches: a cache must not live longer because the wall clock was
        # stepped back; tests move it to age a cache without waiting
        self.monotonic = monotonic
        self._made: dict[str, Any] = dict(overrides)
        self._lock = threading.RLock()

    def slot(self, name: str, factory: Callable[[Container], Any]):
        """The container's one `name`, made by `factory(self)` the first time it is asked for."""
        with self._lock:
            if name not in self._made:
                self._made[name] = factory(self)
            return self._made[name]

    def cache(self, name: str, seconds: float) -> TtlCache:
        """A named per-container cache (forgotten with the container)."""
        return self.slot(f"cache:{name}", lambda c: TtlCache(seconds, clock=lambda: c.monotonic()))

    def forget(self, *names: str) -> None:
        """Drop these slots (made again on next use): e.g. queue URLs after the queues were recreated."""
        with self._lock:
            for name in names:
                self._made.pop(name, None)

    def now(self) -> float:
        return self.clock()


_CURRENT: Container | None = None
_CURRENT_LOCK = threading.Lock()


def container() -> Container:
    """This process's container (made on first use)."""
    global _CURRENT
    if _CURRENT is None:
        with _CURRENT_LOCK:
            if _CURRENT is None:
                _CURRENT = Container()
    return _CURRENT


def reset(clock: Callable[[], float] | None = None, monotonic: Callable[[], float] | None = None,
          **overrides) -> Container:
    """Forget everything (a cold container); `overrides` pre-fill slots with fakes, `clock` fixes "now",
    `monotonic` the caches' elapsed time."""
    global _CURRENT
    with _CURRENT_LOCK:
        _CURRENT = Container(clock or time.time, monotonic or time.monotonic, **overrides)
    return _CURRENT


# ---- capabilities' slots: one function per store/gateway, named for what it gives, real implementation lazily.
# Each capability adds its block here (e.g. `def campaign_store(): return container().slot("campaign_store", ...)`).


def push_store():
    """The push store (system scope; `push_store().scoped(scope)` for a caller's view): DynamoDB in Lambda, or the
    fake a test passed, e.g. `reset(push_store=MemoryPushStore())`."""
    return container().slot("push_store", lambda c: _dynamo_push_store())


def _dynamo_push_store():
    from .stores.pushes.dynamo import DynamoPushStore

    return DynamoPushStore()


def reassignment_store():
    """Plans, items, batches, the on-job ledger and notices of staff-departure reassignment."""
    return container().slot("reassignment_store", lambda c: _dynamo_reassignment_store())


def _dynamo_reassignment_store():
    from .stores.reassignment.dynamo import DynamoReassignmentStore

    return DynamoReassignmentStore()


def campaign_store():
    """The campaign store (scrm.stores.campaigns): DynamoDB unless a test passed `campaign_store=`."""
    return container().slot("campaign_store", lambda c: _dynamo_campaign_store())


def _dynamo_campaign_store():
    from .stores.campaigns.dynamo import DynamoCampaignStore

    return DynamoCampaignStore()


# ---- the platform: AWS clients, queue URLs, the idempotency persistence layer, the callback inbox.


def aws_client(service: str):
    """The container's boto3 client for `service` (boto3 is costly to set up: once per container)."""
    return container().slot(f"aws:{service}", lambda _: _boto3_client(service))


def _boto3_client(service: str):
    import boto3

    return boto3.client(service, region_name=settings().region)


def inbox():
    """The callback inbox (scrm.data.inbox.Inbox; tests pass `inbox=MemoryInbox()`)."""
    return container().slot("inbox", lambda _: _dynamo_inbox())


def _dynamo_inbox():
    from .data.inbox import Inbox

    return Inbox()


# ---- accounts and callbacks: the account registry's and reply settings' caches, the callback service.


def callback_service():
    """The container's CallbackService (tests pass `callback_service=CallbackService(...)`)."""
    return container().slot("callback_service", lambda _: _callback_service())


def _callback_service():
    from .services.callbacks import CallbackService

    return CallbackService(inbox=inbox())


# channels: channels, their statistics and pending taggings (scrm.stores.channels); contacts and contact books
# (scrm.stores.contacts); the channel definitions and pointers read on the event path, cached for a minute.
CHANNEL_CACHE_SECONDS = 60


def channel_store():
    def make(_):
        from .stores.channels.dynamo import DynamoChannelStore

        return DynamoChannelStore()

    return container().slot("channel_store", make)


def contact_store():
    def make(_):
        from .stores.contacts.dynamo import DynamoContactStore

        return DynamoContactStore()

    return container().slot("contact_store", make)


def channel_cache() -> TtlCache:
    return container().cache("channels", CHANNEL_CACHE_SECONDS)


def console_store():
    """Console sign-in sessions, WeCom login states and staff's console roles (scrm.stores.console): DynamoDB
    unless a test passed `console_store=MemoryConsoleStore()`."""
    def make(_):
        from .stores.console.dynamo import DynamoConsoleStore

        return DynamoConsoleStore()

    return container().slot("console_store", make)


# accounts, admin keys, the audit log and reply rules (scrm.stores.<capability>): DynamoDB unless a test passed the
# twin, e.g. `reset(account_store=MemoryAccountStore())`.


def account_store():
    def make(_):
        from .stores.accounts.dynamo import DynamoAccountStore

        return DynamoAccountStore()

    return container().slot("account_store", make)


def _part_of(store_slot: str, name: str, make: Callable[[], Any]):
    """A store's read side in a slot of its own, so that a function that only reads is granted only reads
    (infra/access.py grants per class). A test's twin passed as `store_slot` serves here too."""
    return container().slot(name, lambda c: c._made[store_slot] if store_slot in c._made else make())


def account_reads():
    """The account store's read side, what every function reads accounts with (callbacks, workers, key checks)."""
    def make():
        from .stores.accounts.dynamo import DynamoAccountReads

        return DynamoAccountReads()

    return _part_of("account_store", "account_reads", make)


def account_list():
    """The account store's read of every account, for the schedules that sweep them (only they get the Scan)."""
    def make():
        from .stores.accounts.dynamo import DynamoAccountList

        return DynamoAccountList()

    return _part_of("account_store", "account_list", make)


def admin_key_store():
    def make(_):
        from .stores.admin_keys.dynamo import DynamoAdminKeyStore

        return DynamoAdminKeyStore()

    return container().slot("admin_key_store", make)


def audit_store():
    def make(_):
        from .stores.audit.dynamo import DynamoAuditStore

        return DynamoAuditStore()

    return container().slot("audit_store", make)


def reply_rule_store():
    def make(_):
        from .stores.reply_rules.dynamo import DynamoReplyRuleStore

        return DynamoReplyRuleStore()

    return container().slot("reply_rule_store", make)


def reply_reads():
    """The reply rule store's read side, what the callback path loads an account's replies with."""
    def make():
        from .stores.reply_rules.dynamo import DynamoReplyReads

        return DynamoReplyReads()

    return _part_of("reply_rule_store", "reply_reads", make)


# menus: drafts, published versions, conditional menus and click counters (scrm.stores.menus): DynamoDB unless a
# test passed `menu_store=MemoryMenuStore()`.
def menu_store():
    def make(_):
        from .stores.menus.dynamo import DynamoMenuStore

        return DynamoMenuStore()

    return container().slot("menu_store", make)


def tag_store():
    """A WeCom corp's customer tag catalogue (scrm.stores.tags): DynamoDB unless a test passed
    `tag_store=MemoryTagStore()`."""
    def make(_):
        from .stores.tags.dynamo import DynamoTagStore

        return DynamoTagStore()

    return container().slot("tag_store", make)


def moment_store():
    """The moment store (scrm.stores.moments): DynamoDB unless a test passed `moment_store=`."""
    return container().slot("moment_store", lambda c: _dynamo_moment_store())


def _dynamo_moment_store():
    from .stores.moments.dynamo import DynamoMomentStore

    return DynamoMomentStore()


def group_store():
    """Customer groups, members, sizes per day (scrm.stores.groups): DynamoDB unless a test passed
    `group_store=MemoryGroupStore()`."""
    def make(_):
        from .stores.groups.dynamo import DynamoGroupStore

        return DynamoGroupStore()

    return container().slot("group_store", make)


def member_store():
    """Member lists and member-verified group codes (scrm.stores.members): DynamoDB unless a test passed
    `member_store=MemoryMemberStore()`."""
    def make(_):
        from .stores.members.dynamo import DynamoMemberStore

        return DynamoMemberStore()

    return container().slot("member_store", make)


def staff_store():
    """Staff figures per day and loss alerts (scrm.stores.staff): DynamoDB unless a test passed
    `staff_store=MemoryStaffStore()`."""
    def make(_):
        from .stores.staff.dynamo import DynamoStaffStore

        return DynamoStaffStore()

    return container().slot("staff_store", make)


def insight_store():
    """OA statistics per API per day (scrm.stores.insight): DynamoDB unless a test passed
    `insight_store=MemoryInsightStore()`."""
    def make(_):
        from .stores.insight.dynamo import DynamoInsightStore

        return DynamoInsightStore()

    return container().slot("insight_store", make)


def journey_store():
    """Journeys (SOP), their entrants and figures (scrm.stores.journeys): DynamoDB unless a test passed
    `journey_store=MemoryJourneyStore()`."""
    def make(_):
        from .stores.journeys.dynamo import DynamoJourneyStore

        return DynamoJourneyStore()

    return container().slot("journey_store", make)
