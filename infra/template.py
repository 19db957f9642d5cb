"""Merge into Chalice's SAM template what Chalice does not create.

- the DynamoDB tables, from `scrm.data.registry` (the same definitions the local stack and tests use);
- each queue of `scrm.queues.ALL_QUEUES` with a dead-letter queue and a redrive policy, its visibility
  timeout at least 6x the timeout of the function that consumes it (AWS's advice for Lambda consumers);
- `ReportBatchItemFailures` on every SQS event source (Chalice has no switch for it), pointed at the queue
  resource so the mapping is created after the queue;
- the common layer, attached to every function, and the runtime pinned to python3.12 (Chalice writes the
  version of the interpreter that ran it);
- the IAM permissions the layer's code needs (tables, queues, SSM secrets under the stage's prefix, KMS via
  SSM, CloudWatch metrics in our namespace);
- CloudWatch alarms (messages in a dead-letter queue, function errors, throttles), sent to an SNS topic
  when the stack is given an `AlarmEmail`.
Schedules need nothing here: Chalice turns every `@schedule` into a `Schedule` event of its function.
"""

from __future__ import annotations

import copy
import re

VISIBILITY_FACTOR = 6
MAX_RECEIVE_COUNT = 5
QUEUE_RETENTION = 4 * 86400
DLQ_RETENTION = 14 * 86400  # longer than the source queue: the original enqueue time is kept
CHALICE_DEFAULT_TIMEOUT = 60
FUNCTION = "AWS::Serverless::Function"


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def stage_setting(config: dict, stage: str, key: str, default):
    """A stage-wide setting as Chalice resolves it: the stage's value, else the top level, else `default`."""
    return config.get("stages", {}).get(stage, {}).get(key, config.get(key, default))


def stage_env(config: dict, stage: str) -> dict:
    return {**config.get("environment_variables", {}),
            **config.get("stages", {}).get(stage, {}).get("environment_variables", {})}


def queue_name_of(ref) -> str | None:
    """The queue name in an SQS event's `Queue` (Chalice writes `Fn::Sub` of an ARN ending in the name)."""
    if isinstance(ref, dict) and "Fn::Sub" in ref and isinstance(ref["Fn::Sub"], str):
        ref = ref["Fn::Sub"]
    if isinstance(ref, str) and ref.startswith("arn:"):
        return ref.rsplit(":", 1)[-1]
    return None


def add(resources: dict, logical_id: str, resource: dict) -> None:
    if logical_id in resources:
        raise SystemExit(f"template already has a resource {logical_id!r}; rename the table or queue")
    resources[logical_id] = resource


def sqs_events(function: dict):
    for name, event in (function["Properties"].get("Events") or {}).items():
        if event.get("Type") == "SQS":
            yield name, event


ADMIN_PREFIX = "/accounts"
ADMIN_RATE, ADMIN_BURST = 50, 100  # requests/s per admin method; the team's tools, not WeChat's traffic
GATEWAY_ERRORS = {  # API Gateway's own refusals, in the admin API's error shape
    "THROTTLED": ("rate_limited", 429),
    "DEFAULT_4XX": ("bad_request", None),
    "DEFAULT_5XX": ("unavailable", None),
}


