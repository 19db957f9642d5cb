"""Per-channel statistics: their home is scrm.services.channels.stats (re-exported here for functions/)."""

from .channels.stats import (  # noqa: F401
    CLAIMED_PEAK_EVENTS_PER_SECOND,
    CSV_COLUMNS,
    MAX_RANGE_DAYS,
    SHARDS,
    day_range,
    raw_counts,
    report,
    report_csv,
    report_csv_page,
    report_page,
)


def counter_updates(deltas: dict, rng=None) -> list[tuple]:
    """PynamoDB (item, actions) pairs adding counter deltas (seeding scripts write them in their own
    transactions); the store's own form of these writes is ChannelStore.counter_writes."""
    from ..stores.channels.dynamo import counter_updates as updates

    return updates(deltas, rng)
