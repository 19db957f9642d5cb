"""Least privilege: each function's role grants exactly what its code uses, read from the code.

`infra.access` reads each handler's reachable code (tables, indexes, DynamoDB actions, queues, SSM actions);
`infra/access.json` is the reviewed copy the template grants from. These tests fail when the code needs
something the template does not grant, or the template grants something the code does not use.
A recorded run (moto, a botocore hook per function) checks the reading against what really happens.
"""

from __future__ import annotations

import json

import pytest

from infra import access

pytestmark = pytest.mark.packaging


def functions_of(template: dict) -> dict:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def statements(template: dict, lid: str) -> list[dict]:
    role_id = functions_of(template)[lid]["Properties"]["Role"]["Fn::GetAtt"][0]
    (policy,) = template["Resources"][role_id]["Properties"]["Policies"]
    # a statement that exists only with the VPC: {"Fn::If": ["UseVpc", statement, NoValue]}
    return [st["Fn::If"][1] if "Fn::If" in st else st for st in policy["PolicyDocument"]["Statement"]]


def table_ids(template: dict) -> dict[str, str]:
    return {lid: r["Properties"]["TableName"].removeprefix("scrm-prod-") for lid, r in template["Resources"].items()
            if r["Type"] == "AWS::DynamoDB::Table"}


def queue_ids(template: dict) -> dict[str, str]:
    return {lid: r["Properties"]["QueueName"].removeprefix("scrm-prod-") for lid, r in template["Resources"].items()
            if r["Type"] == "AWS::SQS::Queue"}


def granted(template: dict, lid: str) -> dict:
    """What a function's role allows, in access.json's terms (plus the queues it consumes)."""
    tables, queues = table_ids(template), queue_ids(template)
    out = {"tables": {}, "indexes": {}, "send_to": [], "ssm": [], "consume": [], "vpc": False}
    for st in statements(template, lid):
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        for action in actions:
            service, name = action.split(":")
            for resource in resources:
                if service == "dynamodb" and "Fn::GetAtt" in resource:
                    out["tables"].setdefault(tables[resource["Fn::GetAtt"][0]], set()).add(name)
                elif service == "dynamodb":
                    table_lid, _, index = resource["Fn::Sub"].removeprefix("${").partition(".Arn}/index/")
                    assert name == "Query", st
                    out["indexes"].setdefault(tables[table_lid], set()).add(index)
                elif service == "sqs" and name == "SendMessage":
                    out["send_to"].append(queues[resource["Fn::GetAtt"][0]])
                elif service == "sqs" and name == "ReceiveMessage":
                    out["consume"].append(queues[resource["Fn::GetAtt"][0]])
                elif service == "ssm":
                    out["ssm"].append(name)
                elif service == "ec2":
                    out["vpc"] = True
    return {"tables": {t: sorted(a) for t, a in sorted(out["tables"].items())},
            "indexes": {t: sorted(i) for t, i in sorted(out["indexes"].items())},
            "send_to": sorted(out["send_to"]), "ssm": sorted(set(out["ssm"])), "consume": sorted(out["consume"]),
            "vpc": out["vpc"]}


def consumed(template: dict, lid: str) -> list[str]:
    queues = queue_ids(template)
    return sorted(queues[e["Properties"]["Queue"]["Fn::GetAtt"][0]]
                  for e in (functions_of(template)[lid]["Properties"].get("Events") or {}).values()
                  if e["Type"] == "SQS")


def test_access_json_is_what_the_code_needs():
    derived = access.derive(access._chalice_handlers())
    recorded = access.load()
    assert set(derived) == set(recorded), "functions added or gone: run `python -m infra.access --write`"
    for lid in derived:
        assert derived[lid] == recorded[lid], (
            f"{lid}: the code and infra/access.json disagree; run `python -m infra.access --write` and review "
            f"the diff\ncode: {json.dumps(derived[lid])}\nfile: {json.dumps(recorded[lid])}")


def test_every_function_has_its_own_role_granting_exactly_its_needs(template):
    recorded = access.load()
    functions = functions_of(template)
    assert "DefaultRole" not in template["Resources"], "Chalice's shared role (logs and SQS on *) is gone"
    roles = [fn["Properties"]["Role"]["Fn::GetAtt"][0] for fn in functions.values()]
    assert len(set(roles)) == len(functions)
    for lid in functions:
        want = recorded[lid]
        got = granted(template, lid)
        assert got["tables"] == want["tables"], lid
        assert got["indexes"] == want["indexes"], lid
        assert got["send_to"] == want["send_to"], lid
        assert got["ssm"] == want["ssm"], lid
        assert got["consume"] == consumed(template, lid), lid
        assert got["vpc"] == want["calls_wechat"], lid  # network interfaces only for functions in the VPC


