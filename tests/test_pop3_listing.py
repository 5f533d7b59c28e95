"""LIST and UIDL parsing: a plain listing in one pass, anything else line by line, same answers.

The one-pass parse exists for speed (every login parses both listings before the first row);
these tests pin that it is taken for the listings servers send, and that it never answers
differently from the tolerant line-by-line parse, which stays the reference.
"""

from __future__ import annotations

import random

import pytest

from tui_mail.pop3 import listing
from tui_mail.pop3.bounds import MAX_ANNOUNCED
from tui_mail.pop3.errors import ProtocolError
from tui_mail.pop3.listing import numbers_in, parse_sizes, parse_uids, scan_listing, unique_id

DOVECOT_LIST = b"".join(b"%d %d\r\n" % (n, 900 + 37 * n) for n in range(1, 2001))
DOVECOT_UIDL = b"".join(b"%d %08X69f0c2a1\r\n" % (n, n) for n in range(1, 2001))


def reference_sizes(data: bytes, max_number: int) -> dict[int, int]:
    return {n: numbers_in(rest, 1, "LIST")[0] for n, rest in scan_listing(data, "LIST", max_number)}


def reference_uids(data: bytes, max_number: int) -> dict[int, str]:
    return {n: unique_id(rest, "UIDL") for n, rest in scan_listing(data, "UIDL", max_number)}


def outcome(parse: object, data: bytes, max_number: int) -> object:
    assert callable(parse)
    try:
        return parse(data, max_number)
    except ProtocolError as error:
        return ("error", str(error))


def test_plain_listings_do_not_go_line_by_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("a plain listing was parsed line by line")

    monkeypatch.setattr(listing, "scan_listing", refuse)
    sizes = parse_sizes(DOVECOT_LIST, 2000)
    uids = parse_uids(DOVECOT_UIDL, 2000)
    assert len(sizes) == len(uids) == 2000
    assert (sizes[1], sizes[2000], uids[1], uids[2000]) == (
        937,
        74900,
        "0000000169f0c2a1",
        "000007D069f0c2a1",
    )


def test_odd_listings_are_parsed_line_by_line() -> None:
    odd_list = b"1   120\r\n02 7\r\n3 1234567890123456789\r\n4\t5 extra\r\n"
    assert parse_sizes(odd_list, 4) == {1: 120, 2: 7, 3: MAX_ANNOUNCED, 4: 5}
    # One digit more than MAX_ANNOUNCED has, otherwise plain: clamped all the same.
    assert parse_sizes(b"1 %d\r\n" % (MAX_ANNOUNCED + 1), 1) == {1: MAX_ANNOUNCED}
    odd_uidl = b"1    abc.def  \r\n2 caf\xe9\r\n3 nul\x00here\r\n"
    assert parse_uids(odd_uidl, 3) == {1: "abc.def", 2: "caf\xe9", 3: "nul\ufffdhere"}


@pytest.mark.parametrize("data", [b"1 10\r\n5 20\r\n", b"1 10\r\n5  20\r\n"])
def test_a_number_stat_did_not_announce_is_refused_either_way(data: bytes) -> None:
    with pytest.raises(ProtocolError, match="STAT did not announce"):
        parse_sizes(data, 4)
    with pytest.raises(ProtocolError, match="STAT did not announce"):
        parse_uids(data, 4)


def test_malformed_lines_are_refused() -> None:
    for data in (b"1\r\n", b"x 10\r\n", b"1 10\r\n\r\n"):
        with pytest.raises(ProtocolError, match="malformed"):
            parse_sizes(data, 10)
    with pytest.raises(ProtocolError):
        parse_sizes(b"1 ten\r\n", 10)  # no size at all
    with pytest.raises(ProtocolError, match="malformed"):
        parse_uids(b"1\r\n", 10)


def _line(rng: random.Random, number: int, uidl: bool, odd: bool) -> bytes:
    """A line as servers send it, at the edges of the plain form; with ``odd``, maybe not."""
    digits = str(number).encode()
    space = b" "
    if uidl:
        value = bytes(rng.choice(b"!#AZaz09~.-") for _ in range(rng.randint(1, 70)))
    else:
        # 15 digits: MAX_ANNOUNCED's; more are clamped (line by line)
        width = rng.choice([1, 3, 6, 14, 15, 16, 20] if odd else [1, 3, 6, 14, 15])
        value = str(rng.randint(0, 10**width - 1)).encode()
    if odd and rng.random() < 0.2:
        shape = rng.randrange(3)
        if shape == 0:
            digits = b"0" + digits  # a leading zero: the same number
        elif shape == 1:
            space = rng.choice([b"  ", b"\t"])
        else:
            value += rng.choice([b" x", b"\xff", b"\x00", b" "])
    return digits + space + value + b"\r\n"


@pytest.mark.parametrize("piece", [1, 23, 1 << 14])  # listings checked in pieces of this size
@pytest.mark.parametrize("seed", range(60))
def test_one_pass_and_line_by_line_agree(
    seed: int, piece: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(listing, "_PIECE", piece)
    rng = random.Random(seed)
    count = rng.randint(0, 60)
    numbers = list(range(1, count + 1))
    if rng.random() < 0.2 and numbers:
        numbers.append(rng.choice(numbers))  # a number twice: the last one counts
    if rng.random() < 0.1:
        numbers.append(count + 1)  # one more than STAT announced
    odd = rng.random() < 0.4
    for uidl, parse, reference in (
        (False, parse_sizes, reference_sizes),
        (True, parse_uids, reference_uids),
    ):
        data = b"".join(_line(rng, n, uidl, odd) for n in numbers)
        if odd and rng.random() < 0.2:
            data += b"7 77"  # a last line without its CRLF is not a line
        assert outcome(parse, data, count) == outcome(reference, data, count)
