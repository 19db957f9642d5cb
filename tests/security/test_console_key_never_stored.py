"""Attack surface: the admin key must not be recoverable from the cookie, the session record, the answer or the
logs after a console sign-in (a stolen cookie or a table dump must never yield the key)."""

from __future__ import annotations

import logging


def test_the_key_never_appears_in_cookie_session_record_or_answer(console, capsys, caplog):
    import boto3

    from scrm.data.console_access import ConsoleItem

    caplog.set_level(logging.DEBUG)
    key = console.api.key("acct-a", "admin")
    secret = key.rsplit(".", 1)[1]
    res = console.call("POST", "/console/session", body={"key": key})
    assert res.status_code == 201
    assert secret not in res.headers.get("Set-Cookie", "") and secret not in res.body.decode()
    bad = console.call("POST", "/console/session", body={"key": key[:-1] + ("0" if key[-1] != "0" else "1")})
    assert bad.status_code == 401 and secret[:-1] not in bad.body.decode()
    dump = boto3.client("dynamodb").scan(TableName=ConsoleItem.Meta.table_name)["Items"]
    assert dump and secret not in repr(dump) and secret[:16] not in repr(dump)
    out = capsys.readouterr()
    assert secret not in out.out + out.err + caplog.text
