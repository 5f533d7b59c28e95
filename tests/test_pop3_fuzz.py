"""Property tests of the response parser: garbage only ever raises ProtocolError, never hangs,
and byte-stuffing round-trips exactly however the stream is chunked."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_mail.pop3.errors import ProtocolError
from tui_mail.pop3.protocol import (
    ConnectionClosed,
    DataChunk,
    DataEnd,
    Expect,
    NeedData,
    ResponseParser,
    Status,
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes biased towards what matters to POP3 framing.
framing_bytes = st.lists(
    st.sampled_from(
        [
            b"\r",
            b"\n",
            b".",
            b"+OK",
            b"-ERR",
            b"+ ",
            b"[",
            b"]",
            b"\r\n.\r\n",
            b"\0",
            b"x",
            b" ",
            b"\xff",
        ]
    )
    | st.binary(max_size=8),
    max_size=60,
).map(b"".join)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    pieces, start = [], 0
    for point in [*points, len(data)]:
        pieces.append(data[start:point])
        start = point
    return pieces


def run_parser(parser: ResponseParser, chunks: list[bytes]) -> list[object]:
    """Feed every chunk, then EOF; each next_event call must make progress or ask for data."""
    events: list[object] = []
    budget = 10 * (sum(len(c) for c in chunks) + len(chunks) + 10)
    for chunk in [*chunks, None]:
        if chunk is None:
            parser.feed_eof()
        else:
            parser.feed(chunk)
        while True:
            budget -= 1
            assert budget > 0, "parser is not making progress"
            event = parser.next_event()
            if isinstance(event, NeedData):
                assert chunk is not None, "NEED_DATA after EOF would hang the client"
                break
            events.append(event)
            if isinstance(event, ConnectionClosed):
                return events
    raise AssertionError("no ConnectionClosed after EOF")


@FAST
@given(
    data=st.one_of(framing_bytes, st.binary(max_size=300)),
    cuts=st.lists(st.integers(min_value=0), max_size=12),
    kinds=st.lists(st.sampled_from(list(Expect)), max_size=6),
)
def test_arbitrary_bytes_raise_only_protocol_error(
    data: bytes, cuts: list[int], kinds: list[Expect]
) -> None:
    parser = ResponseParser()
    for kind in kinds:
        parser.expect(kind)
    try:
        run_parser(parser, split(data, cuts))
    except ProtocolError:
        pass


line_text = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@FAST
@given(lines=st.lists(line_text, max_size=20), cuts=st.lists(st.integers(min_value=0), max_size=15))
def test_stuffing_round_trips_under_any_chunking(lines: list[bytes], cuts: list[int]) -> None:
    body = b"".join(line + b"\r\n" for line in lines)
    stuffed = b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)
    wire = b"+OK\r\n" + stuffed + b".\r\n" + b"+OK next\r\n"
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.expect(Expect.SINGLE)
    events = run_parser(parser, split(wire, cuts))
    data = b"".join(e.data for e in events if isinstance(e, DataChunk))
    assert data == body
    assert [type(e) for e in events if not isinstance(e, DataChunk)] == [
        Status,
        DataEnd,
        Status,
        ConnectionClosed,
    ]
    assert all(e.data.endswith(b"\r\n") for e in events if isinstance(e, DataChunk))
