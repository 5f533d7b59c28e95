"""Address headers to ``Name <address>`` text, names decoded (RFC 2047, raw 8-bit, JIS)."""

from __future__ import annotations

import re
from email.utils import getaddresses

from tui_mail.mail.encoded_words import decode_encoded_words, decode_header_bytes

# One address in the usual forms (`Name <a@b>`, `"Name" <a@b>`, `a@b`): skips the stdlib's
# slow general parser, which the header summary would otherwise pay 100,000 times.
_SIMPLE = re.compile(
    r'\s*(?:"((?:[^"\\]|\\.)*)"|([^"<>,;:@()\\]*?))\s*<([^<>\s,;:()"\\]+@[^<>\s,;:()"\\]+)>\s*'
    r'|\s*([^<>\s,;:()"\\]+@[^<>\s,;:()"\\]+)\s*'
)
_QUOTED_PAIR = re.compile(r"\\(.)")
# Bare addresses separated by spaces only (``a@x.com b@x.com``, no comma): the stdlib reads
# that as one broken address; neomutt and the stdlib's old parser keep both.
_BARE_ADDRESS = re.compile(r'[^<>\s,;:()"\\@]+@[^<>\s,;:()"\\@]+')


def _split(text: str) -> list[tuple[str, str]]:
    simple = _SIMPLE.fullmatch(text)
    if simple is not None:
        quoted, plain, address, bare = simple.groups()
        if bare is not None:
            return [("", bare)]
        name = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else (plain or "").strip()
        return [(name, address)]
    words = text.split()
    if len(words) > 1 and all(_BARE_ADDRESS.fullmatch(word) for word in words):
        return [("", word) for word in words]
    return [(name, address) for name, address in getaddresses([text]) if name or address]


def parse_addresses(raw: bytes) -> tuple[list[tuple[str, str]], list[str]]:
    """(display name, address) pairs, names decoded; the whole text as a name if unparsable."""
    text, problems = decode_header_bytes(raw)
    parsed = _split(text)
    if not parsed or any("@" not in address for _name, address in parsed):
        whole, more = decode_encoded_words(text)
        return ([(whole.strip(), "")] if whole.strip() else []), problems + more
    result: list[tuple[str, str]] = []
    for name, address in parsed:
        decoded, more = decode_encoded_words(name)
        problems += more
        result.append((decoded.strip(), address.strip()))
    return result, problems


def format_addresses(pairs: list[tuple[str, str]]) -> str:
    """``Name <address>, address`` (unsanitised)."""
    shown = []
    for name, address in pairs:
        if name and address:
            shown.append(f"{name} <{address}>")
        else:
            shown.append(name or address)
    return ", ".join(shown)
