"""Where the raw message comes from: bytes, or a file we map instead of reading.

A regular file is memory-mapped (read-only): the parser only touches the pages it looks
at, so listing a 15 MB attachment costs neither 15 MB of memory nor the time to copy it.
Other streams (pipes, sockets) are read, up to a bound.
"""

from __future__ import annotations

import io
import mmap
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from tui_mail.mail.transfer import Buffer

MAX_READ_BYTES = 512 << 20

RawMessage = bytes | bytearray | memoryview | BinaryIO


def _regular_file_fd(stream: BinaryIO) -> int | None:
    try:
        fd = stream.fileno()
        if stream.tell() != 0:
            return None
        info = os.fstat(fd)
    except (OSError, ValueError, io.UnsupportedOperation, AttributeError):
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
        return None
    return fd


@contextmanager
def open_source(raw: RawMessage, *, max_read_bytes: int = MAX_READ_BYTES) -> Iterator[Buffer]:
    """The message as a buffer (bytes or a read-only map) for the duration of the block.

    Streams that are not regular files are read from their current position, at most
    ``max_read_bytes`` (a bigger input is cut there; the parser then reports the damage).
    """
    if isinstance(raw, bytes):
        yield raw
        return
    if isinstance(raw, bytearray | memoryview):
        yield bytes(raw)
        return
    fd = _regular_file_fd(raw)
    if fd is not None:
        with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mapped:
            yield mapped
        return
    data = raw.read(max_read_bytes)
    yield data if isinstance(data, bytes) else bytes(data or b"")
