"""Free TCP ports for test servers: tests never hard-code a port (other runs share the machine)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port the OS just handed out on 127.0.0.1 (free now; bind it soon)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