def test_no_wildcards_for_queues_keys_tables_or_logs(template):
    for lid in functions_of(template):
        for st in statements(template, lid):
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            services = {a.split(":")[0] for a in actions}
            if st["Resource"] == "*" or "*" in (st["Resource"] if isinstance(st["Resource"], list) else []):
                # X-Ray's write actions and Lambda's network interfaces (in the VPC) take no resource
                assert services in ({"xray"}, {"ec2"}), (lid, st)
            if "kms" in services:  # the stage's data key only (tests/packaging/test_data_key.py)
                assert st["Resource"] == [{"Fn::GetAtt": ["DataKey", "Arn"]}], (lid, st)
            assert all("*" not in a for a in actions), (lid, st)
            if "logs" in services:
                (resource,) = st["Resource"]
                assert resource["Fn::Sub"].endswith(f":log-group:/aws/lambda/wechat-scrm-prod-{lid}:*")


def test_only_the_api_writes_secrets_and_workers_never_scan_delete_or_touch_admin_tables():
    recorded = access.load()
    writers = {lid for lid, n in recorded.items() if {"PutParameter", "DeleteParameter"} & set(n["ssm"])}
    assert writers == {"APIHandler"}  # account registration (and campaign seeds) run in the API only
    admin_tables = {"admin_keys", "admin_idempotency", "audit_log"}
    for lid, n in recorded.items():
        if lid == "ErasureWorker":  # carries out an admin's erasure: scrubs the audit log and stored admin answers
            assert "admin_keys" not in n["tables"] and "Scan" not in n["tables"]["audit_log"], lid
        elif lid != "APIHandler":
            assert not admin_tables & set(n["tables"]), lid
    assert "Scan" not in recorded["InboxSweeper"]["tables"].get("inbox", [])
    assert recorded["HandleEvents"] == recorded["HandleWelcome"]  # the same code, from two queues
    assert "idempotency" in recorded["HandleEvents"]["tables"]  # Powertools' records, which the code never names
    assert set(recorded["InboxSweeper"]["send_to"]) == {"events", "welcome"}  # queue_for routes either way


def test_the_reading_follows_code_changes(monkeypatch):
    """A scan added to a worker's code shows up as a Scan the worker needs."""
    import ast

    before = access.needs("functions.inbox_sweeper.inbox_sweeper")
    source = access.module_file("scrm.services.callbacks").read_text()
    added = source + "\n\ndef sweep_everything():\n    return list(InboxRecord.scan())\n"
    added = added.replace("def sweep() -> dict:\n", "def sweep() -> dict:\n    sweep_everything()\n", 1)
    real = access.parsed.__wrapped__
    access.clear_caches()
    monkeypatch.setattr(access, "parsed", lambda name: ast.parse(added) if name == "scrm.services.callbacks"
                        else real(name))
    try:
        after = access.needs("functions.inbox_sweeper.inbox_sweeper")
    finally:
        monkeypatch.undo()
        access.clear_caches()
    assert "Scan" not in before["tables"]["inbox"]
    assert "Scan" in after["tables"]["inbox"]


def _needs_with(monkeypatch, module: str, edit, entry: str) -> dict:
    """What `entry` needs once `module`'s source is edited by `edit` (the reading only; nothing runs)."""
    import ast

    added = edit(access.module_file(module).read_text())
    real = access.parsed.__wrapped__
    access.clear_caches()
    monkeypatch.setattr(access, "parsed", lambda name: ast.parse(added) if name == module else real(name))
    try:
        return access.needs(entry)
    finally:
        monkeypatch.undo()
        access.clear_caches()


def test_a_store_method_is_granted_where_its_name_is_called():
    """Rapid type analysis: the channel upkeep uses the channel store but calls none of its statistics writes,
    so its role has no channel_stats (every method of every class it names counted before: it had them all)."""
    upkeep = access.needs("functions.channel_upkeep.channel_upkeep")
    assert "channels" in upkeep["tables"] and "channel_stats" not in upkeep["tables"]
    for lid, n in access.load().items():  # only the API and the lottery schedule record draws (the erasure
        # worker re-keys an erased person's draws to the pseudonym)
        assert lid in ("APIHandler", "CampaignDraw", "ErasureWorker") or "draws" not in n["tables"], lid


