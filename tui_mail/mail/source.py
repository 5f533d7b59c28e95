"""Where the raw message comes from: bytes, or a file we map instead of reading.

A regular file is memory-mapped (read-only): the parser only touches the pages it looks
at, so listing a 15 MB attachment costs neither 15 MB of memory nor the time to copy it.
Other streams (pipes, sockets) are read, up to a bound.

Line endings are settled here, once, for every layer above: CRLF and LF are what the parser
expects; a message written with old-Mac CR-only line ends (which would otherwise parse as
one endless header line, a blank page) is rewritten with LF. The check reads only the first
64 KiB, so ordinary messages (and their maps) are passed on untouched.
"""

from __future__ import annotations

import io
import mmap
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from tui_mail.mail.transfer import Buffer

MAX_READ_BYTES = 512 << 20
LINE_END_SAMPLE = 64 << 10

# A CR that ends a line on its own: not part of CRLF, nor of the CRCRLF buggy mailers write.
_LONE_CR = re.compile(rb"\r(?![\r\n])")
_CR_BEFORE_LF = re.compile(rb"\r+\n")

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


def uses_cr_line_ends(data: Buffer) -> bool:
    """Does ``data`` end its lines with a bare CR (old Mac OS), judging by its first 64 KiB?

    Two bare CRs (or one in text with no LF at all) make it so; a stray CR in an
    otherwise LF or CRLF message is left alone, for the sanitiser to show.
    """
    sample = data[:LINE_END_SAMPLE]
    carriage_returns = sample.count(b"\r")
    if carriage_returns == 0 or carriage_returns == sample.count(b"\r\n"):
        return False  # the usual case, at C speed
    lone = len(_LONE_CR.findall(sample))
    return lone >= 2 or (lone == 1 and b"\n" not in sample)


def normalize_line_ends(data: Buffer) -> Buffer:
    """``data`` with CR-only line ends rewritten as LF (a copy); otherwise ``data`` itself."""
    if not uses_cr_line_ends(data):
        return data
    return _CR_BEFORE_LF.sub(b"\n", bytes(data)).replace(b"\r", b"\n")


@contextmanager
def open_source(raw: RawMessage, *, max_read_bytes: int = MAX_READ_BYTES) -> Iterator[Buffer]:
    """The message as a buffer (bytes or a read-only map) for the duration of the block.

    Streams that are not regular files are read from their current position, at most
    ``max_read_bytes`` (a bigger input is cut there; the parser then reports the damage).
    """
    if isinstance(raw, bytes):
        yield normalize_line_ends(raw)
        return
    if isinstance(raw, bytearray | memoryview):
        yield normalize_line_ends(bytes(raw))
        return
    fd = _regular_file_fd(raw)
    if fd is not None:
        with mmap.mmap(fd, 0, access=mmap.ACCESS_READ) as mapped:
            yield normalize_line_ends(mapped)
        return
    data = raw.read(max_read_bytes)
    yield normalize_line_ends(data if isinstance(data, bytes) else bytes(data or b""))
