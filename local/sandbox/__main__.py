"""`python -m local.sandbox --host 127.0.0.1 --port 8089`"""

import argparse

from .server import SandboxServer


def main() -> None:
    parser = argparse.ArgumentParser(description="WeChat OA + WeCom sandbox")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args()
    server = SandboxServer(args.host, args.port)
    print(f"WeChat sandbox on {server.url}  (OA base {server.url}/oa, WeCom base {server.url}/wecom)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
