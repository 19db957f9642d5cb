"""Our moto patch keeps DynamoDB's transaction semantics: all or nothing, items restored on cancel."""

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def table(aws):
    ddb = boto3.client("dynamodb", region_name="ap-east-1")
    ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}])
    ddb.put_item(TableName="t", Item={"pk": {"S": "stock"}, "sk": {"S": "p1"}, "n": {"N": "1"}})
    return ddb


def items(ddb):
    return sorted((i["pk"]["S"], i["sk"]["S"], i.get("n", {}).get("N")) for i in ddb.scan(TableName="t")["Items"])


def test_cancelled_transaction_restores_every_addressed_item(table):
    before = items(table)
    with pytest.raises(ClientError, match="TransactionCanceled"):
        table.transact_write_items(TransactItems=[
            {"Update": {"TableName": "t", "Key": {"pk": {"S": "stock"}, "sk": {"S": "p1"}},
                        "UpdateExpression": "SET n = n - :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": "t", "Item": {"pk": {"S": "win"}, "sk": {"S": "u1"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": {"pk": {"S": "limit"}, "sk": {"S": "u1"}},
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert items(table) == before


def test_committed_transaction_applies_all(table):
    table.transact_write_items(TransactItems=[
        {"Update": {"TableName": "t", "Key": {"pk": {"S": "stock"}, "sk": {"S": "p1"}},
                    "UpdateExpression": "SET n = n - :one", "ConditionExpression": "n > :zero",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":zero": {"N": "0"}}}},
        {"Put": {"TableName": "t", "Item": {"pk": {"S": "win"}, "sk": {"S": "u1"}}}},
    ])
    assert items(table) == [("stock", "p1", "0"), ("win", "u1", None)]
