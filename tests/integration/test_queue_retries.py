"""Failed queue messages back off with growing delays, the local dispatcher leaves that to the handler, and
`scrm_cli dlq redrive` replays a dead-letter queue exactly once per message (issue 12.15)."""

from __future__ import annotations

import json

from scrm import queues
from scrm.aws import client
from scrm.config import settings
from scrm.services import dead_letters, events

REGION = "ap-east-1"
APPLIED: list[str] = []


@events.on("test.always_fails")
def _always_fails(payload):
    raise RuntimeError("WeChat keeps answering -1")


@events.on("test.counted")
def _counted(payload):
    APPLIED.append(payload["dedupe_key"])
    return {"ok": True}


def _url(name):
    return client("sqs").get_queue_url(QueueName=settings().queue_name(name))["QueueUrl"]


def _watch(sqs_client, operation: str) -> list[dict]:
    """Record the parameters of every `operation` call a boto3 client makes."""
    seen: list[dict] = []
    sqs_client.meta.events.register(f"provide-client-params.sqs.{operation}",
                                    lambda params, **kw: seen.append(dict(params)))
    return seen


def _lambda_event(name: str) -> tuple[dict, list[dict]]:
    """Receive what is visible on a queue and shape it as Lambda's SQS event (as the dispatcher does)."""
    arn = f"arn:aws:sqs:{REGION}:123456789012:{settings().queue_name(name)}"
    msgs = client("sqs").receive_message(QueueUrl=_url(name), MaxNumberOfMessages=10,
                                         AttributeNames=["All"]).get("Messages", [])
    return {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                         "attributes": m["Attributes"], "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                         "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": REGION}
                        for m in msgs]}, msgs


def _event(kind, key):
    return {"account_id": "acct-a", "platform": "oa", "kind": kind, "dedupe_key": key, "event": {}}


def test_a_failed_record_is_delayed_by_its_receive_count(aws):
    changes = _watch(client("sqs"), "ChangeMessageVisibility")
    queues.send(queues.EVENTS, _event("test.always_fails", "k-fail"))
    queues.send(queues.EVENTS, _event("test.counted", "k-ok"))
    event, _ = _lambda_event(queues.EVENTS)
    failing = next(r for r in event["Records"] if "k-fail" in r["body"])
    out = events.process_batch(event)
    assert out == {"batchItemFailures": [{"itemIdentifier": failing["messageId"]}]}
    assert [(c["ReceiptHandle"], c["VisibilityTimeout"]) for c in changes] == [(failing["receiptHandle"], 30)]
    # later deliveries wait longer, capped: 30 s, 2 min, 8 min, 32 min, 1 h
    changes.clear()
    records = [{**failing, "attributes": {"ApproximateReceiveCount": str(n)}} for n in range(1, 7)]
    for r in records:
        queues.back_off([r], [r["messageId"]])
    assert [c["VisibilityTimeout"] for c in changes] == [30, 120, 480, 1920, 3600, 3600]
    assert sum(queues.retry_delay(n) for n in range(1, queues.MAX_RECEIVE_COUNT + 1)) > 30 * 60 * 3


def test_the_reassignment_worker_reports_and_delays_a_failed_plan(aws, monkeypatch):
    from chalice.app import SQSEvent

    from functions.reassignment import reassignment_worker
    from scrm.services import reassignment

    def broken(*args, **kwargs):
        raise RuntimeError("WeCom keeps answering -1")

    monkeypatch.setattr(reassignment, "advance", broken)
    changes = _watch(client("sqs"), "ChangeMessageVisibility")
    queues.send(queues.REASSIGNMENT, {"account_id": "acct-a", "plan_id": "p1"})
    event, msgs = _lambda_event(queues.REASSIGNMENT)
    out = reassignment_worker.func(SQSEvent(event, None))
    assert out == {"batchItemFailures": [{"itemIdentifier": msgs[0]["MessageId"]}]}
    assert [c["VisibilityTimeout"] for c in changes] == [30]


