"""The composition root: everything a warm Lambda container keeps between invocations, wired in one place.

Stores, gateways, AWS clients, the clock, Powertools' logger, metrics and tracer, the
idempotency persistence layer and the per-container caches (accounts, secrets, reply settings, the /u/ negative
cache, ...) are made on first use and kept on the one `Container`. Nothing else in the layer keeps module-level
state (what is left at module level is registries filled at import, `@on` handlers and welcome providers, and
memos of pure functions): code asks `container()` for what it needs, so

- a cold start is `reset()`: tests call it before and after each test (tests/conftest.py) instead of knowing
  which module caches what;
- a test passes fakes: `reset(campaign_store=MemoryCampaignStore())` makes every use case in the process use the
  in-memory twin, `reset(idempotency_persistence=MemoryPersistenceLayer())` runs `idempotency.once` use cases
  without DynamoDB, `reset(tracer=...)` records traces.

A slot is a factory decorated with `@slot` (scrm.container, the leaf module the container lives in): the
function's name is the slot's name, and calling it gives the container's one object. The capabilities' stores are
declared below; the platform's slots sit with the code that uses them and are made the same way:
`aws:<service>` clients (scrm.aws), queue URLs (scrm.queues), `logger`/`metrics`/`tracer` (scrm.observability),
`draw_connection` (scrm.data.draw_ledger), `idempotency_persistence` and `exactly_once` (scrm.idempotency),
`access_tokens` (scrm.gateway.tokens). The parsed settings are the process's (scrm.config says why).

Factories import their implementation inside their body: building the container costs nothing, a function that
never touches DynamoDB never imports PynamoDB, and infra/access.py reads from each factory which class (and so
which tables and actions) a function that asks for the slot reaches.
"""

from __future__ import annotations

from .container import Container, TtlCache, container, read_side, reset, slot

__all__ = ["Container", "TtlCache", "container", "read_side", "reset", "slot"]  # and the slots below


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
def journey_store(_):
    """Journeys (SOP), their entrants and figures (scrm.stores.journeys)."""
    from .stores.journeys.dynamo import DynamoJourneyStore
    return DynamoJourneyStore()


@slot
def menu_store(_):
    """Menu drafts, published versions, conditional menus and click counters (scrm.stores.menus)."""
    from .stores.menus.dynamo import DynamoMenuStore
    return DynamoMenuStore()


@slot
def segment_store(_):
    """Unified contacts' facts, their index, rule segments and RFM bands (scrm.stores.segments)."""
    from .stores.segments.dynamo import DynamoSegmentStore
    return DynamoSegmentStore()


@slot
def privacy_store(_):
    """Erasure requests and their progress (scrm.stores.privacy)."""
    from .stores.privacy.dynamo import DynamoPrivacyStore
    return DynamoPrivacyStore()


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
