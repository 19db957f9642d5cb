"""The channel store on DynamoDB: tables `channels` (scrm.data.channels), `channel_stats`
(scrm.data.channel_stats) and `channel_tagging` (scrm.data.channel_tagging); the key layouts are described
there. Attribution writes are (item, actions) pairs for a PynamoDB TransactWrite."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.transactions import TransactWrite

from ...data import channels as records
from ...data.channel_stats import ChannelStatItem, query_channel, stat_sk
from ...data.channel_tagging import PendingTagging
from ...data.channels import ChannelItem
from ...data.paging import one_page
from ...domain.attribution import METRICS
from ...tenancy import Scope
from ..cursors import check_page
from .base import CAP_TTL_SECONDS, FIELDS, SHARDS


def shard_key(account_id: str, shard: int) -> str:
    return f"{account_id}#{shard:02d}"


def _cap_key(channel_id: str, day: str, userid: str) -> str:
    return f"cap#{channel_id}#{day}#{userid}"


def channel_of(item: ChannelItem) -> dict:
    """A channel item as the store's dict."""
    out = {name: getattr(item, name) for name in FIELDS}
    out["users"] = list(item.users) if item.users is not None else None
    out["account_id"] = item.account_id
    out["definition"] = json.loads(item.definition) if item.definition else {}
    return out


def _item(channel: dict) -> ChannelItem:
    values = {name: channel.get(name) for name in FIELDS if channel.get(name) is not None}
    return ChannelItem(channel["account_id"], f"ch#{channel['channel_id']}", **values,
                       definition=json.dumps(channel["definition"], ensure_ascii=False))


def _failed_condition(exc) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def counter_updates(deltas: dict, rng=None) -> list[tuple]:
    """[(item, actions)] for a transaction: one update per (account, channel, day), on a random shard."""
    rng = rng or random
    grouped: dict[tuple, dict] = defaultdict(dict)
    for (account_id, channel_id, day, metric), d in deltas.items():
        grouped[(account_id, channel_id, day)][metric] = d
    out = []
    for (account_id, channel_id, day), metrics in sorted(grouped.items()):
        item = ChannelStatItem(shard_key(account_id, rng.randrange(SHARDS)), stat_sk(channel_id, day))
        actions = [ChannelStatItem.account_id.set(account_id), ChannelStatItem.channel_id.set(channel_id),
                   ChannelStatItem.day.set(day)]
        actions += [getattr(ChannelStatItem, m).add(v) for m, v in sorted(metrics.items())]
        out.append((item, actions))
    return out


def _tagging_of(item: PendingTagging) -> dict:
    """oa#<tag_id>#<openid> | wecom#<userid>#<external_userid>, as the store's dict."""
    platform, first, second = item.sk.split("#", 2)
    out = {"account_id": item.account_id, "platform": platform, "queued_at": item.queued_at,
           "attempts": item.attempts}
    if platform == "oa":
        return {**out, "tag": int(first), "openid": second}
    return {**out, "userid": first, "external_userid": second, "tags": list(item.tags or [])}


def _tagging_key(t: dict) -> str:
    if t["platform"] == "oa":
        return f"oa#{t['tag']}#{t['openid']}"
    return f"wecom#{t['userid']}#{t['external_userid']}"


