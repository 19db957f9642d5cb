"""Each WeChat API call is its own X-Ray subsegment annotated with the API path (the token fetch too), so a
slow or failing WeChat call is findable in X-Ray by `annotation.wechat_path`. Tracing is off in tests (no
daemon), so a recording tracer stands in for Powertools' X-Ray provider."""

import contextlib

from scrm import bootstrap
from scrm.gateway import gateway_for


class Subsegment:
    def __init__(self, name):
        self.name, self.annotations = name, {}

    def put_annotation(self, key, value):
        self.annotations[key] = value


class RecordingTracer:
    disabled = False

    def __init__(self):
        self.provider = self
        self.subsegments = []

    @contextlib.contextmanager
    def in_subsegment(self, name):
        sub = Subsegment(name)
        self.subsegments.append(sub)
        yield sub


def test_every_wechat_call_is_a_subsegment_with_its_path(oa_account, monkeypatch):
    recording = RecordingTracer()
    bootstrap.reset(tracer=recording)  # a cold container with the recording tracer (the account stays in moto)
    gateway_for(oa_account).get("tags/get")
    seen = [(s.name, s.annotations) for s in recording.subsegments]
    # The token is fetched inside the call's subsegment (it is part of that call's latency).
    assert seen == [("wechat tags/get", {"wechat_path": "tags/get", "wechat_platform": "oa"}),
                    ("wechat stable_token", {"wechat_path": "stable_token", "wechat_platform": "oa"})]
