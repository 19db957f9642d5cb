"""infra.template.merge on small hand-made Chalice templates (no build, no AWS)."""

from __future__ import annotations

import pytest

from infra.template import merge

pytestmark = pytest.mark.packaging


class Settings:
    secrets_prefix = "/scrm/prod"

    @staticmethod
    def queue_name(name: str) -> str:
        return f"scrm-prod-{name}"

    @staticmethod
    def table_name(name: str) -> str:
        return f"scrm-prod-{name}"


CONFIG = {"lambda_timeout": 60, "stages": {"prod": {"environment_variables": {"SCRM_STAGE": "prod"}}}}


def function(handler: str, timeout: int | None = None, queue: str | None = None, stage: str = "prod") -> dict:
    props = {"Runtime": "python3.11", "Handler": handler, "CodeUri": "./deployment.zip",
             "Environment": {"Variables": {"SCRM_STAGE": stage}}, "Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]}}
    if timeout:
        props["Timeout"] = timeout
    if queue:
        props["Events"] = {"Src": {"Type": "SQS", "Properties": {
            "Queue": {"Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{queue}"},
            "BatchSize": 10}}}
    return {"Type": "AWS::Serverless::Function", "Properties": props}


def chalice(**functions) -> dict:
    return {"Resources": {"DefaultRole": {"Type": "AWS::IAM::Role", "Properties": {"Policies": []}}, **functions}}


def run(template: dict, queues=("events", "welcome"), config=CONFIG, access=None) -> dict:
    access = access or {lid: {} for lid, r in template["Resources"].items()
                        if r["Type"] == "AWS::Serverless::Function"}
    return merge(template, stage="prod", settings=Settings(), tables={}, queues=queues, chalice_config=config,
                 runtime="python3.12", layer_uri="./layer.zip", access=access)


def test_queue_visibility_is_six_times_its_consumers_timeout_and_the_default_for_queues_without_one():
    out = run(chalice(Worker=function("functions.w.handle", timeout=90, queue="scrm-prod-events")))
    resources = out["Resources"]
    assert resources["QueueEvents"]["Properties"]["VisibilityTimeout"] == 540
    assert resources["QueueWelcome"]["Properties"]["VisibilityTimeout"] == 360  # stage default 60 s
    event = resources["Worker"]["Properties"]["Events"]["Src"]["Properties"]
    assert event["Queue"] == {"Fn::GetAtt": ["QueueEvents", "Arn"]}
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert resources["Worker"]["Properties"]["Runtime"] == "python3.12"
    assert resources["Worker"]["Properties"]["Layers"] == [{"Ref": "CommonLayer"}]


def test_a_function_consuming_a_queue_infra_does_not_create_fails_the_build():
    with pytest.raises(SystemExit, match="ALL_QUEUES"):
        run(chalice(Worker=function("functions.w.handle", queue="scrm-prod-elsewhere")))


def test_a_function_configured_for_another_stage_fails_the_build():
    with pytest.raises(SystemExit, match="SCRM_STAGE"):
        run(chalice(Api=function("app.app", stage="dev")))


def test_a_function_missing_from_access_json_fails_the_build():
    with pytest.raises(SystemExit, match="access.json"):
        run(chalice(Worker=function("functions.w.handle")), access={"Other": {}})


def test_each_function_gets_its_own_role_and_chalices_shared_role_goes():
    out = run(chalice(A=function("functions.a.run"), B=function("functions.b.run", queue="scrm-prod-events")),
              access={"A": {"send_to": ["events"]}, "B": {}})
    resources = out["Resources"]
    assert "DefaultRole" not in resources
    assert resources["A"]["Properties"]["Role"] == {"Fn::GetAtt": ["ARole", "Arn"]}
    a = {st["Sid"]: st for st in resources["ARole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]}
    b = {st["Sid"]: st for st in resources["BRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]}
    assert a["SendTo"]["Resource"] == [{"Fn::GetAtt": ["QueueEvents", "Arn"]}] and "Consume" not in a
    assert b["Consume"]["Resource"] == [{"Fn::GetAtt": ["QueueEvents", "Arn"]}] and "SendTo" not in b
    assert "ReadSecrets" not in a and "WriteSecrets" not in a


def test_a_function_without_scrm_stage_gets_the_build_stage():
    out = run(chalice(Api={"Type": "AWS::Serverless::Function", "Properties": {"Handler": "app.app"}}))
    assert out["Resources"]["Api"]["Properties"]["Environment"]["Variables"]["SCRM_STAGE"] == "prod"


def test_admin_routes_are_throttled_callbacks_never_and_gateway_errors_use_our_shape():
    api = {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "api", "DefinitionBody": {"paths": {
        "/accounts/{account_id}/keys": {"get": {}, "post": {}},
        "/wechat/oa/{account_id}": {"get": {}, "post": {}},
        "/health": {"get": {}}}}}}
    api["Properties"]["DefinitionBody"]["paths"]["/u/{account_id}/me"] = {"get": {}}
    out = run(chalice(RestAPI=api, Api=function("app.app")))
    settings = out["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    assert {(s["ResourcePath"], s["HttpMethod"], s["ThrottlingRateLimit"]["Ref"]) for s in settings} == {
        ("~1accounts~1{account_id}~1keys", "GET", "AdminRateLimit"),
        ("~1accounts~1{account_id}~1keys", "POST", "AdminRateLimit"),
        ("~1u~1{account_id}~1me", "GET", "UserRateLimit")}
    throttled = out["Resources"]["GatewayResponseThrottled"]["Properties"]
    assert throttled["StatusCode"] == "429" and throttled["RestApiId"] == {"Ref": "RestAPI"}
    assert '"code": "rate_limited"' in throttled["ResponseTemplates"]["application/json"]
