"""Merge into Chalice's SAM template what Chalice does not create.

- the DynamoDB tables, from `scrm.data.registry` (the same definitions the local stack and tests use);
- each queue of `scrm.queues.ALL_QUEUES` with a dead-letter queue and a redrive policy, its visibility
  timeout at least 6x the timeout of the function that consumes it (AWS's advice for Lambda consumers);
- `ReportBatchItemFailures` on every SQS event source (Chalice has no switch for it), pointed at the queue
  resource so the mapping is created after the queue;
- the common layer, attached to every function, and the runtime pinned to python3.12 (Chalice writes the
  version of the interpreter that ran it);
- one IAM role per function granting what `infra/access.json` lists for it (derived from the code by
  `infra.access`): its tables, indexes and DynamoDB actions, the queues it sends to or consumes, SSM reads (and
  writes for the API only) under the stage's prefix, its own log group, X-Ray;
- one customer managed KMS key (`DataKey`, rotated yearly, alias `alias/wechat-scrm-<stage>`) encrypting the
  tables, queues (dead letters included), log groups and the SecureStrings account registration writes; its key
  policy lets the account root administer it and only the stack's function roles (and, through DynamoDB, SQS and
  SSM only, the deployer and operators) use it; each role is granted the KMS actions its SQS, SSM and DynamoDB
  use needs, on that key only and only through that service (`kms:ViaService`);
- log groups with `LogRetentionDays`, active tracing, the API's access log (no query strings), throttling of
  the admin and `/u/` routes, API Gateway's own errors in our error shape;
- CloudWatch alarms (dead-letter messages, function errors, throttles and durations near the timeout,
  each queue's oldest message, DynamoDB throttles, API 5xx and p99 latency), sent to an SNS topic
  when the stack is given an `AlarmEmail`.
Schedules need nothing here: Chalice turns every `@schedule` into a `Schedule` event of its function.
"""

from __future__ import annotations

import copy
import json
import re

VISIBILITY_FACTOR = 6
MAX_RECEIVE_COUNT = 5
QUEUE_RETENTION = 4 * 86400
DLQ_RETENTION = 14 * 86400  # longer than the source queue: the original enqueue time is kept
CHALICE_DEFAULT_TIMEOUT = 60
LOG_RETENTION_CHOICES = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                         2922, 3288, 3653]  # what CloudWatch Logs accepts
NEAR_TIMEOUT = 0.8  # a function's maximum duration above this share of its timeout alarms
QUEUE_AGE_SECONDS = 300  # oldest message on a queue
WELCOME_AGE_SECONDS = 10  # a WeCom welcome code lives 20 s
API_P99_MS = 3000
FUNCTION = "AWS::Serverless::Function"
KEY = "DataKey"  # the stage's customer managed key (add_key)
KEY_SERVICES = ("dynamodb", "sqs", "ssm")  # the services that use the key on a principal's behalf
# What the account root may do with the key: administer it, never encrypt or decrypt with it.
KEY_ADMIN_ACTIONS = sorted(f"kms:{a}" for a in (
    "CancelKeyDeletion", "CreateAlias", "DeleteAlias", "DescribeKey", "DisableKey", "DisableKeyRotation",
    "EnableKey", "EnableKeyRotation", "GetKeyPolicy", "GetKeyRotationStatus", "ListAliases", "ListGrants",
    "ListKeyPolicies", "ListKeyRotations", "ListResourceTags", "PutKeyPolicy", "RevokeGrant",
    "RotateKeyOnDemand", "ScheduleKeyDeletion", "TagResource", "UntagResource", "UpdateAlias",
    "UpdateKeyDescription"))
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]


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
USER_PREFIX = "/u/"  # customers' campaign pages: unauthenticated until the token is checked
USER_RATE, USER_BURST = 100, 200  # per method, all customers together: far below SSM's shared quota
# API Gateway's own refusals, in the admin API's error shape: (code, status, message; None keeps API Gateway's).
GATEWAY_ERRORS = {
    "MISSING_AUTHENTICATION_TOKEN": ("not_found", 404, "no such route"),  # what API Gateway says for unknown paths
    "UNSUPPORTED_MEDIA_TYPE": ("unsupported_media_type", 415, None),
    "THROTTLED": ("rate_limited", 429, None),
    "DEFAULT_4XX": ("bad_request", None, None),
    "DEFAULT_5XX": ("unavailable", None, None),
}
# Access log line: no query string (user tokens travel as ?t=, WeChat's signatures as ?signature=).
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "time": "$context.requestTimeEpoch", "ip": "$context.identity.sourceIp",
    "method": "$context.httpMethod", "resource": "$context.resourcePath", "path": "$context.path",
    "status": "$context.status", "latencyMs": "$context.responseLatency", "bytes": "$context.responseLength",
    "integrationError": "$context.integration.error", "userAgent": "$context.identity.userAgent"},
    separators=(",", ":"))


