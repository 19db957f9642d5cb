"""`make setup` installs a pip that every pinned dev requirement accepts, so a set-up prints no resolver ERROR."""

import re
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]


def makefile_pip() -> Version:
    text = (ROOT / "Makefile").read_text()
    assert not re.search(r"pip install[^\n]*--upgrade pip", text), "the Makefile upgrades pip unpinned"
    found = re.search(r"^PIP_VERSION\s*:?=\s*(\S+)", text, re.M)
    assert found, "the Makefile pins no PIP_VERSION"
    assert "pip==$(PIP_VERSION)" in text
    return Version(found.group(1))


def test_the_makefile_pins_a_pip_that_the_installed_dev_requirements_accept():
    pip = makefile_pip()
    wanting_pip = []
    for dist in metadata.distributions():
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.name.lower() == "pip" and (req.marker is None or req.marker.evaluate()):
                wanting_pip.append(dist.metadata["Name"])
                assert pip in req.specifier, f"{dist.metadata['Name']} requires {req}, the Makefile pins pip {pip}"
    assert "chalice" in [n.lower() for n in wanting_pip]  # the one that caps pip today
