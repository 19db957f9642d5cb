"""Hand-off between functions through SQS. Queue names come from config; URLs are looked up once."""

from __future__ import annotations

import json
from functools import cache

from .aws import client
from .config import settings

# Logical queues. infra/ creates each with a dead-letter queue; the local stack creates them too.
EVENTS = "events"  # callback events -> attribution / reassignment workers
WELCOME = "welcome"  # WeCom events carrying a WelcomeCode (valid 20 s): never behind a burst of other events
REASSIGNMENT = "reassignment"  # plans of staff-departure reassignment to advance
ALL_QUEUES = (EVENTS, WELCOME, REASSIGNMENT)


def queue_for(payload: dict) -> str:
    """The queue of a callback event: its own queue when it carries a WeCom welcome code."""
    return WELCOME if (payload.get("event") or {}).get("WelcomeCode") else EVENTS


@cache
def queue_url(name: str) -> str:
    return client("sqs").get_queue_url(QueueName=settings().queue_name(name))["QueueUrl"]


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
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
        })["QueueUrl"]
    queue_url.cache_clear()
    return urls
