"""The committed layer lock pins exactly what requirements.txt asks for (no pip, no network)."""

import pytest

from infra.build import PROVIDED_BY_RUNTIME, StaleLock, check_lock

pytestmark = pytest.mark.packaging


def test_committed_layer_lock_matches_requirements():
    try:
        pins = check_lock()
    except StaleLock as stale:
        pytest.fail(str(stale))
    assert not PROVIDED_BY_RUNTIME & set(pins)
