"""Make moto's DynamoDB atomic per request, as real DynamoDB is per item.

moto checks a ConditionExpression and then writes without a lock, so two threads can both pass the
same condition; our exactness claims (one token refresh, prize stock never oversold) would then be
tested against a weaker store than production. One lock around every DynamoDB action fixes that
(throughput locally is not the point).
"""

from __future__ import annotations

import threading

_LOCK = threading.RLock()
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self):
        with _LOCK:
            return original(self)

    DynamoHandler.call_action = call_action
    _installed = True


def main() -> None:
    """`python -m local.moto_atomic -p PORT`: moto in server mode with atomic DynamoDB."""
    import logging

    install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per AWS call drowns the banner
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()
