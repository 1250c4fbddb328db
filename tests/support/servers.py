"""An ASGI app served by uvicorn in a thread, for tests that need a real socket.

In-process `TestClient`s skip the HTTP wire; tests about keep-alive, proxies or dropped
connections need real bytes on a real port, without the cost of a subprocess.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from tests.support.ports import free_port
from tests.support.waiting import eventually


@contextmanager
def serve_in_thread(
    app: Any, *, config: uvicorn.Config | None = None, start_timeout_s: float = 20.0, **options: Any
) -> Iterator[str]:
    """Serve `app` (or a ready `config`) on a free port; yield its base URL; stop on exit."""
    if config is None:
        options.setdefault("log_level", "warning")
        config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def started() -> bool:
        assert thread.is_alive(), "the test server exited while starting"
        return bool(server.started)

    eventually(started, timeout_s=start_timeout_s, interval_s=0.02, message="server did not start")
    try:
        yield f"http://{config.host}:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
