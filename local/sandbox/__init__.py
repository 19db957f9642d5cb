"""WeChat sandbox: a local, stateful double of the OA and WeCom server APIs with the real wire format."""

from .client import SandboxClient
from .server import Sandbox, SandboxServer

__all__ = ["Sandbox", "SandboxServer", "SandboxClient"]
