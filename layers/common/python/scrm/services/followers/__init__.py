"""Follower profiles of Official Accounts: the sync from WeChat (scrm.services.followers.sync), the follow and
unfollow events that keep profiles current between syncs, and the breakdowns and one follower's profile
(scrm.services.followers.reads). The rules are scrm.domain.followers; the store is the contact store."""

from .reads import breakdown, breakdown_csv, profile, sync_status
from .sync import SYNC_KIND, on_follow_event, on_sync_step, start_sync, step

__all__ = ["SYNC_KIND", "breakdown", "breakdown_csv", "on_follow_event", "on_sync_step", "profile",
           "start_sync", "step", "sync_status"]
