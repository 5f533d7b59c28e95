"""Header fields for outgoing mail, encoded by our own rules (RFC 5322, RFC 2047).

The stdlib's header policy re-encodes everything as UTF-8, so a recipient with an old
Japanese mailer could never get ISO-2022-JP headers from it; here every encoded-word is
complete in itself (a character is never split between two words, and an ISO-2022-JP word
starts and ends in ASCII), words are at most 75 characters, and lines are folded before 78.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from email.utils import format_datetime, formataddr, getaddresses, localtime

from tui_mail.accounts.sending import Charset
from tui_mail.compose.japanese import encode_iso2022jp

MAX_LINE = 78  # the RFC 5322 recommendation; the hard limit is 998
_MAX_WORD = 62  # under RFC 2047's 75, so "Subject: " and a word fit one 78-column line
_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|sv|wg|antw|tr|vs)\s*(?:\[\d+\])?\s*[:：]\s*)+", re.I)
_ATOM_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


class HeaderProblem(ValueError):
    """A header the user wrote cannot be sent as it is; ``str()`` says why, in words."""


def encode_text(text: str, charset: Charset) -> bytes:
    """``text`` in ``charset``; raises UnicodeEncodeError when it does not fit."""
    if charset == "iso-2022-jp":
        return encode_iso2022jp(text)
    return text.encode("utf-8")


def can_encode(text: str, charset: Charset) -> bool:
    """True when ``text`` fits ``charset`` (ISO-2022-JP has no emoji, for one)."""
    try:
        encode_text(text, charset)
    except UnicodeEncodeError:
        return False
    return True


def encoded_words(text: str, charset: Charset, *, first_room: int = _MAX_WORD) -> list[str]:
    """``text`` as RFC 2047 B-encoded words, each complete and at most 75 characters."""
    label = "ISO-2022-JP" if charset == "iso-2022-jp" else "UTF-8"
    overhead = len(f"=?{label}?B??=")
    words: list[str] = []
    chunk = ""
    room = max(first_room, overhead + 8)
    for char in text:
        candidate = chunk + char
        if chunk and overhead + len(base64.b64encode(encode_text(candidate, charset))) > room:
            words.append(_word(chunk, charset, label))
            chunk = char
            room = _MAX_WORD
        else:
            chunk = candidate
    if chunk:
        words.append(_word(chunk, charset, label))
    return words


def _word(chunk: str, charset: Charset, label: str) -> str:
    # Encoding each chunk on its own makes an ISO-2022-JP word end in ASCII (ESC ( B).
    return f"=?{label}?B?{base64.b64encode(encode_text(chunk, charset)).decode('ascii')}?="


def _tokens(text: str, charset: Charset) -> list[str]:
    """Words of ``text``: ASCII ones as they are, runs with non-ASCII as encoded-words."""
    out: list[str] = []
    pending: list[str] = []
    for word in text.split():
        needs = not word.isascii() or (word.startswith("=?") and word.endswith("?="))
        if needs:
            pending.append(word)
            continue
        if pending:
            out.extend(encoded_words(" ".join(pending), charset))
            pending = []
        out.append(word)
    if pending:
        out.extend(encoded_words(" ".join(pending), charset))
    return out


def fold(name: str, tokens: list[str], *, separator: str = " ") -> str:
    """``Name: tok tok...`` folded before 78 columns at the given separators (CRLF-free)."""
    line = f"{name}:"
    lines: list[str] = []
    for index, token in enumerate(tokens):
        glue = separator if index else " "
        if index and len(line) + len(glue) + len(token) > MAX_LINE:
            lines.append(line + glue.rstrip())
            line = " " + token
        else:
            line = line + (glue if index else " ") + token
    lines.append(line)
    return "\n".join(lines)


def unstructured(name: str, value: str, charset: Charset) -> str:
    """A Subject-like field: ASCII words kept, the rest encoded-words."""
    value = " ".join(value.split())
    if not value:
        return f"{name}:"
    return fold(name, _tokens(value, charset))


def parse_address_list(text: str) -> list[tuple[str, str]]:
    """``Name <a@b>, c@d`` as (name, address) pairs; raises HeaderProblem for bad ones."""
    if not text.strip():
        return []
    pairs = getaddresses([text])
    result: list[tuple[str, str]] = []
    for name, address in pairs:
        address = address.strip()
        if not address and not name:
            continue
        if address.count("@") != 1 or address.startswith("@") or address.endswith("@"):
            raise HeaderProblem(f"not an e-mail address: {(address or name)!r}")
        local, domain = address.split("@")
        if not local.isascii():
            raise HeaderProblem(f"{address!r}: addresses with non-ASCII before @ cannot be sent")
        if any(ch.isspace() or ord(ch) < 32 for ch in address):
            raise HeaderProblem(f"not an e-mail address: {address!r}")
        if not domain.isascii():
            try:
                domain = domain.encode("idna").decode("ascii")
            except UnicodeError:
                raise HeaderProblem(f"{address!r}: not a valid domain name") from None
        result.append((" ".join(name.split()), f"{local}@{domain}"))
    if not result:
        raise HeaderProblem(f"no address in {text.strip()!r}")
    return result


def format_mailbox(name: str, address: str, charset: Charset) -> list[str]:
    """One mailbox as tokens (the display name encoded if needed, then ``<address>``)."""
    if not name:
        return [address]
    if name.isascii():
        return [*formataddr((name, address)).rsplit(" ", 1)[:-1], f"<{address}>"]
    return [*encoded_words(name, charset), f"<{address}>"]


def address_field(name: str, pairs: list[tuple[str, str]], charset: Charset) -> str:
    """``To: a <x@y>, b <z@w>`` folded between (and inside) mailboxes."""
    tokens: list[str] = []
    for index, (display, address) in enumerate(pairs):
        mailbox = format_mailbox(display, address, charset)
        if index < len(pairs) - 1:
            mailbox[-1] += ","
        tokens.extend(mailbox)
    return fold(name, tokens)


def msgid_field(name: str, ids: list[str]) -> str:
    """In-Reply-To / References: message ids folded between ids."""
    return fold(name, ids)


def display_address(pair: tuple[str, str]) -> str:
    """``Name <addr>`` for the editor file and the review screen (not for the wire)."""
    name, address = pair
    if not name:
        return address
    if _ATOM_SPECIALS.search(name):
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}" <{address}>'
    return f"{name} <{address}>"


def make_message_id(from_address: str | None) -> str:
    """``<time.random@domain>`` on the account's own domain (RFC 5322 3.6.4)."""
    domain = "localhost"
    if from_address and "@" in from_address:
        domain = from_address.rsplit("@", 1)[1].strip(">").strip() or domain
    if not domain.isascii():
        domain = domain.encode("idna").decode("ascii")
    return f"<{int(time.time())}.{secrets.token_hex(8)}@{domain}>"


def date_value() -> str:
    """Now, as an RFC 5322 date in the local zone."""
    return format_datetime(localtime())


def strip_prefixes(subject: str) -> str:
    """The subject without any run of ``Re:``, ``Fwd:``, ``AW:``, ``Re[2]:``..."""
    return _PREFIX.sub("", subject).strip()


def reply_subject(subject: str) -> str:
    """``Re: `` once, whatever the original had stacked."""
    base = strip_prefixes(subject)
    return f"Re: {base}" if base else "Re:"


def forward_subject(subject: str) -> str:
    """``Fwd: `` once."""
    base = strip_prefixes(subject)
    return f"Fwd: {base}" if base else "Fwd:"
