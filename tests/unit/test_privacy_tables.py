"""Every table is covered by export/erase or says why it holds no personal data; identifiers are refused clearly;
pseudonymisation replaces every identifier of the person and nothing else."""

from __future__ import annotations

import pytest

from scrm.errors import ValidationError
from scrm.services import privacy
from scrm.tenancy import Scope


def test_every_table_is_covered_by_export_and_erase_or_holds_no_personal_data():
    from scrm.data.registry import all_models

    tables = {m.logical_name for m in all_models()}
    covered, exempt = set(privacy.TABLES), set(privacy.NO_PERSONAL_DATA)
    assert not covered & exempt, "a table is both covered and exempt"
    missing = sorted(tables - covered - exempt)
    assert not missing, f"tables neither erased nor listed in privacy.NO_PERSONAL_DATA: {missing}"
    assert not (covered | exempt) - tables, "privacy names a table the registry does not have"
    assert all(reason.strip() for reason in privacy.NO_PERSONAL_DATA.values())


@pytest.mark.parametrize(("identity", "field"), [
    ({}, "openid"),
    ({"openid": "o1", "unionid": "u1"}, "openid"),
    ({"email": "x@y"}, "email"),
    ({"external_userid": ""}, "openid"),
    ({"unionid": 42}, "unionid"),
    ({"openid": "o" * 129}, "openid"),
])
def test_identity_must_be_exactly_one_known_identifier(identity, field):
    with pytest.raises(ValidationError) as err:
        privacy.export(Scope.system("acct"), "acct", identity)
    assert err.value.field == field


def test_scrub_replaces_every_identifier_and_renamed_share_ids_only():
    p = privacy.Person("acct", openids={"o-1"}, unionids={"u-1"}, renames={"sid1": "new1"})
    assert p.scrub('{"openids": ["o-1", "o-10x", "o-2"], "u": "u-1", "s": "sid1"}') == (
        f'{{"openids": ["{p.pseudonym}", "o-10x", "o-2"], "u": "{p.pseudonym}", "s": "new1"}}')
    assert p.mentions("/customers/o-1") and not p.mentions("/customers/o-10")
    assert p.swap("o-1") == p.pseudonym and p.swap("o-2") == "o-2" and p.swap("sid1") == "new1"
    assert privacy._swap_sk("v#sid1#o-1", p) == f"v#new1#{p.pseudonym}"
    assert privacy._swap_sk("v#sid2#o-12", p) == "v#sid2#o-12"
    assert privacy.Person("acct").pseudonym != privacy.Person("acct").pseudonym  # unlinkable across erasures
