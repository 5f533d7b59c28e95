"""A loopback listener that runs one task per connection: the demo's and the tests' servers.

Both servers start the same way (127.0.0.1, port 0 picks a free one), end every open session
on :meth:`LoopbackListener.stop` (nothing a session marked is committed) and can run on an
event loop of their own in a daemon thread for synchronous callers. They differ only in the
session a connection gets: :meth:`LoopbackListener.serve_connection`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, Self

LOOPBACK = "127.0.0.1"


class LoopbackListener:
    """One listening loopback port; subclasses say what serves each connection."""

    host = LOOPBACK
    thread_name = "pop3-listener"

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def listening_tls(self) -> ssl.SSLContext | None:
        """The context for TLS from the first byte (implicit TLS), or None for plain TCP."""
        return None

    async def serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Talk to one client until it leaves."""
        raise NotImplementedError

    # Life cycle on the caller's event loop

    async def start(self) -> Self:
        """Listen on 127.0.0.1 (port 0 picks a free one, stored in ``.port``)."""
        self._server = await asyncio.start_server(
            self._accept, LOOPBACK, self.port, ssl=self.listening_tls()
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and end every open session (nothing they marked is committed)."""
        if self._server is not None:
            self._server.close()
        sessions = list(self._tasks)
        for task in sessions:
            task.cancel()
        await asyncio.gather(*sessions, return_exceptions=True)
        await asyncio.sleep(0)  # let the connection handlers see their sessions end
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # The session runs in a task of its own that stop() may cancel; cancelling the task
        # asyncio.start_server created instead makes Python 3.11 log a spurious traceback.
        task = asyncio.create_task(self.serve_connection(reader, writer))
        self._tasks.add(task)
        try:
            await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise
        finally:
            self._tasks.discard(task)

    # Life cycle in a background thread, for synchronous callers

    @contextlib.contextmanager
    def background(self) -> Iterator[Self]:
        """Run the server on its own event loop in a daemon thread while the block runs."""
        with serve_in_thread(self.start, self.stop, name=f"{self.thread_name}-{id(self):x}"):
            yield self


@contextlib.contextmanager
def serve_in_thread(
    start: Callable[[], Coroutine[Any, Any, object]],
    stop: Callable[[], Coroutine[Any, Any, None]],
    *,
    name: str,
) -> Iterator[None]:
    """Run ``start()`` on a new event loop in a daemon thread; ``stop()`` there on exit."""
    started = threading.Event()
    failure: list[BaseException] = []
    control: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    async def serve() -> None:
        stop_requested = asyncio.Event()
        try:
            await start()
        except BaseException as error:
            failure.append(error)
            started.set()
            return
        control.append((asyncio.get_running_loop(), stop_requested))
        started.set()
        await stop_requested.wait()
        await stop()

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True, name=name)
    thread.start()
    started.wait()
    if failure:
        thread.join()
        raise failure[0]
    loop, stop_requested = control[0]
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop_requested.set)
        thread.join(timeout=10)
