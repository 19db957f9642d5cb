"""The composition root: everything a warm Lambda container keeps between invocations, wired in one place.

Stores, gateways, AWS clients, the clock, the parsed settings, Powertools' logger, metrics and tracer, the
idempotency persistence layer and the per-container caches (accounts, secrets, reply settings, the /u/ negative
cache, ...) are made on first use and kept on the one `Container`. Nothing else in the layer keeps module-level
state (what is left at module level is registries filled at import, `@on` handlers and welcome providers, and
memos of pure functions): code asks `container()` for what it needs, so

- a cold start is `reset()`: tests call it before and after each test (tests/conftest.py) instead of knowing
  which module caches what;
- a test passes fakes: `reset(campaign_store=MemoryCampaignStore())` makes every use case in the process use the
  in-memory twin, `reset(idempotency_persistence=MemoryPersistenceLayer())` runs `idempotency.once` use cases
  without DynamoDB, `reset(tracer=...)` records traces.

A slot is a factory decorated with `@slot`: the function's name is the slot's name, and calling it gives the
container's one object. The capabilities' stores are declared below; the platform's slots sit with the code that
uses them and are made the same way: `settings` (scrm.config), `aws:<service>` clients (scrm.aws), queue URLs
(scrm.queues), `logger`/`metrics`/`tracer` (scrm.observability), `idempotency_persistence` and `exactly_once`
(scrm.idempotency), `access_tokens` (scrm.gateway.tokens).

Factories import their implementation inside their body: building the container costs nothing, a function that
never touches DynamoDB never imports PynamoDB, and infra/access.py reads from each factory which class (and so
which tables and actions) a function that asks for the slot reaches.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any


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


_UNMADE = object()


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
        """The container's one `name`, made by `factory(self)` the first time it is asked for (under the
        container's lock, so two threads on a cold start never build two: Powertools' Logger is not safe to build
        twice at once)."""
        made = self._made.get(name, _UNMADE)  # the warm path takes no lock (dict reads are atomic)
        if made is not _UNMADE:
            return made
        with self._lock:
            if name not in self._made:
                self._made[name] = factory(self)
            return self._made[name]

    def cache(self, name: str, seconds: float) -> TtlCache:
        """A named per-container cache (forgotten with the container)."""
        return self.slot(f"cache:{name}", lambda c: TtlCache(seconds, clock=lambda: c.monotonic()))

    def provide(self, **fakes) -> None:
        """Put these objects in their slots now (a test's fakes, after fixtures made the container)."""
        with self._lock:
            self._made.update(fakes)

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



def slot(factory: Callable[[Container], Any]) -> Callable[[], Any]:
    """`factory` as a slot named after it: the decorated name gives the container's one object, made by
    `factory(container)` on first use, or the fake a test passed as `reset(<name>=...)`."""
    name = factory.__name__

    @functools.wraps(factory)
    def get():
        return container().slot(name, factory)

    get.factory = factory
    return get


def read_side(store: str) -> Callable[[Callable[[Container], Any]], Callable[[], Any]]:
    """A store's read side in a slot of its own, so that a function that only reads is granted only reads
    (infra/access.py grants per class). A test's twin passed as `store` serves here too."""
    def declare(factory):
        return slot(functools.wraps(factory)(lambda c: c._made[store] if store in c._made else factory(c)))

    return declare


# ---- the capabilities' stores: DynamoDB in Lambda, or the in-memory twin a test passed, e.g.
# `reset(push_store=MemoryPushStore())`. `<store>().scoped(scope)` is a caller's view where the store has one.


@slot
def push_store(_):
    """Pushes, their runs, recipients and results (scrm.stores.pushes)."""
    from .stores.pushes.dynamo import DynamoPushStore
    return DynamoPushStore()


@slot
def reassignment_store(_):
    """Plans, items, batches, the on-job ledger and notices of staff-departure reassignment."""
    from .stores.reassignment.dynamo import DynamoReassignmentStore
    return DynamoReassignmentStore()


@slot
def campaign_store(_):
    """Campaigns, prizes, draws, participants, coupon codes (scrm.stores.campaigns)."""
    from .stores.campaigns.dynamo import DynamoCampaignStore
    return DynamoCampaignStore()


@slot
def channel_store(_):
    """Channels, their statistics and pending taggings (scrm.stores.channels)."""
    from .stores.channels.dynamo import DynamoChannelStore
    return DynamoChannelStore()


@slot
def contact_store(_):
    """Contacts and contact books (scrm.stores.contacts)."""
    from .stores.contacts.dynamo import DynamoContactStore
    return DynamoContactStore()


@slot
def console_store(_):
    """Console sign-in sessions, WeCom login states and staff's console roles (scrm.stores.console)."""
    from .stores.console.dynamo import DynamoConsoleStore
    return DynamoConsoleStore()


@slot
def account_store(_):
    """Accounts (scrm.stores.accounts): what registering and editing accounts writes with."""
    from .stores.accounts.dynamo import DynamoAccountStore
    return DynamoAccountStore()


@read_side("account_store")
def account_reads(_):
    """The account store's read side, what every function reads accounts with (callbacks, workers, key checks)."""
    from .stores.accounts.dynamo import DynamoAccountReads
    return DynamoAccountReads()


@read_side("account_store")
def account_list(_):
    """The account store's read of every account, for the schedules that sweep them (only they get the Scan)."""
    from .stores.accounts.dynamo import DynamoAccountList
    return DynamoAccountList()


@slot
def admin_key_store(_):
    """Admin API keys (scrm.stores.admin_keys)."""
    from .stores.admin_keys.dynamo import DynamoAdminKeyStore
    return DynamoAdminKeyStore()


@slot
def audit_store(_):
    """The admin audit log (scrm.stores.audit)."""
    from .stores.audit.dynamo import DynamoAuditStore
    return DynamoAuditStore()


@slot
def reply_rule_store(_):
    """Reply rules (scrm.stores.reply_rules)."""
    from .stores.reply_rules.dynamo import DynamoReplyRuleStore
    return DynamoReplyRuleStore()


@read_side("reply_rule_store")
def reply_reads(_):
    """The reply rule store's read side, what the callback path loads an account's replies with."""
    from .stores.reply_rules.dynamo import DynamoReplyReads
    return DynamoReplyReads()


@slot
def menu_store(_):
    """Menu drafts, published versions, conditional menus and click counters (scrm.stores.menus)."""
    from .stores.menus.dynamo import DynamoMenuStore
    return DynamoMenuStore()


@slot
def tag_store(_):
    """A WeCom corp's customer tag catalogue (scrm.stores.tags)."""
    from .stores.tags.dynamo import DynamoTagStore
    return DynamoTagStore()


@slot
def moment_store(_):
    """Customer moments and their jobs (scrm.stores.moments)."""
    from .stores.moments.dynamo import DynamoMomentStore
    return DynamoMomentStore()


@slot
def group_store(_):
    """Customer groups, members, sizes per day (scrm.stores.groups)."""
    from .stores.groups.dynamo import DynamoGroupStore
    return DynamoGroupStore()


@slot
def member_store(_):
    """Member lists and member-verified group codes (scrm.stores.members)."""
    from .stores.members.dynamo import DynamoMemberStore
    return DynamoMemberStore()


@slot
def staff_store(_):
    """Staff figures per day and loss alerts (scrm.stores.staff)."""
    from .stores.staff.dynamo import DynamoStaffStore
    return DynamoStaffStore()


@slot
def insight_store(_):
    """OA statistics per API per day (scrm.stores.insight)."""
    from .stores.insight.dynamo import DynamoInsightStore
    return DynamoInsightStore()


# ---- the callback path: the inbox, the callback service, the channel definitions read on the event path.
CHANNEL_CACHE_SECONDS = 60


@slot
def inbox(_):
    """The callback inbox (scrm.data.inbox.Inbox; tests pass `inbox=MemoryInbox()`)."""
    from .data.inbox import Inbox
    return Inbox()


@slot
def callback_service(_):
    """The container's CallbackService (tests pass `callback_service=CallbackService(...)`)."""
    from .services.callbacks import CallbackService
    return CallbackService(inbox=inbox())


def channel_cache() -> TtlCache:
    """Channel definitions and pointers, cached for a minute on the event path."""
    return container().cache("channels", CHANNEL_CACHE_SECONDS)