def protect_api(resources: dict) -> None:
    """Throttle the admin and `/u/` routes (never the WeChat callbacks: a throttled callback is an event WeChat
    may drop after its retries), log each request without its query string, and answer API Gateway's own
    errors as `{"error": {"code", "message"}}`."""
    api = resources.get("RestAPI")
    if not api or api.get("Type") != "AWS::Serverless::Api":
        return
    paths = (api["Properties"].get("DefinitionBody") or {}).get("paths", {})
    limits = [(ADMIN_PREFIX, {"Ref": "AdminRateLimit"}, {"Ref": "AdminBurstLimit"}),
              (USER_PREFIX, {"Ref": "UserRateLimit"}, {"Ref": "UserBurstLimit"})]
    api["Properties"]["MethodSettings"] = [
        {"ResourcePath": path.replace("/", "~1"), "HttpMethod": method.upper(),
         "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
        for prefix, rate, burst in limits
        for path, methods in sorted(paths.items()) if path.startswith(prefix)
        for method in sorted(methods) if method.lower() in ("get", "post", "put", "patch", "delete")]
    api["Properties"]["TracingEnabled"] = True
    api["Properties"]["AccessLogSetting"] = {"DestinationArn": {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]},
                                             "Format": ACCESS_LOG_FORMAT}
    for response_type, (code, status, message) in GATEWAY_ERRORS.items():
        text = json.dumps(message) if message else "$context.error.messageString"
        props = {"RestApiId": {"Ref": "RestAPI"}, "ResponseType": response_type,
                 "ResponseTemplates": {"application/json": '{"error": {"code": "' + code
                                       + '", "message": ' + text + '}}'}}
        if status:
            props["StatusCode"] = str(status)
        add(resources, f"GatewayResponse{camel(response_type.lower())}",
            {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": props})


def role_path(stage: str) -> str:
    return f"/wechat-scrm-{stage}/"


def add_key(t: dict, resources: dict, outputs: dict, stage: str) -> None:
    """One customer managed key for everything the stage keeps at rest (tables, queues, logs, SecureStrings).

    Key policy: the account root administers it (no encrypt/decrypt); the stack's function roles (by their
    path) use it through DynamoDB, SQS and SSM only; CloudWatch Logs uses it for the stage's log groups only.
    Creating the tables and running `scrm_cli bootstrap`/`dlq` needs it too: `KeyOperatorArns` names those
    principals (through the three services only); left empty, principals of the account whose IAM policies
    allow it may (the default key policy's delegation to IAM, restricted to the three services). The key is
    kept when the stack is deleted, like the tables it encrypts (a deleted key makes them unreadable)."""
    arn = "arn:${AWS::Partition}"
    t["Parameters"]["KeyOperatorArns"] = {
        "Type": "CommaDelimitedList", "Default": "",
        "Description": "IAM roles or users (ARNs) that deploy the stack and run scrm_cli (bootstrap, dlq): they "
                       "may use the data key through DynamoDB, SQS and SSM. Empty: any principal of the account "
                       "whose IAM policies allow it"}
    t["Conditions"]["HasKeyOperators"] = {"Fn::Not": [{"Fn::Equals": [
        {"Fn::Join": ["", {"Ref": "KeyOperatorArns"}]}, ""]}]}
    root = {"AWS": {"Fn::Sub": f"{arn}:iam::${{AWS::AccountId}}:root"}}
    services = [via(s) for s in KEY_SERVICES]
    log_groups = [{"Fn::Sub": f"{arn}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:{group}"}
                  for group in (f"/aws/lambda/wechat-scrm-{stage}-*", f"/aws/apigateway/wechat-scrm-{stage}-access")]
    statements = [
        {"Sid": "RootAdministers", "Effect": "Allow", "Principal": root, "Action": KEY_ADMIN_ACTIONS,
         "Resource": "*"},  # in a key policy "*" is this key
        {"Sid": "StackFunctionsThroughServices", "Effect": "Allow", "Principal": root, "Action": KEY_USE_ACTIONS,
         "Resource": "*", "Condition": {
             "ArnLike": {"aws:PrincipalArn": {"Fn::Sub": f"{arn}:iam::${{AWS::AccountId}}:role{role_path(stage)}*"}},
             "StringEquals": {"kms:ViaService": services}}},
        {"Sid": "OperatorsThroughServices", "Effect": "Allow",
         "Principal": {"Fn::If": ["HasKeyOperators", {"AWS": {"Ref": "KeyOperatorArns"}}, root]},
         "Action": sorted([*KEY_USE_ACTIONS, "kms:CreateGrant", "kms:DescribeKey", "kms:ReEncrypt*"]),
         "Resource": "*", "Condition": {"StringEquals": {"kms:ViaService": services,
                                                         "kms:CallerAccount": {"Ref": "AWS::AccountId"}}}},
        {"Sid": "LogsForTheStageLogGroups", "Effect": "Allow",
         "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
         "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
         "Resource": "*", "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}}},
        {"Sid": "DynamoDbDescribes", "Effect": "Allow", "Principal": {"Service": "dynamodb.amazonaws.com"},
         "Action": ["kms:DescribeKey"], "Resource": "*"},
    ]
    add(resources, KEY, {"Type": "AWS::KMS::Key", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                         "Properties": {
        "Description": f"WeChat SCRM {stage}: tables, queues, log groups and account secrets",
        "EnableKeyRotation": True, "PendingWindowInDays": 30,
        "KeyPolicy": {"Version": "2012-10-17", "Statement": statements}}})
    add(resources, f"{KEY}Alias", {"Type": "AWS::KMS::Alias", "Properties": {
        "AliasName": f"alias/wechat-scrm-{stage}", "TargetKeyId": {"Ref": KEY}}})
    outputs[f"{KEY}Arn"] = {"Value": {"Fn::GetAtt": [KEY, "Arn"]}}


def function_name(stage: str, lid: str) -> str:
    """Set explicitly so each role can name its own log group without a dependency cycle."""
    return f"wechat-scrm-{stage}-{lid}"


def _statement(sid: str, actions, resources) -> dict:
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resources}


def role_policy(lid: str, needs: dict, *, stage: str, secrets_prefix: str, consumes: list[str],
                queue_ids: dict[str, str], table_ids: dict[str, str]) -> list[dict]:
    """The statements one function's role grants: its log group, tracing, exactly what `needs` lists, and the
    data key's actions that its use of SQS, SSM and DynamoDB implies (key_needs)."""
    arn = "arn:${AWS::Partition}"
    statements = [
        _statement("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"], [{"Fn::Sub": (
            f"{arn}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{function_name(stage, lid)}:*")}]),
        # X-Ray has no resource-level permissions: its write actions only take "*".
        _statement("Tracing", ["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "*"),
    ]
    by_actions: dict[tuple, list[str]] = {}
    for table, actions in sorted(needs.get("tables", {}).items()):
        if actions:
            by_actions.setdefault(tuple(sorted(actions)), []).append(table)
    for i, (actions, tables) in enumerate(sorted(by_actions.items())):
        statements.append(_statement(f"Tables{i}", [f"dynamodb:{a}" for a in actions],
                                     [{"Fn::GetAtt": [table_ids[t], "Arn"]} for t in tables]))
    indexes = [{"Fn::Sub": f"${{{table_ids[t]}.Arn}}/index/{name}"}
               for t, names in sorted(needs.get("indexes", {}).items()) for name in names]
    if indexes:
        statements.append(_statement("Indexes", ["dynamodb:Query"], indexes))
    if needs.get("send_to"):
        statements.append(_statement("SendTo", ["sqs:GetQueueUrl", "sqs:SendMessage"],
                                     [{"Fn::GetAtt": [queue_ids[q], "Arn"]} for q in needs["send_to"]]))
    if consumes:  # what Lambda's event source mapping does with the function's role
        statements.append(_statement("Consume", ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
                                                 "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
                                     [{"Fn::GetAtt": [queue_ids[q], "Arn"]} for q in consumes]))
    ssm = set(needs.get("ssm", []))
    path = f"{arn}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{secrets_prefix}"
    reads = sorted(ssm & {"GetParameter", "GetParameters", "GetParametersByPath"})
    if reads:  # GetParametersByPath is checked against the path itself, the others against each parameter
        statements.append(_statement("ReadSecrets", [f"ssm:{a}" for a in reads],
                                     [{"Fn::Sub": path}, {"Fn::Sub": path + "/*"}]))
    writes = sorted(ssm & {"PutParameter", "DeleteParameter"})
    if writes:
        statements.append(_statement("WriteSecrets", [f"ssm:{a}" for a in writes], [{"Fn::Sub": path + "/*"}]))
    if needs.get("calls_wechat"):  # Lambda manages its network interfaces with the role (resource "*" only)
        statements.append({"Fn::If": ["UseVpc", _statement("VpcNetworkInterfaces", VPC_ACCESS, "*"),
                                      {"Ref": "AWS::NoValue"}]})
    for service, actions in sorted(key_needs(needs, consumes).items()):
        statements.append({**_statement(f"DataKeyVia{camel(service)}", [f"kms:{a}" for a in actions],
                                        [{"Fn::GetAtt": [KEY, "Arn"]}]),
                           "Condition": {"StringEquals": {"kms:ViaService": via(service)}}})
    return statements


def via(service: str) -> dict:
    return {"Fn::Sub": f"{service}.${{AWS::Region}}.amazonaws.com"}


def key_needs(needs: dict, consumes: list[str]) -> dict[str, list[str]]:
    """{service: KMS actions} a function's role needs on the data key, from what it does with that service:
    - SQS (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html):
      a producer needs GenerateDataKey and Decrypt, a consumer (Lambda's event source mapping, with the
      function's role) Decrypt;
    - SSM (https://docs.aws.amazon.com/systems-manager/latest/userguide/secure-string-parameter-kms-encryption.html):
      standard-tier SecureStrings are encrypted with Encrypt (PutParameter) and read with Decrypt;
    - DynamoDB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html):
      the table key is decrypted with the caller's permissions, cached per caller for five minutes: Decrypt."""
    out: dict[str, set[str]] = {}
    if needs.get("send_to"):
        out.setdefault("sqs", set()).update({"GenerateDataKey", "Decrypt"})
    if consumes:
        out.setdefault("sqs", set()).add("Decrypt")
    ssm = set(needs.get("ssm", []))
    if ssm & {"GetParameter", "GetParameters", "GetParametersByPath"}:
        out.setdefault("ssm", set()).add("Decrypt")
    if "PutParameter" in ssm:
        out.setdefault("ssm", set()).add("Encrypt")
    if any(needs.get("tables", {}).values()):
        out.setdefault("dynamodb", set()).add("Decrypt")
    return {service: sorted(actions) for service, actions in out.items()}


def grant_roles(resources: dict, functions: dict, access: dict, *, stage: str, settings, consumers: dict,
                queue_ids: dict[str, str]) -> None:
    """One role per function, granting what infra/access.json says it needs; Chalice's shared role goes."""
    table_ids = {r["Properties"]["TableName"].removeprefix(settings.table_name("")): lid
                 for lid, r in resources.items() if r["Type"] == "AWS::DynamoDB::Table"}
    consumed_by: dict[str, list[str]] = {}
    for queue, lids in consumers.items():
        for lid in lids:
            consumed_by.setdefault(lid, []).append(queue)
    for lid, function in functions.items():
        props = function["Properties"]
        role = props.get("Role")
        if not (isinstance(role, dict) and role.get("Fn::GetAtt", [None])[0] in resources):
            continue  # an existing role ARN given in .chalice/config.json: the owner's business
        if lid not in access:
            raise SystemExit(f"{lid} is not in infra/access.json: run `python -m infra.access --write` and review it")
        role_id = f"{lid}Role"
        add(resources, role_id, {"Type": "AWS::IAM::Role", "Properties": {
            "Path": role_path(stage),  # the data key's policy names the stack's function roles by this path
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "ScrmAccess", "PolicyDocument": {"Version": "2012-10-17", "Statement":
                          role_policy(lid, access[lid], stage=stage, secrets_prefix=settings.secrets_prefix,
                                      consumes=sorted(consumed_by.get(lid, [])),
                                      queue_ids=queue_ids, table_ids=table_ids)}}]}})
        props["Role"] = {"Fn::GetAtt": [role_id, "Arn"]}
    used = {json.dumps(f["Properties"].get("Role"), sort_keys=True) for f in functions.values()}
    if "DefaultRole" in resources and json.dumps({"Fn::GetAtt": ["DefaultRole", "Arn"]}) not in used:
        del resources["DefaultRole"]  # Chalice's role for every function: logs and SQS on "*"


def add_vpc(t: dict, resources: dict, outputs: dict, stage: str) -> None:
    """Optional egress with a fixed IP, for the Official Account IP whitelist (errcode 40164 otherwise):
    a VPC, two private subnets routed through one NAT gateway with an Elastic IP (printed as `EgressIp`),
    and endpoints for the AWS services the functions in it call, so that traffic does not pay NAT: DynamoDB
    (gateway, free), SSM and SQS (interface, private DNS, HTTPS from the functions' security group only).
    No KMS endpoint: the functions never call KMS themselves (SQS, SSM and DynamoDB decrypt on their side).
    None for CloudWatch Logs (Lambda ships the logs, not the function's network interface) nor X-Ray (the
    sampled segments are a few KB an hour through the NAT; an endpoint would cost more than their bytes)."""
    t["Parameters"]["EnableVpc"] = {
        "Type": "String", "Default": "no", "AllowedValues": ["yes", "no"],
        "Description": "Run the functions that call WeChat in a VPC behind a NAT gateway with a fixed Elastic IP "
                       "(paste EgressIp into the Official Account's IP whitelist)"}
    t["Parameters"]["VpcCidr"] = {"Type": "String", "Default": "10.42.0.0/16",
                                  "AllowedPattern": r"^\d+\.\d+\.\d+\.\d+/16$",
                                  "Description": "a /16 for the VPC (three /20 subnets are carved from it)"}
    t["Conditions"]["UseVpc"] = {"Fn::Equals": [{"Ref": "EnableVpc"}, "yes"]}
    tag = [{"Key": "Name", "Value": f"wechat-scrm-{stage}"}]

    def vpc_resource(lid: str, kind: str, props: dict) -> None:
        add(resources, lid, {"Type": kind, "Condition": "UseVpc", "Properties": props})

    def subnet_cidr(i: int):
        return {"Fn::Select": [i, {"Fn::Cidr": [{"Ref": "VpcCidr"}, 3, 12]}]}

    def az(i: int):
        return {"Fn::Select": [i, {"Fn::GetAZs": ""}]}

    vpc_resource("Vpc", "AWS::EC2::VPC", {"CidrBlock": {"Ref": "VpcCidr"}, "EnableDnsSupport": True,
                                          "EnableDnsHostnames": True, "Tags": tag})
    vpc_resource("VpcInternetGateway", "AWS::EC2::InternetGateway", {"Tags": tag})
    vpc_resource("VpcGatewayAttachment", "AWS::EC2::VPCGatewayAttachment",
                 {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "VpcInternetGateway"}})
    vpc_resource("VpcPublicSubnet", "AWS::EC2::Subnet", {"VpcId": {"Ref": "Vpc"}, "CidrBlock": subnet_cidr(0),
                                                         "AvailabilityZone": az(0), "Tags": tag})
    vpc_resource("VpcPublicRoutes", "AWS::EC2::RouteTable", {"VpcId": {"Ref": "Vpc"}, "Tags": tag})
    add(resources, "VpcPublicDefaultRoute", {"Type": "AWS::EC2::Route", "Condition": "UseVpc",
                                             "DependsOn": "VpcGatewayAttachment", "Properties": {
        "RouteTableId": {"Ref": "VpcPublicRoutes"}, "DestinationCidrBlock": "0.0.0.0/0",
        "GatewayId": {"Ref": "VpcInternetGateway"}}})
    vpc_resource("VpcPublicSubnetRoutes", "AWS::EC2::SubnetRouteTableAssociation",
                 {"SubnetId": {"Ref": "VpcPublicSubnet"}, "RouteTableId": {"Ref": "VpcPublicRoutes"}})
    add(resources, "EgressIp", {"Type": "AWS::EC2::EIP", "Condition": "UseVpc", "DependsOn": "VpcGatewayAttachment",
                                "Properties": {"Domain": "vpc", "Tags": tag}})
    vpc_resource("VpcNatGateway", "AWS::EC2::NatGateway", {
        "AllocationId": {"Fn::GetAtt": ["EgressIp", "AllocationId"]}, "SubnetId": {"Ref": "VpcPublicSubnet"},
        "Tags": tag})
    vpc_resource("VpcPrivateRoutes", "AWS::EC2::RouteTable", {"VpcId": {"Ref": "Vpc"}, "Tags": tag})
    vpc_resource("VpcPrivateDefaultRoute", "AWS::EC2::Route", {
        "RouteTableId": {"Ref": "VpcPrivateRoutes"}, "DestinationCidrBlock": "0.0.0.0/0",
        "NatGatewayId": {"Ref": "VpcNatGateway"}})
    for i in (1, 2):
        vpc_resource(f"VpcPrivateSubnet{i}", "AWS::EC2::Subnet", {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": subnet_cidr(i), "AvailabilityZone": az(i - 1), "Tags": tag})
        vpc_resource(f"VpcPrivateSubnet{i}Routes", "AWS::EC2::SubnetRouteTableAssociation",
                     {"SubnetId": {"Ref": f"VpcPrivateSubnet{i}"}, "RouteTableId": {"Ref": "VpcPrivateRoutes"}})
    vpc_resource("FunctionSecurityGroup", "AWS::EC2::SecurityGroup", {
        "GroupDescription": "WeChat SCRM functions: no inbound, HTTPS out", "VpcId": {"Ref": "Vpc"},
        "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]})
    vpc_resource("EndpointSecurityGroup", "AWS::EC2::SecurityGroup", {
        "GroupDescription": "WeChat SCRM VPC endpoints: HTTPS from the functions", "VpcId": {"Ref": "Vpc"},
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                  "SourceSecurityGroupId": {"Ref": "FunctionSecurityGroup"}}]})
    vpc_resource("DynamoDbEndpoint", "AWS::EC2::VPCEndpoint", {
        "VpcId": {"Ref": "Vpc"}, "VpcEndpointType": "Gateway", "RouteTableIds": [{"Ref": "VpcPrivateRoutes"}],
        "ServiceName": {"Fn::Sub": "com.amazonaws.${AWS::Region}.dynamodb"}})
    for service in INTERFACE_ENDPOINTS:
        vpc_resource(f"{camel(service)}Endpoint", "AWS::EC2::VPCEndpoint", {
            "VpcId": {"Ref": "Vpc"}, "VpcEndpointType": "Interface", "PrivateDnsEnabled": True,
            "SubnetIds": [{"Ref": "VpcPrivateSubnet1"}, {"Ref": "VpcPrivateSubnet2"}],
            "SecurityGroupIds": [{"Ref": "EndpointSecurityGroup"}],
            "ServiceName": {"Fn::Sub": f"com.amazonaws.${{AWS::Region}}.{service}"}})
    outputs["EgressIp"] = {"Condition": "UseVpc", "Value": {"Ref": "EgressIp"},
                           "Description": "paste into the Official Account console's IP whitelist"}


INTERFACE_ENDPOINTS = ("ssm", "sqs")  # AWS APIs the functions in the VPC call (DynamoDB has a gateway endpoint)
VPC_ACCESS = ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
              "ec2:DescribeNetworkInterfaces", "ec2:UnassignPrivateIpAddresses"]  # Lambda's ENIs; "*" only


ALARM_ACTIONS = {"Fn::If": ["HasAlarmEmail", [{"Ref": "AlarmTopic"}], {"Ref": "AWS::NoValue"}]}


def alarm(resources: dict, logical_id: str, description: str, namespace_: str, metric: str, statistic: str,
          dimensions: list, threshold: float = 0, evaluation_periods: int = 1) -> None:
    stat = {"ExtendedStatistic": statistic} if statistic.startswith("p") else {"Statistic": statistic}
    add(resources, logical_id, {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": description, "Namespace": namespace_, "MetricName": metric,
        "Dimensions": dimensions, **stat, "Period": 300, "EvaluationPeriods": evaluation_periods,
        "Threshold": threshold, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
        "AlarmActions": ALARM_ACTIONS, "OKActions": ALARM_ACTIONS}})


