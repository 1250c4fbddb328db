"""Run the origin or one edge as a process.

The origin is granian (embedded) serving its raw ASGI app. An edge runs on its own data plane
(cdn/data_plane.py: hits by sendfile, the rest through the same ASGI app) unless
`cdn.data_plane` is `granian`, which serves the edge's ASGI app as the origin's is.

`run_edge(settings, name)` / `run_origin(settings)` block until SIGTERM or SIGINT; they are what
the supervisor's `vodstack serve edge-eu-1` calls. `python -m vodstack.cdn.server NAME
--settings-stdin` does the same with settings JSON read from stdin (tests and benchmarks use
it, so the secret never appears in argv or the environment).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from granian.constants import Interfaces
from granian.log import LogLevels
from granian.server.embed import Server

from vodstack.cdn.data_plane import serve_edge
from vodstack.cdn.edge import create_edge_app
from vodstack.cdn.origin import create_origin_app
from vodstack.config import Settings, load_settings
from vodstack.config.secrets import with_secrets
from vodstack.config.settings import DataPlaneKind
from vodstack.core.context import configure_logging
from vodstack.core.metrics import ASGIApp
from vodstack.delivery.topology import ORIGIN, Topology


async def serve(app: ASGIApp, host: str, port: int, threads: int = 1) -> None:
    """Serve `app` in this event loop until SIGTERM/SIGINT."""
    server = Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        runtime_threads=threads,
        log_level=LogLevels.warning,
        websockets=False,
        backlog=2048,
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.stop)
    await server.serve()


def run_edge(settings: Settings, name: str) -> None:
    """Serve edge `name` of the configured topology until stopped."""
    node = Topology.from_settings(settings).edge(name)
    app = create_edge_app(settings, name)
    # One log line per upstream request is noise at edge request rates.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if settings.cdn.data_plane is DataPlaneKind.SENDFILE:
        edge = serve_edge(app, app, app.startup, app.shutdown, settings.host, node.port)
        asyncio.run(edge)
    else:
        asyncio.run(serve(app, settings.host, node.port, settings.cdn.server_threads))


def run_origin(settings: Settings, name: str = ORIGIN) -> None:
    """Serve the object store until stopped."""
    app = create_origin_app(settings)
    asyncio.run(serve(app, settings.host, settings.port(ORIGIN), settings.cdn.server_threads))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m vodstack.cdn.server")
    parser.add_argument("name", help="origin, or an edge name such as edge-eu-1")
    parser.add_argument("--settings-stdin", action="store_true", help="read settings JSON on stdin")
    args = parser.parse_args(argv)
    if args.settings_stdin:
        settings = Settings.from_child_json(sys.stdin.read())
    else:
        settings = with_secrets(load_settings())
    configure_logging(args.name, settings.log_level)
    if args.name == ORIGIN:
        run_origin(settings)
    else:
        run_edge(settings, args.name)


if __name__ == "__main__":
    main()
