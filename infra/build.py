"""Build the deployable artifact: `python -m infra.build --stage prod --out build/`.

Chalice packages `app.py`, `chalicelib/` and `vendor/` only: it ships neither a top-level `functions/` nor
`layers/`. So this build
  1. builds the common layer (`layer.zip`, Lambda layout `python/...`): the pinned third-party wheels for
     Linux x86_64 CPython 3.12 (`infra/layer-requirements.txt`, boto3/botocore/s3transfer left out because
     the Lambda runtime provides them) plus `layers/common/python/scrm`, byte-compiled;
  2. stages a Chalice project in `<out>/stage/` (app.py, .chalice/config.json, an empty requirements.txt since
     the dependencies live in the layer, and `functions/` as `vendor/functions/` so it lands at the zip root);
  3. runs `chalice package --stage <stage>` there with SCRM_STAGE set (queue names are computed at import);
  4. merges into the SAM template what Chalice does not create (see `infra.template`);
  5. writes `<out>/package/{sam.json, deployment.zip, layer.zip, manifest.json}`.

The output is deterministic: pinned wheels, sorted zip entries with fixed timestamps and modes, and pyc
files in unchecked-hash mode (no source mtime inside) with the deployed path as their file name.

`python -m infra.build --lock` re-resolves requirements.txt for the Lambda platform and rewrites the lock.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from infra.access import load as load_access
from infra.template import merge

ROOT = Path(__file__).resolve().parent.parent
LAYER_SRC = ROOT / "layers" / "common" / "python"
REQUIREMENTS = ROOT / "requirements.txt"
LOCK = ROOT / "infra" / "layer-requirements.txt"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"

LAMBDA_PYTHON = "3.12"  # the deploy target; every function's Runtime is python3.12
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34): wheels for glibc 2.17 and 2.28 both load there,
# and some packages (google-re2) publish manylinux_2_28 wheels only.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
PLATFORM = " + ".join(PLATFORMS)
PROVIDED_BY_RUNTIME = {"boto3", "botocore", "s3transfer"}  # in Lambda's /var/runtime; never in the layer
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
STAGE_OVERRIDES = ("SCRM_TABLE_PREFIX", "SCRM_QUEUE_PREFIX", "SCRM_SECRETS_PREFIX")  # the template sets none
DEFAULT_REGION = "ap-east-1"


def log(message: str) -> None:
    print(f"[build] {message}", file=sys.stderr, flush=True)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(path: Path) -> dict[str, str]:
    """{normalized name: version} of the `name[extras]==version` lines of a requirements file."""
    pins = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*==\s*([^\s;]+)", line)
        if not match:
            raise SystemExit(f"{path.name}: {line!r} is not pinned with ==; the layer build needs exact versions")
        pins[normalize(match.group(1))] = match.group(3)
    return pins


def pip_platform_args(python_version: str) -> list[str]:
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    return [*platforms, "--python-version", python_version, "--implementation", "cp", "--only-binary=:all:",
            "--disable-pip-version-check"]


# ---------------------------------------------------------------- lock


class StaleLock(Exception):
    pass


def write_lock(target: Path = LOCK, python_version: str = LAMBDA_PYTHON) -> Path:
    """Resolve requirements.txt for the Lambda platform; pin everything the layer needs, minus the runtime's."""
    report = target.parent / "pip-report.json" if target != LOCK else ROOT / "build" / "pip-report.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                    "--report", str(report), "--target", str(report.parent / "lock-target"),
                    "-r", str(REQUIREMENTS), *pip_platform_args(python_version)], check=True)
    resolved = {normalize(i["metadata"]["name"]): i for i in json.loads(report.read_text())["install"]}
    # Keep what is reachable from requirements.txt without passing through a runtime-provided package.
    # Markers are ignored, so a dependency is kept if any edge might need it (the safe direction).
    keep, todo = set(), [n for n in pinned(REQUIREMENTS) if n not in PROVIDED_BY_RUNTIME]
    while todo:
        name = todo.pop()
        if name in keep or name in PROVIDED_BY_RUNTIME or name not in resolved:
            continue
        keep.add(name)
        for dep in resolved[name]["metadata"].get("requires_dist") or []:
            todo.append(normalize(re.match(r"[A-Za-z0-9_.\-]+", dep).group(0)))
    lines = [
        "# Generated by `python -m infra.build --lock` from requirements.txt for Lambda",
        f"# (CPython {python_version}, {PLATFORM}). The layer is installed from this file with --no-deps.",
        f"# Left out, because the Lambda runtime provides them: {', '.join(sorted(PROVIDED_BY_RUNTIME))}.",
    ]
    lines += [f"{name}=={resolved[name]['metadata']['version']}" for name in sorted(keep)]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n")
    log(f"wrote {target} ({len(keep)} packages)")
    return target


