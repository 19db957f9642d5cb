"""The gateway's retry policy: bounded, typed, one refresh on token errors, back-off on busy/limits."""

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from wechatpy.exceptions import WeChatClientException

from scrm.errors import WeChatBusy, WeChatError, WeChatRateLimited, WeChatTokenInvalid, WeChatUnavailable
from scrm.gateway.base import BUSY_RETRIES, call_with_policy


class Script:
    """A fake WeChat answering a scripted sequence of errcodes (0 = success)."""

    def __init__(self, codes):
        self.codes = list(codes)
        self.calls = []
        self.tokens = 0
        self.invalidated = []
        self.sleeps = []

    def send(self, kwargs):
        self.calls.append(kwargs["params"]["access_token"])
        code = self.codes.pop(0) if self.codes else 0
        if code == "timeout":
            raise requests.Timeout()
        if code == "refused":
            raise requests.ConnectionError()
        if code:
            raise WeChatClientException(code, f"err {code}")
        return {"errcode": 0, "ok": True}

    def token(self):
        return f"t{self.tokens}"

    def invalidate(self, bad):
        self.invalidated.append(bad)
        self.tokens += 1

    def run(self):
        return call_with_policy(self.send, {"data": {"x": 1}}, "x/y", token=self.token, invalidate=self.invalidate,
                                backoff=0.5, sleep=self.sleeps.append)


def test_one_refresh_then_success():
    s = Script([40001, 0])
    assert s.run()["ok"]
    assert s.calls == ["t0", "t1"] and s.invalidated == ["t0"]


def test_persistent_token_error_stops_after_one_refresh():
    s = Script([42001, 42001, 42001])
    with pytest.raises(WeChatTokenInvalid):
        s.run()
    assert len(s.calls) == 2


def test_busy_backs_off_exponentially_then_gives_up():
    s = Script([-1] * 10)
    with pytest.raises(WeChatBusy):
        s.run()
    assert len(s.calls) == BUSY_RETRIES + 1
    assert s.sleeps == [0.5, 1.0]


def test_rate_limit_is_typed():
    s = Script([45009] * 10)
    with pytest.raises(WeChatRateLimited) as info:
        s.run()
    assert info.value.errcode == 45009


def test_other_errors_are_not_retried():
    s = Script([40003])
    with pytest.raises(WeChatError) as info:
        s.run()
    assert info.value.errcode == 40003 and len(s.calls) == 1


@pytest.mark.parametrize("fault", ["timeout", "refused"])
def test_transport_failures_are_typed_and_not_retried(fault):
    s = Script([fault])
    with pytest.raises(WeChatUnavailable, match="x/y"):
        s.run()
    assert len(s.calls) == 1


@given(st.lists(st.sampled_from([0, -1, 40001, 40014, 42001, 45009, 45033, 40003, 48001]), max_size=12))
def test_policy_always_terminates_within_bound(codes):
    s = Script(codes)
    try:
        s.run()
    except WeChatError:
        pass
    # at most one refresh plus the busy retries plus the first try
    assert len(s.calls) <= 1 + 1 + BUSY_RETRIES
    assert len(s.invalidated) <= 1


class RawResponse:
    """What wechatpy hands back when the body is not JSON: the requests Response itself."""

    def __init__(self, content=b"", ctype="text/html"):
        self.status_code, self.content, self.headers = 200, content, {"Content-Type": ctype}


@pytest.mark.parametrize("raw", [RawResponse(b"<html>502 Bad Gateway</html>"), RawResponse(b"", "application/json"),
                                 ["a", "list"]])
def test_an_answer_that_is_not_a_json_object_is_never_success(raw):
    from scrm.errors import WeChatBadAnswer

    calls = []

    def send(kwargs):
        calls.append(kwargs)
        return raw

    with pytest.raises(WeChatBadAnswer, match="not a JSON object"):
        call_with_policy(send, {}, "tags/create", token=lambda: "t", invalidate=lambda t: None, backoff=0)
    assert len(calls) == 1


@pytest.mark.parametrize("fault", [-1, "timeout", "refused", "html"])
def test_calls_without_a_dedupe_key_are_never_resent_on_an_ambiguous_outcome(fault):
    from scrm.errors import AmbiguousOutcome

    calls = []

    def send(kwargs):
        calls.append(kwargs)
        if fault == "html":
            return RawResponse(b"<html></html>")
        return Script([fault]).send(kwargs)

    for endpoint in ("externalcontact/add_msg_template", "externalcontact/resigned/transfer_customer"):
        calls.clear()
        with pytest.raises(AmbiguousOutcome) as info:
            call_with_policy(send, {}, endpoint, token=lambda: "t", invalidate=lambda t: None, backoff=0,
                             sleep=lambda s: None)
        assert len(calls) == 1 and isinstance(info.value, WeChatUnavailable)
    # the per-call switch does the same for any endpoint
    calls.clear()
    with pytest.raises(AmbiguousOutcome):
        call_with_policy(send, {}, "x/y", token=lambda: "t", invalidate=lambda t: None, backoff=0,
                         sleep=lambda s: None, retry_ambiguous=False)
    assert len(calls) == 1


def test_non_idempotent_calls_still_survive_a_token_refresh_and_are_not_retried_on_limits():
    s = Script([40001, 0])
    assert call_with_policy(s.send, {}, "externalcontact/add_msg_template", token=s.token,
                            invalidate=s.invalidate, backoff=0.5, sleep=s.sleeps.append)["ok"]
    s = Script([45009, 0])
    with pytest.raises(WeChatRateLimited):
        call_with_policy(s.send, {}, "externalcontact/add_msg_template", token=s.token, invalidate=s.invalidate,
                         backoff=0.5, sleep=s.sleeps.append)
    assert len(s.calls) == 1 and s.sleeps == []
