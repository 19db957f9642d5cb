"""Hand-off between functions through SQS. Queue names come from config; URLs are looked up once."""

from __future__ import annotations

import json

from .aws import client
from .bootstrap import container
from .config import settings
from .observability import logger

# Logical queues. infra/ creates each with a dead-letter queue; the local stack creates them too.
EVENTS = "events"  # callback events -> attribution / reassignment workers
WELCOME = "welcome"  # WeCom events carrying a WelcomeCode (valid 20 s): never behind a burst of other events
REASSIGNMENT = "reassignment"  # plans of staff-departure reassignment to advance
ERASURE = "erasure"  # erasure requests of personal data (PIPL) to carry out, a table per step
ALL_QUEUES = (EVENTS, WELCOME, REASSIGNMENT, ERASURE)


def queue_for(payload: dict) -> str:
    """The queue of a callback event: its own queue when it carries a WeCom welcome code."""
    return WELCOME if (payload.get("event") or {}).get("WelcomeCode") else EVENTS


# Redrive policy: a message failed this many times goes to its dead-letter queue (infra/ and ensure_queues).
MAX_RECEIVE_COUNT = 5
# Back-off of a failed message, by its receive count: 30 s, 2 min, 8 min, 32 min, then 1 h. With 5 receives a
# failing effect is tried for about 1 h 40 min (a WeChat outage of half an hour is ridden out) before the DLQ.
RETRY_BASE_SECONDS, RETRY_FACTOR, RETRY_CAP_SECONDS = 30, 4, 3600


def queue_url(name: str) -> str:
    """The URL of a logical queue, looked up once per container."""
    return container().slot(f"queue_url:{name}", lambda _: client("sqs").get_queue_url(
        QueueName=settings().queue_name(name))["QueueUrl"])


def _url_of_arn(arn: str) -> str:
    *_, account, name = arn.split(":")
    return container().slot(f"queue_url_of_arn:{arn}", lambda _: client("sqs").get_queue_url(
        QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def retry_delay(receive_count) -> int:
    """Seconds a message that failed on its `receive_count`-th delivery stays invisible before the next."""
    try:
        n = max(1, int(receive_count))
    except (TypeError, ValueError):
        n = 1
    return int(min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * RETRY_FACTOR ** min(n - 1, 16)))


def back_off(records: list[dict], failed_ids) -> dict:
    """Give each failed record of a Lambda SQS batch a growing delay (ChangeMessageVisibility by its receive
    count) instead of the queue's fixed visibility timeout, and return the partial-batch response. A record
    whose visibility cannot be changed simply comes back after the queue's visibility timeout.
    (AWS's pattern: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html)"""
    failed_ids = set(failed_ids)
    sqs = client("sqs") if failed_ids else None
    for record in records:
        if record.get("messageId") not in failed_ids or not record.get("receiptHandle"):
            continue
        count = (record.get("attributes") or {}).get("ApproximateReceiveCount")
        try:
            sqs.change_message_visibility(QueueUrl=_url_of_arn(record["eventSourceARN"]),
                                          ReceiptHandle=record["receiptHandle"], VisibilityTimeout=retry_delay(count))
        except Exception:  # back-off is best effort: never turn one failed record into a failed batch
            logger().warning("could not delay a failed message", extra={"message_id": record.get("messageId")})
    return {"batchItemFailures": [{"itemIdentifier": i} for i in sorted(failed_ids)]}


def handle_records(records: list[dict], handle) -> dict:
    """Run `handle(record)` for each record of a Lambda SQS batch; a record that raises is logged, delayed by
    `back_off` and reported in `batchItemFailures` (the others are done and deleted)."""
    failed = []
    for record in records:
        try:
            handle(record)
        except Exception:
            logger().exception("queue record failed; it will be retried later",
                               extra={"message_id": record.get("messageId")})
            failed.append(record.get("messageId"))
    return back_off(records, failed)


def send(name: str, message: dict, delay_seconds: int = 0) -> str:
    res = client("sqs").send_message(QueueUrl=queue_url(name), MessageBody=json.dumps(message, ensure_ascii=False),
                                     DelaySeconds=delay_seconds)
    return res["MessageId"]


def send_batch(name: str, messages: list[dict]) -> None:
    sqs = client("sqs")
    for start in range(0, len(messages), 10):
        chunk = messages[start:start + 10]
        res = sqs.send_message_batch(QueueUrl=queue_url(name), Entries=[
            {"Id": str(i), "MessageBody": json.dumps(m, ensure_ascii=False)} for i, m in enumerate(chunk)])
        if res.get("Failed"):
            raise RuntimeError(f"SQS refused {len(res['Failed'])} messages to {name}: {res['Failed'][0]}")


def ensure_queues() -> dict[str, str]:
    """Create each queue and its dead-letter queue (local stack and tests; infra/ does this in AWS)."""
    sqs = client("sqs")
    urls = {}
    for name in ALL_QUEUES:
        dlq = sqs.create_queue(QueueName=settings().queue_name(f"{name}-dlq"))["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls[name] = sqs.create_queue(QueueName=settings().queue_name(name), Attributes={
            "VisibilityTimeout": "60",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}),
        })["QueueUrl"]
    container().forget(*(f"queue_url:{name}" for name in ALL_QUEUES))  # recreated: look them up again
    return urls
