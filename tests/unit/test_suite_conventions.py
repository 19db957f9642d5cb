"""The suite keeps its own conventions (tests/conftest.py): no wall clock read at import, no sleeps, no
hypothesis deadlines, random order. Checked over every test file, so a new test cannot quietly break them."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

TESTS = Path(__file__).resolve().parents[1]
CLOCK_READS = {("time", "time"), ("time", "monotonic"), ("time", "perf_counter"), ("datetime", "now"),
               ("datetime", "utcnow"), ("date", "today")}


def suite_files():
    return sorted(p for p in TESTS.rglob("*.py") if p.name != "timing.py")


def dotted(node) -> tuple[str, str] | None:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
        return node.func.value.id, node.func.attr
    return None


def module_level_nodes(tree: ast.Module):
    """Everything evaluated at import: module statements and class bodies, not function bodies."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):  # its decorators and defaults run at import
            todo.extend(node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d])
            continue
        if isinstance(node, ast.Lambda):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def test_no_test_module_reads_the_clock_at_import():
    found = []
    for path in suite_files():
        tree = ast.parse(path.read_text(), str(path))
        for node in module_level_nodes(tree):
            if dotted(node) in CLOCK_READS:
                found.append(f"{path.relative_to(TESTS)}:{node.lineno} {'.'.join(dotted(node))}()")
    assert found == [], "read 'now' inside the test (tests.timing.Clock), not at import"


def test_no_test_sleeps_to_wait_for_something():
    found = []
    for path in suite_files():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if dotted(node) == ("time", "sleep"):
                found.append(f"{path.relative_to(TESTS)}:{node.lineno}")
            if isinstance(node, ast.ImportFrom) and node.module == "time" and "sleep" in {a.name for a in node.names}:
                found.append(f"{path.relative_to(TESTS)}:{node.lineno} from time import sleep")
    assert found == [], "wait for the condition (tests.timing.wait_until), not for a while"


def test_no_hypothesis_deadline_anywhere():
    assert hypothesis_settings.default.deadline is None
    assert HealthCheck.too_slow in hypothesis_settings.default.suppress_health_check
    found = []
    for path in suite_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.keyword) and node.arg == "deadline":
                if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                    found.append(f"{path.relative_to(TESTS)}:{node.value.lineno}")
    assert found == [], "a deadline fails a property on a slow machine: leave it to the profile (None)"


def test_the_suite_runs_in_random_order(pytestconfig):
    manager = pytestconfig.pluginmanager
    if manager.is_blocked("randomly"):  # `-p no:randomly` on purpose, e.g. to bisect an order dependence
        return
    assert manager.hasplugin("randomly"), "pytest-randomly is not installed: pip install -r requirements-dev.txt"
    assert isinstance(pytestconfig.getoption("randomly_seed"), int)
