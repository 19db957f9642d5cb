"""boto3 clients, created once per container and only when first used (boto3 is costly to set up)."""

from functools import cache

from .config import settings


@cache
def client(service: str):
    import boto3

    return boto3.client(service, region_name=settings().region)


def reset_clients() -> None:
    client.cache_clear()
