"""Accounts, admin keys and the audit log: the use cases on the in-memory stores (no moto, no SSM), a fixed clock.
The twins honour the DynamoDB stores' conditions (tests/contract/test_account_store.py, test_admin_key_store.py,
test_audit_store.py); the admin API over moto stays in tests/integration/test_admin_api.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scrm import accounts, bootstrap, secrets
from scrm.domain.instants import answer_time
from scrm.errors import (
    AccountDisabled,
    Conflict,
    Forbidden,
    KeyOfDisabledAccount,
    NotFound,
    Unauthorized,
    ValidationError,
)
from scrm.services import admin_accounts, admin_keys, audit
from scrm.stores.accounts import MemoryAccountStore
from scrm.stores.admin_keys import MemoryAdminKeyStore
from scrm.stores.audit import MemoryAuditStore
from scrm.tenancy import Scope
from tests.timing import Clock

START = 1_750_000_000.0
BASE = "https://scrm.example.com"
AES = "A" * 43


class World:
    """The twins, SSM as a dict, a clock the test moves."""

    def __init__(self, monkeypatch):
        self.clock = Clock(START)
        self.accounts, self.keys, self.audit = MemoryAccountStore(), MemoryAdminKeyStore(), MemoryAuditStore()
        self.ssm: dict[str, dict] = {}
        bootstrap.reset(clock=self.clock, account_store=self.accounts, admin_key_store=self.keys,
                        audit_store=self.audit)
        monkeypatch.setattr(secrets, "put_account_secrets",
                            lambda a, values: self.ssm.setdefault(a, {}).update(
                                {k: v for k, v in values.items() if v is not None}))
        monkeypatch.setattr(secrets, "account_secrets", lambda a: dict(self.ssm.get(a, {})))

    def platform(self):
        return admin_keys.authenticate(admin_keys.bootstrap_platform_key("tests", force=True)["key"])

    def register(self, account_id="acct-a", token="TokenA1", **values):
        scope = self.platform().scope_for(None)
        return admin_accounts.create(scope, BASE, account_id=account_id, kind=values.pop("kind", "oa"),
                                     app_id="wx0000000000000001", name="甲公司", app_secret="s3cret-app-secret",
                                     token=token, aes_key=AES, **{"original_id": "gh_000000000001", **values})

    def admin_of(self, account_id, role="admin"):
        _, key = admin_keys.issue(_system(account_id), account_id, role=role, name=f"{role} of {account_id}")
        return key


def _system(account_id):
    return Scope.system(account_id)


@pytest.fixture
def world(monkeypatch):
    return World(monkeypatch)


# ---- accounts


def test_registering_an_account_stores_its_secrets_in_ssm_only_and_shows_them_once(world):
    made = world.register()
    assert made["status"] == "active" and made["callback_url"] == f"{BASE}/wechat/oa/acct-a"
    assert made["secrets"] == {"app_secret": "****cret", "token": "****", "aes_key": "****AAAA"}
    assert str(made["setup"]["token"]) == "TokenA1" and str(made["setup"]["aes_key"]) == AES
    assert world.ssm["acct-a"] == {"app_secret": "s3cret-app-secret", "token": "TokenA1", "aes_key": AES}
    stored = world.accounts.load_account("acct-a")
    assert "s3cret" not in repr(stored) and stored.created_at == datetime.fromtimestamp(START, UTC)
    assert accounts.get("acct-a").app_secret == "s3cret-app-secret"


def test_an_account_id_is_registered_once(world):
    world.register()
    with pytest.raises(Conflict):
        world.register(token="TokenB2")
    assert world.ssm["acct-a"]["token"] == "TokenA1"


def test_a_token_of_another_account_is_refused_and_leaves_nothing_behind(world):
    world.register()
    with pytest.raises(Conflict):
        world.register("acct-b", token="TokenA1")
    assert not world.accounts.account_exists("acct-b") and "acct-b" not in world.ssm
    world.register("acct-b", token="TokenB2")  # the id was given back at once


def test_only_a_platform_key_registers_accounts(world):
    world.register()
    with pytest.raises(Forbidden):
        admin_accounts.create(_system("acct-a"), BASE, account_id="acct-b", kind="oa", app_id="wx1", name="n",
                              app_secret="s")
    assert not world.accounts.account_exists("acct-b")


def test_an_update_rotates_the_token_and_gives_the_old_one_back(world):
    world.register()
    world.clock.advance(3600)
    shown = admin_accounts.update(_system("acct-a"), "acct-a", BASE, name="乙公司", token="TokenNew9")
    assert shown["name"] == "乙公司" and shown["updated_at"] == answer_time(datetime.fromtimestamp(START + 3600, UTC))
    assert world.ssm["acct-a"]["token"] == "TokenNew9"
    world.register("acct-b", token="TokenA1")  # the old Token is free again
    with pytest.raises(Conflict):
        admin_accounts.update(_system("acct-b"), "acct-b", BASE, token="TokenNew9")
    with pytest.raises(NotFound):
        admin_accounts.update(_system("acct-x"), "acct-x", BASE, name="x")


def test_a_disabled_account_stops_serving_and_its_keys_stop_working(world):
    world.register()
    key = world.admin_of("acct-a")
    assert admin_keys.authenticate(key).account_id == "acct-a"
    admin_accounts.set_status(_system("acct-a"), "acct-a", "disabled", BASE)
    with pytest.raises(AccountDisabled):
        accounts.get("acct-a")
    with pytest.raises(KeyOfDisabledAccount):
        admin_keys.authenticate(key)
    admin_accounts.set_status(_system("acct-a"), "acct-a", "active", BASE)
    assert admin_keys.authenticate(key).role == "admin"


def test_an_account_key_lists_only_its_own_account(world):
    for account_id, token in (("acct-a", "TokenA1"), ("acct-b", "TokenB2"), ("acct-c", "TokenC3")):
        world.register(account_id, token=token)
    rows, cursor = admin_accounts.query(world.platform().scope_for(None), limit=2)
    rest, end = admin_accounts.query(world.platform().scope_for(None), limit=2, start=cursor)
    assert [r.account_id for r in rows + rest] == ["acct-a", "acct-b", "acct-c"] and end is None
    mine = admin_keys.authenticate(world.admin_of("acct-b", "read-only")).scope_for("acct-b")
    assert [r.account_id for r in admin_accounts.query(mine, limit=50)[0]] == ["acct-b"]
    with pytest.raises(Forbidden):
        admin_accounts.show(mine, "acct-a", BASE)


# ---- keys


def test_a_key_authenticates_until_revoked_and_only_its_hash_is_stored(world):
    world.register()
    public, presented = admin_keys.issue(_system("acct-a"), "acct-a", role="operator", name="运营")
    assert world.keys.find_key("acct-a", public["key_id"]).key_hash == admin_keys.hash_key(presented)
    assert presented.split(".")[-1] not in repr(world.keys.rows)
    who = admin_keys.authenticate(presented)
    assert (who.account_id, who.role, who.key_id) == ("acct-a", "operator", public["key_id"])
    world.clock.advance(60)
    revoked = admin_keys.revoke(_system("acct-a"), "acct-a", public["key_id"])
    assert revoked["status"] == "revoked"
    assert revoked["revoked_at"] == answer_time(datetime.fromtimestamp(START + 60, UTC))
    with pytest.raises(Unauthorized):
        admin_keys.authenticate(presented)
    with pytest.raises(Unauthorized):  # a key that differs from the stored one in its secret
        admin_keys.authenticate(presented[:-1] + ("0" if presented[-1] != "0" else "1"))


def test_a_key_expires_on_the_injected_clock(world):
    world.register()
    _, presented = admin_keys.issue(_system("acct-a"), "acct-a", role="read-only", expires_in_days=1)
    world.clock.advance(86400 - 1)
    assert admin_keys.authenticate(presented).role == "read-only"
    world.clock.advance(1)
    with pytest.raises(Unauthorized, match="expired"):
        admin_keys.authenticate(presented)


def test_a_key_cannot_make_a_stronger_key_nor_one_of_another_account(world):
    world.register()
    world.register("acct-b", token="TokenB2")
    operator = admin_keys.authenticate(world.admin_of("acct-a", "operator")).scope_for("acct-a")
    with pytest.raises(ValidationError):
        admin_keys.issue(operator, "acct-a", role="admin")
    with pytest.raises(Forbidden):
        admin_keys.issue(operator, "acct-b", role="read-only")
    with pytest.raises(Forbidden):
        admin_keys.issue(operator, admin_keys.PLATFORM, role="read-only")
    assert [r.role for r in admin_keys.list_keys(_system("acct-a"), "acct-a", limit=50)[0]] == ["operator"]


def test_a_key_of_an_account_that_is_gone_is_refused(world):
    presented = world.admin_of("acct-gone")
    with pytest.raises(Unauthorized, match="no registered account"):
        admin_keys.authenticate(presented)


def test_a_second_platform_key_needs_force(world):
    first = admin_keys.bootstrap_platform_key("first")
    with pytest.raises(ValidationError):
        admin_keys.bootstrap_platform_key("second")
    admin_keys.revoke_platform_key(first["key_id"])
    second = admin_keys.bootstrap_platform_key("second")
    statuses = {k["key_id"]: k["status"] for k in admin_keys.list_platform_keys()}
    assert statuses == {first["key_id"]: "revoked", second["key_id"]: "active"}
    assert admin_keys.authenticate(second["key"]).platform


# ---- audit


def test_the_audit_log_reads_newest_first_and_per_account(world):
    for n, action in enumerate(("key.create", "channel.update", "key.revoke")):
        audit.record("acct-a", key_id="acct-a.k1", action=action, object=f"/accounts/acct-a/x{n}", outcome="ok",
                     status=200, method="POST")
        world.clock.advance(1)
    audit.record(None, key_id="_platform.k1", action="account.create", object="/accounts", outcome="ok",
                 status=201)
    rows, cursor = audit.entries(_system("acct-a"), "acct-a", limit=50)
    assert [r.action for r in rows] == ["key.revoke", "channel.update", "key.create"] and cursor is None
    assert rows[0].at == datetime.fromtimestamp(START + 2, UTC)
    assert [audit.view(r)["action"] for r in audit.entries(_system("acct-a"), "acct-a", limit=50,
                                                             action="key.")[0]] == ["key.revoke", "key.create"]
    assert [r.action for r in audit.entries(_system(admin_keys.PLATFORM), admin_keys.PLATFORM, limit=5)[0]] == [
        "account.create"]
    with pytest.raises(Forbidden):
        audit.entries(_system("acct-b"), "acct-a", limit=5)


def test_a_failed_audit_write_is_logged_not_raised(world, monkeypatch):
    def broken(_row):
        raise RuntimeError("table down")

    monkeypatch.setattr(world.audit, "add_entry", broken)
    audit.record("acct-a", key_id="k", action="key.create", object="/x", outcome="ok", status=201,
                 detail="x" * 900)  # no exception


def test_long_details_are_cut_to_500_characters(world):
    audit.record("acct-a", key_id="k", action="key.create", object="/x", outcome="error", status=400,
                 detail="错" * 900)
    assert len(audit.entries(_system("acct-a"), "acct-a", limit=1)[0][0].detail) == 500


def test_expiry_of_entries_follows_the_clock(world):
    audit.record("acct-a", key_id="k", action="key.create", object="/x", outcome="ok", status=201)
    row = audit.entries(_system("acct-a"), "acct-a", limit=1)[0][0]
    assert row.expires == datetime.fromtimestamp(START, UTC) + timedelta(days=400)


def test_the_departure_sweep_reads_only_active_wecom_corps(world):
    from scrm.services.reassignment import triggers

    world.register("acct-a", token="TokenA1")
    world.register("corp-a", token="TokenC1", kind="wecom", original_id=None, message_mode="safe")
    world.register("corp-b", token="TokenC2", kind="wecom", original_id=None)
    admin_accounts.set_status(_system("corp-b"), "corp-b", "disabled", BASE)
    assert triggers.wecom_accounts() == ["corp-a"]
