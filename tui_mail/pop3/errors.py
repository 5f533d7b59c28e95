"""Error types of the POP3 client.

Callers decide what to do from the *type*: a wrong password ([AUTH]) asks again, a busy
mailbox ([IN-USE]) waits, a temporary failure ([SYS/TEMP]) retries later. Nothing here ever
carries a password or token in its message.

Messages quote the server (its -ERR text, its greeting), and a hostile server writes terminal
escapes there (OSC 52 to the clipboard, a new window title). So every error is built with its
text already made safe, on one line: whatever shows it (a toast, the status bar, stderr, a
log) cannot forget to. The POP3 layer may not import the mail layer, so :func:`server_words`
is a strict filter of its own (every character that is not printable becomes a visible
placeholder, as the mail sanitiser writes them); the session layer passes the words through
the mail sanitiser again before anything shows them.
"""

from __future__ import annotations

_CONTROL_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}


def _visible(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    if code in _CONTROL_PICTURES:
        return _CONTROL_PICTURES[code]  # ESC -> ␛, as the mail sanitiser shows it
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return f"<U+{code:04X}>"  # C1, bidi, zero-width, line separators...


def server_words(text: str) -> str:
    """Text from a server, made safe to show: every control visible, one line, 2,000 at most."""
    shown = "".join(_visible(char) for char in text[:2000])
    return shown if len(text) <= 2000 else shown + "\u2026"


class POP3Error(Exception):
    """Base of every error the POP3 layer raises; ``str()`` is always sanitised."""

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(server_words(message), *args)


class ProtocolError(POP3Error):
    """The server sent something that is not POP3; the stream is out of sync and is dropped."""


class ConnectionLost(POP3Error):
    """The connection ended (EOF or reset), possibly after an unsolicited -ERR.

    Nothing is committed on the server when this happens (no QUIT was sent by us).
    """

    def __init__(self, message: str = "connection closed by server", server_text: str = "") -> None:
        super().__init__(message)
        self.server_text = server_words(server_text)


class AnswerTooLong(ProtocolError):
    """The server sent more than it announced (or than such an answer may hold); dropped.

    ``number`` is the message whose answer overflowed, when the command named one.
    """

    def __init__(self, message: str, number: int | None = None) -> None:
        super().__init__(message)
        self.number = number


class CommandTimeout(POP3Error):
    """A command got no complete response within its timeout; the connection is dropped."""


class TLSFailure(POP3Error):
    """The TLS handshake failed, most often because the certificate is not trusted."""


class PlaintextNotAllowed(POP3Error):
    """A secret would cross an unencrypted link and the caller did not allow it."""


class NotSupported(POP3Error):
    """The server lacks a capability we need (UIDL, TOP, a SASL mechanism, STLS...)."""


class InvalidArgument(POP3Error, ValueError):
    """A command argument holds CR, LF, NUL or is otherwise unsendable (injection guard)."""


class ServerError(POP3Error):
    """The server answered -ERR. ``code`` is the RFC 2449 response code, if any."""

    code: str | None = None

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.text = server_words(text)
        if code is not None:
            self.code = server_words(code)


class AuthFailed(ServerError):
    """[AUTH]: the credentials were refused. Only this error means "wrong password"."""

    code = "AUTH"


class LoginRefused(ServerError):
    """The login got a -ERR without a response code: maybe the password, maybe not.

    Many servers refuse a wrong password this way; the session counts it as a wrong password
    after two tries, so that no retry loop locks the account.
    """


class MailboxInUse(ServerError):
    """[IN-USE]: another session holds the maildrop lock. Wait; do not re-ask the password."""

    code = "IN-USE"


# Words of servers that say "busy" without the [IN-USE] code (popa3d: "Another MUA active,
# giving up", then it hangs up). Matched on the lower-cased text.
_BUSY_WORDS = ("in use", "another mua", "another session", "locked", "lock ", "busy")


def looks_busy(text: str) -> bool:
    """Whether a code-less -ERR at login says the maildrop is busy rather than the password bad."""
    lowered = text.lower()
    return any(words in lowered for words in _BUSY_WORDS)


class LoginDelayed(ServerError):
    """[LOGIN-DELAY]: logged in too soon after the last session."""

    code = "LOGIN-DELAY"


class TemporaryFailure(ServerError):
    """[SYS/TEMP]: a transient server problem; retry later."""

    code = "SYS/TEMP"


class PermanentFailure(ServerError):
    """[SYS/PERM]: a permanent server problem; retrying will not help."""

    code = "SYS/PERM"


class UTF8Required(ServerError):
    """[UTF8]: the server needs UTF8 mode for this mailbox or user."""

    code = "UTF8"


_BY_CODE: dict[str, type[ServerError]] = {
    cls.code: cls
    for cls in (
        AuthFailed,
        MailboxInUse,
        LoginDelayed,
        TemporaryFailure,
        PermanentFailure,
        UTF8Required,
    )
}


def server_error(text: str, code: str | None) -> ServerError:
    """Build the most specific :class:`ServerError` for a -ERR line's response code."""
    if code is not None:
        # Hierarchical codes (RFC 2449): "SYS/TEMP/xyz" is still SYS/TEMP.
        upper = code.upper()
        for known, cls in _BY_CODE.items():
            if upper == known or upper.startswith(known + "/"):
                return cls(text, code)
    return ServerError(text, code)
