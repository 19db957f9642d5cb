"""The built template, read as an operator would before a first deploy: API Gateway's own answers, no dead
resources, the welcome on its own queue, logs with retention, tracing, access logs without query strings,
alarms, throttling."""

from __future__ import annotations

import json

import pytest

from tests.packaging.conftest import STAGE

pytestmark = pytest.mark.packaging


def resources_of(template: dict, kind: str) -> dict:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def functions_of(template: dict) -> dict:
    return resources_of(template, "AWS::Serverless::Function")


def test_unknown_paths_are_404_and_media_types_415_in_our_error_shape(template):
    responses = {r["Properties"]["ResponseType"]: r["Properties"]
                 for r in resources_of(template, "AWS::ApiGateway::GatewayResponse").values()}
    missing = responses["MISSING_AUTHENTICATION_TOKEN"]  # what API Gateway answers for an unknown path
    assert missing["StatusCode"] == "404"
    assert json.loads(missing["ResponseTemplates"]["application/json"]) == {
        "error": {"code": "not_found", "message": "no such route"}}
    assert responses["UNSUPPORTED_MEDIA_TYPE"]["StatusCode"] == "415"
    for props in responses.values():
        assert props["ResponseTemplates"]["application/json"].startswith('{"error": {"code": "')


def test_no_work_queue_and_the_welcome_has_its_own_queue_with_batch_size_one(template):
    queues = {r["Properties"]["QueueName"] for r in resources_of(template, "AWS::SQS::Queue").values()}
    assert not any("work" in q for q in queues)
    assert not any(lid.startswith("QueueWork") for lid in template["Resources"])
    consumers = {}
    for lid, fn in functions_of(template).items():
        for event in (fn["Properties"].get("Events") or {}).values():
            if event["Type"] == "SQS":
                queue = template["Resources"][event["Properties"]["Queue"]["Fn::GetAtt"][0]]["Properties"]
                consumers[queue["QueueName"]] = (lid, event["Properties"]["BatchSize"])
    assert consumers[f"scrm-{STAGE}-welcome"] == ("HandleWelcome", 1)
    assert consumers[f"scrm-{STAGE}-events"][0] == "HandleEvents"
    # every queue but the dead letters has a consumer: nothing is created for nobody
    assert {q for q in queues if not q.endswith("-dlq")} == set(consumers)


