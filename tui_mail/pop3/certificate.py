"""The certificate a server presents, for a person to judge: never trusted by this module.

When verification fails, the user must see what they are asked to trust (subject, issuer,
validity, SHA-256 fingerprint) before adding it as ``cafile``, as mutt shows a certificate
before "accept always". :func:`fetch_certificate` opens a separate connection that only reads
the certificate: it never sends a command after the TLS handshake, never logs in, and hands
back only the certificate's bytes, so nothing can run over the unverified channel.
Verification of every real session stays on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tui_mail.pop3.errors import CommandTimeout, ConnectionLost, NotSupported, TLSFailure
from tui_mail.pop3.tls import parse_tls_mode
from tui_mail.vocabulary import TlsMode
from tui_mail.wording import plural

MAX_LINE = 512  # RFC 1939: a status line is at most 512 octets


@dataclass(frozen=True)
class CertificateDetails:
    """What a person needs to decide on a certificate, plus its PEM text for ``cafile``."""

    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    fingerprint: str  # SHA-256, "AB:CD:..."
    names: tuple[str, ...]  # DNS names and IP addresses it is valid for
    pem: str

    @classmethod
    def from_der(cls, der: bytes) -> CertificateDetails:
        """Parse a DER certificate; raises ValueError if it is not one."""
        cert = x509.load_der_x509_certificate(der)
        names: list[str] = []
        with contextlib.suppress(x509.ExtensionNotFound):
            alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names.extend(str(name) for name in alt.get_values_for_type(x509.DNSName))
            names.extend(str(ip) for ip in alt.get_values_for_type(x509.IPAddress))
        return cls(
            subject=cert.subject.rfc4514_string() or "(empty)",
            issuer=cert.issuer.rfc4514_string() or "(empty)",
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            fingerprint=fingerprint(der),
            names=tuple(names),
            pem=cert.public_bytes(Encoding.PEM).decode("ascii"),
        )

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer

    def validity_words(self, now: datetime | None = None) -> str:
        """``2026-01-01 to 2027-01-01 (valid, 395 days left)``, or why it is not valid."""
        now = now or datetime.now(tz=UTC)
        span = f"{self.not_before:%Y-%m-%d} to {self.not_after:%Y-%m-%d}"
        if now < self.not_before:
            return f"{span} (NOT YET VALID)"
        if now > self.not_after:
            return f"{span} (EXPIRED)"
        days = (self.not_after - now).days
        return f"{span} (valid, {plural(days, 'day')} left)"

    def lines(self, now: datetime | None = None, *, narrow: bool = False) -> list[str]:
        """Label-value pairs for a report (server-controlled text: show as text, sanitised).

        ``narrow`` puts the fingerprint on two lines of 16 bytes, to fit 80 columns.
        """
        rows = [
            ("subject", self.subject),
            ("issuer", self.issuer + (" (self-signed)" if self.self_signed else "")),
            ("valid", self.validity_words(now)),
        ]
        if narrow:
            half = len(self.fingerprint) // 2 + 1
            rows += [("sha256", self.fingerprint[:half]), ("", self.fingerprint[half:])]
        else:
            rows.append(("sha256", self.fingerprint))
        if self.names:
            rows.append(("names", ", ".join(self.names)))
        return [f"{label + ':' if label else '':13} {value}" for label, value in rows]

    def matches_host(self, host: str) -> bool:
        """Whether ``host`` is among the names (a wildcard covers one label)."""
        host = host.lower().rstrip(".")
        for name in self.names:
            name = name.lower()
            if name == host:
                return True
            if name.startswith("*.") and host.partition(".")[2] == name[2:] and "." in host:
                return True
        return False


def fingerprint(der: bytes) -> str:
    """The SHA-256 fingerprint in the usual ``AB:CD:...`` form."""
    return ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())


def _inspection_context() -> ssl.SSLContext:
    """Accepts any certificate: used only to *read* one, never for a session."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def fetch_certificate(
    host: str, port: int, tls: str = "implicit", *, timeout: float = 15.0
) -> CertificateDetails:
    """Connect, complete the TLS handshake (after STLS if asked), read the certificate, hang up.

    Raises TLSFailure, ConnectionLost, CommandTimeout or NotSupported (no TLS at all).
    """
    mode = parse_tls_mode(tls)
    if mode == "none":
        raise NotSupported("a connection without TLS has no certificate")
    try:
        async with asyncio.timeout(timeout):
            der = await _handshake_and_read(host, port, mode)
    except TimeoutError:
        raise CommandTimeout(f"timed out reading the certificate of {host}:{port}") from None
    except ssl.SSLError as exc:
        raise TLSFailure(f"TLS handshake with {host}:{port} failed: {exc.reason or exc}") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConnectionLost(f"cannot connect to {host}:{port}: {reason}") from None
    if der is None:
        raise TLSFailure(f"{host}:{port} presented no certificate")
    try:
        return CertificateDetails.from_der(der)
    except ValueError:
        raise TLSFailure(f"{host}:{port} presented a certificate that cannot be read") from None


async def _handshake_and_read(host: str, port: int, mode: TlsMode) -> bytes | None:
    context = _inspection_context()
    if mode == "implicit":
        reader, writer = await asyncio.open_connection(
            host, port, ssl=context, server_hostname=host
        )
    else:
        reader, writer = await asyncio.open_connection(host, port)
    try:
        if mode == "starttls":
            await _status_line(reader, host, "the greeting")
            writer.write(b"STLS\r\n")
            await writer.drain()
            await _status_line(reader, host, "STLS")
            await writer.start_tls(context, server_hostname=host)
        ssl_object = writer.get_extra_info("ssl_object")
        if not isinstance(ssl_object, ssl.SSLObject):
            return None
        return ssl_object.getpeercert(binary_form=True)
    finally:
        writer.transport.abort()  # nothing more is said on this connection


async def _status_line(reader: asyncio.StreamReader, host: str, what: str) -> None:
    line = await _bounded_line(reader)
    if not line.startswith(b"+OK"):
        raise NotSupported(f"{host} refused {what}; it offers no STLS")


async def _bounded_line(reader: asyncio.StreamReader) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        if len(data) > MAX_LINE:
            raise ConnectionLost("answer line too long")
        chunk = await reader.read(MAX_LINE + 2 - len(data))
        if not chunk:
            raise ConnectionLost("connection closed before the answer")
        data += chunk
    return data
