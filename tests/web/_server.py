"""The real app served by uvicorn on loopback in a thread: started, stopped and started
again on the same port (for the remote SDK's outage test and the browser tests)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _ClosingServer(uvicorn.Server):
    """A uvicorn server that closes every connection it still holds when it stops.

    uvicorn gives connections ``timeout_graceful_shutdown`` to finish and then returns with
    the rest still open (a client mid-request when the server stops, as in an outage test);
    their sockets are then closed only by the garbage collector, as a ResourceWarning in
    whichever test runs at that moment."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        for connection in list(self.server_state.connections):
            connection.transport.abort()
        await asyncio.sleep(0)  # the loop runs the aborts' callbacks, which close the sockets


class LiveServer:
    def __init__(self, app: ASGIApp, port: int | None = None) -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: _ClosingServer | None = None
        self._thread: threading.Thread | None = None
        self._hold: socket.socket | None = None

    def start(self) -> LiveServer:
        if self._hold is not None:
            self._hold.close()
            self._hold = None
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            ws="none",
            http="h11",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        self._server = _ClosingServer(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving but keep the port, to start again on it (an outage)."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(15)
        if self._thread.is_alive():
            raise RuntimeError("the server did not stop")
        self._server = self._thread = None
        # Keep the port while stopped (bound, not listening: connections are refused), so
        # no other test's server takes it before this one starts again.
        self._hold = socket.socket()
        self._hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._hold.bind(("127.0.0.1", self.port))

    def close(self) -> None:
        """Stop (if running) and give the port back."""
        self.stop()
        if self._hold is not None:
            self._hold.close()
            self._hold = None
