"""Dead-letter queues for operators: what is in them, and replaying them into their source queue.

A message lands in `<queue>-dlq` after MAX_RECEIVE_COUNT failed deliveries (about 1 h 40 min of growing
back-off, see scrm.queues). Once the cause is fixed (WeChat is back, a bug is deployed away), `redrive`
moves each message back exactly once: send it to the source queue, then delete it from the DLQ. A message
whose delete failed after its send is only deleted when it shows up again in the same run, never sent twice.
If the run dies between a send and its delete, a later run sends that message again: the workers apply a
message once per dedupe key (scrm.idempotency; a reassignment message only asks to advance a plan), so the
duplicate changes nothing.
"""

from __future__ import annotations

import json

from .. import queues
from ..aws import client
from ..config import settings
from ..errors import ValidationError

RECEIVE_VISIBILITY = 120  # seconds a message being moved stays hidden from another redrive


def _check(queue: str) -> str:
    if queue not in queues.ALL_QUEUES:
        raise ValidationError(f"queue must be one of {', '.join(queues.ALL_QUEUES)}, got {queue!r}", "queue")
    return queue


def _url(name: str) -> str:
    return client("sqs").get_queue_url(QueueName=settings().queue_name(name))["QueueUrl"]


def _summary(message: dict) -> dict:
    attrs = message.get("Attributes") or {}
    try:
        body = json.loads(message.get("Body") or "")
    except ValueError:
        body = None
    about = {k: body.get(k) for k in ("account_id", "kind", "dedupe_key", "plan_id") if k in body} \
        if isinstance(body, dict) else {"body": (message.get("Body") or "")[:200]}
    return {"message_id": message["MessageId"], "sent_at": int(attrs.get("SentTimestamp", 0)) // 1000 or None,
            "receives": int(attrs.get("ApproximateReceiveCount", 0)), **about}


def list_dead_letters(queue_names=None, peek: int = 0) -> list[dict]:
    """Per queue: messages waiting in its DLQ (approximate, as SQS counts), and up to `peek` of them."""
    sqs = client("sqs")
    out = []
    for name in [_check(q) for q in (queue_names or queues.ALL_QUEUES)]:
        url = _url(f"{name}-dlq")
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        row = {"queue": name, "dlq": settings().queue_name(f"{name}-dlq"),
               "messages": int(attrs.get("ApproximateNumberOfMessages", 0)),
               "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0))}
        if peek:
            seen: dict[str, dict] = {}
            while len(seen) < peek:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, peek - len(seen)),
                                          VisibilityTimeout=0, AttributeNames=["All"]).get("Messages", [])
                fresh = [m for m in got if m["MessageId"] not in seen]
                if not fresh:
                    break
                seen.update((m["MessageId"], _summary(m)) for m in fresh)
            row["sample"] = list(seen.values())
        out.append(row)
    return out


def redrive(queue: str, *, limit: int | None = None, wait_seconds: int = 1) -> dict:
    """Move the messages of `queue`'s DLQ back to `queue`, each once. Returns counts."""
    _check(queue)
    if limit is not None and limit < 1:
        raise ValidationError("limit must be at least 1", "limit")
    sqs = client("sqs")
    dlq, source = _url(f"{queue}-dlq"), _url(queue)
    sent: set[str] = set()
    moved = failed = 0
    while limit is None or moved < limit:
        want = 10 if limit is None else max(1, min(10, limit - moved))
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=want, WaitTimeSeconds=wait_seconds,
                                  VisibilityTimeout=RECEIVE_VISIBILITY, AttributeNames=["All"],
                                  MessageAttributeNames=["All"]).get("Messages", [])
        if not got:
            break
        to_send = [m for m in got if m["MessageId"] not in sent]
        done = [m for m in got if m["MessageId"] in sent]  # sent earlier in this run; its delete had failed
        if to_send:
            entries = []
            for i, m in enumerate(to_send):
                entry = {"Id": str(i), "MessageBody": m["Body"]}
                if m.get("MessageAttributes"):
                    entry["MessageAttributes"] = m["MessageAttributes"]
                entries.append(entry)
            res = sqs.send_message_batch(QueueUrl=source, Entries=entries)
            ok = {int(r["Id"]) for r in res.get("Successful", [])}
            failed += len(to_send) - len(ok)
            for i in sorted(ok):
                sent.add(to_send[i]["MessageId"])
                done.append(to_send[i])
        if done:
            res = sqs.delete_message_batch(QueueUrl=dlq, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
            moved += len(res.get("Successful", []))
        if len(to_send) and not done:
            break  # SQS refused every send: stop instead of spinning; the messages stay in the DLQ
    return {"queue": queue, "moved": moved, "send_failed": failed}
