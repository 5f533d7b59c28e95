"""The I/O-free POP3 core: command encoding (injection guard) and the response parser."""

from __future__ import annotations

import pytest

from tui_mail.pop3.errors import InvalidArgument, ProtocolError
from tui_mail.pop3.protocol import (
    DEFAULT_MAX_LINE,
    MAX_COMMAND_OCTETS,
    NEED_DATA,
    Challenge,
    ConnectionClosed,
    DataChunk,
    DataEnd,
    Event,
    Expect,
    NeedData,
    ResponseParser,
    Status,
    encode_command,
    encode_sasl_line,
    parse_status,
)


def drain(parser: ResponseParser) -> list[Event]:
    events: list[Event] = []
    while not isinstance(event := parser.next_event(), NeedData):
        events.append(event)
        if isinstance(event, ConnectionClosed):
            break
    return events


def data_of(events: list[Event]) -> bytes:
    return b"".join(event.data for event in events if isinstance(event, DataChunk))


# -- commands -----------------------------------------------------------------------------------


def test_command_is_name_args_crlf() -> None:
    command = encode_command("TOP", "12", "0")
    assert command.wire == b"TOP 12 0\r\n"
    assert command.log == "TOP 12 0"


@pytest.mark.parametrize("bad", ["a\r\nDELE 1", "a\nb", "a\rb", "a\0b"])
def test_command_rejects_cr_lf_nul(bad: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        encode_command("USER", bad)
    assert bad not in str(info.value) and bad not in repr(info.value)


def test_command_limit_is_255_octets_including_crlf() -> None:
    fits = "x" * (MAX_COMMAND_OCTETS - len("USER \r\n"))
    assert len(encode_command("USER", fits).wire) == MAX_COMMAND_OCTETS
    with pytest.raises(InvalidArgument):
        encode_command("USER", fits + "x")


def test_secret_arguments_are_logged_as_stars() -> None:
    command = encode_command("APOP", "joe", "c4c9334bac560ecc979e58001b3e22fb", secret_from=1)
    assert command.log == "APOP joe ***"
    assert encode_command("PASS", "hunter2", secret_from=0).log == "PASS ***"


def test_sasl_line_is_always_redacted_and_checked() -> None:
    assert encode_sasl_line("AGpvZQBodW50ZXIy").log == "***"
    assert encode_sasl_line("").wire == b"\r\n"
    with pytest.raises(InvalidArgument):
        encode_sasl_line("abc\r\nQUIT")


# -- status lines --------------------------------------------------------------------------------


def test_status_parses_response_code() -> None:
    status = parse_status(b"-ERR [IN-USE] Mailbox is locked")
    assert (status.ok, status.code, status.text) == (False, "IN-USE", "Mailbox is locked")
    hierarchical = parse_status(b"-ERR [SYS/TEMP/disk] later")
    assert hierarchical.code == "SYS/TEMP/DISK"


def test_status_without_text_and_lower_case_indicator() -> None:
    assert parse_status(b"+OK") == Status(ok=True, text="", code=None, raw=b"+OK")
    assert parse_status(b"+ok fine").ok


@pytest.mark.parametrize("line", [b"", b"OK", b"* 1 EXISTS", b"+", b"-ER"])
def test_status_rejects_non_pop3(line: bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_status(line)


# -- parser ----------------------------------------------------------------------------------------


def test_single_line_response() -> None:
    parser = ResponseParser()
    parser.expect(Expect.SINGLE)
    parser.feed(b"+OK 2 320\r\n")
    assert drain(parser) == [Status(True, "2 320", None, b"+OK 2 320")]
    assert parser.pending == 0


def test_multiline_unstuffing_is_exact() -> None:
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.feed(b"+OK\r\n..\r\n...x\r\n.y\r\nplain .\r\n\r\n..\r\n.\r\n")
    events = drain(parser)
    assert isinstance(events[0], Status) and isinstance(events[-1], DataEnd)
    assert data_of(events) == b".\r\n..x\r\ny\r\nplain .\r\n\r\n.\r\n"


def test_empty_multiline_response() -> None:
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.feed(b"+OK\r\n.\r\n")
    assert [type(e) for e in drain(parser)] == [Status, DataEnd]


def test_multiline_error_is_a_single_line() -> None:
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.expect(Expect.SINGLE)
    parser.feed(b"-ERR [SYS/PERM] no such message\r\n+OK\r\n")
    events = drain(parser)
    assert [type(e) for e in events] == [Status, Status]
    assert not events[0].ok and events[1].ok  # type: ignore[union-attr]


def test_byte_by_byte_feeding_gives_the_same_data() -> None:
    wire = b"+OK\r\n..a\r\nb\r\n.\r\n+OK done\r\n"
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.expect(Expect.SINGLE)
    events: list[Event] = []
    for byte in wire:
        parser.feed(bytes([byte]))
        events.extend(drain(parser))
    assert data_of(events) == b".a\r\nb\r\n"
    assert isinstance(events[-1], Status) and events[-1].text == "done"


def test_pipelined_responses_are_matched_in_order() -> None:
    parser = ResponseParser()
    for _ in range(3):
        parser.expect(Expect.MULTI)
    parser.feed(b"+OK\r\nA: 1\r\n.\r\n-ERR gone\r\n+OK\r\nA: 3\r\n.\r\n")
    events = drain(parser)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Status", "DataChunk", "DataEnd", "Status", "Status", "DataChunk", "DataEnd"]
    assert parser.pending == 0


def test_data_chunks_hold_whole_lines_only() -> None:
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.feed(b"+OK\r\nfirst\r\nsecond line is cut")
    events = drain(parser)
    assert data_of(events) == b"first\r\n"
    assert parser.mid_response
    parser.feed(b" here\r\n.\r\n")
    assert data_of(drain(parser)) == b"second line is cut here\r\n"
    assert not parser.mid_response


def test_long_lines_are_accepted_far_beyond_2kb() -> None:
    line = b"X" * 500_000
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.feed(b"+OK\r\n")
    events = drain(parser)
    for start in range(0, len(line), 1000):
        parser.feed(line[start : start + 1000])
        events.extend(drain(parser))
    parser.feed(b"\r\n.\r\n")
    events.extend(drain(parser))
    assert data_of(events) == line + b"\r\n"
    assert isinstance(events[-1], DataEnd)


def test_line_over_the_bound_is_handed_out_in_pieces_with_bounded_memory() -> None:
    """A 3 MiB header line is data, not a framing error (it used to fail every sync)."""
    line = b"..Y" + b"Y" * (3 * DEFAULT_MAX_LINE)  # stuffed: the data line is ".YYY..."
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.expect(Expect.SINGLE)
    parser.feed(b"+OK\r\n")
    events = drain(parser)
    for start in range(0, len(line), 64 * 1024):
        parser.feed(line[start : start + 64 * 1024])
        events.extend(drain(parser))
        assert parser.buffered <= DEFAULT_MAX_LINE + 64 * 1024
    parser.feed(b"\r\n..next\r\n.\r\n+OK after\r\n")
    events.extend(drain(parser))
    assert data_of(events) == line[1:] + b"\r\n.next\r\n"
    assert [type(e) for e in events if not isinstance(e, DataChunk)] == [Status, DataEnd, Status]


def test_a_long_line_cut_before_its_crlf_does_not_end_the_response() -> None:
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.feed(b"+OK\r\n" + b"Z" * (DEFAULT_MAX_LINE + 10) + b"\r")
    events = drain(parser)
    parser.feed(b"\n.\r\n")  # the line ends, then the terminator
    events.extend(drain(parser))
    assert data_of(events) == b"Z" * (DEFAULT_MAX_LINE + 10) + b"\r\n"
    assert isinstance(events[-1], DataEnd)


def test_status_line_without_end_is_bounded_too() -> None:
    parser = ResponseParser()
    parser.expect(Expect.SINGLE)
    parser.feed(b"+OK " + b"z" * DEFAULT_MAX_LINE)
    with pytest.raises(ProtocolError):
        parser.next_event()


def test_max_line_cannot_be_configured_small() -> None:
    with pytest.raises(ValueError):
        ResponseParser(max_line=2048)


def test_sasl_challenges_then_final_status() -> None:
    parser = ResponseParser()
    parser.expect(Expect.SASL)
    parser.feed(b"+ PDE4OTYuNjk3QGhvc3Q+\r\n+\r\n+OK logged in\r\n")
    events = drain(parser)
    assert events[:2] == [Challenge("PDE4OTYuNjk3QGhvc3Q+"), Challenge("")]
    assert isinstance(events[2], Status) and events[2].ok
    assert parser.pending == 0


def test_plus_space_outside_sasl_is_garbage() -> None:
    parser = ResponseParser()
    parser.expect(Expect.SINGLE)
    parser.feed(b"+ abc\r\n")
    with pytest.raises(ProtocolError):
        parser.next_event()


def test_eof_inside_data_reports_trailing_err_line() -> None:
    parser = ResponseParser()
    parser.expect(Expect.MULTI)
    parser.feed(b"+OK\r\nSubject: x\r\n-ERR Server shutting down.\r\n")
    parser.feed_eof()
    events = drain(parser)
    assert events[-1] == ConnectionClosed(mid_response=True, server_text="Server shutting down.")


def test_eof_before_expected_status_carries_partial_err() -> None:
    parser = ResponseParser()
    parser.expect(Expect.SINGLE)
    parser.feed(b"-ERR Disconnected for inactivity.")
    parser.feed_eof()
    assert parser.next_event() == ConnectionClosed(True, "Disconnected for inactivity.")


def test_eof_when_idle() -> None:
    parser = ResponseParser()
    assert parser.next_event() is NEED_DATA
    parser.feed_eof()
    assert parser.next_event() == ConnectionClosed(mid_response=False)


def test_unsolicited_bytes_are_noticed_not_parsed() -> None:
    parser = ResponseParser()
    parser.feed(b"-ERR Disconnected for inactivity.\r\n")
    assert parser.has_unsolicited
    assert parser.next_event() is NEED_DATA
    parser.expect(Expect.SINGLE)
    status = parser.next_event()
    assert isinstance(status, Status) and status.text == "Disconnected for inactivity."


def test_discard_buffered_drops_everything_unparsed() -> None:
    parser = ResponseParser()
    parser.expect(Expect.SINGLE)
    parser.feed(b"+OK Begin TLS\r\n+OK injected\r\n")
    assert isinstance(parser.next_event(), Status)
    assert parser.discard_buffered() == len(b"+OK injected\r\n")
    assert not parser.has_unsolicited and parser.buffered == 0


def test_feeding_after_eof_is_a_protocol_error() -> None:
    parser = ResponseParser()
    parser.feed_eof()
    with pytest.raises(ProtocolError):
        parser.feed(b"+OK\r\n")
