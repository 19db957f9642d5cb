"""The artifact, built once per session for every packaging test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGE = "prod"
REGION = "ap-east-1"


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{cmd[:4]} exited {result.returncode}\nstdout:\n{result.stdout[-4000:]}\n"
                    f"stderr:\n{result.stderr[-4000:]}")
    return result


def build_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRM_", "AWS_ENDPOINT"))}
    if "SCRM_LAMBDA_PYTHON" in os.environ:
        env["SCRM_LAMBDA_PYTHON"] = os.environ["SCRM_LAMBDA_PYTHON"]
    return env


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> Path:
    """One build per session (pip fetches Linux wheels for the layer; its cache makes reruns quick)."""
    out = tmp_path_factory.mktemp("artifact")
    run([sys.executable, "-m", "infra.build", "--stage", STAGE, "--out", out], cwd=ROOT, env=build_env(),
        timeout=600)
    return out


@pytest.fixture(scope="session")
def package(build_dir) -> Path:
    return build_dir / "package"


@pytest.fixture(scope="session")
def template(package) -> dict:
    return json.loads((package / "sam.json").read_text())


@pytest.fixture(scope="session")
def manifest(package) -> dict:
    return json.loads((package / "manifest.json").read_text())