def test_every_function_logs_to_a_group_with_retention_and_is_traced(template):
    retention = template["Parameters"]["LogRetentionDays"]
    assert retention["Default"] == 30
    groups = {r["Properties"]["LogGroupName"]: r["Properties"]
              for r in resources_of(template, "AWS::Logs::LogGroup").values()}
    for lid, fn in functions_of(template).items():
        props = fn["Properties"]
        group = groups[f"/aws/lambda/{props['FunctionName']}"]
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}, lid
        assert f"{lid}LogGroup" in fn["DependsOn"], lid  # else Lambda creates it first, kept forever
        assert props["Tracing"] == "Active", lid
    api = template["Resources"]["RestAPI"]["Properties"]
    assert api["TracingEnabled"] is True
    assert groups[f"/aws/apigateway/wechat-scrm-{STAGE}-access"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_api_access_log_has_no_query_string(template):
    setting = template["Resources"]["RestAPI"]["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(setting["Format"])
    assert fields["path"] == "$context.path" and fields["status"] == "$context.status"
    # user tokens travel as ?t=, WeChat's signatures as ?signature=: nothing that carries the query string
    for value in fields.values():
        assert not any(s in value.lower() for s in ("querystring", "$input", "requestoverride", "$request")), value


def alarms(template: dict) -> dict:
    return {lid: r["Properties"] for lid, r in resources_of(template, "AWS::CloudWatch::Alarm").items()}


def test_alarms_cover_api_errors_latency_queues_tables_and_timeouts(template):
    found = alarms(template)
    by_metric = {}
    for lid, a in found.items():
        by_metric.setdefault((a["Namespace"], a["MetricName"]), []).append((lid, a))
    (api5xx,) = by_metric[("AWS/ApiGateway", "5XXError")]
    (latency,) = by_metric[("AWS/ApiGateway", "Latency")]
    assert latency[1]["ExtendedStatistic"] == "p99" and latency[1]["Threshold"] < 5000  # WeChat waits 5 s
    queues = resources_of(template, "AWS::SQS::Queue")
    aged = {a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for _lid, a in by_metric[("AWS/SQS",
                                                                                     "ApproximateAgeOfOldestMessage")]}
    assert aged == {lid for lid in queues if not lid.endswith("Dlq")}
    welcome_age = next(a for _l, a in by_metric[("AWS/SQS", "ApproximateAgeOfOldestMessage")]
                       if a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] == "QueueWelcome")
    assert welcome_age["Threshold"] < 20  # a welcome code lives 20 s
    tables = set(resources_of(template, "AWS::DynamoDB::Table"))
    for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
        assert {a["Dimensions"][0]["Value"]["Ref"] for _l, a in by_metric[("AWS/DynamoDB", metric)]} == tables
    durations = {a["Dimensions"][0]["Value"]["Ref"]: a for _l, a in by_metric[("AWS/Lambda", "Duration")]}
    for lid, fn in functions_of(template).items():
        timeout_ms = fn["Properties"]["Timeout"] * 1000
        assert 0.5 * timeout_ms <= durations[lid]["Threshold"] < timeout_ms, lid
    assert api5xx and all(a["AlarmActions"] for a in found.values())


def test_admin_and_user_routes_are_throttled_and_callbacks_never(template):
    api = template["Resources"]["RestAPI"]["Properties"]
    throttled = {(s["ResourcePath"].replace("~1", "/"), s["ThrottlingRateLimit"]["Ref"])
                 for s in api["MethodSettings"]}
    paths = api["DefinitionBody"]["paths"]
    user_paths = {p for p in paths if p.startswith("/u/")}
    assert user_paths and {p for p, ref in throttled if ref == "UserRateLimit"} == user_paths
    assert {p for p, ref in throttled if ref == "AdminRateLimit"} == {p for p in paths if p.startswith("/accounts")}
    assert not any(p.startswith("/wechat/") for p, _ in throttled)
    for name in ("UserRateLimit", "UserBurstLimit", "AdminRateLimit", "AdminBurstLimit"):
        assert template["Parameters"][name]["Type"] == "Number"


def test_optional_vpc_gives_wechat_callers_one_egress_ip_and_endpoints_for_dynamodb_ssm_and_sqs(template):
    from infra import access

    assert template["Parameters"]["EnableVpc"]["Default"] == "no"  # off unless asked for
    resources = template["Resources"]
    vpc_parts = {lid: r for lid, r in resources.items() if r.get("Condition") == "UseVpc"}
    kinds = {r["Type"] for r in vpc_parts.values()}
    assert {"AWS::EC2::VPC", "AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::VPCEndpoint"} <= kinds
    endpoints = {r["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1]: r["Properties"]
                 for r in vpc_parts.values() if r["Type"] == "AWS::EC2::VPCEndpoint"}
    assert endpoints["dynamodb"]["VpcEndpointType"] == "Gateway"
    assert endpoints["dynamodb"]["RouteTableIds"] == [{"Ref": "VpcPrivateRoutes"}]
    # the AWS APIs the functions in the VPC call do not go through the NAT (KMS: none call it themselves)
    assert set(endpoints) == {"dynamodb", "ssm", "sqs"}
    for service in ("ssm", "sqs"):
        endpoint = endpoints[service]
        assert endpoint["VpcEndpointType"] == "Interface" and endpoint["PrivateDnsEnabled"] is True, service
        assert endpoint["SubnetIds"] == [{"Ref": "VpcPrivateSubnet1"}, {"Ref": "VpcPrivateSubnet2"}], service
        (group,) = endpoint["SecurityGroupIds"]
        assert resources[group["Ref"]]["Properties"]["SecurityGroupIngress"] == [{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "SourceSecurityGroupId": {"Ref": "FunctionSecurityGroup"}}], service
    nat = resources["VpcNatGateway"]["Properties"]
    assert nat["AllocationId"] == {"Fn::GetAtt": ["EgressIp", "AllocationId"]}
    assert resources["VpcPrivateDefaultRoute"]["Properties"]["NatGatewayId"] == {"Ref": "VpcNatGateway"}
    assert template["Outputs"]["EgressIp"] == {"Condition": "UseVpc", "Value": {"Ref": "EgressIp"},
                                               "Description": "paste into the Official Account console's IP whitelist"}
    callers = {lid for lid, n in access.load().items() if n["calls_wechat"]}
    for lid, fn in functions_of(template).items():
        config = fn["Properties"].get("VpcConfig")
        if lid in callers:
            on, off = config["Fn::If"][1:]
            assert config["Fn::If"][0] == "UseVpc" and off == {"Ref": "AWS::NoValue"}
            assert on["SubnetIds"] == [{"Ref": "VpcPrivateSubnet1"}, {"Ref": "VpcPrivateSubnet2"}]
        else:
            assert config is None, lid
