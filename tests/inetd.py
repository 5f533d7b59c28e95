"""A tiny inetd for the tests: one loopback port, one server process per connection.

GNU Mailutils' ``pop3d --inetd`` and popa3d speak POP3 on stdin/stdout; this hands each
accepted socket to a fresh process as both, the way inetd does, on a free port of 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self


class InetdLauncher:
    """Listen on 127.0.0.1:<free port>; ``argv`` serves each connection on its stdin/stdout."""

    host = "127.0.0.1"

    def __init__(self, argv: Sequence[str], *, cwd: Path | None = None) -> None:
        self.argv = list(argv)
        self.cwd = cwd
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(16)
        self.port: int = self._listener.getsockname()[1]
        self._children: list[subprocess.Popen[bytes]] = []
        self.connections = 0  # accepted so far (a test can count login attempts)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="inetd", daemon=True)

    def start(self) -> Self:
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                fd = conn.fileno()
                child = subprocess.Popen(
                    self.argv,
                    stdin=fd,
                    stdout=fd,
                    stderr=subprocess.DEVNULL,
                    cwd=self.cwd,
                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"},
                )
            self._children.append(child)  # the child holds the socket; ours is closed
            self._children = [c for c in self._children if c.poll() is None]

    def wait_idle(self, timeout: float = 15.0) -> None:
        """Wait until every server process has ended (killing any left after ``timeout``).

        A server process can outlive its client: popa3d rewrites its mbox after QUIT, so a
        mailbox reset while one still runs would be overwritten by that older session.
        """
        for child in list(self._children):
            try:
                child.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(timeout=10)
        self._children = [c for c in self._children if c.poll() is None]

    def stop(self) -> None:
        self._stopping.set()
        self._listener.close()
        for child in self._children:
            if child.poll() is None:
                child.kill()
            child.wait(timeout=10)
        self._thread.join(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
