"""A multi-line answer buffered whole is taken in one step, with exactly the events' result.

``ResponseParser.next_whole_answer`` is the cold sync's fast path (20,000 pipelined TOP
answers, most of them already complete in the buffer); it must give what ``next_event``
gives as Status, DataChunks and DataEnd, consume nothing when it does not apply, and the
connection must still hold every answer to its announced bound.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_pop3_fuzz import split
from tui_mail.pop3.bounds import message_bound
from tui_mail.pop3.connection import Connection, _StreamProtocol
from tui_mail.pop3.errors import AnswerTooLong
from tui_mail.pop3.protocol import (
    DataChunk,
    DataEnd,
    Expect,
    NeedData,
    ResponseParser,
    Status,
    encode_command,
)

Answer = tuple[bool, bytes, bytes | None]  # ok, status line, data (None for no data part)


def read_all(chunks: list[bytes], kinds: list[Expect], *, whole_first: bool) -> list[Answer]:
    """Every answer, feeding ``chunks`` one at a time, by events or whole where it can be.

    An answer whose events began is finished by events, as the client does.
    """
    parser = ResponseParser()
    for kind in kinds:
        parser.expect(kind)
    answers: list[Answer] = []
    current: tuple[Status, list[bytes]] | None = None
    for chunk in chunks:
        parser.feed(chunk)
        while parser.pending:
            if whole_first and current is None:
                whole = parser.next_whole_answer()
                if whole is not None:
                    answers.append((True, whole[0].raw, whole[1]))
                    continue
            event = parser.next_event()
            if isinstance(event, NeedData):
                break
            if isinstance(event, Status):
                if event.ok and parser.mid_response:
                    current = (event, [])
                else:
                    answers.append((event.ok, event.raw, None))
            elif isinstance(event, DataChunk):
                assert current is not None
                current[1].append(event.data)
            elif isinstance(event, DataEnd):
                assert current is not None
                answers.append((True, current[0].raw, b"".join(current[1])))
                current = None
    return answers


line_text = st.binary(max_size=30).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
no_lines: list[bytes] = []
answer_parts: st.SearchStrategy[tuple[str, list[bytes]]] = st.one_of(
    st.tuples(st.just("multi"), st.lists(line_text | st.sampled_from([b".", b"..x"]), max_size=8)),
    st.tuples(st.just("error"), st.just(no_lines)),
    st.tuples(st.just("single"), st.just(no_lines)),
)


def wire_of(parts: list[tuple[str, list[bytes]]]) -> tuple[bytes, list[Expect]]:
    wire, kinds = b"", []
    for shape, lines in parts:
        if shape == "multi":
            stuffed = b"".join(
                (b"." if line[:1] == b"." else b"") + line + b"\r\n" for line in lines
            )
            wire += b"+OK %d octets\r\n" % len(stuffed) + stuffed + b".\r\n"
            kinds.append(Expect.MULTI)
        elif shape == "error":
            wire += b"-ERR [SYS/TEMP] no such message\r\n"
            kinds.append(Expect.MULTI)
        else:
            wire += b"+OK\r\n"
            kinds.append(Expect.SINGLE)
    return wire, kinds


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(answer_parts, min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=0), max_size=10),
)
def test_whole_answers_equal_the_events_under_any_chunking(
    parts: list[tuple[str, list[bytes]]], cuts: list[int]
) -> None:
    wire, kinds = wire_of(parts)
    chunks = split(wire, cuts)
    by_events = read_all(chunks, kinds, whole_first=False)
    assert len(by_events) == len(parts)
    assert read_all(chunks, kinds, whole_first=True) == by_events


def test_pipelined_answers_buffered_whole_are_each_one_step() -> None:
    wire, kinds = wire_of([("multi", [b"a", b".hidden", b""]), ("multi", []), ("multi", [b"z"])])
    parser = ResponseParser()
    for kind in kinds:
        parser.expect(kind)
    parser.feed(wire)
    taken = [parser.next_whole_answer() for _ in kinds]
    assert [(answer[0].raw, answer[1]) for answer in taken if answer is not None] == [
        (b"+OK 15 octets", b"a\r\n.hidden\r\n\r\n"),
        (b"+OK 0 octets", b""),
        (b"+OK 3 octets", b"z\r\n"),
    ]
    assert parser.pending == 0 and parser.buffered == 0


@pytest.mark.parametrize(
    ("kind", "wire"),
    [
        (Expect.MULTI, b"+OK\r\nsome data\r\n"),  # no terminator yet
        (Expect.MULTI, b"+OK 5 oct"),  # no status line end yet
        (Expect.MULTI, b"-ERR no such message\r\n"),
        (Expect.MULTI, b"garbage\r\n.\r\n"),
        (Expect.SINGLE, b"+OK\r\n.\r\n"),
        (Expect.SASL, b"+OK\r\n.\r\n"),
    ],
)
def test_anything_else_is_left_to_the_events(kind: Expect, wire: bytes) -> None:
    parser = ResponseParser()
    parser.expect(kind)
    parser.feed(wire)
    assert parser.next_whole_answer() is None
    assert (parser.buffered, parser.pending) == (len(wire), 1)


def test_nothing_is_taken_while_an_answer_is_being_read_by_events() -> None:
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.feed(b"+OK\r\nfirst\r\n")
    assert isinstance(parser.next_event(), Status)
    parser.feed(b".\r\n")
    assert parser.next_whole_answer() is None  # its data part comes by events
    assert isinstance(parser.next_event(), DataChunk)


class _Transport(asyncio.Transport):
    """Takes writes, records an abort: the connection's side of a stream, without a socket."""

    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        pass

    def abort(self) -> None:
        self.aborted = True


