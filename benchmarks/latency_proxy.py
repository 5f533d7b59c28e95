"""A TCP proxy on loopback that delays every chunk by a fixed one-way latency.

It models a long link (RTT = 2 x delay), which is what makes one-command-at-a-time POP3 slow:
every command waits a full round trip. With ``bandwidth`` (bytes per second, each direction)
it also shapes the link: bytes leave one after another at that rate, queueing behind each
other as on a slow line (a message asked for waits behind answers already on their way).
Order is preserved per direction. Used only by the benchmark scripts, always on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator


class LatencyProxy:
    """Forward 127.0.0.1:<port> to a target, adding ``one_way`` seconds in each direction."""

    def __init__(
        self, target_host: str, target_port: int, one_way: float, bandwidth: float | None = None
    ) -> None:
        self.target = (target_host, target_port)
        self.one_way = one_way
        self.bandwidth = bandwidth
        self.port = 0
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            server_r, server_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.close()
            return
        pipes = asyncio.gather(
            self._pipe(client_r, server_w), self._pipe(server_r, client_w), return_exceptions=True
        )
        try:
            await pipes
        except asyncio.CancelledError:  # stop(): end quietly, the benchmark is over
            pipes.cancel()
            client_w.close()
            server_w.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                if not data:
                    with contextlib.suppress(OSError):
                        writer.close()
                    return
                writer.write(data)
                with contextlib.suppress(OSError):
                    await writer.drain()

        sender = asyncio.create_task(deliver())
        link_free = 0.0  # when the shaped link has sent everything queued so far
        piece = 4096 if self.bandwidth else 65536
        try:
            while True:
                data = await reader.read(65536)
                if not data or not self.bandwidth:
                    queue.put_nowait((max(link_free, time.monotonic()) + self.one_way, data))
                    if not data:
                        break
                    continue
                for start in range(0, len(data), piece):
                    chunk = data[start : start + piece]
                    link_free = max(link_free, time.monotonic()) + len(chunk) / self.bandwidth
                    queue.put_nowait((link_free + self.one_way, chunk))
        except OSError:
            queue.put_nowait((time.monotonic() + self.one_way, b""))
        await sender


@contextlib.contextmanager
def latency_proxy_thread(target_host: str, target_port: int, one_way: float) -> Iterator[int]:
    """Run a proxy in a background thread (for synchronous baselines); yields its port."""
    loop = asyncio.new_event_loop()
    proxy = LatencyProxy(target_host, target_port, one_way)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(proxy.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield proxy.port
    finally:
        asyncio.run_coroutine_threadsafe(proxy.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
