"""The vendored front-end packages: every manifest file is committed with its recorded SHA-256, each package's
licence is among its files, and the pages load exactly the versions the manifest pins."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil

from infra import vendor


def test_every_vendored_file_is_present_with_its_recorded_sha256_and_licence():
    manifest = vendor.load_manifest()
    assert {p["name"] for p in manifest["packages"]} >= {"echarts", "swagger-ui-dist"}
    assert vendor.check(manifest) == []
    for package in manifest["packages"]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", package["version"]), package["name"]  # pinned exactly
        assert package["integrity"].startswith("sha512-")
        licence = (vendor.folder_of(package) / package["licence"][0]).read_text()
        assert "License" in licence or "LICENSE" in licence


def test_check_names_a_tampered_file_and_a_missing_licence(tmp_path):
    manifest = vendor.load_manifest()
    copy = tmp_path / "vendor"
    shutil.copytree(vendor.VENDOR, copy)
    package = manifest["packages"][0]
    target = vendor.folder_of(package, copy) / package["files"][0]["as"]
    target.write_bytes(target.read_bytes() + b"\n// tampered")
    (vendor.folder_of(package, copy) / package["licence"][0]).unlink()
    problems = vendor.check(manifest, copy)
    assert any("sha256 differs" in p and package["files"][0]["as"] in p for p in problems)
    assert any("missing" in p and package["licence"][0] in p for p in problems)


def test_integrity_is_npm_s_sha512_subresource_integrity():
    data = b"a tarball"
    assert vendor.integrity_of(data) == "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_the_pages_load_the_pinned_versions():
    pinned = {p["name"]: p["version"] for p in vendor.load_manifest()["packages"]}
    static = vendor.ROOT / "functions" / "static" / "console"
    referenced = set()
    for page in [*static.glob("*.html"), *static.glob("*.js")]:
        referenced |= set(re.findall(r"/console/vendor/([a-z0-9-]+)@([0-9.]+)/", page.read_text()))
    # the campaign page serves its JS-SDK copy as /c/assets/jweixin.js (functions/campaign_page.py names the file)
    campaign_page = (vendor.ROOT / "functions" / "campaign_page.py").read_text()
    referenced |= set(re.findall(r'"vendor/([a-z0-9-]+)@([0-9.]+)/', campaign_page))
    assert referenced == set(pinned.items())
