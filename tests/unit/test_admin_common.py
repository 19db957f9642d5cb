"""Pure parts of the admin API plumbing: cursors, bearer parsing, error mapping, key format, masking, options."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions import admin_common as ac
from scrm import errors

keys = st.dictionaries(st.text(min_size=1, max_size=20),
                       st.dictionaries(st.sampled_from(["S", "N"]), st.text(max_size=40), min_size=1, max_size=1),
                       min_size=1, max_size=3)


@given(keys, st.text(max_size=60))
def test_cursor_round_trips_on_its_own_path_only(last_key, path):
    cursor = ac.encode_cursor(last_key, path)
    assert ac.decode_cursor(cursor, path) == last_key
    with pytest.raises(errors.ValidationError) as e:
        ac.decode_cursor(cursor, path + "/other")
    assert e.value.field == "cursor"


@given(st.text(max_size=200))
def test_any_garbage_cursor_is_a_400_naming_cursor(garbage):
    try:
        ac.decode_cursor(garbage, "/p")
    except errors.ValidationError as e:
        assert e.field == "cursor"


def test_no_next_cursor_without_a_last_key():
    assert ac.encode_cursor(None, "/p") is None and ac.decode_cursor("", "/p") is None


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer    ", "Token x", "bearer"])
def test_bearer_header_must_be_bearer_and_a_value(header):
    with pytest.raises(errors.Unauthorized):
        ac._bearer(header)


def test_bearer_value_and_missing_header():
    assert ac._bearer("Bearer scrm.a.b.c") == "scrm.a.b.c"
    assert ac._bearer("bearer  xyz ") == "xyz"
    assert ac._bearer(None) is None


@pytest.mark.parametrize("exc,status", [
    (errors.ValidationError("x", field="f"), 400), (errors.Unauthorized("x"), 401), (errors.Forbidden("x"), 403),
    (errors.NotFound("x"), 404), (errors.UnknownAccount("a"), 404), (errors.Conflict("x"), 409),
    (errors.AccountDisabled("a"), 409), (errors.RateLimited("x"), 429), (errors.WeChatRateLimited(45009, "x"), 429),
    (errors.WeChatBusy(-1, "x"), 503), (errors.WeChatUnavailable("x"), 503), (errors.WeChatError(40003, "x"), 502),
    (errors.ConfigError("x"), 503), (errors.ScrmError("x"), 400), (RuntimeError("x"), 500)])
def test_error_statuses(exc, status):
    assert ac.status_for(exc) == status


def test_error_body_names_code_message_field():
    import json

    r = ac.error_for(errors.ValidationError("name is required", field="name"))
    assert r.status_code == 400
    assert json.loads(r.body) == {"error": {"code": "validation_error", "message": "name is required",
                                            "field": "name"}}
    r = ac.error_for(errors.WeChatError(40003, "invalid openid", "message/custom/send"))
    assert json.loads(r.body)["error"]["details"] == {"errcode": 40003, "errmsg": "invalid openid"}


def test_admin_route_rejects_unknown_roles():
    from chalice import Blueprint

    with pytest.raises(ValueError):
        ac.admin_route(Blueprint("x"), "/x", role="root")


def test_key_format_and_scope():
    from scrm.services import admin_keys as ak

    good = "scrm.demo-oa.k0123456789abcdef." + "a" * 64
    m = ak.KEY_FORMAT.match(good)
    assert m and m["account"] == "demo-oa"
    assert ak.KEY_FORMAT.match("scrm._platform.k0123456789abcdef." + "0" * 64)
    for bad in (good[:-1], good + "a", good.replace("scrm.", "xcrm."), good.replace("demo-oa", "Demo_OA")):
        assert not ak.KEY_FORMAT.match(bad)
    platform = ak.KeyInfo("_platform.k1", "_platform", "admin")
    assert platform.scope_for("any").account_id == "any"
    assert ak.KeyInfo("a.k1", "a", "operator").scope_for("b").account_id == "a"  # never the asked-for account


def test_authenticate_refuses_malformed_keys_without_touching_storage():
    from scrm.services.admin_keys import authenticate

    for bad in (None, "", "abc", "scrm.x", "scrm.acct.k0.zz"):
        with pytest.raises(errors.Unauthorized):
            authenticate(bad)


@given(st.text(max_size=40))
def test_mask_never_shows_more_than_four_characters(secret):
    from scrm.services.admin_accounts import mask

    masked = mask(secret)
    assert masked in ("", "****") or (masked.startswith("****") and masked[4:] == secret[-4:] and len(secret) > 12)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
                           lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children,
                                                                                             max_size=4),
                           max_leaves=20)


@given(st.dictionaries(st.text(max_size=70), json_values, max_size=5))
def test_options_are_checked_or_refused_naming_options(options):
    from scrm.services.admin_accounts import check_options

    try:
        assert check_options(options) is options
    except errors.ValidationError as e:
        assert e.field == "options" or e.field.startswith("options.")
