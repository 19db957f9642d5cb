"""The local stack refuses to go on when another program took one of its ports after it checked them (a full run
once saw DescribeTable answered 404 by whatever held the moto port, and every e2e and browser test errored)."""

from __future__ import annotations

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _NotMoto(BaseHTTPRequestHandler):
    def do_GET(self):  # answers every readiness check, as any web server on that port would
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_port_taken_after_the_check_stops_the_stack_with_a_clear_error(monkeypatch):
    from local import stack as local_stack
    from local.stack import LocalStack, free_port

    squatter = ThreadingHTTPServer(("127.0.0.1", 0), _NotMoto)
    threading.Thread(target=squatter.serve_forever, daemon=True).start()
    monkeypatch.setattr(local_stack, "port_in_use", lambda port: False)  # taken between the check and the bind
    stack = LocalStack(moto_port=squatter.server_address[1], sandbox_port=free_port(), api_port=free_port(),
                       control_port=free_port(), schedules=False, quiet=True)
    for name in stack.environment():  # start() sets these in this process: monkeypatch puts them back
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:  # recorded as absent: removed again on undo
            monkeypatch.setenv(name, "")
            monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "path", list(sys.path))
    try:
        with pytest.raises(SystemExit, match="its port was taken"):
            stack.start()
    finally:
        stack.stop()
        squatter.shutdown()
        squatter.server_close()
