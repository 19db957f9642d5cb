"""A temporary OA code's image is refused (409) once it expired, judged on the injected clock, not the wall clock:
a code that is live on the container's clock is served even when the wall clock is past its expiry, and
refused from the instant of its expiry on."""

from __future__ import annotations

import pytest

from scrm import bootstrap
from scrm.errors import Conflict
from scrm.services.channels import qr_image
from scrm.stores.channels import MemoryChannelStore
from scrm.stores.channels.base import new_channel
from scrm.tenancy import Scope
from tests.timing import Clock

ACCT = "acme"
SCOPE = Scope.system(ACCT)
EXPIRES_AT = 4_000_000_000  # 2096: later than the wall clock whenever this runs
LONG_AGO = 1_000_000_000.0  # 2001


@pytest.fixture
def clock():
    clock, channels = Clock(LONG_AGO), MemoryChannelStore()
    bootstrap.reset(clock=clock, channel_store=channels)
    channels.put_channel(SCOPE, new_channel(
        ACCT, {"kind": "oa_qr", "name": "fair"}, channel_id="fair", kind="oa_qr", name="fair", group="g",
        status="active", scene="fair", url="http://weixin.qq.com/q/02fair", version=1, qr_code=None,
        expires_at=EXPIRES_AT))
    yield clock
    bootstrap.reset()


def test_a_temporary_code_is_served_until_it_expires_on_the_injected_clock(clock, monkeypatch):
    import time

    monkeypatch.setattr(time, "time", lambda: EXPIRES_AT + 10**6)  # a wall clock past the expiry is not asked
    clock.now = EXPIRES_AT - 1
    assert qr_image(SCOPE, ACCT, "fair", "svg")[1] == "image/svg+xml"
    clock.now = EXPIRES_AT
    with pytest.raises(Conflict, match="expired"):
        qr_image(SCOPE, ACCT, "fair", "svg")