def merge(template: dict, *, stage: str, settings, tables: dict[str, dict], queues: tuple[str, ...],
          chalice_config: dict, runtime: str, layer_uri: str, access: dict) -> dict:
    t = copy.deepcopy(template)
    t["Description"] = f"WeChat SCRM ({stage}): Chalice functions, common layer, tables, queues, alarms"
    resources = t["Resources"]
    functions = {lid: r for lid, r in resources.items() if r["Type"] == FUNCTION}
    outputs = t.setdefault("Outputs", {})
    default_timeout = stage_setting(chalice_config, stage, "lambda_timeout", CHALICE_DEFAULT_TIMEOUT)

    add_alarm_topic(t, stage)
    add_parameters(t)
    add_key(t, resources, outputs, stage)
    if "RestAPI" in resources:
        add_api_logging(resources, stage)
    add_layer_and_logs(resources, outputs, functions, stage=stage, runtime=runtime, layer_uri=layer_uri)
    add_tables(resources, outputs, tables)
    protect_api(resources)
    consumers = add_queues(resources, outputs, functions, settings=settings, queues=queues,
                           default_timeout=default_timeout)
    add_vpc(t, resources, outputs, stage)
    grant_roles(resources, functions, access, stage=stage, settings=settings, consumers=consumers,
                queue_ids={q: f"Queue{camel(q)}" for q in queues})
    for lid, function in functions.items():
        if "PutParameter" in access.get(lid, {}).get("ssm", []):  # SecureStrings it writes use the data key
            function["Properties"]["Environment"]["Variables"]["SCRM_KMS_KEY_ID"] = {"Ref": KEY}
        if access.get(lid, {}).get("calls_wechat"):
            function["Properties"]["VpcConfig"] = {"Fn::If": ["UseVpc", {
                "SecurityGroupIds": [{"Ref": "FunctionSecurityGroup"}],
                "SubnetIds": [{"Ref": "VpcPrivateSubnet1"}, {"Ref": "VpcPrivateSubnet2"}]}, {"Ref": "AWS::NoValue"}]}
    add_alarms(resources, functions, settings=settings, tables=tables, queues=queues,
               default_timeout=default_timeout)
    return t


