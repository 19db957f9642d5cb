"""Attack: two accounts share one callback Token (a copied console setup): a request signed for one account
verifies on the other's URL, and in plaintext mode one account's events can be posted as the other's.

Defence: Tokens are generated per account, and registration (and a Token change) refuses a Token another account
uses, through a conditional claim item (`callback_claims`, keyed by a hash of the Token), never a scan.
"""

from __future__ import annotations

import pytest

from scrm.errors import Conflict


def _register(account_id, token, **kw):
    from scrm import accounts

    return accounts.register(account_id, "oa", f"wx{account_id:0>16}"[:18], account_id, app_secret="s" * 16,
                             token=token, aes_key="a" * 43, original_id="gh_" + account_id, **kw)


def test_registration_refuses_a_token_in_use_and_leaves_nothing_behind(aws):
    from scrm import bootstrap, secrets

    _register("shop-a", "sharedtoken1")
    with pytest.raises(Conflict, match="token"):
        _register("shop-b", "sharedtoken1", create_only=True)
    assert not bootstrap.account_reads().account_exists("shop-b")
    assert secrets.account_secrets("shop-b") == {}
    _register("shop-a", "sharedtoken1")  # re-registering the owner is fine
    _register("shop-b", "othertoken22", create_only=True)


def test_a_changed_token_frees_the_old_one(aws):
    from scrm import accounts

    _register("shop-a", "firsttoken11")
    _register("shop-a", "secondtoken2")  # replaced: the first is released
    _register("shop-b", "firsttoken11", create_only=True)
    assert accounts.get("shop-b").token == "firsttoken11"
    with pytest.raises(Conflict):
        _register("shop-c", "secondtoken2")


def test_admin_api_generates_distinct_tokens_and_refuses_a_shared_one(aws):
    from chalice.test import Client

    from app import app
    from scrm import accounts
    from tests.integration.admin_helpers import make_api

    with Client(app) as client:
        api = make_api(client, ())
        tokens = []
        for n in (1, 2):
            body = {"account_id": f"gen-{n}", "kind": "oa", "app_id": f"wx00000000000gen{n}", "name": "n",
                    "app_secret": "abcdef0123456789", "original_id": f"gh_gen{n}"}
            created = api.call("POST", "/accounts", key=api.platform_key, body=body)
            assert created.status_code == 201, created.body
            tokens.append(created.json_body["setup"]["token"])
        assert tokens[0] != tokens[1]

        copy = {"account_id": "copycat", "kind": "wecom", "app_id": "ww000000000copy1", "name": "n",
                "app_secret": "abcdef0123456789", "token": tokens[0]}
        refused = api.call("POST", "/accounts", key=api.platform_key, body=copy)
        assert refused.status_code == 409 and "token" in refused.json_body["error"]["message"].lower()
        assert api.call("GET", "/accounts/copycat", key=api.platform_key).status_code == 404
        # a Token change to another account's Token is refused too, and changes nothing
        changed = api.call("PATCH", "/accounts/gen-2", key=api.platform_key, body={"token": tokens[0]})
        assert changed.status_code == 409
        accounts.forget_cache()
        assert accounts.get("gen-2").token == tokens[1]
        assert api.call("PATCH", "/accounts/gen-2", key=api.platform_key, body={"token": "brandnewtoken9"}) \
            .status_code == 200
        again = api.call("PATCH", "/accounts/gen-1", key=api.platform_key, body={"token": tokens[1]})
        assert again.status_code == 200  # gen-2 gave it up
