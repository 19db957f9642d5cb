"""The console's front-end packages, vendored from npm at pinned versions: `python -m infra.vendor`.

`functions/static/vendor/manifest.json` names each package, its exact version, the registry's `dist.integrity`
of that version's tarball, and the files taken from it (path in the package -> flat name served; Chalice has no
greedy paths, so every served file sits directly in `functions/static/vendor/<name>@<version>/`), licences
included. This script `npm pack`s each pinned version into a temporary folder, refuses a tarball whose SHA-512
differs from the recorded integrity, copies only the listed files and records each copy's SHA-256 in the
manifest. The copies are committed: deploys and CI need no npm (consoles in China cannot count on a CDN, and
our build must not count on a registry). tests/unit/test_vendor.py checks every file against its SHA-256.

    python -m infra.vendor            # re-fetch every package and rewrite the files and their digests
    python -m infra.vendor --check    # verify the committed files against the manifest (no network)

To upgrade: change `version` and `integrity` (from `npm view <name>@<version> dist.integrity`), then run it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "functions" / "static" / "vendor"
MANIFEST = VENDOR / "manifest.json"


def load_manifest(path: Path = MANIFEST) -> dict:
    return json.loads(path.read_text())


def folder_of(package: dict, vendor: Path = VENDOR) -> Path:
    return vendor / f"{package['name']}@{package['version']}"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def integrity_of(data: bytes) -> str:
    """npm's Subresource-Integrity string of a tarball (sha512-<base64>)."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def check(manifest: dict, vendor: Path = VENDOR) -> list[str]:
    """What is wrong with the committed copies: missing files, digests that differ, a package without licence."""
    problems = []
    for package in manifest["packages"]:
        folder = folder_of(package, vendor)
        names = set()
        for entry in package["files"]:
            names.add(entry["as"])
            target = folder / entry["as"]
            if not target.is_file():
                problems.append(f"{target.relative_to(vendor)}: missing")
            elif sha256_of(target) != entry.get("sha256"):
                problems.append(f"{target.relative_to(vendor)}: sha256 differs from the manifest")
        if not set(package["licence"]) <= names or not package["licence"]:
            problems.append(f"{package['name']}: its licence files {package['licence']} are not among its files")
    return problems


def _pack(package: dict, work: Path) -> Path:
    spec = f"{package['name']}@{package['version']}"
    out = subprocess.run(["npm", "pack", spec, "--json", "--pack-destination", str(work)], check=True,
                         capture_output=True, text=True).stdout
    [packed] = json.loads(out)
    tarball = work / packed["filename"]
    actual = integrity_of(tarball.read_bytes())
    if actual != package["integrity"]:
        raise SystemExit(f"{spec}: tarball integrity {actual} is not the pinned {package['integrity']}")
    return tarball


def _extract(tarball: Path, member: str, target: Path) -> None:
    with tarfile.open(tarball) as tf:
        info = tf.getmember(f"package/{member}")  # npm tarballs root everything at package/
        if not info.isfile():
            raise SystemExit(f"{tarball.name}: {member} is not a regular file")
        with tf.extractfile(info) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)


def vendor(manifest: dict, vendor_dir: Path = VENDOR) -> dict:
    """Fetch, verify and copy every package; returns the manifest with each file's SHA-256 filled in."""
    with tempfile.TemporaryDirectory() as tmp:
        for package in manifest["packages"]:
            tarball = _pack(package, Path(tmp))
            folder = folder_of(package, vendor_dir)
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for entry in package["files"]:
                if "/" in entry["as"] or entry["as"].startswith("."):
                    raise SystemExit(f"{package['name']}: served names are flat ({entry['as']!r})")
                _extract(tarball, entry["from"], folder / entry["as"])
                entry["sha256"] = sha256_of(folder / entry["as"])
            print(f"vendored {package['name']}@{package['version']}: {len(package['files'])} files")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.vendor", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files only (no network)")
    args = parser.parse_args(argv)
    manifest = load_manifest()
    if not args.check:
        manifest = vendor(manifest)
        MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    problems = check(manifest)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
