"""Attack: an account admin sets an option the shared functions act on to a hostile value, e.g.
`push_rate_per_second: 1e-6`, which makes the push function (shared by every tenant) sleep for days.

Every option has bounds (numbers min/max, enums, list sizes, known keys); out-of-bound values and unknown options
are refused with a 400 naming the field (`options.push_rate_per_second`) and change nothing. The bounds are the
ones documented in functions/openapi.yaml (AccountOptions)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scrm.domain import account_options
from scrm.errors import ValidationError

NUMBERS = {name: spec for name, spec in account_options.OPTIONS.items() if isinstance(spec, account_options.Number)}


def refused_field(options) -> str:
    with pytest.raises(ValidationError) as info:
        account_options.check(options)
    return info.value.field


def out_of_bounds(spec):
    below = st.floats(max_value=spec.minimum, exclude_max=True, allow_nan=False)
    above = st.floats(min_value=spec.maximum, exclude_min=True, allow_nan=False)
    odd = st.sampled_from([math.nan, math.inf, -math.inf, "5", None, True, [1], {"a": 1}])
    wrong = below | above | odd
    if spec.integer:
        wrong = wrong | st.floats(min_value=spec.minimum, max_value=spec.maximum).filter(lambda x: x != int(x))
    return wrong


@pytest.mark.parametrize("name", sorted(NUMBERS))
@settings(deadline=None, max_examples=60)
@given(data=st.data())
def test_numbers_out_of_bounds_are_refused_naming_the_option(name, data):
    value = data.draw(out_of_bounds(NUMBERS[name]))
    assert refused_field({name: value}) == f"options.{name}"


@pytest.mark.parametrize("name", sorted(NUMBERS))
@settings(deadline=None, max_examples=30)
@given(data=st.data())
def test_numbers_within_bounds_are_accepted(name, data):
    spec = NUMBERS[name]
    value = data.draw(st.integers(int(spec.minimum), int(spec.maximum)) if spec.integer
                      else st.floats(spec.minimum, spec.maximum))
    assert account_options.check({name: value}) == {name: value}


def test_the_reported_attack_value_is_refused():
    assert refused_field({"push_rate_per_second": 1e-6}) == "options.push_rate_per_second"


@settings(deadline=None, max_examples=80)
@given(st.text(min_size=1, max_size=40).filter(lambda n: n not in account_options.OPTIONS))
def test_unknown_options_are_refused_naming_them(name):
    assert refused_field({name: 1}) == f"options.{name}"


def test_enums_flags_and_quota_policies_are_bounded():
    assert refused_field({"push_mass_mode": "everyone"}) == "options.push_mass_mode"
    assert refused_field({"fetch_unionid": "yes"}) == "options.fetch_unionid"
    assert refused_field({"contact_book": "other-account"}) == "options.contact_book"
    good = {"scope": "recipient", "limit": 4, "period": "month"}
    assert account_options.check({"push_quotas": {"oa:service:mass": [good]}})
    cases = [({"oa:service:mass": [good] * 5}, "options.push_quotas.oa:service:mass"),
             ({"qq:*:mass": []}, "options.push_quotas.qq:*:mass"),
             ({"wecom:*:mass": []}, "options.push_quotas.wecom:*:mass"),
             ({"oa:*:mass": [{**good, "limit": 10**9}]}, "options.push_quotas.oa:*:mass[0].limit"),
             ({"oa:*:mass": [{**good, "period": "year"}]}, "options.push_quotas.oa:*:mass[0].period"),
             ({"oa:*:mass": [{**good, "extra": 1}]}, "options.push_quotas.oa:*:mass[0]"),
             ([], "options.push_quotas")]
    for policy, field in cases:
        assert refused_field({"push_quotas": policy}) == field, policy


def test_the_documented_schema_is_the_enforced_one():
    import yaml

    from functions.admin_api import OPENAPI

    schemas = yaml.safe_load(OPENAPI.read_text())["components"]["schemas"]

    def resolved(schema, bounds_only=False):
        """The schema with its $refs (shared parts such as QuotaRule) in place; of those parts, only the bounds
        (their prose is the model's, which the options table does not repeat)."""
        if isinstance(schema, dict):
            if "$ref" in schema:
                return resolved(schemas[schema["$ref"].rsplit("/", 1)[1]], True)
            return {k: resolved(v, bounds_only) for k, v in schema.items()
                    if not (bounds_only and k in ("title", "description"))}
        return [resolved(v, bounds_only) for v in schema] if isinstance(schema, list) else schema

    documented = resolved(schemas["AccountOptions"])
    documented.pop("description")
    documented.pop("title")  # the component's name, written by pydantic
    assert documented == account_options.openapi_schema()


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app
    from tests.integration.admin_helpers import make_api

    with Client(app) as client:
        yield make_api(client)


def test_the_api_refuses_hostile_options_with_no_side_effect(api):
    from scrm.data.accounts import AccountRecord

    admin = api.key("acct-a", "admin")
    ok = api.call("PATCH", "/accounts/acct-a", key=admin, body={"options": {"push_rate_per_second": 20}})
    assert ok.status_code == 200 and ok.json_body["options"] == {"push_rate_per_second": 20}
    for options, field in (({"push_rate_per_second": 1e-6}, "options.push_rate_per_second"),
                           ({"push_batch_size": 1}, "options.push_batch_size"),
                           ({"custom_window_seconds": 10**9}, "options.custom_window_seconds"),
                           ({"contact_book": "acct-b"}, "options.contact_book")):
        r = api.call("PATCH", "/accounts/acct-a", key=admin, body={"options": options, "name": "changed"})
        assert r.status_code == 400 and r.json_body["error"]["field"] == field, r.body
        rec = AccountRecord.get("acct-a", consistent_read=True)
        assert rec.options.as_dict() == {"push_rate_per_second": 20} and rec.name != "changed"
    body = {"account_id": "new-oa", "kind": "oa", "app_id": "wx1", "name": "n", "app_secret": "s3cr3t",
            "options": {"push_rate_per_second": 0}}
    r = api.call("POST", "/accounts", key=api.platform_key, body=body)
    assert r.status_code == 400 and r.json_body["error"]["field"] == "options.push_rate_per_second"
    assert api.call("GET", "/accounts/new-oa", key=api.platform_key).status_code == 404