def buffered(wire: bytes, log: list[tuple[str, str]]) -> tuple[Connection, _Transport]:
    """A connection whose parser holds ``wire`` as the answers to pipelined TOPs."""
    transport = _Transport()
    protocol = _StreamProtocol(ResponseParser(), low_latency=False)
    protocol.connection_made(transport)
    conn = Connection(
        protocol,
        host="127.0.0.1",
        port=110,
        timeout=5.0,
        protocol_log=lambda direction, line: log.append((direction, line)),
    )
    conn.send([encode_command("TOP", "1", "0"), encode_command("TOP", "2", "0")], Expect.MULTI)
    protocol.data_received(wire)
    return conn, transport


def test_a_whole_answer_past_its_announced_bound_drops_the_connection() -> None:
    limit = message_bound(100)
    wire = b"+OK\r\nSubject: a\r\n.\r\n+OK\r\nX-Pad: " + b"p" * limit + b"\r\n.\r\n"
    log: list[tuple[str, str]] = []
    conn, transport = buffered(wire, log)
    first = conn.whole_answer("TOP", 1, limit=limit, keep=None)
    assert first is not None and first[1] == b"Subject: a\r\n"
    with pytest.raises(AnswerTooLong, match="more than it announced for TOP 2") as caught:
        conn.whole_answer("TOP", 2, limit=limit, keep=None)
    assert caught.value.number == 2
    assert conn.closed and transport.aborted
    assert log[-1] == ("S", f"[more than {limit} bytes: connection dropped]")


def test_a_whole_answer_is_logged_and_kept_as_status_and_collect_would() -> None:
    body = b"Subject: x\r\n\r\n"
    wire = b"+OK 14 octets\r\n" + body + b".\r\n"
    log: list[tuple[str, str]] = []
    conn, _transport = buffered(wire + wire, log)
    answer = conn.whole_answer("TOP", 1, limit=len(body), keep=5)
    assert answer is not None and (answer[0].raw, answer[1]) == (b"+OK 14 octets", body[:5])
    whole = log[-3:]
    assert whole == [("S", "+OK 14 octets"), ("S", f"[{len(body)} bytes of data]"), ("S", ".")]

    async def by_events() -> bytes:
        await conn.status("TOP 2")
        return await conn.collect("TOP 2", limit=len(body), keep=5)

    assert asyncio.run(by_events()) == body[:5]
    assert log[-3:] == whole
