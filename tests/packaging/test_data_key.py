"""The stage's customer managed key, read from the built template: everything at rest uses it, its key policy
lets the root administer it and only the stack's functions (and the services) use it, and each role is granted
the KMS actions its own use of SQS, SSM and DynamoDB needs, on that key only."""

from __future__ import annotations

import pytest

from infra import access
from tests.packaging.conftest import STAGE
from tests.packaging.test_least_privilege import consumed, functions_of, statements

pytestmark = pytest.mark.packaging

KEY_ARN = {"Fn::GetAtt": ["DataKey", "Arn"]}
CRYPTO = {"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt*", "kms:GenerateDataKey*",
          "kms:Decrypt*", "kms:Encrypt*", "kms:CreateGrant"}


def resources_of(template: dict, kind: str) -> dict:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == kind}


def key_policy(template: dict) -> dict[str, dict]:
    return {st["Sid"]: st for st in template["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"]}


def kms_statements(template: dict, lid: str) -> list[dict]:
    return [st for st in statements(template, lid)
            if any(a.startswith("kms:") for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]]))]


def test_the_key_rotates_has_an_alias_and_outlives_the_stack_like_its_tables(template):
    key = template["Resources"]["DataKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"  # a deleted key: unreadable tables
    (alias,) = resources_of(template, "AWS::KMS::Alias").values()
    assert alias["Properties"] == {"AliasName": f"alias/wechat-scrm-{STAGE}", "TargetKeyId": {"Ref": "DataKey"}}


def test_every_table_queue_and_log_group_is_encrypted_with_the_data_key(template):
    tables = resources_of(template, "AWS::DynamoDB::Table")
    assert tables
    for lid, table in tables.items():
        assert table["Properties"]["SSESpecification"] == {
            "SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "DataKey"}}, lid
    queues = resources_of(template, "AWS::SQS::Queue")
    assert any(lid.endswith("Dlq") for lid in queues) and any(not lid.endswith("Dlq") for lid in queues)
    for lid, queue in queues.items():  # dead letters included: they hold the same payloads
        assert queue["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}, lid
        assert "SqsManagedSseEnabled" not in queue["Properties"], lid
    groups = resources_of(template, "AWS::Logs::LogGroup")
    assert len(groups) == len(functions_of(template)) + 1  # each function's and the API's access log
    for lid, group in groups.items():
        assert group["Properties"]["KmsKeyId"] == KEY_ARN, lid


def test_the_key_policy_lets_root_administer_and_only_the_stack_and_services_use_it(template):
    policy = key_policy(template)
    root = {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    admin = policy.pop("RootAdministers")
    assert admin["Principal"] == root and "kms:PutKeyPolicy" in admin["Action"]  # never locked out
    assert not CRYPTO & set(admin["Action"]), "administering the key is not reading the data"
    assert all("*" not in a for a in admin["Action"])
    functions = policy.pop("StackFunctionsThroughServices")
    path = functions["Condition"]["ArnLike"]["aws:PrincipalArn"]["Fn::Sub"]
    assert path == f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/wechat-scrm-{STAGE}/*"
    for lid, fn in functions_of(template).items():  # every function role is under that path
        role = template["Resources"][fn["Properties"]["Role"]["Fn::GetAtt"][0]]
        assert role["Properties"]["Path"] == f"/wechat-scrm-{STAGE}/", lid
    services = [{"Fn::Sub": f"{s}.${{AWS::Region}}.amazonaws.com"} for s in ("dynamodb", "sqs", "ssm")]
    assert functions["Condition"]["StringEquals"]["kms:ViaService"] == services
    operators = policy.pop("OperatorsThroughServices")  # the deployer (tables' grants), scrm_cli bootstrap / dlq
    assert operators["Principal"]["Fn::If"][0] == "HasKeyOperators"
    assert operators["Condition"]["StringEquals"]["kms:ViaService"] == services
    logs = policy.pop("LogsForTheStageLogGroups")
    assert logs["Principal"] == {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}}
    groups = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert [g["Fn::Sub"].rsplit(":log-group:", 1)[1] for g in groups] == [
        f"/aws/lambda/wechat-scrm-{STAGE}-*", f"/aws/apigateway/wechat-scrm-{STAGE}-access"]
    describe = policy.pop("DynamoDbDescribes")
    assert describe["Action"] == ["kms:DescribeKey"]
    assert policy == {}, "a statement nobody reviewed"


def test_no_kms_grant_on_any_resource_but_the_data_key(template):
    for lid in functions_of(template):
        for st in statements(template, lid):
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if any(a.startswith("kms:") for a in actions):
                assert st["Resource"] == [KEY_ARN], (lid, st)
                assert set(st["Condition"]) == {"StringEquals"} and set(st["Condition"]["StringEquals"]) == {
                    "kms:ViaService"}, (lid, st)  # through a service only: no function calls KMS itself
                assert all(a in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey") for a in actions), (lid, st)


def _granted(template: dict, lid: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for st in kms_statements(template, lid):
        service = st["Condition"]["StringEquals"]["kms:ViaService"]["Fn::Sub"].split(".", 1)[0]
        out.setdefault(service, set()).update(st["Action"])
    return out


def test_roles_decrypt_what_they_read_and_encrypt_only_what_they_write(template):
    recorded = access.load()
    for lid in functions_of(template):
        needs, consumes = recorded[lid], consumed(template, lid)
        want: dict[str, set[str]] = {}
        if consumes or needs["send_to"]:  # an encrypted queue's messages are decrypted on receive
            want["sqs"] = {"kms:Decrypt"} | ({"kms:GenerateDataKey"} if needs["send_to"] else set())
        ssm = set(needs["ssm"])
        if ssm & {"GetParameter", "GetParameters", "GetParametersByPath"}:  # SecureStrings read with decryption
            want["ssm"] = {"kms:Decrypt"}
        if "PutParameter" in ssm:
            want.setdefault("ssm", set()).add("kms:Encrypt")
        if any(needs["tables"].values()):
            want["dynamodb"] = {"kms:Decrypt"}
        assert _granted(template, lid) == want, lid
    # the roles that read secrets and consume queues are there to check
    assert _granted(template, "HandleEvents")["sqs"] >= {"kms:Decrypt"}
    assert _granted(template, "HandleEvents")["ssm"] == {"kms:Decrypt"}
    assert _granted(template, "APIHandler")["ssm"] == {"kms:Decrypt", "kms:Encrypt"}


def test_the_functions_that_write_secure_strings_are_told_the_key(template):
    recorded = access.load()
    writers = {lid for lid, n in recorded.items() if "PutParameter" in n["ssm"]}
    assert writers == {"APIHandler"}
    for lid, fn in functions_of(template).items():
        variables = fn["Properties"]["Environment"]["Variables"]
        assert variables.get("SCRM_KMS_KEY_ID") == ({"Ref": "DataKey"} if lid in writers else None), lid
