"""The one list of shared tables, and helpers that create or describe them from the PynamoDB models."""

from __future__ import annotations

import importlib
import pkgutil

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from ..config import settings

_MODELS: list[type[Model]] = []


def table(name: str):
    """Class decorator: bind a model to the stage's table `name` and register it."""

    def bind(model: type[Model]) -> type[Model]:
        cfg = settings()
        model.Meta.table_name = cfg.table_name(name)
        model.Meta.region = cfg.region
        model.Meta.billing_mode = "PAY_PER_REQUEST"
        model.logical_name = name
        if model not in _MODELS:
            _MODELS.append(model)
        return model

    return bind


def all_models() -> list[type[Model]]:
    """Import every data module so each registers its model, then return them all."""
    package = importlib.import_module(__package__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "registry":
            importlib.import_module(f"{__package__}.{info.name}")
    return list(_MODELS)


def ttl_attribute(model: type[Model]) -> str | None:
    for name, attr in model.get_attributes().items():
        if isinstance(attr, TTLAttribute):
            return attr.attr_name or name
    return None


def ensure_tables(wait: bool = True) -> list[str]:
    """Create any missing table (idempotent); used by the local stack and tests, never in Lambda."""
    import boto3

    created = []
    for model in all_models():
        if not model.exists():
            model.create_table(wait=wait)
            created.append(model.Meta.table_name)
            ttl = ttl_attribute(model)
            if ttl:
                boto3.client("dynamodb", region_name=model.Meta.region).update_time_to_live(
                    TableName=model.Meta.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
                )
    return created


def cloudformation_table(model: type[Model]) -> dict:
    """The AWS::DynamoDB::Table resource for a model (keys, indexes, TTL, streams off, PITR on)."""
    schema = model._get_schema()
    props = {
        "TableName": model.Meta.table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
            for a in schema["attribute_definitions"]
        ],
        "KeySchema": [
            {"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]}
            for k in sorted(schema["key_schema"], key=lambda k: k["KeyType"] != "HASH")  # HASH first
        ],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    def index(i: dict) -> dict:
        # PynamoDB 6 describes indexes in snake_case (index_name, key_schema, projection); HASH must come first.
        keys = i.get("key_schema") or i.get("KeySchema")
        return {
            "IndexName": i.get("index_name") or i.get("IndexName"),
            "KeySchema": [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]}
                          for k in sorted(keys, key=lambda k: k["KeyType"] != "HASH")],
            "Projection": i.get("projection") or i.get("Projection"),
        }

    for key, prop in (("global_secondary_indexes", "GlobalSecondaryIndexes"),
                      ("local_secondary_indexes", "LocalSecondaryIndexes")):
        if schema.get(key):
            props[prop] = [index(i) for i in schema[key]]
    ttl = ttl_attribute(model)
    if ttl:
        props["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": props}
