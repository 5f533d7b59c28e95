"""The SMTP connection: stdlib ``smtplib`` with our rules on top.

``smtplib`` speaks the protocol; this subclass adds what it lacks for us: every reply is
bounded (lines and total time), the conversation goes to the protocol log with AUTH data and
message text left out, and TLS can only be the verifying kind. Used from a worker thread
(the UI) or directly (``tui-mail send``).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui_mail.pop3.tls import ensure_verifying, make_ssl_context

ProtocolLog = Callable[[str, str], None]
MAX_REPLY_LINES = 200  # EHLO answers are a few dozen lines; a server that goes on is cut off
DEFAULT_TIMEOUT = 30.0


class ReplyTooLong(smtplib.SMTPResponseException):
    """The server kept talking past any sensible reply."""

    def __init__(self) -> None:
        super().__init__(-1, b"reply longer than tui-mail accepts")


def verifying_context(cafile: Path | None) -> ssl.SSLContext:
    """The system CAs plus ``cafile``; hostname checked; never anything weaker."""
    context = make_ssl_context(cafile)
    ensure_verifying(context)
    return context


_MAXLINE: int = getattr(smtplib, "_MAXLINE", 8192)


class _Logged(smtplib.SMTP):
    """Protocol logging and bounded replies, mixed into SMTP and SMTP_SSL."""

    protocol_log: ProtocolLog | None = None
    deadline: float | None = None
    _secret_next = False
    _data_next = False

    def _log(self, direction: str, line: str) -> None:
        if self.protocol_log is not None:
            self.protocol_log(direction, line)

    def send(self, s: Any) -> None:  # smtplib's single write path (str or bytes)
        if self.protocol_log is not None:
            self._log("C", self._redacted(s if isinstance(s, str) else bytes(s)))
        super().send(s)

    def _redacted(self, s: str | bytes) -> str:
        if self._data_next:
            self._data_next = False
            return f"[{len(s)} bytes of data]"
        text = s.decode("ascii", "replace") if isinstance(s, bytes) else s
        text = text.rstrip("\r\n")
        if self._secret_next:
            return "***"
        words = text.split(" ", 2)
        if words[0].upper() == "AUTH" and len(words) > 2:
            return f"{words[0]} {words[1]} ***"
        return text

    def getreply(self) -> tuple[int, bytes]:
        """smtplib's reply reader, with a cap on lines and on the time one reply may take."""
        lines: list[bytes] = []
        code = -1
        sock_file = self.file
        if sock_file is None:
            if self.sock is None:
                raise smtplib.SMTPServerDisconnected("not connected")
            self.file = sock_file = self.sock.makefile("rb")
        while True:
            if self.deadline is not None and time.monotonic() > self.deadline:
                self.close()
                raise smtplib.SMTPServerDisconnected("the server took too long to answer")
            try:
                line = sock_file.readline(_MAXLINE + 1)
            except OSError as error:
                self.close()
                raise smtplib.SMTPServerDisconnected(f"connection lost: {error}") from None
            if not line:
                self.close()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            if len(line) > _MAXLINE:
                self.close()
                raise smtplib.SMTPResponseException(500, b"Line too long.")
            shown = line.decode("utf-8", "replace").rstrip("\r\n")
            self._log("S", "334 ***" if shown.startswith("334") else shown)
            lines.append(line[4:].strip(b" \t\r\n"))
            try:
                code = int(line[:3])
            except ValueError:
                code = -1
                break
            if line[3:4] != b"-":
                break
            if len(lines) > MAX_REPLY_LINES:
                self.close()
                raise ReplyTooLong()
        # Secrets follow a 334 challenge (AUTH); message text follows 354 (DATA).
        self._secret_next = code == 334
        self._data_next = code == 354
        return code, b"\n".join(lines)


class LoggedSMTP(_Logged, smtplib.SMTP):
    """Plain TCP, upgraded with STARTTLS before anything secret is sent."""


class LoggedSMTPSSL(_Logged, smtplib.SMTP_SSL):
    """TLS from the first byte (port 465, RFC 8314)."""


def open_connection(
    host: str,
    port: int,
    tls: str,
    *,
    cafile: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    protocol_log: ProtocolLog | None = None,
    local_hostname: str | None = None,
) -> smtplib.SMTP:
    """Connected, greeted, EHLO'd, and over verified TLS unless ``tls == "none"``.

    With ``starttls`` a server that does not offer STARTTLS is refused here, before any
    credential could cross the link.
    """
    context = verifying_context(cafile) if tls != "none" else None
    name = local_hostname or _ehlo_name()
    connection: smtplib.SMTP
    if protocol_log is not None:
        protocol_log("#", f"SMTP connection to {host}:{port} ({tls})")
    if tls == "implicit":
        connection = LoggedSMTPSSL(local_hostname=name, timeout=timeout, context=context)
    else:
        connection = LoggedSMTP(local_hostname=name, timeout=timeout)
    assert isinstance(connection, _Logged)
    connection.protocol_log = protocol_log
    connection.deadline = None
    connection._host = host  # type: ignore[union-attr]  # smtplib verifies STARTTLS against this name; __init__ sets it
    try:
        connection.connect(host, port)
        connection.ehlo()
        if tls == "starttls":
            if not connection.has_extn("starttls"):
                raise NoStartTLS(host, port)
            connection.starttls(context=context)
            connection.ehlo()
    except BaseException:
        connection.close()
        raise
    return connection


class NoStartTLS(smtplib.SMTPException):
    """A STARTTLS account's server did not offer STARTTLS: we send nothing."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"{host}:{port} does not offer STARTTLS; refusing to send the login and the "
            'message unencrypted (use tls = "implicit" on port 465 if the server has it)'
        )


def _ehlo_name() -> str:
    """Our name in EHLO: the FQDN if it looks like one, else a literal that reveals nothing."""
    name = socket.getfqdn()
    if "." in name and name.isascii() and " " not in name:
        return name
    return "[127.0.0.1]"
