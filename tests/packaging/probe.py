"""Runs INSIDE a clean interpreter (`python -I -S -B`), with nothing on sys.path but the stdlib.

argv: <task dir> <layer python dir> <runtime dir> <spec.json>. It mimics Lambda's path order
(/var/task, /opt/python, /var/runtime), imports every handler named in the template and every module of
the layer's `scrm` package, invokes the API handler's /health route and the SQS worker, and prints one JSON
line with what it saw. It must not import anything from the repository or the venv (the test checks).
"""

import importlib
import importlib.util
import json
import os
import pkgutil
import sys
import sysconfig
import uuid

task, layer, runtime, spec_path = sys.argv[1:5]
sys.path[:0] = [task, layer, runtime]
with open(spec_path) as f:
    spec = json.load(f)


class Context:
    def __init__(self, name):
        self.function_name = name
        self.aws_request_id = uuid.uuid4().hex
        self.invoked_function_arn = f"arn:aws:lambda:ap-east-1:123456789012:function:{name}"
        self.memory_limit_in_mb = 512
        self.function_version = "$LATEST"
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "probe"

    def get_remaining_time_in_millis(self):
        return 30000


out = {"handlers": {}, "invocations": {}}
for handler in spec["handlers"]:
    module, _, attr = handler.rpartition(".")
    out["handlers"][handler] = callable(getattr(importlib.import_module(module), attr))

# Every module of the layer's own package, and the compiled third-party code the handlers load lazily.
import scrm  # noqa: E402

layer_modules = [m.name for m in pkgutil.walk_packages(scrm.__path__, "scrm.")]
for name in layer_modules + spec["third_party"]:
    importlib.import_module(name)
out["layer_modules"] = len(layer_modules)

# API handler: GET /health through an API Gateway proxy event.
api_module, _, api_attr = spec["api_handler"].rpartition(".")
api = getattr(importlib.import_module(api_module), api_attr)
event = {
    "resource": "/health", "path": "/health", "httpMethod": "GET",
    "headers": {"Host": "example.execute-api.ap-east-1.amazonaws.com", "Accept": "application/json"},
    "multiValueHeaders": {"Host": ["example.execute-api.ap-east-1.amazonaws.com"], "Accept": ["application/json"]},
    "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
    "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "path": "/api/health", "stage": "api",
                       "requestId": uuid.uuid4().hex, "accountId": "123456789012", "apiId": "example",
                       "identity": {"sourceIp": "127.0.0.1", "userAgent": "probe"}},
}
out["invocations"]["health"] = api(event, Context("APIHandler"))

# SQS worker: one good event and one malformed record; the malformed one must come back as a failed item.
worker_module, _, worker_attr = spec["sqs_handler"].rpartition(".")
worker = getattr(importlib.import_module(worker_module), worker_attr)
arn = f"arn:aws:sqs:ap-east-1:123456789012:{spec['queue']}"


def record(body, message_id):
    return {"messageId": message_id, "receiptHandle": "rh-" + message_id, "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000",
                           "SenderId": "AIDA", "ApproximateFirstReceiveTimestamp": "1700000000000"},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": arn,
            "awsRegion": "ap-east-1"}


good = json.dumps({"account_id": "acct-probe", "platform": "oa", "kind": "oa.packaging_probe",
                   "dedupe_key": "probe-1", "event": {"Event": "packaging_probe", "received_at": 1700000000}})
batch = {"Records": [record(good, "m-good"), record("{not json", "m-bad")]}
out["invocations"]["sqs"] = worker(batch, Context("HandleEvents"))

# Where everything came from: only the three folders and the stdlib are allowed.
allowed = [os.path.abspath(p) + os.sep for p in (task, layer, runtime)]
allowed += [os.path.abspath(sysconfig.get_paths()[k]) + os.sep for k in ("stdlib", "platstdlib")]
out["outside"] = sorted(
    f"{name}: {mod.__file__}" for name, mod in list(sys.modules.items())
    if getattr(mod, "__file__", None) and not any(os.path.abspath(mod.__file__).startswith(a) for a in allowed))
out["origins"] = {name: os.path.abspath(sys.modules[name].__file__)
                  for name in ("scrm", "functions", "app", "botocore", "aws_xray_sdk")}
built = sys.modules["scrm.bootstrap"].container()._made.get("tracer")  # the container's tracer slot, if made
out["tracer"] = {"built": built is not None, "disabled": getattr(built, "disabled", None)}
# Byte-code shipped in the zips: used as is when its magic number is this interpreter's and it is an
# unchecked hash-based pyc (flags == 0b01), since then the loader never compares it with the source.
out["pyc"] = {}
for name in ("scrm.config", "scrm.services.events", "wechatpy", "app", spec["sqs_handler"].rpartition(".")[0]):
    cached = getattr(sys.modules[name], "__cached__", None)
    header = open(cached, "rb").read(8) if cached and os.path.exists(cached) else b""
    out["pyc"][name] = header[:4] == importlib.util.MAGIC_NUMBER and header[4:8] == (1).to_bytes(4, "little")
out["python"] = "{}.{}".format(*sys.version_info[:2])
print("PROBE " + json.dumps(out, default=str))
