"""boto3 clients, created once per container and only when first used (boto3 is costly to set up).

The clients are slots of the composition root (`aws:<service>`, scrm.bootstrap): `bootstrap.reset()` forgets them.
"""

from .bootstrap import container
from .config import settings


def client(service: str):
    """The container's boto3 client for `service`."""
    return container().slot(f"aws:{service}", lambda _: _boto3_client(service))


def _boto3_client(service: str):
    import boto3

    return boto3.client(service, region_name=settings().region)
