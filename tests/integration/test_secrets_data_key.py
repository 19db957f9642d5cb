"""SecureStrings written at account registration (and create-once secrets) use the stage's data key when the
template names one (SCRM_KMS_KEY_ID), and SSM's default key when none is set (the local stack, moto)."""

from __future__ import annotations

import boto3
import pytest

from scrm import secrets
from scrm.config import reset_settings


def stored_key(name: str) -> str:
    (parameter,) = boto3.client("ssm").describe_parameters(
        ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    return parameter["KeyId"]


@pytest.fixture
def data_key(aws, monkeypatch) -> str:
    key_id = boto3.client("kms").create_key(Description="the stage's data key")["KeyMetadata"]["KeyId"]
    monkeypatch.setenv("SCRM_KMS_KEY_ID", key_id)
    reset_settings()
    yield key_id
    monkeypatch.delenv("SCRM_KMS_KEY_ID")
    reset_settings()


def test_registration_secrets_are_written_with_the_configured_key(data_key):
    secrets.put_account_secrets("kms-shop", {"app_secret": "s3cret", "token": "tok"})
    secrets.claim_account_secret("kms-shop", "aes_key", "k" * 43)
    path = secrets._path("kms-shop")
    for name in ("app_secret", "token", "aes_key"):
        assert stored_key(f"{path}/{name}") == data_key, name
    assert secrets.account_secrets("kms-shop") == {"app_secret": "s3cret", "token": "tok", "aes_key": "k" * 43}


def test_campaign_seed_is_claimed_with_the_configured_key(data_key):
    assert secrets.claim_campaign_seed("kms-shop", "c1", "seed-1") == "seed-1"
    assert stored_key(secrets.campaign_seed_path("kms-shop", "c1")) == data_key
    assert secrets.claim_campaign_seed("kms-shop", "c1", "seed-2") == "seed-1"  # still create-once


def test_without_a_configured_key_ssm_uses_its_default_key(aws, monkeypatch):
    monkeypatch.delenv("SCRM_KMS_KEY_ID", raising=False)
    reset_settings()
    secrets.put_account_secrets("plain-shop", {"app_secret": "s3cret"})
    assert stored_key(f"{secrets._path('plain-shop')}/app_secret") == "alias/aws/ssm"
    assert secrets.account_secrets("plain-shop") == {"app_secret": "s3cret"}