def protect_admin_api(resources: dict) -> None:
    """Throttle the admin routes (never the WeChat callbacks: a throttled callback is an event WeChat may
    drop after its retries) and answer API Gateway's own errors as `{"error": {"code", "message"}}`."""
    api = resources.get("RestAPI")
    if not api or api.get("Type") != "AWS::Serverless::Api":
        return
    paths = (api["Properties"].get("DefinitionBody") or {}).get("paths", {})
    api["Properties"]["MethodSettings"] = [
        {"ResourcePath": path.replace("/", "~1"), "HttpMethod": method.upper(),
         "ThrottlingRateLimit": ADMIN_RATE, "ThrottlingBurstLimit": ADMIN_BURST}
        for path, methods in sorted(paths.items()) if path.startswith(ADMIN_PREFIX)
        for method in sorted(methods) if method.lower() in ("get", "post", "put", "patch", "delete")]
    for response_type, (code, status) in GATEWAY_ERRORS.items():
        props = {"RestApiId": {"Ref": "RestAPI"}, "ResponseType": response_type,
                 "ResponseTemplates": {"application/json": '{"error": {"code": "' + code
                                       + '", "message": $context.error.messageString}}'}}
        if status:
            props["StatusCode"] = str(status)
        add(resources, f"GatewayResponse{camel(response_type.lower())}",
            {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": props})


def merge(template: dict, *, stage: str, settings, tables: dict[str, dict], queues: tuple[str, ...],
          chalice_config: dict, runtime: str, layer_uri: str) -> dict:
    t = copy.deepcopy(template)
    t["Description"] = f"WeChat SCRM ({stage}): Chalice functions, common layer, tables, queues, alarms"
    resources = t["Resources"]
    functions = {lid: r for lid, r in resources.items() if r["Type"] == FUNCTION}
    outputs = t.setdefault("Outputs", {})
    env = stage_env(chalice_config, stage)
    namespace = env.get("POWERTOOLS_METRICS_NAMESPACE", "WeChatSCRM")
    default_timeout = stage_setting(chalice_config, stage, "lambda_timeout", CHALICE_DEFAULT_TIMEOUT)

    t.setdefault("Parameters", {})["AlarmEmail"] = {
        "Type": "String", "Default": "",
        "Description": "Where CloudWatch alarms are e-mailed (an SNS topic is created when set); empty: none",
    }
    t.setdefault("Conditions", {})["HasAlarmEmail"] = {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    add(resources, "AlarmTopic", {"Type": "AWS::SNS::Topic", "Condition": "HasAlarmEmail", "Properties": {
        "TopicName": f"wechat-scrm-{stage}-alarms",
        "Subscription": [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]}})
    alarm_actions = {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}

    def alarm(logical_id: str, description: str, namespace_: str, metric: str, statistic: str, dimensions: list):
        add(resources, logical_id, {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmDescription": description, "Namespace": namespace_, "MetricName": metric,
            "Dimensions": dimensions, "Statistic": statistic, "Period": 300, "EvaluationPeriods": 1,
            "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
            "AlarmActions": alarm_actions, "OKActions": alarm_actions}})

    # The layer, on every function, and the runtime.
    add(resources, "CommonLayer", {"Type": "AWS::Serverless::LayerVersion", "Properties": {
        "LayerName": f"wechat-scrm-{stage}-common", "Description": "scrm package and its dependencies",
        "ContentUri": layer_uri, "CompatibleRuntimes": [runtime], "CompatibleArchitectures": ["x86_64"],
        "RetentionPolicy": "Retain"}})
    outputs["CommonLayerArn"] = {"Value": {"Ref": "CommonLayer"}}
    for lid, function in functions.items():
        props = function["Properties"]
        props["Runtime"] = runtime
        layers = props.setdefault("Layers", [])
        if {"Ref": "CommonLayer"} not in layers:
            layers.append({"Ref": "CommonLayer"})
        variables = props.setdefault("Environment", {}).setdefault("Variables", {})
        if variables.setdefault("SCRM_STAGE", stage) != stage:
            raise SystemExit(f"{lid}: SCRM_STAGE is {variables['SCRM_STAGE']!r} in .chalice/config.json for stage "
                             f"{stage!r}; resource names would not match")

    # Tables.
    table_arns = []
    for name, resource in sorted(tables.items()):
        lid = f"Table{camel(name)}"
        add(resources, lid, copy.deepcopy(resource))
        table_arns += [{"Fn::GetAtt": [lid, "Arn"]}, {"Fn::Sub": f"${{{lid}.Arn}}/index/*"}]
        outputs[f"{lid}Name"] = {"Value": {"Ref": lid}}

    protect_admin_api(resources)

    # Queues: consumers first, since they set the visibility timeout.
    by_name = {settings.queue_name(q): q for q in queues}
    consumers: dict[str, list[str]] = {q: [] for q in queues}
    for lid, function in functions.items():
        for event_name, event in sqs_events(function):
            queue_name = queue_name_of(event["Properties"].get("Queue"))
            if queue_name not in by_name:
                raise SystemExit(f"{lid}.{event_name} consumes queue {queue_name!r}, which infra/ does not create: "
                                 "add it to scrm.queues.ALL_QUEUES")
            consumers[by_name[queue_name]].append(lid)
    queue_arns = []
    for q in queues:
        lid, dlq = f"Queue{camel(q)}", f"Queue{camel(q)}Dlq"
        timeouts = [functions[f]["Properties"].get("Timeout", default_timeout) for f in consumers[q]]
        visibility = min(43200, VISIBILITY_FACTOR * max(timeouts or [default_timeout]))
        add(resources, dlq, {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": settings.queue_name(f"{q}-dlq"), "MessageRetentionPeriod": DLQ_RETENTION,
            "SqsManagedSseEnabled": True}})
        add(resources, lid, {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": settings.queue_name(q), "VisibilityTimeout": visibility,
            "MessageRetentionPeriod": QUEUE_RETENTION, "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                              "maxReceiveCount": MAX_RECEIVE_COUNT}}})
        queue_arns.append({"Fn::GetAtt": [lid, "Arn"]})
        outputs[f"{lid}Url"] = {"Value": {"Ref": lid}}
        outputs[f"{dlq}Url"] = {"Value": {"Ref": dlq}}
        alarm(f"{dlq}DepthAlarm", f"Messages in {settings.queue_name(q)}-dlq: events that failed "
              f"{MAX_RECEIVE_COUNT} times", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
              [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}])
    for function in functions.values():
        for _name, event in sqs_events(function):
            props = event["Properties"]
            props["Queue"] = {"Fn::GetAtt": [f"Queue{camel(by_name[queue_name_of(props['Queue'])])}", "Arn"]}
            props["FunctionResponseTypes"] = ["ReportBatchItemFailures"]

    # Permissions for every role Chalice made (functions given an existing role ARN are the owner's business).
    secrets_arn = f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{settings.secrets_prefix}"
    statements = [
        {"Sid": "Tables", "Effect": "Allow", "Resource": table_arns, "Action": [
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem",
            "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
            "dynamodb:DescribeTable"]},
        {"Sid": "Queues", "Effect": "Allow", "Resource": queue_arns, "Action": [
            "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]},
        {"Sid": "Secrets", "Effect": "Allow", "Resource": [{"Fn::Sub": secrets_arn}, {"Fn::Sub": secrets_arn + "/*"}],
         "Action": ["ssm:GetParametersByPath", "ssm:GetParameter", "ssm:GetParameters", "ssm:PutParameter",
                    "ssm:DeleteParameter"]},
        {"Sid": "SecretsKey", "Effect": "Allow", "Resource": "*", "Action": ["kms:Decrypt", "kms:Encrypt"],
         "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}}}},
        {"Sid": "Metrics", "Effect": "Allow", "Resource": "*", "Action": ["cloudwatch:PutMetricData"],
         "Condition": {"StringEquals": {"cloudwatch:namespace": namespace}}},
    ]
    for resource in resources.values():
        if resource["Type"] == "AWS::IAM::Role":
            resource["Properties"].setdefault("Policies", []).append(
                {"PolicyName": "ScrmAccess", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}})

    # Alarms per function.
    for lid in functions:
        dims = [{"Name": "FunctionName", "Value": {"Ref": lid}}]
        alarm(f"{lid}ErrorsAlarm", f"{lid} raised errors", "AWS/Lambda", "Errors", "Sum", dims)
        alarm(f"{lid}ThrottlesAlarm", f"{lid} was throttled", "AWS/Lambda", "Throttles", "Sum", dims)
    return t
