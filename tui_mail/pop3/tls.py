"""TLS settings for POP3: verification is always on, only the set of trusted CAs varies.

RFC 8314: prefer implicit TLS (995), validate certificates, never downgrade silently. A user
with a private CA adds it with ``cafile``; there is deliberately no "insecure" switch.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from tui_mail import vocabulary
from tui_mail.pop3.errors import InvalidArgument, TLSFailure
from tui_mail.vocabulary import TLS_MODES, TlsMode


def parse_tls_mode(value: str) -> TlsMode:
    """One of ``TLS_MODES``; anything else is a caller error."""
    if value not in TLS_MODES:
        choices = ", ".join(TLS_MODES)
        raise InvalidArgument(f"tls must be one of {choices}, not {value!r}")
    return value


def default_port(tls: str) -> int:
    """995 for implicit TLS, 110 for STLS and plain TCP (IANA assignments)."""
    return vocabulary.default_port(parse_tls_mode(tls))


def make_ssl_context(cafile: str | Path | None = None) -> ssl.SSLContext:
    """System trust store plus an optional extra CA file; hostname checked; TLS 1.2 minimum."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    if cafile is not None:
        # A server certificate the user chose to trust ("trust this certificate" saves the
        # server's own certificate) is a trust anchor even when a CA we do not have signed
        # it; hostname and validity are still checked (Python 3.13 sets this by default).
        context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
        try:
            context.load_verify_locations(cafile=str(cafile))
        except FileNotFoundError:
            raise TLSFailure(f"CA file not found: {cafile}") from None
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise TLSFailure(f"cannot load CA file {cafile}: {exc}") from None
    return context


def ensure_verifying(context: ssl.SSLContext) -> None:
    """Refuse a caller-supplied context that would accept any certificate."""
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise InvalidArgument(
            "ssl_context must verify certificates and host names (CERT_REQUIRED, check_hostname)"
        )


def describe_tls_error(exc: BaseException, host: str, port: int) -> TLSFailure:
    """A TLSFailure with words a user can act on."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or str(exc)
        return TLSFailure(
            f"certificate of {host}:{port} not trusted: {reason} "
            "(add its CA with cafile if it is yours)"
        )
    reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
    return TLSFailure(
        f"TLS handshake with {host}:{port} failed: {reason} "
        '(is this a TLS port? try tls="starttls" on port 110)'
    )