def add_alarm_topic(t: dict, stage: str) -> None:
    t.setdefault("Parameters", {})["AlarmEmail"] = {
        "Type": "String", "Default": "",
        "Description": "Where CloudWatch alarms are e-mailed (an SNS topic is created when set); empty: none",
    }
    t.setdefault("Conditions", {})["HasAlarmEmail"] = {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    add(t["Resources"], "AlarmTopic", {"Type": "AWS::SNS::Topic", "Condition": "HasAlarmEmail", "Properties": {
        "TopicName": f"wechat-scrm-{stage}-alarms",
        "Subscription": [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]}})


def add_parameters(t: dict) -> None:
    parameters = t["Parameters"]
    parameters["LogRetentionDays"] = {
        "Type": "Number", "Default": 30, "AllowedValues": LOG_RETENTION_CHOICES,
        "Description": "Days CloudWatch keeps each function's logs and the API access log"}
    for name, value, what in (("AdminRateLimit", ADMIN_RATE, "requests/s per admin route and method"),
                              ("AdminBurstLimit", ADMIN_BURST, "burst per admin route and method"),
                              ("UserRateLimit", USER_RATE, "requests/s per /u/ route and method (campaign pages)"),
                              ("UserBurstLimit", USER_BURST, "burst per /u/ route and method")):
        parameters[name] = {"Type": "Number", "Default": value, "MinValue": 1, "Description": what}
    parameters["ConfigureApiGatewayLogging"] = {
        "Type": "String", "Default": "yes", "AllowedValues": ["yes", "no"],
        "Description": "Set the account's API Gateway CloudWatch role (needed once per account and region for "
                       "access logs); 'no' when another stack already does"}
    t["Conditions"]["ConfigureApiGatewayLogging"] = {"Fn::Equals": [{"Ref": "ConfigureApiGatewayLogging"}, "yes"]}


def add_api_logging(resources: dict, stage: str) -> None:
    add(resources, "ApiAccessLogGroup", {"Type": "AWS::Logs::LogGroup", "Properties": {
        "LogGroupName": f"/aws/apigateway/wechat-scrm-{stage}-access",
        "RetentionInDays": {"Ref": "LogRetentionDays"}, "KmsKeyId": {"Fn::GetAtt": [KEY, "Arn"]}}})
    add(resources, "ApiGatewayLoggingRole", {"Type": "AWS::IAM::Role", "Condition": "ConfigureApiGatewayLogging",
                                             "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
                                          "AmazonAPIGatewayPushToCloudWatchLogs"}]}})
    add(resources, "ApiGatewayAccount", {"Type": "AWS::ApiGateway::Account",
                                         "Condition": "ConfigureApiGatewayLogging", "Properties": {
        "CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayLoggingRole", "Arn"]}}})
    # The stage's access log needs the account's logging role first: a conditional reference orders them.
    resources["RestAPI"]["Properties"]["Description"] = {"Fn::If": [
        "ConfigureApiGatewayLogging", {"Fn::Sub": f"WeChat SCRM {stage} (logging ${{ApiGatewayAccount}})"},
        f"WeChat SCRM {stage}"]}


