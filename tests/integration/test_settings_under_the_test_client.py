"""chalice's test Client patches os.environ with a stage's variables (`SCRM_STAGE=dev` for its default stage) while
a request runs. A cold start of the container during a request (a fixture's `bootstrap.reset()` before the first
use of the settings) must not re-read the environment then: the settings are the process's. It did, once the
settings became a container slot, and an account's secrets were then looked up under `/scrm/dev/` (503
config_error for every later request of the test)."""

from __future__ import annotations


def test_a_cold_start_during_a_test_client_request_keeps_the_process_settings(aws):
    from chalice import Chalice
    from chalice.test import Client

    from scrm import bootstrap
    from scrm.config import settings

    probe = Chalice(app_name="settings-probe")

    @probe.route("/stage")
    def stage():
        bootstrap.reset()
        return {"stage": settings().stage, "patched": __import__("os").environ.get("SCRM_STAGE")}

    assert settings().stage == "test"
    with Client(probe) as client:
        answer = client.http.get("/stage").json_body
    assert answer == {"stage": "test", "patched": "dev"}  # the Client did patch the environment; settings kept