def test_the_local_dispatcher_leaves_the_delay_to_the_handler(aws):
    from app import app
    from local.dispatcher import Dispatcher, load_handler

    dispatcher = Dispatcher(app, REGION)
    mine = _watch(dispatcher.sqs, "ChangeMessageVisibility")
    deletes = _watch(dispatcher.sqs, "DeleteMessage")
    handlers = _watch(client("sqs"), "ChangeMessageVisibility")
    url, arn, handler_string, _, name = next(q for q in dispatcher.queues if q[4] == "handle_events")
    queues.send(queues.EVENTS, _event("test.always_fails", "k-d1"))
    queues.send(queues.EVENTS, _event("test.counted", "k-d2"))
    msgs = dispatcher.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    dispatcher._deliver(url, arn, load_handler(handler_string), name, msgs)
    assert mine == []  # it no longer resets a failed message to 1 s
    assert [c["VisibilityTimeout"] for c in handlers] == [30]  # the handler's back-off holds
    assert len(deletes) == 1  # only the message that succeeded is deleted
    attrs = dispatcher.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]) == ("0", "1")


def _dead_letter(*payloads):
    for p in payloads:
        client("sqs").send_message(QueueUrl=_url(f"{queues.EVENTS}-dlq"), MessageBody=json.dumps(p))


def _count(name):
    attrs = client("sqs").get_queue_attributes(QueueUrl=_url(name), AttributeNames=["All"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_redrive_moves_each_message_once_and_a_duplicate_is_applied_once(aws):
    APPLIED.clear()
    _dead_letter(_event("test.counted", "k-1"), _event("test.counted", "k-2"), _event("test.counted", "k-3"))
    listed = dead_letters.list_dead_letters([queues.EVENTS], peek=5)
    assert listed[0]["messages"] == 3 and sorted(m["dedupe_key"] for m in listed[0]["sample"]) == ["k-1", "k-2", "k-3"]
    assert dead_letters.redrive(queues.EVENTS, wait_seconds=0) == {"queue": "events", "moved": 3, "send_failed": 0}
    assert _count(f"{queues.EVENTS}-dlq") == 0 and _count(queues.EVENTS) == 3
    assert dead_letters.redrive(queues.EVENTS, wait_seconds=0)["moved"] == 0  # nothing left to move
    # A run that died between a send and its delete: a later run sends that message again. The worker
    # applies it once per dedupe key, so the duplicate is harmless.
    _dead_letter(_event("test.counted", "k-1"))
    dead_letters.redrive(queues.EVENTS, wait_seconds=0)
    event, _ = _lambda_event(queues.EVENTS)
    assert len(event["Records"]) == 4
    assert events.process_batch(event) == {"batchItemFailures": []}
    assert sorted(APPLIED) == ["k-1", "k-2", "k-3"]


def test_a_message_whose_delete_failed_is_not_sent_twice_in_one_run(aws, monkeypatch):
    sqs = client("sqs")
    real = sqs.delete_message_batch
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:  # the first delete fails: the message shows up again in the DLQ
            return {"Successful": [], "Failed": [{"Id": e["Id"], "SenderFault": False, "Code": "InternalError"}
                                                 for e in kwargs["Entries"]]}
        return real(**kwargs)

    monkeypatch.setattr(sqs, "delete_message_batch", flaky)
    monkeypatch.setattr(dead_letters, "RECEIVE_VISIBILITY", 0)  # it comes back at once
    _dead_letter(_event("test.counted", "k-once"))
    assert dead_letters.redrive(queues.EVENTS, wait_seconds=0)["moved"] == 1
    assert len(calls) == 2 and _count(queues.EVENTS) == 1 and _count(f"{queues.EVENTS}-dlq") == 0


def test_cli_dlq_list_and_redrive(aws):
    from click.testing import CliRunner

    from scrm_cli.main import cli

    _dead_letter(_event("test.counted", "k-cli"))
    runner = CliRunner()
    listed = runner.invoke(cli, ["--json", "dlq", "list", "--queue", "events"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)[0]["messages"] == 1
    moved = runner.invoke(cli, ["--json", "dlq", "redrive", "--queue", "events"])
    assert moved.exit_code == 0 and json.loads(moved.stdout) == [{"queue": "events", "moved": 1, "send_failed": 0}]
    bad = runner.invoke(cli, ["dlq", "redrive", "--queue", "nope"])
    assert bad.exit_code == 1 and "queue must be one of" in bad.output
