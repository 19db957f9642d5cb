"""Recorded runs: every AWS call a flow makes, attributed to the function (template logical id) that made it, and
checked against what that function's role grants (infra/access.json, which the template is built from).

The hook sits under every boto3 client (botocore's `_make_api_call`), so calls made by libraries on our behalf
(Powertools' idempotency records, PynamoDB's transactions) are seen as IAM sees them: a TransactWriteItems is
checked item by item (PutItem, UpdateItem, ... on each table), a query of an index on the index.
Set RECORDED_CALLS_OUT=path to append each run's calls as JSON lines (what a role grants that no run used).
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager

from infra import access

TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem",
            "Get": "GetItem"}


class Recorder:
    """{function: {(service, operation, resource)}} for the calls made while `running(function)`."""

    def __init__(self, monkeypatch, flow: str = ""):
        import botocore.client

        from scrm.config import settings

        self.flow = flow
        self.calls: dict[str | None, set] = {}
        self.current: str | None = None
        real = botocore.client.BaseClient._make_api_call
        tables, queues = settings().table_name(""), settings().queue_name("")
        recorder = self

        def make_api_call(client, operation, params):
            seen = recorder.calls.setdefault(recorder.current, set())
            seen |= as_iam_sees(client.meta.service_model.service_name, operation, params, tables, queues)
            return real(client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)

    @contextmanager
    def running(self, function: str | None):
        """Calls made inside are the calls of `function` (None: the test's own set-up and checks)."""
        before, self.current = self.current, function
        try:
            yield
        finally:
            self.current = before

    def of(self, function: str) -> set:
        return self.calls.get(function, set())

    def refused(self, functions) -> dict[str, list]:
        """{function: calls its role does not grant}, for each of `functions` (all empty when the roles suffice)."""
        recorded = access.load()
        out = {lid: sorted(c for c in self.of(lid) if refused(recorded[lid], c)) for lid in functions}
        self._dump()
        return out

    def _dump(self) -> None:
        path = os.environ.get("RECORDED_CALLS_OUT")
        if path:
            with open(path, "a") as f:
                for lid, calls in self.calls.items():
                    if lid:
                        f.write(json.dumps({"flow": self.flow, "function": lid, "calls": sorted(calls)}) + "\n")


def as_iam_sees(service: str, operation: str, params: dict, tables: str, queues: str) -> set:
    out = set()
    if service == "dynamodb":
        for item in params.get("TransactItems", []):
            ((action, body),) = item.items()
            out.add(("dynamodb", TRANSACT[action], body["TableName"].removeprefix(tables)))
        for name in [params.get("TableName"), *params.get("RequestItems", {})]:
            if name:  # a query of an index is granted on the index (table/index/name), as IAM checks it
                index = f"/index/{params['IndexName']}" if params.get("IndexName") else ""
                out.add(("dynamodb", operation, name.removeprefix(tables) + index))
    elif service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):
        out.add(("sqs", "SendMessage", params["QueueUrl"].rsplit("/", 1)[-1].removeprefix(queues)))
    elif service == "ssm":
        out.add(("ssm", operation, params.get("Name") or params.get("Path")))
    return out


def refused(needs: dict, call: tuple) -> bool:
    """Would a role granting `needs` (one function's entry of access.json) refuse `call`?"""
    service, op, resource = call
    if service == "dynamodb":
        if "/index/" in resource:
            table, _, index = resource.partition("/index/")
            return op != "Query" or index not in needs["indexes"].get(table, [])
        return op != "TransactWriteItems" and op not in needs["tables"].get(resource, [])
    if service == "sqs":
        return resource not in needs["send_to"]
    return op not in needs["ssm"]


class LambdaContext:
    """What Lambda hands a handler: enough for Powertools (idempotency, logging) and the time budgets."""

    def __init__(self, function: str, remaining_ms: int = 600_000):
        self.function_name = function
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.aws_request_id = f"req-{function}"
        self.invoked_function_arn = f"arn:aws:lambda:ap-east-1:123456789012:function:{function}"
        self.log_group_name = f"/aws/lambda/{function}"
        self.log_stream_name = "stream"
        self._remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self._remaining_ms


def take_sqs_event(queue: str) -> dict:
    """The messages waiting on one of our queues, removed and shaped as the Lambda SQS event their consumer gets."""
    from scrm.aws import client as aws_client
    from scrm.queues import queue_url

    sqs = aws_client("sqs")
    records = []
    while True:
        msgs = sqs.receive_message(QueueUrl=queue_url(queue), MaxNumberOfMessages=10,
                                   WaitTimeSeconds=0).get("Messages", [])
        if not msgs:
            break
        for m in msgs:
            sqs.delete_message(QueueUrl=queue_url(queue), ReceiptHandle=m["ReceiptHandle"])
            records.append({"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                            "md5OfBody": "", "eventSource": "aws:sqs", "awsRegion": "ap-east-1",
                            "eventSourceARN": f"arn:aws:sqs:ap-east-1:123456789012:{queue}"})
    return {"Records": records}


SCHEDULED = {"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "ap-east-1", "resources": [],
             "detail": {}}
