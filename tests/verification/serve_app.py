"""Run one app instance in its own process for multi-instance tests: `python -m ... PORT CONFIG`."""

from __future__ import annotations

import json
import sys

from werkzeug.serving import make_server

from traceability.web.app import create_app


def main() -> None:
    port, config = int(sys.argv[1]), json.loads(sys.argv[2])
    server = make_server("127.0.0.1", port, create_app(config), threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
