"""boto3 clients, created once per container and only when first used (boto3 is costly to set up).

The clients are slots of the composition root (`scrm.bootstrap.aws_client`): `bootstrap.reset()` forgets them.
"""

from .bootstrap import aws_client


def client(service: str):
    return aws_client(service)
