"""Cold import time of every function module and of `app`, as a ratio to `import boto3`.

Each figure is the median over N fresh interpreters of the time `import <module>` takes inside that
interpreter (perf_counter around the import; interpreter start-up excluded), after one warm-up run so the
byte-code cache is in place, as on Lambda where the zips carry it. The budget (issue 14) is 1.5x `import boto3`
(measured in the same run) for the cold start; two figures of each function module are printed:
- cold start: `import functions.x` (what Lambda's init imports; the pydantic models the routes name included);
- first request: the module plus its request path, the `scrm`/`functions` modules its views import lazily and
  the request models its routes name (`body=`/`query=` "module.Class" of scrm.contracts): what the first
  request adds before it reaches a store or WeChat. Since the use cases import the data layer at module top,
  this path includes botocore and PynamoDB (the baseline itself): a figure for where a first request's time
  goes, not held to the budget.
For each module it also names the packages that cost most at import (`python -X importtime`, self
times summed per top-level package), which is where to make an import lazy.

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/imports.py [-n 7] [--top 3]
"""

from __future__ import annotations

import argparse
import ast
import os
import pkgutil
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 1.5
BASELINE = "boto3"
BEYOND_THE_REQUEST = ("scrm.data", "scrm.stores", "scrm.gateway")  # where a request meets boto3 or WeChat
STDLIB = set(sys.stdlib_module_names) | set(sys.builtin_module_names)  # not ours to make lazy
TIMER = "import time, sys; t = time.perf_counter(); import {m}; sys.stdout.write(repr(time.perf_counter() - t))"


def environment() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRM_", "AWS_ENDPOINT"))}
    env.update({"PYTHONPATH": f"{ROOT / 'layers/common/python'}{os.pathsep}{ROOT}", "SCRM_STAGE": "dev",
                "AWS_DEFAULT_REGION": "ap-east-1", "AWS_REGION": "ap-east-1"})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def modules() -> list[str]:
    """The function modules app.py registers (not the plumbing they share), and `app`."""
    app = ast.parse((ROOT / "app.py").read_text())
    registered = {f"functions.{a.name}" for node in app.body if isinstance(node, ast.ImportFrom)
                  and node.module == "functions" for a in node.names}
    names = [f"functions.{m.name}" for m in pkgutil.iter_modules([str(ROOT / "functions")])]
    return [*sorted(n for n in names if n in registered), "app"]


def request_path(module: str) -> list[str]:
    """The `scrm`/`functions` modules `module`'s code imports (at top or inside its views), itself first."""
    if module == "app" or module == BASELINE:
        return [module]
    path = ROOT / (module.replace(".", "/") + ".py")
    names = [module]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("scrm", "functions"):
            for alias in node.names:  # `from scrm.services import campaigns` names a module; else its package
                candidate = f"{node.module}.{alias.name}"
                names.append(candidate if _is_module(candidate) else node.module)
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names if a.name.split(".")[0] in ("scrm", "functions")]
        elif (isinstance(node, ast.keyword) and node.arg in ("body", "query")
              and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
              and "." in node.value.value):  # "module.Class"; another keyword of that name (e.g. a page's) is not
            names.append("scrm.contracts." + node.value.value.rsplit(".", 1)[0])  # the models a request is read by
    return [n for n in dict.fromkeys(names) if not n.startswith(BEYOND_THE_REQUEST)]


def _is_module(name: str) -> bool:
    base = ROOT / "layers/common/python" if name.startswith("scrm") else ROOT
    stem = base / name.replace(".", "/")
    return stem.with_suffix(".py").exists() or (stem / "__init__.py").exists()


def once(module: str, env: dict) -> float:
    statement = "; ".join(f"import {m}" for m in module.split("+"))
    out = subprocess.run([sys.executable, "-c", TIMER.replace("import {m}", statement)], env=env, cwd=ROOT,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"import {module} failed:\n{out.stderr[-2000:]}")
    return float(out.stdout)


def median_import(module: str, runs: int, env: dict) -> float:
    once(module, env)  # warm-up: writes __pycache__ like the build does
    return statistics.median(once(module, env) for _ in range(runs))


def import_times(statement: str, env: dict) -> dict[str, float]:
    """{top-level package: ms} for `python -X importtime -c statement`, self times summed per package."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], env=env, cwd=ROOT,
                         capture_output=True, text=True)
    cost: dict[str, float] = defaultdict(float)
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, _cumulative, name = (part.strip() for part in line[len("import time:"):].split("|"))
        cost[name.split(".")[0]] += int(own) / 1000
    return cost


def heaviest(module: str, env: dict, top: int, startup: set[str]) -> list[tuple[str, float]]:
    """The non-stdlib packages that cost most when importing `module` (start-up imports and itself excluded)."""
    skip = STDLIB | startup | {m.split(".")[0] for m in module.split("+")}
    cost = import_times("; ".join(f"import {m}" for m in module.split("+")), env)
    return sorted(((p, ms) for p, ms in cost.items() if p not in skip and ms >= 1), key=lambda x: -x[1])[:top]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7)
    parser.add_argument("--top", type=int, default=3)
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("use at least 5 runs")
    env = environment()
    baseline = median_import(BASELINE, args.runs, env)
    print(f"median of {args.runs} fresh interpreters, Python {sys.version.split()[0]}; "
          f"import {BASELINE} = {baseline * 1000:.0f} ms; budget {BUDGET}x\n")
    print(f"| module | cold start ms | x {BASELINE} | first request ms | x {BASELINE} | verdict | "
          "heaviest non-stdlib packages on the first request (self ms) |")
    print("|---|---:|---:|---:|---:|---|---|")
    over = []
    startup = set(import_times("pass", env))  # site hooks (.pth files) run in every interpreter
    for module in modules():
        cold = median_import(module, args.runs, env)
        chain = "+".join(request_path(module))
        first = median_import(chain, args.runs, env) if chain != module else cold
        ratio = cold / baseline
        verdict = "ok" if ratio <= BUDGET else "OVER"
        if ratio > BUDGET:
            over.append(module)
        heavy = ", ".join(f"{p} {ms:.0f}" for p, ms in heaviest(chain, env, args.top, startup))
        print(f"| {module} | {cold * 1000:.0f} | {cold / baseline:.2f} | {first * 1000:.0f} | {first / baseline:.2f} "
              f"| {verdict} | {heavy} |")
    print(f"\n{len(over)} module(s) over {BUDGET}x: {', '.join(over) or 'none'}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
