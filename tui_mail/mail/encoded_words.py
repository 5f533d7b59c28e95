"""Header text: raw 8-bit and JIS bytes, then RFC 2047 encoded-words, joined before decoding.

Encoders split long subjects into several encoded-words and many cut a multibyte character
in two (``=?UTF-8?B?44GC44G?= =?UTF-8?B?E?=``, or a JIS sequence over two words). The
stdlib decodes each word on its own and turns such a cut into garbage; here adjacent words
with the same charset have their *bytes* concatenated first, then decoded once. Raw 8-bit
headers (RFC 6532 UTF-8, or Shift_JIS from old Japanese mailers) and raw ISO-2022-JP (ESC
bytes) are decoded before encoded-words are looked for. Lenient where mailers are sloppy:
words inside quoted strings or glued to text, missing base64 padding.
"""

from __future__ import annotations

import binascii
import re

from tui_mail.mail.charsets import decode_bytes

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def _charset_key(charset: str) -> str:
    return charset.split("*", 1)[0].strip().lower()


def _word_bytes(encoding: str, text: str) -> bytes | None:
    if encoding in "bB":
        data = _NOT_BASE64.sub("", text)
        if len(data) % 4 == 1:
            data = data[:-1]
        data += "=" * (-len(data) % 4)
        try:
            return binascii.a2b_base64(data)
        except (binascii.Error, ValueError):
            return None
    raw = text.replace("_", " ").encode("utf-8", "surrogateescape")
    return _QP_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), raw)


def decode_encoded_words(text: str) -> tuple[str, list[str]]:
    """Decode every RFC 2047 word in ``text``; return the text and any charset problems."""
    if "=?" not in text:
        return text, []
    out: list[str] = []
    problems: list[str] = []
    pending_charset: str | None = None
    pending: list[bytes] = []
    position = 0
    last_was_word = False

    def flush() -> None:
        nonlocal pending_charset
        if pending_charset is not None:
            decoded = decode_bytes(b"".join(pending), pending_charset)
            out.append(decoded.text)
            if decoded.problem:
                problems.append(decoded.problem)
        pending.clear()
        pending_charset = None

    for match in _ENCODED_WORD.finditer(text):
        gap = text[position : match.start()]
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:  # not decodable: keep it as the sender wrote it
            continue
        if gap and not (last_was_word and gap.isspace()):
            flush()
            out.append(gap)
        charset = _charset_key(match.group(1))
        if charset != pending_charset:
            flush()
            pending_charset = charset
        pending.append(data)
        position = match.end()
        last_was_word = True
    flush()
    out.append(text[position:])
    return "".join(out), problems


def decode_header_bytes(raw: bytes) -> tuple[str, list[str]]:
    """Raw header bytes to text, before encoded-words: ASCII, UTF-8, JIS or a guess."""
    if raw.isascii() and b"\x1b" not in raw:
        return raw.decode("ascii"), []
    decoded = decode_bytes(raw, None)
    return decoded.text, [decoded.problem] if decoded.problem else []


def decode_unstructured(raw: bytes) -> tuple[str, list[str]]:
    """A Subject-like header: raw bytes, then encoded-words; whitespace runs kept."""
    text, problems = decode_header_bytes(raw)
    text, more = decode_encoded_words(text)
    return text, problems + more
