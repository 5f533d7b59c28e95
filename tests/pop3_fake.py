"""A tiny scriptable POP3 server for the client unit tests: canned byte exchanges."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from types import TracebackType

from tui_mail.pop3 import POP3Client

Handler = Callable[[bytes, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]
Reply = bytes | Handler

GREETING = b"+OK ready <1896.697170952@dbc.mtview.ca.us>\r\n"
CAPA = b"+OK\r\nTOP\r\nUIDL\r\nUSER\r\nRESP-CODES\r\n.\r\n"
CAPA_PIPELINING = b"+OK\r\nTOP\r\nUIDL\r\nUSER\r\nPIPELINING\r\n.\r\n"


class FakeServer:
    """A tiny POP3 server: canned replies by exact command or verb, or a handler coroutine.

    A handler returns False to end the session. ``commands`` records every line received;
    ``saw_eof`` tells that the client closed without QUIT.
    """

    def __init__(
        self,
        *,
        greeting: bytes = GREETING,
        capa: bytes = CAPA,
        replies: dict[bytes, Reply] | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.greeting = greeting
        self.replies: dict[bytes, Reply] = {
            b"CAPA": capa,
            b"USER": b"+OK\r\n",
            b"PASS": b"+OK logged in\r\n",
            b"NOOP": b"+OK\r\n",
            b"RSET": b"+OK\r\n",
            b"DELE": b"+OK deleted\r\n",
            b"STAT": b"+OK 2 320\r\n",
            b"LIST": list_reply,  # the client bounds RETR/TOP by these sizes
            b"QUIT": b"+OK bye\r\n",
            **(replies or {}),
        }
        self.tls = tls
        self.commands: list[bytes] = []
        self.saw_eof = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> FakeServer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()  # handlers then see EOF and end by themselves
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.append(writer)
        try:
            writer.write(self.greeting)
            while True:
                line = await reader.readline()
                if not line:
                    self.saw_eof = True
                    return
                command = line.rstrip(b"\r\n")
                self.commands.append(command)
                verb = command.split(b" ", 1)[0].upper()
                reply = self.replies.get(command, self.replies.get(verb, b"-ERR what?\r\n"))
                if callable(reply):
                    if not await reply(command, reader, writer):
                        self.saw_eof = reader.at_eof()
                        return
                else:
                    writer.write(reply)
                await writer.drain()
                if verb == b"QUIT":
                    return
        except (ConnectionError, ssl.SSLError):
            self.saw_eof = True
        finally:
            writer.close()

    @property
    def verbs(self) -> list[bytes]:
        return [command.split(b" ", 1)[0] for command in self.commands]


FAKE_SIZE = 100_000


async def list_reply(
    command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    """``LIST n`` or ``LIST``: every message (two, as STAT says) is FAKE_SIZE bytes."""
    parts = command.split()
    if len(parts) > 1:
        writer.write(b"+OK %s %d\r\n" % (parts[1], FAKE_SIZE))
    else:
        writer.write(b"+OK\r\n1 %d\r\n2 %d\r\n.\r\n" % (FAKE_SIZE, FAKE_SIZE))
    return True


async def open_client(server: FakeServer, **options: object) -> POP3Client:
    settings: dict[str, object] = {"tls": "none", "allow_plaintext": True, "timeout": 5.0}
    settings.update(options)
    return await POP3Client.connect("127.0.0.1", server.port, **settings)  # type: ignore[arg-type]


def message(number: int, size: int = 40) -> bytes:
    return b"Subject: message %d\r\n\r\n" % number + b"b" * size + b"\r\n"


def top_reply(command: bytes) -> bytes:
    number = int(command.split()[1])
    return b"+OK\r\n" + message(number) + b".\r\n"


async def serve_top(
    command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    writer.write(top_reply(command))
    return True


def close_with(text: bytes) -> Handler:
    async def handler(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        writer.write(text)
        await writer.drain()
        return False

    return handler


async def never_answer(
    command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> bool:
    await reader.read()  # until the client hangs up
    return False
