"""One timestamp format in every API answer (scrm/domain/instants.py): ISO 8601 to the second with a numeric
offset. The generated document declares it for every timestamp field, and real answers carry it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from scrm.domain.instants import PATTERN, answer_time, is_answer_time
from scrm.services import channels
from scrm.tenancy import Scope

TIMESTAMP_NAME = re.compile(r"(^at$|^since$|_at$)")


def _properties(schema: dict, where: str):
    for name, prop in (schema.get("properties") or {}).items():
        yield f"{where}.{name}", name, prop


def _declared(prop: dict) -> list[dict]:
    """The non-null alternatives of a property schema."""
    options = prop.get("anyOf") or [prop]
    return [o for o in options if o.get("type") != "null"]


def test_every_timestamp_field_of_the_document_is_iso_8601_with_offset():
    from functions import contract

    schemas = contract.document()["components"]["schemas"]
    seen, wrong = [], []
    for model, schema in schemas.items():
        for where, name, prop in _properties(schema, model):
            if not TIMESTAMP_NAME.search(name):
                continue
            seen.append(where)
            options = _declared(prop)
            if any(o.get("type") == "integer" for o in options) and not model.endswith(("Body", "Input")):
                wrong.append(f"{where}: epoch numbers in an answer")
            if not any(o.get("pattern") == PATTERN and o.get("format") == "date-time" for o in options):
                if not model.endswith(("Body", "Input")):  # request bodies accept epoch seconds too
                    wrong.append(f"{where}: {prop}")
    assert len(seen) >= 20, seen  # the walk found the fields (accounts, keys, pushes, campaigns, plans, ...)
    assert wrong == []


@pytest.mark.parametrize("value", [
    1_764_645_900, 1_764_645_900.7, datetime(2025, 12, 2, 3, 25, tzinfo=UTC), datetime(2025, 12, 2, 3, 25),
    "2025-12-02T03:25:00Z", "2025-12-02T11:25:00+08:00", "2025-12-02T03:25:00.123456+00:00"])
def test_every_stored_shape_becomes_the_one_format(value):
    assert answer_time(value) == "2025-12-02T11:25:00+08:00"
    assert is_answer_time(answer_time(value))


def test_nested_stored_times_become_the_one_format_and_nothing_else_changes():
    from scrm.domain.instants import answer_times

    doc = {"runs": [{"finished_at": 1_764_645_900, "sent": 3}], "history": [{"at": 1_764_645_900.5, "state": "x"}],
           "relations": {"a|o": {"since": 1_764_645_900, "active": True}}, "format": 7, "flag_at": True,
           "text_at": "as given"}
    out = answer_times(doc)
    stamp = "2025-12-02T11:25:00+08:00"
    assert out["runs"] == [{"finished_at": stamp, "sent": 3}] and out["history"] == [{"at": stamp, "state": "x"}]
    assert out["relations"]["a|o"] == {"since": stamp, "active": True}
    assert (out["format"], out["flag_at"], out["text_at"]) == (7, True, "as given")


def test_a_push_time_keeps_its_own_zone():
    from zoneinfo import ZoneInfo

    assert answer_time(1_764_645_900, ZoneInfo("Europe/Berlin")) == "2025-12-02T04:25:00+01:00"
    assert answer_time(None) is None


@pytest.fixture
def api(oa_account):
    from chalice.test import Client

    from app import app
    from scrm.services import admin_keys

    channels.forget_cache()
    _, key = admin_keys.issue(Scope.system(oa_account.account_id), oa_account.account_id, role="admin",
                              name="timestamps test")
    with Client(app) as client:
        def call(method, path, body=None):
            h = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            res = getattr(client.http, method.lower())(f"/accounts/{oa_account.account_id}{path}", headers=h,
                                                       body=None if body is None else json.dumps(body))
            assert res.status_code < 300, res.body
            return res.json_body
        yield call


def _stamps(value, where=""):
    if isinstance(value, dict):
        for k, v in value.items():
            if TIMESTAMP_NAME.search(k) and v is not None and not isinstance(v, dict | list):
                yield f"{where}.{k}", v
            yield from _stamps(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _stamps(v, f"{where}[{i}]")


def test_real_answers_carry_the_one_format(api, oa_account, sandbox):
    from local.sandbox import SandboxClient
    from scrm.services import events

    SandboxClient(sandbox.url).oa_followers(oa_account.app_id, count=2)
    answers = {
        "account": api("GET", ""),
        "key": api("POST", "/keys", {"role": "read-only", "name": "t", "expires_in_days": 1}),
        "channel": api("POST", "/channels", {"kind": "oa_qr", "name": "门店导购", "qr_type": "temporary",
                                              "expire_seconds": 3600}),
        "push": api("POST", "/pushes", {"name": "p", "content": {"type": "text", "text": "hi"},
                                        "audience": {"type": "all"}, "send_at": "2099-01-01T09:00:00+08:00"}),
        "campaign": api("POST", "/campaigns", {"campaign_id": "spring", "name": "c", "starts_at": 4_070_908_800,
                                               "ends_at": "2099-02-01T00:00:00Z",
                                               "prizes": [{"prize_id": "t", "name": "谢谢", "kind": "thanks",
                                                           "weight": 1}]}),
    }
    answers["audit"] = api("GET", "/audit")
    answers["preview"] = api("POST", f"/pushes/{answers['push']['push_id']}/preview")
    answers["pushed"] = api("GET", f"/pushes/{answers['push']['push_id']}")
    events.apply({"account_id": oa_account.account_id, "platform": "oa", "kind": "oa.subscribe", "dedupe_key": "k1",
                  "event": {"FromUserName": "o-a", "CreateTime": 1_764_645_900, "Event": "subscribe",
                            "EventKey": f"qrscene_{answers['channel']['scene']}"}})
    answers["contact"] = api("GET", "/contacts?openid=o-a")
    found = {name: list(_stamps(body)) for name, body in answers.items()}
    assert all(found.values()), found
    bad = [(name, where, v) for name, stamps in found.items() for where, v in stamps if not is_answer_time(v)]
    assert bad == []
    assert answers["push"]["send_at"] == "2099-01-01T09:00:00+08:00"
    assert answers["campaign"]["starts_at"] == "2099-01-01T08:00:00+08:00"
    assert answers["campaign"]["ends_at"] == "2099-02-01T08:00:00+08:00"
    assert answers["contact"]["touches"][0]["at"] == "2025-12-02T11:25:00+08:00"
    assert {"preview", "contact"} <= {name for name, stamps in found.items() if stamps}