class DynamoChannelStore:
    # ---- channels
    def reserve_scene(self, scope: Scope, account_id: str, kind: str, value: str, channel_id: str) -> bool:
        scope.check(account_id)
        try:
            ChannelItem(account_id, f"{kind}#{value}", channel_id=channel_id).save(
                condition=ChannelItem.sk.does_not_exist())
        except PutError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def release_scene(self, scope: Scope, account_id: str, kind: str, value: str) -> None:
        scope.check(account_id)
        ChannelItem(account_id, f"{kind}#{value}").delete()

    def count_permanent(self, scope: Scope, account_id: str, step: int, limit: int | None = None) -> bool:
        scope.check(account_id)
        item = ChannelItem(account_id, "meta#permanent")
        condition = None if limit is None else (ChannelItem.n.does_not_exist() | (ChannelItem.n < limit))
        try:
            item.update(actions=[ChannelItem.n.add(step)], condition=condition)
        except UpdateError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def put_channel(self, scope: Scope, channel: dict) -> None:
        scope.check(channel["account_id"])
        _item(channel).save()

    def get_channel(self, scope: Scope, account_id: str, channel_id: str, consistent: bool = True) -> dict | None:
        item = records.get_channel(scope, account_id, channel_id, consistent=consistent)
        return channel_of(item) if item is not None else None

    def all_channels(self, scope: Scope, account_id: str) -> list[dict]:
        return [channel_of(i) for i in records.query_channels(scope, account_id)]

    def page_channels(self, scope: Scope, account_id: str, *, limit: int, start: dict | None = None,
             status: str | None = None, group: str | None = None, kind: str | None = None
             ) -> tuple[list[dict], dict | None]:
        check_page(scope, account_id, start)
        cond = None
        for part in ((ChannelItem.status == status) if status else None,
                     (ChannelItem.group == group) if group else None, (ChannelItem.kind == kind) if kind else None):
            if part is not None:
                cond = part if cond is None else cond & part
        items, last = one_page(ChannelItem.query(account_id, ChannelItem.sk.startswith("ch#"), limit=limit,
                                                 page_size=limit, last_evaluated_key=start, filter_condition=cond))
        return [channel_of(i) for i in items], last

    def replace_channel(self, scope: Scope, channel: dict, expect_version: int) -> bool:
        scope.check(channel["account_id"])
        try:
            _item(channel).save(condition=ChannelItem.version == expect_version)
        except PutError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def update_channel(self, scope: Scope, account_id: str, channel_id: str, changes: dict,
               expect_version: int | None = None) -> bool:
        scope.check(account_id)
        actions = [getattr(ChannelItem, name).remove() if value is None else getattr(ChannelItem, name).set(value)
                   for name, value in changes.items()]
        condition = ChannelItem.sk.exists()
        if expect_version is not None:
            condition &= ChannelItem.version == expect_version
        try:
            ChannelItem(account_id, f"ch#{channel_id}").update(actions=actions, condition=condition)
        except UpdateError as exc:
            if not _failed_condition(exc):
                raise
            if expect_version is None:
                raise KeyError(f"no channel {channel_id} in {account_id}") from None
            return False
        return True

    def owner_of(self, scope: Scope, account_id: str, kind: str, value: str) -> str | None:
        return records.channel_for(scope, account_id, kind, value)

    def active_ways(self) -> list[tuple[str, str]]:
        return [(key.account_id, key.sk[len("ch#"):]) for key in ChannelItem.active_ways.query("way")]

    # ---- rotation counters
    def adds_on(self, scope: Scope, account_id: str, channel_id: str, day: str) -> dict[str, int]:
        return records.adds_on(scope, account_id, channel_id, day)

    def cap_write(self, account_id: str, channel_id: str, userid: str, day: str, now: float) -> tuple:
        item = ChannelItem(account_id, _cap_key(channel_id, day, userid))
        return item, [ChannelItem.n.add(1), ChannelItem.ttl.set(datetime.fromtimestamp(now + CAP_TTL_SECONDS, UTC))]

    def mark_capped(self, scope: Scope, account_id: str, channel_id: str, day: str, userid: str, cap: int,
                    at: float) -> bool:
        scope.check(account_id)
        counter = ChannelItem(account_id, _cap_key(channel_id, day, userid))
        try:
            counter.update(actions=[ChannelItem.capped_at.set(int(at))],
                           condition=(ChannelItem.n >= cap) & ChannelItem.capped_at.does_not_exist())
        except UpdateError as exc:
            if _failed_condition(exc):
                return False
            raise
        return True

    def unmark_capped(self, scope: Scope, account_id: str, channel_id: str, day: str, userid: str) -> None:
        scope.check(account_id)
        ChannelItem(account_id, _cap_key(channel_id, day, userid)).update(actions=[ChannelItem.capped_at.remove()])

    # ---- statistics
    def counter_writes(self, deltas: dict, rng=None) -> list[tuple]:
        return counter_updates(deltas, rng)

    def add_counts(self, scope: Scope, account_id: str, deltas: dict, rng=None) -> None:
        scope.check(account_id)
        if any(key[0] != account_id for key in deltas):
            raise ValueError("deltas of another account")
        updates = counter_updates(deltas, rng)
        for start in range(0, len(updates), 100):  # a transaction holds at most 100 items
            with TransactWrite(connection=ChannelStatItem._get_connection().connection) as tx:
                for item, actions in updates[start:start + 100]:
                    tx.update(item, actions=actions)

    def read_counts(self, scope: Scope, account_id: str, channel_ids, start: str, end: str
               ) -> tuple[dict[tuple[str, str], dict], int]:
        scope.check(account_id)

        def read(job):
            channel_id, shard = job
            return list(query_channel(scope, account_id, shard_key(account_id, shard), channel_id, start, end))

        jobs = [(c, shard) for c in dict.fromkeys(channel_ids) for shard in range(SHARDS)]
        out: dict[tuple[str, str], dict] = defaultdict(lambda: dict.fromkeys(METRICS, 0))
        reads = 0
        with ThreadPoolExecutor(min(SHARDS, max(1, len(jobs)))) as pool:
            for items in pool.map(read, jobs):
                reads += len(items)
                for item in items:
                    row = out[(item.channel_id, item.day)]
                    for m in METRICS:
                        row[m] += int(getattr(item, m) or 0)
        return dict(out), reads

    # ---- pending taggings
    def tagging_writes(self, account_id: str, platform: str, identity: str, staff: str | None, tags: list,
                       now: float) -> list[tuple]:
        queued = [PendingTagging.queued_at.set(int(now)), PendingTagging.attempts.set(0)]
        if platform == "oa":
            return [(PendingTagging(account_id, f"oa#{tag}#{identity}"), list(queued)) for tag in tags]
        return [(PendingTagging(account_id, f"wecom#{staff}#{identity}"),
                 [PendingTagging.tags.set(list(tags)), *queued])]

    def pending_taggings(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for item in PendingTagging.scan():
            out.setdefault(item.account_id, []).append(_tagging_of(item))
        return out

    def taggings_of(self, scope: Scope, account_id: str, identities: set[str]) -> list[dict]:
        scope.check(account_id)
        return [_tagging_of(i) for i in PendingTagging.query(account_id, consistent_read=True)
                if i.sk.rsplit("#", 1)[-1] in identities]

    def delete_taggings(self, taggings: list[dict]) -> None:
        with PendingTagging.batch_write() as batch:
            for t in taggings:
                batch.delete(PendingTagging(t["account_id"], _tagging_key(t)))