def test_calling_a_store_method_from_a_schedule_grants_its_table(monkeypatch):
    """The same reading stays on the side of granting: a call of the store's add_counts added to the upkeep's
    code (on an object of a type the reading does not know) grants the statistics table's transaction writes."""
    def edit(source: str) -> str:
        return source.replace('def upkeep(now: float | None = None) -> dict:\n',
                              'def upkeep(now: float | None = None) -> dict:\n'
                              '    store().add_counts(Scope.system("a"), "a", {})\n', 1)

    after = _needs_with(monkeypatch, "scrm.services.channels.rotation", edit,
                        "functions.channel_upkeep.channel_upkeep")
    assert "channel_stats" in after["tables"]


def test_the_api_role_holds_the_routes_needs_not_its_blueprints_schedules():
    """app.py imports every blueprint module, but the API function runs only route handlers: the staff figures pull
    (staff_activity batch writes), the OA insight pull (oa_insight writes) and the event workers (Powertools'
    idempotency records) are other functions, with their own roles."""
    api = access.load()["APIHandler"]
    assert "BatchWriteItem" not in api["tables"]["staff_activity"]
    assert api["tables"]["oa_insight"] == ["Query"]  # the figures route reads what the schedule wrote
    assert "idempotency" not in api["tables"]
    assert ("functions.staff_figures", "staff_figures") not in access.api_entries()
    assert {"staff_figures", "staff_figures_csv"} <= access.routes_of("functions.staff_api")  # the routes


def test_a_package_function_named_like_its_submodule_is_the_function():
    """`from scrm.services.pushes import service` takes the package's function `service` (it shadows the submodule
    pushes.service): read as the module, the push routes reached no store method and the API lacked PutItem on
    pushes (found by the recorded push run)."""
    bound = access._bindings("functions.pushes_api", [access.scope_node("functions.pushes_api", "_service")])
    assert bound["service"] == ("attr", "scrm.services.pushes", "service")


def test_handlers_registered_in_a_string_loaded_package_count_and_library_decorators_do_not():
    """HANDLER_MODULES names the package scrm.services.followers; its @on handlers sit in followers.sync, which the
    package loads: they run in the event worker (the follower sync sends its next step to the events queue)."""
    assert "scrm.services.followers.sync" in access._imported_at_load("scrm.services.followers")
    assert {"on_sync_step", "on_follow_event"} <= access.registered("scrm.services.followers.sync")
    assert "events" in access.load()["HandleEvents"]["send_to"]
    assert not {"_read", "_vendored"} & access.registered("functions.console")  # @cache helpers register nothing


def test_a_method_writes_the_models_it_names_not_every_model_of_its_class():
    """DynamoChannelStore names channels, statistics and taggings models; put_channel saves one channel."""
    found = access.scope_needs("scrm.stores.channels.dynamo", "DynamoChannelStore.put_channel")
    assert found["tables"] == {"channels": {"PutItem"}}


# ---------------------------------------------------------------- a recorded run against moto