def check_lock(lock_file: Path = LOCK) -> dict[str, str]:
    """The lock's pins; StaleLock when it disagrees with requirements.txt."""
    lock, wanted = pinned(lock_file), pinned(REQUIREMENTS)
    stale = {n: v for n, v in wanted.items() if n not in PROVIDED_BY_RUNTIME and lock.get(n) != v}
    if stale:
        raise StaleLock(f"{lock_file.name} does not match requirements.txt for {sorted(stale)}: "
                        "run `python -m infra.build --lock` and commit infra/layer-requirements.txt")
    leaked = PROVIDED_BY_RUNTIME & set(lock)
    if leaked:
        raise SystemExit(f"{lock_file.name} pins {sorted(leaked)}, which the Lambda runtime provides")
    return lock


# ---------------------------------------------------------------- interpreters and byte-code


def python_version_of(executable: str) -> str | None:
    try:
        out = subprocess.run([executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def find_python(version: str) -> str | None:
    """An interpreter of `version` on this machine ($SCRM_LAMBDA_PYTHON, pythonX.Y on PATH, pyenv), or None."""
    if python_version_of(sys.executable) == version:
        return sys.executable
    candidates = [os.environ.get("SCRM_LAMBDA_PYTHON"), shutil.which(f"python{version}"),
                  f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        candidates += [str(p / "bin" / f"python{version}") for p in sorted(pyenv.glob(f"{version}.*"), reverse=True)]
    for candidate in candidates:
        if candidate and python_version_of(candidate) == version:
            return candidate
    return None


def byte_compile(python: str | None, tree: Path, deployed_as: str) -> bool:
    """Write `__pycache__/*.cpython-XY.pyc` next to every source, for the interpreter that will import them.

    Lambda mounts the layer (/opt) and the function (/var/task) read-only, so a pyc missing from the zip is
    recompiled in memory at every cold start. A pyc only helps the interpreter version it was compiled for
    (3.11 ignores cpython-312 files and the reverse), so the compiler must be a CPython of the target version:
    the build looks for one (pyenv, PATH, $SCRM_LAMBDA_PYTHON). Without it, it ships sources only and warns;
    compiling with this 3.11 venv would add files Lambda's 3.12 never reads. `unchecked-hash` keeps the
    output independent of file mtimes, `-s/-p` records the path the code has once deployed, and it runs
    serially with a fixed hash seed: parallel workers (`-j`) and set ordering both change the bytes.
    """
    if python is None:
        return False
    result = subprocess.run([python, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash",
                             "-s", str(tree), "-p", deployed_as, str(tree)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONHASHSEED": "0"})  # set/frozenset constants in a fixed order
    if result.returncode != 0:  # a package may carry files that are not valid Python 3 (templates, py2 tests)
        failed = [line for line in result.stdout.splitlines() if line.startswith(("***", "Error"))]
        log(f"compileall reported {len(failed)} problems under {tree.name} (sources kept): {failed[:3]}")
    return True


# ---------------------------------------------------------------- zips


def deterministic_zip(source: Path, target: Path) -> str:
    """Zip `source` (contents at the root) with sorted names, fixed dates and modes; return its sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink())
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(source).as_posix(), ZIP_DATE)
            info.external_attr = 0o100644 << 16  # one mode for all: umask must not change the bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            zf.writestr(info, path.read_bytes(), compresslevel=9)
    return hashlib.sha256(target.read_bytes()).hexdigest()


def ignore_caches(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n in ("__pycache__", ".pytest_cache") or n.endswith((".pyc", ".pyo"))}


# ---------------------------------------------------------------- the steps


def build_layer(out: Path, python_version: str = LAMBDA_PYTHON) -> dict:
    """Build `<out>/layer/python/...` and `<out>/layer.zip` for CPython `python_version` on Linux x86_64."""
    lock_file, lock_source = LOCK, "infra/layer-requirements.txt"
    try:
        lock = check_lock()
    except StaleLock as stale:  # still build (dev loop), from a fresh resolution kept out of the source tree
        log(f"WARNING: {stale}; resolving afresh for this build (not reproducible until the lock is committed)")
        lock_file, lock_source = write_lock(out / "layer-requirements.txt", python_version), "resolved at build"
        lock = check_lock(lock_file)
    layer_dir = out / "layer"
    shutil.rmtree(layer_dir, ignore_errors=True)
    site = layer_dir / "python"
    log(f"layer: installing {len(lock)} pinned packages for cp{python_version.replace('.', '')} {PLATFORM}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
                    "--target", str(site), "-r", str(lock_file), *pip_platform_args(python_version)], check=True)
    for junk in ("bin", "share"):  # console scripts and man pages: nothing imports them
        shutil.rmtree(site / junk, ignore_errors=True)
    leaked = sorted(p.name for p in site.iterdir() if normalize(p.name.split("-")[0]) in PROVIDED_BY_RUNTIME)
    if leaked:
        raise SystemExit(f"layer contains runtime-provided packages: {leaked}")
    shutil.copytree(LAYER_SRC / "scrm", site / "scrm", ignore=ignore_caches)
    compiler = find_python(python_version)
    if not byte_compile(compiler, site, "/opt/python"):
        log(f"WARNING: no CPython {python_version} found: the layer ships without byte-code "
            f"(set SCRM_LAMBDA_PYTHON to a python{python_version} to compile it)")
    digest = deterministic_zip(layer_dir, out / "layer.zip")
    return {"python_version": python_version, "pyc_compiler": python_version_of(compiler) if compiler else None,
            "lock": lock_source, "packages": lock, "sha256": digest}


def stage_project(stage_dir: Path) -> None:
    shutil.rmtree(stage_dir, ignore_errors=True)
    (stage_dir / ".chalice").mkdir(parents=True)
    shutil.copy2(ROOT / "app.py", stage_dir / "app.py")
    shutil.copy2(CHALICE_CONFIG, stage_dir / ".chalice" / "config.json")
    (stage_dir / "requirements.txt").write_text("")  # dependencies live in the layer
    shutil.copytree(ROOT / "functions", stage_dir / "vendor" / "functions", ignore=ignore_caches)
    if (ROOT / "chalicelib").is_dir():
        shutil.copytree(ROOT / "chalicelib", stage_dir / "chalicelib", ignore=ignore_caches)


def stage_environment(stage: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STAGE_OVERRIDES and k != "AWS_ENDPOINT_URL"}
    env["SCRM_STAGE"] = stage
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", DEFAULT_REGION))
    env["PYTHONPATH"] = str(LAYER_SRC)  # chalice imports app.py, which imports scrm
    return env


def chalice_package(stage_dir: Path, stage: str, target: Path) -> dict:
    shutil.rmtree(target, ignore_errors=True)
    log(f"chalice package --stage {stage}")
    subprocess.run([sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())",
                    "package", "--stage", stage, str(target)], cwd=stage_dir, env=stage_environment(stage),
                   check=True)
    return json.loads((target / "sam.json").read_text())


def rebuild_deployment_zip(chalice_zip: Path, work: Path, target: Path, python_version: str) -> str:
    """Chalice's zip, byte-compiled for the runtime and re-zipped deterministically."""
    shutil.rmtree(work, ignore_errors=True)
    with zipfile.ZipFile(chalice_zip) as zf:
        zf.extractall(work)
    names = {p.relative_to(work).as_posix() for p in work.rglob("*.py")}
    missing = {"app.py", "functions/__init__.py"} - names
    if missing:
        raise SystemExit(f"deployment.zip lacks {sorted(missing)}: staging functions/ as vendor/ failed")
    byte_compile(find_python(python_version), work, "/var/task")
    return deterministic_zip(work, target)


def layer_modules(stage: str):
    """Import the layer's registry with the stage's naming (no prefix overrides) and return its definitions."""
    for name in STAGE_OVERRIDES:
        os.environ.pop(name, None)
    os.environ["SCRM_STAGE"] = stage
    if str(LAYER_SRC) not in sys.path:
        sys.path.insert(0, str(LAYER_SRC))
    from scrm.config import reset_settings, settings

    reset_settings()
    from scrm.data.registry import all_models, cloudformation_table
    from scrm.queues import ALL_QUEUES

    if settings().stage != stage:
        raise SystemExit(f"scrm settings say stage {settings().stage!r}, expected {stage!r}")
    tables = {model.logical_name: cloudformation_table(model) for model in all_models()}
    return settings(), tables, tuple(ALL_QUEUES)


def build(stage: str, out: Path) -> Path:
    out = out.resolve()
    package = out / "package"
    layer = build_layer(out, LAMBDA_PYTHON)
    stage_dir = out / "stage"
    stage_project(stage_dir)
    chalice_out = out / "chalice"
    template = chalice_package(stage_dir, stage, chalice_out)
    shutil.rmtree(package, ignore_errors=True)
    package.mkdir(parents=True)
    deployment_sha = rebuild_deployment_zip(chalice_out / "deployment.zip", out / "function", package /
                                            "deployment.zip", LAMBDA_PYTHON)
    shutil.copy2(out / "layer.zip", package / "layer.zip")
    cfg, tables, queues = layer_modules(stage)
    config = json.loads(CHALICE_CONFIG.read_text())
    template = merge(template, stage=stage, settings=cfg, tables=tables, queues=queues, chalice_config=config,
                     runtime=f"python{LAMBDA_PYTHON}", layer_uri="./layer.zip", access=load_access())
    (package / "sam.json").write_text(json.dumps(template, indent=2, sort_keys=False) + "\n")
    manifest = {
        "stage": stage, "runtime": f"python{LAMBDA_PYTHON}", "layer": layer,
        "deployment_zip_sha256": deployment_sha,
        "handlers": sorted({r["Properties"]["Handler"] for r in template["Resources"].values()
                            if r["Type"] == "AWS::Serverless::Function"}),
        "tables": sorted(t["Properties"]["TableName"] for t in tables.values()),
        "queues": [cfg.queue_name(q) for q in queues],
    }
    (package / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"wrote {package}/sam.json, deployment.zip, layer.zip ({len(manifest['handlers'])} handlers)")
    return package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.build", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default=os.environ.get("STAGE", "dev"))
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    parser.add_argument("--python-version", default=LAMBDA_PYTHON,
                        help="build the layer for this CPython (tests build one for their own interpreter)")
    parser.add_argument("--layer-only", action="store_true", help="build <out>/layer.zip and stop")
    parser.add_argument("--lock", action="store_true", help="re-resolve requirements.txt into the layer lock")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", args.stage):
        parser.error("--stage must be lowercase letters, digits and dashes")
    if args.lock:
        write_lock()
        return 0
    if args.python_version != LAMBDA_PYTHON and not args.layer_only:
        parser.error(f"the deployed runtime is python{LAMBDA_PYTHON}: --python-version needs --layer-only")
    if args.layer_only:
        print(json.dumps(build_layer(args.out.resolve(), args.python_version), indent=2))
        return 0
    build(args.stage, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
