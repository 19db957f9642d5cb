"""The local stand-in for Lambda's event sources: moto never triggers functions, so this does.

It reads the Chalice app's event sources (SQS queues and schedules), delivers queue messages in
batches with Lambda's SQS event shape (honouring `batchItemFailures`), and fires scheduled functions
with EventBridge's event shape. `drain()` and `fire()` let tests and benchmarks run things now.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from scrm.config import settings

ACCOUNT = "123456789012"


@dataclass
class FakeContext:
    function_name: str
    timeout_seconds: int = 60

    def __post_init__(self):
        self.aws_request_id = uuid.uuid4().hex
        self.invoked_function_arn = f"arn:aws:lambda:local:{ACCOUNT}:function:{self.function_name}"
        self.memory_limit_in_mb = 512
        self.function_version = "$LATEST"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(handler_string: str):
    module, _, name = handler_string.rpartition(".")
    return getattr(importlib.import_module(module), name)


def schedule_seconds(expression: str) -> int:
    """rate(5 minutes) -> 300; cron(...) fires every minute locally (good enough for a dev loop)."""
    expression = expression.strip()
    if expression.startswith("rate("):
        value, unit = expression[5:-1].split()
        return int(value) * {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400,
                             "days": 86400}[unit]
    return 60


class Dispatcher:
    def __init__(self, app, region: str, schedule_speedup: float = 1.0, concurrency: int = 4):
        import boto3

        self.app = app
        self.sqs = boto3.client("sqs", region_name=region)
        self.region = region
        self.stop_event = threading.Event()
        self.busy = 0
        self.lock = threading.Lock()
        self.queues = []  # (queue_url, arn, handler_string, batch_size, name)
        self.schedules = []  # (name, seconds, handler_string)
        self.speedup = schedule_speedup
        self.concurrency = concurrency
        self.deliveries = 0
        self.failures = 0
        self.counts_lock = threading.Lock()
        for source in app.event_sources:
            kind = type(source).__name__
            if kind == "SQSEventConfig":
                queue = source.queue or source.queue_arn.rsplit(":", 1)[-1]
                url = self.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
                self.queues.append((url, f"arn:aws:sqs:{region}:{ACCOUNT}:{queue}", source.handler_string,
                                    source.batch_size, source.name))
            elif kind in ("ScheduledEventConfig", "CloudWatchEventConfig") and hasattr(source, "schedule_expression"):
                expr = source.schedule_expression
                expr = expr.to_string() if hasattr(expr, "to_string") else str(expr)
                self.schedules.append((source.name, schedule_seconds(expr), source.handler_string))
        self.stage = settings().stage

    # --- queues
    def _poll(self, url, arn, handler_string, batch_size, name):
        handler = load_handler(handler_string)
        while not self.stop_event.is_set():
            try:
                res = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(batch_size, 10),
                                               WaitTimeSeconds=1, AttributeNames=["All"],
                                               MessageAttributeNames=["All"])
            except Exception:
                if self.stop_event.is_set():
                    return
                time.sleep(0.5)
                continue
            messages = res.get("Messages", [])
            if messages:
                self._deliver(url, arn, handler, name, messages)

    def _deliver(self, url, arn, handler, name, messages):
        event = {"Records": [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
            "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs", "eventSourceARN": arn,
            "awsRegion": self.region} for m in messages]}
        with self.lock:
            self.busy += 1
        failed_ids = set()
        try:
            result = handler(event, FakeContext(name))
            if isinstance(result, dict):
                failed_ids = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception as exc:  # like Lambda: the whole batch returns to the queue
            print(f"[dispatcher] {name} failed: {exc!r}", flush=True)
            failed_ids = {m["MessageId"] for m in messages}
        finally:
            with self.lock:
                self.busy -= 1
        with self.counts_lock:
            self.deliveries += len(messages)
            self.failures += len(failed_ids)
        for m in messages:
            # Like Lambda, a failed message is left alone: it comes back when the handler's back-off
            # (ChangeMessageVisibility, scrm.queues.back_off) or the queue's visibility timeout says so.
            if m["MessageId"] not in failed_ids:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    # --- schedules
    def _tick(self, name, seconds, handler_string):
        interval = max(1.0, seconds / self.speedup)
        while not self.stop_event.wait(interval):
            try:
                self.fire(name)
            except Exception as exc:
                print(f"[dispatcher] schedule {name} failed: {exc!r}", flush=True)

    def fire(self, name: str):
        for sname, _, handler_string in self.schedules:
            if sname == name:
                event = {"version": "0", "id": uuid.uuid4().hex, "detail-type": "Scheduled Event",
                         "source": "aws.events", "account": ACCOUNT,
                         "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                         "region": self.region,
                         "resources": [f"arn:aws:events:{self.region}:{ACCOUNT}:rule/{name}"], "detail": {}}
                with self.lock:
                    self.busy += 1
                try:
                    return load_handler(handler_string)(event, FakeContext(name, 900))
                finally:
                    with self.lock:
                        self.busy -= 1
        raise KeyError(f"no scheduled function named {name!r}; known: {[s[0] for s in self.schedules]}")

    def pending(self) -> int:
        total = 0
        for url, *_ in self.queues:
            attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed"])["Attributes"]
            total += sum(int(v) for v in attrs.values())
        return total + self.busy

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until every queue is empty and no handler runs (twice in a row, to see follow-on work)."""
        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            quiet = quiet + 1 if self.pending() == 0 else 0
            if quiet >= 2:
                return True
            time.sleep(0.2)
        return False

    def start(self, run_schedules: bool = True):
        # Several pollers per queue, as Lambda runs several instances of a queue consumer at once.
        threads = [threading.Thread(target=self._poll, args=q, daemon=True, name=f"sqs-{q[4]}-{i}")
                   for q in self.queues for i in range(self.concurrency)]
        if run_schedules:
            threads += [threading.Thread(target=self._tick, args=s, daemon=True, name=f"cron-{s[0]}")
                        for s in self.schedules]
        for t in threads:
            t.start()
        return self

    def stop(self):
        self.stop_event.set()

    def describe(self) -> dict:
        return {"queues": [q[4] for q in self.queues], "schedules": [s[0] for s in self.schedules],
                "deliveries": self.deliveries, "failures": self.failures, "pending": self.pending()}


def control_handler(dispatcher: Dispatcher):
    """A tiny HTTP control surface: POST /drain, POST /fire/<name>, GET /status."""
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status, payload):
            body = json.dumps(payload, default=str, ensure_ascii=False).encode()  # readable as it is, like the API
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.startswith("/status"):
                return self._send(200, dispatcher.describe())
            self._send(404, {"error": "not found"})

        def do_POST(self):
            if self.path.startswith("/drain"):
                return self._send(200, {"drained": dispatcher.drain()})
            if self.path.startswith("/fire/"):
                name = self.path[len("/fire/"):]
                try:
                    result = dispatcher.fire(name)
                except KeyError as exc:
                    return self._send(404, {"error": str(exc)})
                except Exception as exc:
                    return self._send(500, {"error": repr(exc)})
                dispatcher.drain()
                return self._send(200, {"result": result})
            self._send(404, {"error": "not found"})

        def log_message(self, *args):
            pass

    return Handler