def record_calls(monkeypatch) -> tuple[dict, list]:
    """Every AWS call any client makes (Powertools' included): {function: {(service, operation, resource)}}."""
    import botocore.client

    from scrm.config import settings
    from tests.packaging.recorded import as_iam_sees

    calls: dict[str, set] = {}
    current = [None]
    real = botocore.client.BaseClient._make_api_call
    tables, queues = settings().table_name(""), settings().queue_name("")

    def make_api_call(client, operation, params):
        seen = calls.setdefault(current[0], set())
        seen |= as_iam_sees(client.meta.service_model.service_name, operation, params, tables, queues)
        return real(client, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", make_api_call)
    return calls, current


def refused(needs: dict, call: tuple) -> bool:
    service, op, resource = call
    if service == "dynamodb":
        if "/index/" in resource:
            table, _, index = resource.partition("/index/")
            return op != "Query" or index not in needs["indexes"].get(table, [])
        return op != "TransactWriteItems" and op not in needs["tables"].get(resource, [])
    if service == "sqs":
        return resource not in needs["send_to"]
    return op not in needs["ssm"]


def test_a_recorded_callback_and_welcome_use_nothing_their_roles_lack(wecom_account, sandbox, monkeypatch):
    """WeCom add_external_contact with a welcome code: the API stores and routes it, the welcome worker applies
    it (attribution and the welcome message). Every call each makes is one its role grants."""
    from chalice.test import Client

    from local.sandbox import SandboxClient
    from local.sandbox import callbacks as wx
    from scrm import bootstrap
    from scrm.aws import client as aws_client
    from scrm.queues import queue_url
    from scrm.services import replies, welcome
    from scrm.services.events import process_batch
    from tests.integration.test_callbacks import post, set_welcome, wecom_cfg

    bootstrap.container().forget("callback_service")
    replies.forget_cache()
    calls, current = record_calls(monkeypatch)
    from app import app

    current[0] = "APIHandler"
    set_welcome(wecom_account, {"welcome": {"type": "text", "content": "Hi"}})
    sb = SandboxClient(sandbox.url)
    out = sb.wecom_event(wecom_account.app_id, "add_external_contact", userid="zhangsan")
    # the welcome code's age is the sandbox's time at the event, not how long this machine took to get here
    monkeypatch.setattr(welcome, "CLOCK", lambda at=sb.now(): at)
    query, body = wx.wecom_request(wecom_cfg(wecom_account), out["xml"])
    with Client(app) as client:
        assert post(client, f"/wechat/wecom/{wecom_account.account_id}", query, body).status_code == 200
    current[0] = None
    (message,) = aws_client("sqs").receive_message(QueueUrl=queue_url("welcome"), MaxNumberOfMessages=10)["Messages"]

    current[0] = "HandleWelcome"
    event = {"Records": [{"messageId": "m1", "receiptHandle": "r", "body": message["Body"], "attributes": {},
                          "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:ap-east-1:123456789012:q", "awsRegion": "ap-east-1"}]}
    assert process_batch(event) == {"batchItemFailures": []}
    assert sb.calls(path_contains="send_welcome_msg")
    recorded = access.load()
    assert {op for _s, op, _r in calls["HandleWelcome"]} >= {"PutItem", "GetItem"}, "the hook saw the worker"
    missing = {lid: sorted(c for c in calls[lid] if refused(recorded[lid], c)) for lid in ("APIHandler",
                                                                                           "HandleWelcome")}
    assert missing == {"APIHandler": [], "HandleWelcome": []}


def test_a_recorded_campaign_uses_nothing_its_roles_lack(aws, monkeypatch):
    """A campaign's life over the API (create, codes upload, a customer's wins, a redemption) and its lottery
    schedule. Transactions are checked per item, as IAM does: a draw's TransactWriteItems needs PutItem on
    `draws`, which a reading that misses writes made through a transaction helper would not grant."""
    import time

    from chalice.test import Client

    from scrm.services import campaigns as svc
    from tests.integration.admin_helpers import make_api

    calls, current = record_calls(monkeypatch)
    from app import app

    now = int(time.time())
    with Client(app) as client:
        api = make_api(client, account_ids=("acct-a",))
        key = api.key("acct-a")
        current[0] = "APIHandler"
        body = {"campaign_id": "spring", "name": "春季抽奖", "starts_at": now - 60, "ends_at": now + 3600,
                "status": "active", "eligibility": {"must_follow": False},
                "prizes": [{"prize_id": "mug", "name": "杯子", "kind": "physical", "weight": 1, "stock": 5},
                           {"prize_id": "cpn", "name": "券", "kind": "coupon", "weight": 1}],
                "lottery": {"draw_at": now + 7200, "winners": 1}}
        r = api.call("POST", "/accounts/acct-a/campaigns", key, body)
        assert r.status_code in (200, 201), r.body
        r = api.call("POST", "/accounts/acct-a/campaigns/spring/prizes/cpn/codes", key, {"codes": ["A1", "A2"]})
        assert r.status_code in (200, 201), r.body
        current[0] = None
        token = svc.issue_user_token("acct-a", "u1", ttl=600)["token"]
        current[0] = "APIHandler"
        draws = "/u/acct-a/campaigns/spring/draws"
        for n in range(4):
            r = api.call("POST", draws, body={"request_id": f"request-{n:04d}"},
                         headers={"Authorization": f"Bearer {token}"})
            assert r.status_code in (200, 403), r.body
        wins = api.call("GET", "/accounts/acct-a/campaigns/spring/draws", key).json_body["items"]
        assert wins, "every spin wins here (weights only)"
        r = api.call("POST", "/accounts/acct-a/campaigns/spring/redemptions", key, {"draw_id": wins[0]["draw_id"]})
        assert r.status_code in (200, 201), r.body
    current[0] = "CampaignDraw"
    svc.run_schedule(now=now + 7300)
    current[0] = None
    recorded = access.load()
    assert any(op == "PutItem" and table == "draws" for _s, op, table in calls["APIHandler"]), "the hook saw a draw"
    missing = {lid: sorted(c for c in calls.get(lid, ()) if refused(recorded[lid], c))
               for lid in ("APIHandler", "CampaignDraw")}
    assert missing == {"APIHandler": [], "CampaignDraw": []}
