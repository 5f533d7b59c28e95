"""``serverinfo --smtp``: what a submission server offers, without logging in or sending.

Connects as the sender would (verified TLS: implicit, or STARTTLS after a first EHLO) and
reports the greeting, the EHLO capabilities before and after TLS, the login methods and the
certificate. Everything the server said is sanitised before it is printed.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_mail.mail.sanitize import sanitize_text
from tui_mail.smtp.connection import LoggedSMTP, LoggedSMTPSSL, verifying_context


@dataclass(frozen=True)
class SmtpReport:
    host: str
    port: int
    tls: str
    greeting: str
    before_tls: tuple[str, ...]  # EHLO lines in cleartext (STARTTLS only)
    capabilities: tuple[str, ...]  # EHLO lines the sender acts on
    tls_version: str | None
    certificate: dict[str, Any] | None

    @property
    def auth_methods(self) -> tuple[str, ...]:
        for line in self.capabilities:
            words = line.split()
            if words and words[0].upper() == "AUTH":
                return tuple(word.upper() for word in words[1:])
        return ()

    def offers(self, keyword: str) -> bool:
        return any(line.split()[:1] == [keyword.upper()] for line in self.capabilities if line)


def _lines(reply: bytes) -> tuple[str, ...]:
    text = reply.decode("utf-8", "replace").split("\n")
    return tuple(sanitize_text(line.strip(), single_line=True) for line in text[1:] if line.strip())


def probe_smtp(
    host: str, port: int, tls: str, *, cafile: Path | None, timeout: float
) -> SmtpReport:
    """EHLO (and STARTTLS) without AUTH; raises OSError / ssl.SSLError / SMTPException."""
    context = verifying_context(cafile) if tls != "none" else None
    connection: smtplib.SMTP
    if tls == "implicit":
        connection = LoggedSMTPSSL(timeout=timeout, context=context)
    else:
        connection = LoggedSMTP(timeout=timeout)
    connection._host = host  # type: ignore[union-attr]
    try:
        _code, greeting = connection.connect(host, port)
        _code, reply = connection.ehlo()
        before: tuple[str, ...] = ()
        if tls == "starttls":
            before = _lines(reply)
            if not connection.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError(
                    f"{host}:{port} does not offer STARTTLS (tui-mail will not send through it)"
                )
            connection.starttls(context=context)
            _code, reply = connection.ehlo()
        sock = connection.sock
        version = sock.version() if isinstance(sock, ssl.SSLSocket) else None
        cert = sock.getpeercert() if isinstance(sock, ssl.SSLSocket) else None
        return SmtpReport(
            host,
            port,
            tls,
            sanitize_text(greeting.decode("utf-8", "replace"), single_line=True),
            before,
            _lines(reply),
            version,
            cert,
        )
    finally:
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()
