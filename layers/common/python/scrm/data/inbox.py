"""Table `inbox`: every accepted callback event, written before we answer WeChat, keyed for dedupe.

One item per (account, dedupe key): the queued payload, the passive reply we answered (so WeChat's
retries get the same answer), whether it reached the events queue, and the WeCom welcome outcome.
Items expire (TTL) after RETENTION_SECONDS; reads ignore expired items themselves (TTL deletes late).
Until an item is marked enqueued it carries `pending` (a shard name), which puts it in the sparse `pending`
index: `Inbox.pending` finds events that never reached the queue (the sweeper re-enqueues them).

`Inbox.claim` is one round trip: a TransactWriteItems of the conditional inbox Put (with
ReturnValuesOnConditionCheckFailure=ALL_OLD, so a retry learns the first attempt's reply in that same round
trip) and the claim of the signed query (`callback_claims`, see scrm.data.callback_claims): a signed query
(timestamp, nonce, signature) carries at most one event, so a second, different event under a captured query
is refused with no side effect, while WeChat's own retries of that event (same dedupe key) pass. `MemoryInbox`
is the in-memory fake with the same interface and rules (unit tests, benchmarks).
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from dataclasses import dataclass

from pynamodb.attributes import BooleanAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ..aws import client
from ..errors import Forbidden
from ..tenancy import Scope
from .callback_claims import CallbackClaim
from .registry import table

RETENTION_SECONDS = 3 * 86400
PENDING_SHARDS = 4  # the sparse index's partitions (spreads a burst of SQS failures)


class PendingIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "pending"
        projection = AllProjection()

    pending = UnicodeAttribute(hash_key=True)
    received_at = NumberAttribute(range_key=True)


@table("inbox")
class InboxRecord(Model):
    class Meta:
        pass

    pending_index = PendingIndex()
    pending = UnicodeAttribute(null=True)  # "pending#<shard>" until enqueued (sparse index)

    key = UnicodeAttribute(hash_key=True)  # "<account_id>#<dedupe_key>"
    account_id = UnicodeAttribute()
    dedupe_key = UnicodeAttribute()
    kind = UnicodeAttribute()
    payload = UnicodeAttribute()  # the JSON message put on the events queue
    reply = UnicodeAttribute(null=True)  # the plaintext passive reply ("success" when none)
    received_at = NumberAttribute()
    enqueued = BooleanAttribute(default=False)
    enqueued_at = NumberAttribute(null=True)
    attempts = NumberAttribute(default=1)
    welcome_status = UnicodeAttribute(null=True)  # sending | sent | missed | failed | no_content
    welcome_sent_at = NumberAttribute(null=True)
    welcome_detail = UnicodeAttribute(null=True)
    expires_at = TTLAttribute()


class SignedQueryReused(Exception):
    """The signed query already carried a different event: a replay, refused before anything is written."""


@dataclass
class Entry:
    account_id: str
    dedupe_key: str
    kind: str
    payload: dict
    reply: str | None
    received_at: float
    enqueued: bool = False
    welcome_status: str | None = None
    welcome_sent_at: float | None = None
    welcome_detail: str | None = None


def item_key(account_id: str, dedupe_key: str) -> str:
    return f"{account_id}#{dedupe_key}"


def pending_shard(dedupe_key: str) -> str:
    return f"pending#{zlib.crc32(dedupe_key.encode('utf-8')) % PENDING_SHARDS}"


def _entry(raw: dict) -> Entry:
    def s(name):
        v = raw.get(name)
        return None if v is None else v.get("S")

    def n(name):
        v = raw.get(name)
        return None if v is None or "N" not in v else float(v["N"])

    return Entry(account_id=s("account_id"), dedupe_key=s("dedupe_key"), kind=s("kind"),
                 payload=json.loads(s("payload") or "{}"), reply=s("reply"), received_at=n("received_at") or 0.0,
                 enqueued=bool(raw.get("enqueued", {}).get("BOOL")), welcome_status=s("welcome_status"),
                 welcome_sent_at=n("welcome_sent_at"), welcome_detail=s("welcome_detail"))


class Inbox:
    """The DynamoDB inbox (low-level client: PynamoDB cannot return the old item of a failed put)."""

    def __init__(self, clock=time.time):
        self.clock = clock

    @property
    def _db(self):
        return client("dynamodb")

    @property
    def _table(self) -> str:
        return InboxRecord.Meta.table_name

    def claim(self, scope: Scope, entry: Entry, signed_query: str | None = None,
              query_expires_at: int | None = None) -> Entry | None:
        """Store a new event; None if it is new, else the stored entry of the earlier attempt.

        With `signed_query` (a `callback_claims` query key) the query is claimed for this event in the same
        transaction; SignedQueryReused if it already carried another event (nothing is written then)."""
        scope.check(entry.account_id)
        now = self.clock()
        item = {
            "key": {"S": item_key(entry.account_id, entry.dedupe_key)},
            "account_id": {"S": entry.account_id}, "dedupe_key": {"S": entry.dedupe_key},
            "kind": {"S": entry.kind}, "payload": {"S": json.dumps(entry.payload, ensure_ascii=False)},
            "received_at": {"N": repr(entry.received_at)}, "enqueued": {"BOOL": False}, "attempts": {"N": "1"},
            "expires_at": {"N": str(int(now) + RETENTION_SECONDS)},
            "pending": {"S": pending_shard(entry.dedupe_key)},
        }
        if entry.reply is not None:
            item["reply"] = {"S": entry.reply}
        put = {"TableName": self._table, "Item": item,
               "ConditionExpression": "attribute_not_exists(#k) OR #e < :now",
               "ExpressionAttributeNames": {"#k": "key", "#e": "expires_at"},
               "ExpressionAttributeValues": {":now": {"N": str(int(now))}},
               "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        db = self._db
        if signed_query is None:
            try:
                db.put_item(**put)
                return None
            except db.exceptions.ConditionalCheckFailedException as exc:
                return self._earlier(scope, entry, exc.response.get("Item"))
        query_claim = {"TableName": _claims_table(), "Item": {
            "key": {"S": signed_query}, "account_id": {"S": entry.account_id}, "dedupe_key": {"S": entry.dedupe_key},
            "expires_at": {"N": str(int(query_expires_at or now + RETENTION_SECONDS))}},
            "ConditionExpression": "attribute_not_exists(#k) OR dedupe_key = :d OR #e < :now",
            "ExpressionAttributeNames": {"#k": "key", "#e": "expires_at"},
            "ExpressionAttributeValues": {":d": {"S": entry.dedupe_key}, ":now": {"N": str(int(now))}}}
        for attempt in (1, 2):
            try:
                db.transact_write_items(TransactItems=[{"Put": put}, {"Put": query_claim}])
                return None
            except db.exceptions.TransactionCanceledException as exc:
                codes = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
                if len(codes) == 2 and codes[1] == "ConditionalCheckFailed":
                    raise SignedQueryReused(entry.dedupe_key) from None
                if codes and codes[0] == "ConditionalCheckFailed":
                    return self._earlier(scope, entry, exc.response["CancellationReasons"][0].get("Item"))
                if attempt == 2 or "TransactionConflict" not in codes:
                    raise  # the caller answers 503; WeChat retries
                # a concurrent delivery of the same event holds the items: once more, it has committed by now
        raise AssertionError("unreachable")

    def claim_query(self, scope: Scope, account_id: str, dedupe_key: str, signed_query: str,
                    query_expires_at: int) -> None:
        """Claim the query for an event we do not store (an unhandled type), so it cannot carry another."""
        scope.check(account_id)
        db = self._db
        try:
            db.put_item(TableName=_claims_table(), Item={
                "key": {"S": signed_query}, "account_id": {"S": account_id}, "dedupe_key": {"S": dedupe_key},
                "expires_at": {"N": str(int(query_expires_at))}},
                ConditionExpression="attribute_not_exists(#k) OR dedupe_key = :d OR #e < :now",
                ExpressionAttributeNames={"#k": "key", "#e": "expires_at"},
                ExpressionAttributeValues={":d": {"S": dedupe_key}, ":now": {"N": str(int(self.clock()))}})
        except db.exceptions.ConditionalCheckFailedException:
            raise SignedQueryReused(dedupe_key) from None

    def _earlier(self, scope: Scope, entry: Entry, old: dict | None) -> Entry:
        if not old:  # very old DynamoDB clients/emulators: read it
            return self.get(scope, entry.account_id, entry.dedupe_key) or entry
        return _entry(old)

    def mark_enqueued(self, scope: Scope, account_id: str, dedupe_key: str) -> None:
        scope.check(account_id)
        self._db.update_item(TableName=self._table, Key={"key": {"S": item_key(account_id, dedupe_key)}},
                             UpdateExpression="SET enqueued = :t, enqueued_at = :now REMOVE #p",
                             ExpressionAttributeNames={"#p": "pending"},
                             ExpressionAttributeValues={":t": {"BOOL": True}, ":now": {"N": repr(self.clock())}})

    def get(self, scope: Scope, account_id: str, dedupe_key: str) -> Entry | None:
        scope.check(account_id)
        res = self._db.get_item(TableName=self._table, Key={"key": {"S": item_key(account_id, dedupe_key)}},
                                ConsistentRead=True)
        raw = res.get("Item")
        if not raw or float(raw.get("expires_at", {}).get("N", "0")) < self.clock():
            return None
        return _entry(raw)

    def pending(self, scope: Scope, older_than: float, limit: int = 500) -> list[Entry]:
        """Events received before `older_than` (epoch) that never reached the queue, oldest first."""
        if scope.key_id != "system" or scope.account_id is not None:
            raise Forbidden("only the system scope may list every account's pending events")
        out: list[Entry] = []
        for shard in range(PENDING_SHARDS):
            kwargs = {"TableName": self._table, "IndexName": "pending",
                      "KeyConditionExpression": "#p = :p AND received_at < :t",
                      "ExpressionAttributeNames": {"#p": "pending"},
                      "ExpressionAttributeValues": {":p": {"S": f"pending#{shard}"}, ":t": {"N": repr(older_than)}},
                      "Limit": limit}
            while len(out) < limit:
                res = self._db.query(**kwargs)
                out += [_entry(raw) for raw in res.get("Items", [])
                        if float(raw.get("expires_at", {}).get("N", "0")) >= self.clock()]
                if "LastEvaluatedKey" not in res:
                    break
                kwargs["ExclusiveStartKey"] = res["LastEvaluatedKey"]
        return sorted(out, key=lambda e: e.received_at)[:limit]

    def start_welcome(self, scope: Scope, account_id: str, dedupe_key: str) -> bool:
        """Claim the one welcome send of this event; False if some attempt already claimed it."""
        scope.check(account_id)
        db = self._db
        try:
            db.update_item(TableName=self._table, Key={"key": {"S": item_key(account_id, dedupe_key)}},
                           UpdateExpression="SET welcome_status = :s",
                           ConditionExpression="attribute_exists(#k) AND attribute_not_exists(welcome_status)",
                           ExpressionAttributeNames={"#k": "key"},
                           ExpressionAttributeValues={":s": {"S": "sending"}})
            return True
        except db.exceptions.ConditionalCheckFailedException:
            return False

    def finish_welcome(self, scope: Scope, account_id: str, dedupe_key: str, status: str,
                       sent_at: float | None = None, detail: str | None = None) -> None:
        scope.check(account_id)
        names = {"#s": "welcome_status"}
        values = {":s": {"S": status}}
        sets = ["#s = :s"]
        if sent_at is not None:
            sets.append("welcome_sent_at = :at")
            values[":at"] = {"N": repr(sent_at)}
        if detail:
            sets.append("welcome_detail = :d")
            values[":d"] = {"S": detail[:500]}
        self._db.update_item(TableName=self._table, Key={"key": {"S": item_key(account_id, dedupe_key)}},
                             UpdateExpression="SET " + ", ".join(sets), ExpressionAttributeNames=names,
                             ExpressionAttributeValues=values)

    def person_entries(self, scope: Scope, person, erase: bool) -> list[dict]:
        """Entries whose payload names any of the person's identifiers (scrm.domain.persons.Person), as stored;
        erased: deleted (the dedupe key holds the sender too, and WeChat's retries are long over). No index by
        person: a filtered scan (items expire within RETENTION_SECONDS)."""
        scope.check(person.account_id)
        if not person.ids:
            return []
        condition = None
        for value in sorted(person.ids):
            condition = InboxRecord.payload.contains(value) if condition is None \
                else condition | InboxRecord.payload.contains(value)
        out = []
        for rec in InboxRecord.scan((InboxRecord.account_id == person.account_id) & condition):
            out.append(rec.to_simple_dict(force=True))
            if erase:
                rec.delete()
        return out


def _claims_table() -> str:
    return CallbackClaim.Meta.table_name


class MemoryInbox:
    """In-memory inbox with the same behaviour (one lock stands in for DynamoDB's transactions)."""

    def __init__(self, clock=time.time):
        self.items: dict[str, Entry] = {}
        self.queries: dict[str, tuple[str, float]] = {}  # signed query -> (dedupe key, expires at)
        self.lock = threading.Lock()
        self.clock = clock

    def claim(self, scope: Scope, entry: Entry, signed_query: str | None = None,
              query_expires_at: int | None = None) -> Entry | None:
        scope.check(entry.account_id)
        with self.lock:
            if signed_query is not None:
                held = self.queries.get(signed_query)
                if held and held[0] != entry.dedupe_key and held[1] >= self.clock():
                    raise SignedQueryReused(entry.dedupe_key)
            key = item_key(entry.account_id, entry.dedupe_key)
            if key in self.items:
                old = self.items[key]
                return Entry(**vars(old))
            self.items[key] = Entry(**vars(entry))
            if signed_query is not None:
                self.queries[signed_query] = (entry.dedupe_key, query_expires_at or self.clock() + RETENTION_SECONDS)
            return None

    def claim_query(self, scope: Scope, account_id: str, dedupe_key: str, signed_query: str,
                    query_expires_at: int) -> None:
        """Claim the query for an event we do not store (an unhandled type)."""
        scope.check(account_id)
        with self.lock:
            held = self.queries.get(signed_query)
            if held and held[0] != dedupe_key and held[1] >= self.clock():
                raise SignedQueryReused(dedupe_key)
            self.queries[signed_query] = (dedupe_key, query_expires_at)

    def mark_enqueued(self, scope: Scope, account_id: str, dedupe_key: str) -> None:
        with self.lock:
            self.items[item_key(account_id, dedupe_key)].enqueued = True

    def get(self, scope: Scope, account_id: str, dedupe_key: str) -> Entry | None:
        with self.lock:
            hit = self.items.get(item_key(account_id, dedupe_key))
            return Entry(**vars(hit)) if hit else None

    def pending(self, scope: Scope, older_than: float, limit: int = 500) -> list[Entry]:
        with self.lock:
            found = [Entry(**vars(e)) for e in self.items.values() if not e.enqueued and e.received_at < older_than]
        return sorted(found, key=lambda e: e.received_at)[:limit]

    def start_welcome(self, scope: Scope, account_id: str, dedupe_key: str) -> bool:
        with self.lock:
            hit = self.items.get(item_key(account_id, dedupe_key))
            if hit is None or hit.welcome_status is not None:
                return False
            hit.welcome_status = "sending"
            return True

    def finish_welcome(self, scope: Scope, account_id: str, dedupe_key: str, status: str,
                       sent_at: float | None = None, detail: str | None = None) -> None:
        with self.lock:
            hit = self.items[item_key(account_id, dedupe_key)]
            hit.welcome_status, hit.welcome_sent_at, hit.welcome_detail = status, sent_at, detail

    def person_entries(self, scope: Scope, person, erase: bool) -> list[dict]:
        """As Inbox.person_entries: the account's entries whose payload names the person; erased: deleted."""
        scope.check(person.account_id)
        out = []
        with self.lock:
            for key, e in sorted(self.items.items()):
                payload = json.dumps(e.payload, ensure_ascii=False)
                if e.account_id == person.account_id and any(v in payload for v in person.ids):
                    out.append({**vars(e), "key": key, "payload": payload})
                    if erase:
                        del self.items[key]
        return out
