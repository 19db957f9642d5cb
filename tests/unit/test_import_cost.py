"""Importing the app or a function module loads none of the heavy packages: a cold start pays for wechatpy,
boto3 and PynamoDB only in the invocation that uses them (functions/ reach services lazily; the layer imports
those packages inside the functions that need them)."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("wechatpy", "boto3", "pynamodb")
FUNCTIONS = sorted(f"functions.{m.name}" for m in pkgutil.iter_modules([str(ROOT / "functions")]))
PROBE = "import sys, {m}; print(' '.join(p for p in {heavy!r} if p in sys.modules))"


@pytest.mark.parametrize("module", ["app", *FUNCTIONS])
def test_import_loads_no_heavy_package(module):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers/common/python"), str(ROOT)])}
    out = subprocess.run([sys.executable, "-c", PROBE.format(m=module, heavy=HEAVY)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == [], f"import {module} loaded {out.stdout.strip()}"