def add_layer_and_logs(resources: dict, outputs: dict, functions: dict, *, stage: str, runtime: str,
                       layer_uri: str) -> None:
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
        # Logs kept LogRetentionDays (Lambda would create the group itself, kept forever), active X-Ray tracing.
        props["FunctionName"] = function_name(stage, lid)
        props["Tracing"] = "Active"
        variables.setdefault("POWERTOOLS_TRACE_DISABLED", "false")
        add(resources, f"{lid}LogGroup", {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": f"/aws/lambda/{function_name(stage, lid)}",
            "RetentionInDays": {"Ref": "LogRetentionDays"}, "KmsKeyId": {"Fn::GetAtt": [KEY, "Arn"]}}})
        function["DependsOn"] = sorted(set(function.get("DependsOn", [])) | {f"{lid}LogGroup"})


def add_tables(resources: dict, outputs: dict, tables: dict[str, dict]) -> None:
    for name, resource in sorted(tables.items()):
        lid = f"Table{camel(name)}"
        table = copy.deepcopy(resource)
        table["Properties"]["SSESpecification"] = {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": KEY}}
        add(resources, lid, table)
        outputs[f"{lid}Name"] = {"Value": {"Ref": lid}}


def add_queues(resources: dict, outputs: dict, functions: dict, *, settings, queues: tuple[str, ...],
               default_timeout: int) -> dict[str, list[str]]:
    """Each queue and its dead-letter queue, the consumers' event sources pointed at them; {queue: consumers}."""
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
    for q in queues:
        lid, dlq = f"Queue{camel(q)}", f"Queue{camel(q)}Dlq"
        timeouts = [functions[f]["Properties"].get("Timeout", default_timeout) for f in consumers[q]]
        visibility = min(43200, VISIBILITY_FACTOR * max(timeouts or [default_timeout]))
        add(resources, dlq, {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": settings.queue_name(f"{q}-dlq"), "MessageRetentionPeriod": DLQ_RETENTION,
            "KmsMasterKeyId": {"Ref": KEY}}})
        add(resources, lid, {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": settings.queue_name(q), "VisibilityTimeout": visibility,
            "MessageRetentionPeriod": QUEUE_RETENTION, "KmsMasterKeyId": {"Ref": KEY},
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [dlq, "Arn"]},
                              "maxReceiveCount": MAX_RECEIVE_COUNT}}})
        outputs[f"{lid}Url"] = {"Value": {"Ref": lid}}
        outputs[f"{dlq}Url"] = {"Value": {"Ref": dlq}}
        alarm(resources, f"{dlq}DepthAlarm", f"Messages in {settings.queue_name(q)}-dlq: events that failed "
              f"{MAX_RECEIVE_COUNT} times", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
              [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq, "QueueName"]}}])
    for function in functions.values():
        for _name, event in sqs_events(function):
            props = event["Properties"]
            props["Queue"] = {"Fn::GetAtt": [f"Queue{camel(by_name[queue_name_of(props['Queue'])])}", "Arn"]}
            props["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    return consumers


def add_alarms(resources: dict, functions: dict, *, settings, tables: dict, queues: tuple[str, ...],
               default_timeout: int) -> None:
    # Alarms per function: errors, throttles, and a duration near the timeout (the next one is cut short).
    for lid, function in functions.items():
        dims = [{"Name": "FunctionName", "Value": {"Ref": lid}}]
        alarm(resources, f"{lid}ErrorsAlarm", f"{lid} raised errors", "AWS/Lambda", "Errors", "Sum", dims)
        alarm(resources, f"{lid}ThrottlesAlarm", f"{lid} was throttled", "AWS/Lambda", "Throttles", "Sum", dims)
        timeout = function["Properties"].get("Timeout", default_timeout)
        alarm(resources, f"{lid}DurationAlarm",
              f"{lid} ran longer than {int(NEAR_TIMEOUT * 100)}% of its {timeout} s timeout", "AWS/Lambda",
              "Duration", "Maximum", dims, threshold=int(NEAR_TIMEOUT * timeout * 1000))
    # Each queue's oldest message: a consumer that stopped keeping up (the welcome queue within a code's life).
    for q in queues:
        age = WELCOME_AGE_SECONDS if q == "welcome" else QUEUE_AGE_SECONDS
        alarm(resources, f"Queue{camel(q)}AgeAlarm",
              f"the oldest message on {settings.queue_name(q)} waited over {age} s", "AWS/SQS",
              "ApproximateAgeOfOldestMessage", "Maximum",
              [{"Name": "QueueName", "Value": {"Fn::GetAtt": [f"Queue{camel(q)}", "QueueName"]}}], threshold=age)
    # DynamoDB throttles, read or write, per table.
    for name in sorted(tables):
        lid = f"Table{camel(name)}"
        dims = [{"Name": "TableName", "Value": {"Ref": lid}}]
        for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
            alarm(resources, f"{lid}{metric}Alarm", f"{settings.table_name(name)}: {metric}", "AWS/DynamoDB",
                  metric, "Sum", dims)
    # The API: server errors, and p99 latency against WeChat's 5-second callback deadline.
    if "RestAPI" in resources:
        api = resources["RestAPI"]["Properties"]
        name = (api.get("DefinitionBody") or {}).get("info", {}).get("title", "wechat-scrm")  # the REST API's name
        dims = [{"Name": "ApiName", "Value": name}, {"Name": "Stage", "Value": api.get("StageName", "api")}]
        alarm(resources, "Api5xxAlarm", "the API answered 5xx", "AWS/ApiGateway", "5XXError", "Sum", dims)
        alarm(resources, "ApiLatencyP99Alarm",
              f"API p99 latency over {API_P99_MS} ms (WeChat waits 5 s for a callback)", "AWS/ApiGateway",
              "Latency", "p99", dims, threshold=API_P99_MS)
