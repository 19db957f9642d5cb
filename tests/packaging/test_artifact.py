"""The deployable artifact: build it, lint the template, and run it from an empty folder.

Chalice ships neither `functions/` nor `layers/`; the build stages them. These tests prove it worked:
deployment.zip and the layer's `python/` are unpacked into an empty folder and a clean interpreter
(`python -I -S -B`: no site-packages, no PYTHON* variables, no cwd), with only that folder, the stdlib and a
copy of what Lambda's runtime provides (boto3, botocore and their dependencies), imports every handler the
template names and invokes the API and the SQS worker against a moto server.

Interpreter: the real layer is built for CPython 3.12 (Lambda's runtime). When a CPython 3.12 is found on
the machine (pyenv, PATH or $SCRM_LAMBDA_PYTHON) the probe runs the real layer.zip with it. Otherwise it
builds a variant of the layer for the running interpreter (same lock, `--python-version` of this Python),
because compiled wheels such as cffi's and charset-normalizer's are built per CPython version.
$SCRM_PACKAGING_INTERPRETER=running forces the variant.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.packaging.conftest import REGION, ROOT, STAGE, build_env, run

pytestmark = pytest.mark.packaging

# What Lambda's python3.12 runtime has in /var/runtime (and the layer therefore leaves out or may shadow).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
# Compiled or heavy third-party modules that handlers import lazily: they must load from the layer.
THIRD_PARTY = ["wechatpy", "wechatpy.crypto", "wechatpy.enterprise", "cryptography.hazmat.bindings._rust",
               "cryptography.hazmat.primitives.ciphers", "_cffi_backend", "charset_normalizer", "requests",
               "xmltodict", "segno", "yaml", "re2._re2", "pynamodb.models", "aws_lambda_powertools.utilities.batch",
               "aws_lambda_powertools.utilities.idempotency", "aws_xray_sdk.core", "wrapt"]


def functions_of(template: dict) -> dict:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def sqs_events(template: dict):
    for lid, fn in functions_of(template).items():
        for name, event in (fn["Properties"].get("Events") or {}).items():
            if event["Type"] == "SQS":
                yield lid, name, event["Properties"]


# ---------------------------------------------------------------- the template


def test_template_passes_cfn_lint(package):
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is in requirements-dev.txt"
    result = subprocess.run([cfn_lint, str(package / "sam.json")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_function_runs_python312_with_the_layer_and_its_stage(template):
    functions = functions_of(template)
    assert {"APIHandler", "HandleEvents"} <= set(functions)
    for lid, fn in functions.items():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.12", lid
        assert {"Ref": "CommonLayer"} in props["Layers"], lid
        assert props["Environment"]["Variables"]["SCRM_STAGE"] == STAGE, lid
        assert props["CodeUri"] == "./deployment.zip", lid
    layer = template["Resources"]["CommonLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "./layer.zip"


def test_sqs_sources_report_partial_failures_and_queues_have_dead_letters(template):
    resources = template["Resources"]
    functions = functions_of(template)
    events = list(sqs_events(template))
    assert events, "the event worker consumes the events queue"
    for lid, _name, props in events:
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"], lid
        queue_id = props["Queue"]["Fn::GetAtt"][0]
        queue = resources[queue_id]["Properties"]
        assert queue["VisibilityTimeout"] >= 6 * functions[lid]["Properties"]["Timeout"], queue_id
        dlq_id = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert resources[dlq_id]["Properties"]["QueueName"] == queue["QueueName"] + "-dlq"
        assert f"{dlq_id}DepthAlarm" in resources
    from scrm.queues import ALL_QUEUES

    names = {r["Properties"]["QueueName"] for r in resources.values() if r["Type"] == "AWS::SQS::Queue"}
    for q in ALL_QUEUES:
        assert {f"scrm-{STAGE}-{q}", f"scrm-{STAGE}-{q}-dlq"} <= names


def test_tables_come_from_the_registry(template):
    from scrm.data.registry import all_models

    deployed = {r["Properties"]["TableName"] for r in template["Resources"].values()
                if r["Type"] == "AWS::DynamoDB::Table"}
    assert deployed == {f"scrm-{STAGE}-{m.logical_name}" for m in all_models()}


def test_nothing_alerts_silently(template):
    resources = template["Resources"]
    for lid in functions_of(template):
        assert f"{lid}ErrorsAlarm" in resources and f"{lid}ThrottlesAlarm" in resources


# ---------------------------------------------------------------- the zips


def test_zips_hold_code_where_lambda_looks_and_leave_out_the_runtime(package, manifest):
    with zipfile.ZipFile(package / "deployment.zip") as zf:
        names = set(zf.namelist())
    assert {"app.py", "functions/__init__.py", "chalice/app.py"} <= names
    assert not any(n.startswith(("vendor/", "layers/", "scrm/", "tests/", "local/")) for n in names)
    with zipfile.ZipFile(package / "layer.zip") as zf:
        layer_names = zf.namelist()
    assert all(n.startswith("python/") for n in layer_names)
    tops = {n.split("/")[1] for n in layer_names}
    assert {"scrm", "wechatpy", "pynamodb", "aws_lambda_powertools", "cryptography"} <= tops
    assert not tops & {"boto3", "botocore", "s3transfer"}
    assert not any("/tests/" in n and n.startswith("python/scrm/") for n in layer_names)
    if manifest["layer"]["pyc_compiler"]:
        assert "python/scrm/__pycache__/config.cpython-312.pyc" in layer_names


def test_deployment_zip_ships_the_console_and_its_vendored_packages_byte_for_byte(package):
    """functions/static (the console, Swagger UI's page, the vendored npm files and their licences) is served by
    the API function itself: it must be in the artifact, unchanged."""
    from infra.vendor import folder_of, load_manifest

    static = ROOT / "functions" / "static"
    expected = {p.relative_to(ROOT).as_posix(): p.read_bytes() for p in static.rglob("*") if p.is_file()}
    with zipfile.ZipFile(package / "deployment.zip") as zf:
        shipped = {n: zf.read(n) for n in zf.namelist() if n.startswith("functions/static/")}
    assert "functions/static/console/index.html" in shipped
    for pkg in load_manifest()["packages"]:
        for entry in pkg["files"]:
            assert (folder_of(pkg) / entry["as"]).relative_to(ROOT).as_posix() in shipped
    assert shipped == expected


# ---------------------------------------------------------------- run it from an empty folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def probe_interpreter(build_dir: Path, manifest: dict, tmp: Path) -> tuple[str, Path]:
    """(python, layer.zip) for the probe: the real layer with a CPython 3.12, else a variant for this Python."""
    sys.path.insert(0, str(ROOT))
    from infra.build import find_python

    if os.environ.get("SCRM_PACKAGING_INTERPRETER") != "running":
        python = find_python(manifest["layer"]["python_version"])
        if python:
            return python, build_dir / "package" / "layer.zip"
    version = "{}.{}".format(*sys.version_info[:2])
    out = tmp / "variant"
    run([sys.executable, "-m", "infra.build", "--layer-only", "--python-version", version, "--out", out],
        cwd=ROOT, env=build_env(), timeout=600)
    return sys.executable, out / "layer.zip"


def lambda_runtime_copy(target: Path) -> Path:
    """A folder standing in for /var/runtime: links to the venv's boto3, botocore and their dependencies."""
    target.mkdir()
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (target / source.name).symlink_to(source, target_is_directory=source.is_dir())
    return target


def create_resources(template: dict, endpoint: str) -> None:
    import boto3

    kwargs = {"endpoint_url": endpoint, "region_name": REGION, "aws_access_key_id": "testing",
              "aws_secret_access_key": "testing"}
    ddb, sqs = boto3.client("dynamodb", **kwargs), boto3.client("sqs", **kwargs)
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::DynamoDB::Table":
            ddb.create_table(**{k: props[k] for k in ("TableName", "BillingMode", "AttributeDefinitions", "KeySchema",
                                                      "GlobalSecondaryIndexes", "LocalSecondaryIndexes") if k in props})
        elif resource["Type"] == "AWS::SQS::Queue":
            sqs.create_queue(QueueName=props["QueueName"])


def test_handlers_import_and_run_from_the_unpacked_artifact_in_a_clean_interpreter(
        build_dir, package, template, manifest, tmp_path):
    from moto.server import ThreadedMotoServer

    python, layer_zip = probe_interpreter(build_dir, manifest, tmp_path)
    root = tmp_path / "lambda"
    root.mkdir()
    assert not any(root.iterdir())
    task, opt = root / "task", root / "opt"
    with zipfile.ZipFile(package / "deployment.zip") as zf:
        zf.extractall(task)
    with zipfile.ZipFile(layer_zip) as zf:
        zf.extractall(opt)
    runtime = lambda_runtime_copy(root / "runtime")

    functions = functions_of(template)
    worker_id, _, worker_event = next(sqs_events(template))
    spec = {
        "handlers": sorted(fn["Properties"]["Handler"] for fn in functions.values()),
        "api_handler": functions["APIHandler"]["Properties"]["Handler"],
        "sqs_handler": functions[worker_id]["Properties"]["Handler"],
        "queue": template["Resources"][worker_event["Queue"]["Fn::GetAtt"][0]]["Properties"]["QueueName"],
        "third_party": THIRD_PARTY,
    }
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(spec))

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        create_resources(template, endpoint)
        env = {  # what Lambda sets, plus the endpoint; nothing from this process's environment but PATH
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
            **functions[worker_id]["Properties"]["Environment"]["Variables"],
            "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_LAMBDA_FUNCTION_NAME": worker_id, "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
        probe = (Path(__file__).parent / "probe.py").read_text()
        result = run([python, "-I", "-S", "-B", "-c", probe, task, opt / "python", runtime, spec_path],
                     cwd=root, env=env, timeout=180)
        line = next(ln for ln in result.stdout.splitlines() if ln.startswith("PROBE "))
        seen = json.loads(line[len("PROBE "):])

        import boto3

        idempotency = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                                   aws_access_key_id="testing", aws_secret_access_key="testing").scan(
            TableName=f"scrm-{STAGE}-idempotency")["Items"]
    finally:
        server.stop()

    assert seen["handlers"] == {h: True for h in spec["handlers"]}
    assert seen["outside"] == [], "modules imported from outside the artifact, the layer and the runtime"
    assert seen["origins"]["scrm"].startswith(str(opt / "python"))
    assert seen["origins"]["functions"].startswith(str(task))
    assert seen["origins"]["app"].startswith(str(task))
    assert seen["layer_modules"] > 10
    # The invocations ran through Powertools Tracer (built at the first call, from the layer's X-Ray SDK).
    assert seen["tracer"]["built"] and seen["origins"]["aws_xray_sdk"].startswith(str(opt / "python")), seen["tracer"]

    health = seen["invocations"]["health"]
    assert health["statusCode"] == 200, health
    assert json.loads(health["body"]) == {"status": "ok"}
    assert seen["invocations"]["sqs"] == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    assert len(idempotency) == 1, "the good record went through the idempotency table"

    if seen["python"] == manifest["layer"]["python_version"] and manifest["layer"]["pyc_compiler"]:
        assert all(seen["pyc"].values()), f"shipped byte-code not usable as is: {seen['pyc']}"
