"""A loopback TCP relay for tests that watch, or cut, what the client sends to a server,
or that slow the server's answers down to a given rate (a slow link, without timing anything).
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Self


class LoopbackRelay:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target_port``.

    Subclasses override :meth:`client_sent`: it sees every chunk from the client and returns
    False to hang up both ends instead of forwarding that chunk.
    """

    def __init__(self, target_port: int, *, downstream_rate: float | None = None) -> None:
        self.target_port = target_port
        self.downstream_rate = downstream_rate  # bytes per second from the server, or unlimited
        self.port = 0
        self._server: asyncio.Server | None = None

    def client_sent(self, data: bytes) -> bool:
        """Called for each chunk from the client; False cuts the connection."""
        return True

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)

        def hang_up() -> None:
            # Both ends, whichever side went first and however (EOF, or a reset that makes
            # read/drain raise): a server left connected to a relay that no longer reads
            # would block writing forever and keep its mailbox locked ([IN-USE]) for good.
            server_w.close()
            client_w.close()

        async def upstream() -> None:
            try:
                while data := await client_r.read(65536):
                    if not self.client_sent(data):
                        break
                    server_w.write(data)
                    await server_w.drain()
            finally:
                hang_up()

        async def downstream() -> None:
            rate = self.downstream_rate
            free_at = time.monotonic()
            try:
                while data := await server_r.read(4096 if rate else 65536):
                    if rate:  # as a slow line: each chunk leaves after the ones before it
                        free_at = max(free_at, time.monotonic()) + len(data) / rate
                        await asyncio.sleep(max(0.0, free_at - time.monotonic()))
                    client_w.write(data)
                    await client_w.drain()
            finally:
                hang_up()

        await asyncio.gather(upstream(), downstream(), return_exceptions=True)
