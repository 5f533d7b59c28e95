"""Set-up's look at a server before any password is typed: TLS, login methods, policies.

Like ``tui-mail serverinfo`` it connects, never logs in, and QUITs (which commits nothing
before login). Unlike serverinfo it finds the TLS mode itself: implicit TLS first (RFC 8314),
then STLS on 110, and only then an unencrypted look, which the set-up screen reports as a
problem rather than silently accepting. A certificate that is not trusted stops the search at
once: falling back to another port would hide the one thing the user must decide on.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from tui_mail.accounts.providers import Provider, provider_for_host
from tui_mail.pop3 import Capabilities, POP3Client
from tui_mail.pop3.capabilities import duration_words
from tui_mail.pop3.connection import ProtocolLog
from tui_mail.pop3.errors import CommandTimeout, ConnectionLost, TLSFailure
from tui_mail.pop3.sasl import AUTO_PREFERENCE
from tui_mail.session.errors import describe_error
from tui_mail.vocabulary import IMPLICIT_TLS_PORT, POP3_PORT, AuthMechanism, TlsMode
from tui_mail.wording import plural

DEFAULT_PROBE_TIMEOUT = 15.0
OAUTH_SASL = ("XOAUTH2", "OAUTHBEARER")
PASSWORD_SASL = ("SCRAM-SHA-256", "CRAM-MD5", "PLAIN", "LOGIN")
TLS_WORDS: dict[str, str] = {"implicit": "TLS", "starttls": "STLS", "none": "no TLS"}


class ProbeFailed(Exception):
    """No usable answer from the server; ``str()`` is one line for the user (no secrets)."""

    def __init__(
        self,
        message: str,
        *,
        certificate: bool = False,
        port: int | None = None,
        tls: TlsMode | None = None,
    ) -> None:
        super().__init__(message)
        self.certificate = certificate  # the fix is a cafile (or a different server name)
        self.port = port  # where the untrusted certificate was presented
        self.tls = tls


@dataclass(frozen=True)
class Advice:
    """One paragraph for the user; ``warning`` ones are drawn in the warning colour."""

    text: str
    warning: bool = False


@dataclass(frozen=True)
class CertificateSummary:
    subject: str
    issuer: str
    expires: str | None  # "2027-01-31 (in 400 days)"


@dataclass(frozen=True)
class ServerReport:
    """What a server offers before login (``capabilities`` may grow after login)."""

    host: str
    port: int
    tls: TlsMode
    greeting: str
    capabilities: Capabilities
    apop: bool
    tls_version: str | None = None
    certificate: CertificateSummary | None = None
    provider: Provider | None = None
    skipped: tuple[str, ...] = field(default=())  # attempts that failed before this one

    @property
    def oauth_mechanisms(self) -> tuple[str, ...]:
        """OAuth SASL mechanisms offered (lower-case, XOAUTH2 first)."""
        return tuple(m.lower() for m in OAUTH_SASL if m in self.capabilities.sasl)

    @property
    def password_methods(self) -> tuple[str, ...]:
        """Password login methods offered, in the order ``auth = "auto"`` tries them."""
        caps = self.capabilities
        offered = {m.lower() for m in caps.sasl}
        if self.apop:
            offered.add("apop")
        if caps.user or not caps.sasl:  # as the client's "auto": no SASL means USER/PASS
            offered.add("user")
        return tuple(m for m in AUTO_PREFERENCE if m in offered)

    @property
    def prefers_oauth(self) -> bool:
        """Propose a token: the provider takes nothing else, or SASL lists only OAuth.

        A server announcing ``SASL XOAUTH2`` and no password mechanism is configured for
        OAuth; its ``USER`` line is usually a leftover that refuses every password.
        """
        if self.provider is not None and self.provider.oauth_only:
            return True
        sasl_passwords = [m for m in PASSWORD_SASL if m in self.capabilities.sasl]
        return bool(self.oauth_mechanisms) and not sasl_passwords

    @property
    def offers_password(self) -> bool:
        """Whether a password login is possible at all."""
        if self.provider is not None and self.provider.oauth_only:
            return False
        return bool(self.password_methods)

    @property
    def offers_oauth(self) -> bool:
        return bool(self.oauth_mechanisms) or (
            self.provider is not None and self.provider.oauth_scope is not None
        )

    def oauth_auth(self) -> AuthMechanism:
        """XOAUTH2 unless the server offers only OAUTHBEARER."""
        return "oauthbearer" if self.oauth_mechanisms == ("oauthbearer",) else "xoauth2"

    def password_auth_words(self) -> str:
        """Which password method ``auth = "auto"`` will pick (the client's order), in words."""
        methods = self.password_methods
        return methods[0].upper().replace("USER", "USER/PASS") if methods else "none"

    def summary_lines(self) -> list[str]:
        """The report in words (server text included: show it as text, never markup)."""
        lines = [f"Server: {self.host}:{self.port} ({TLS_WORDS[self.tls]})"]
        if self.tls_version:
            tls = f"TLS:    {self.tls_version}, certificate verified"
            if self.certificate is not None:
                cert = self.certificate
                tls += f": {cert.subject}, issued by {cert.issuer}"
                if cert.expires:
                    tls += f", expires {cert.expires}"
            lines.append(tls)
        else:
            lines.append("TLS:    none: the password would cross the network readable")
        methods = [m.upper() for m in self.password_methods] + [
            m.upper() for m in self.oauth_mechanisms
        ]
        lines.append("Login:  " + (", ".join(methods) or "no method announced"))
        lines.extend(f"Before: {note}" for note in self.skipped)
        return lines


def server_advice(
    caps: Capabilities, *, tls: TlsMode, provider: Provider | None, logged_in: bool = False
) -> list[Advice]:
    """What the user should know about this server before reading mail from it.

    ``caps`` after login are authoritative (EXPIRE/LOGIN-DELAY may be per user, and Gmail
    announces its capabilities late).
    """
    notes: list[Advice] = []
    if tls == "none":
        notes.append(
            Advice(
                "This server offers no encryption: your password and mail would cross the network "
                "readable. Use it only on a network you trust.",
                warning=True,
            )
        )
    if caps.expire == 0:
        notes.append(
            Advice(
                "This server removes retrieved mail (EXPIRE 0): a message you open is downloaded, "
                "and the server may delete it once a session ends normally (tui-mail ends one that "
                "way only when it deletes the messages you marked). tui-mail keeps its own copy "
                "in the local cache.",
                warning=True,
            )
        )
    elif isinstance(caps.expire, int):
        days = plural(caps.expire, "day")
        notes.append(
            Advice(
                f"This server removes retrieved mail {days} after it was first downloaded "
                f"(EXPIRE {caps.expire}). tui-mail keeps its own copy of what you opened in the "
                "local cache.",
                warning=True,
            )
        )
    if caps.login_delay:
        notes.append(
            Advice(
                f"The server allows one login every {duration_words(caps.login_delay)} (LOGIN-DELAY "
                f"{caps.login_delay}): tui-mail looks for new mail no more often than that, and "
                "the status bar says why."
            )
        )
    if logged_in and not caps.uidl:
        notes.append(
            Advice(
                "The server has no UIDL: tui-mail recognises messages by their headers, which is "
                "weaker (identical copies look alike).",
                warning=True,
            )
        )
    if provider is not None:
        notes.extend(Advice(text) for text in provider.advice())
    return notes


def merge_capabilities(before: Capabilities, after: Capabilities) -> Capabilities:
    """After-login capabilities, keeping EXPIRE/LOGIN-DELAY from before login if not repeated."""
    if not after.raw:
        return before
    if after.expire is None and before.expire is not None:
        after = replace(after, expire=before.expire)
    if after.login_delay is None and before.login_delay is not None:
        after = replace(after, login_delay=before.login_delay)
    return after


def split_server(text: str) -> tuple[str, int | None]:
    """``host`` or ``host:port`` (``[v6]:port`` too) -> (host, port or None).

    Raises ValueError with a message for the user.
    """
    text = text.strip()
    if not text:
        raise ValueError("enter the server name, e.g. pop.example.org")
    if "://" in text or "/" in text or any(ch.isspace() for ch in text):
        raise ValueError("enter only the server name, e.g. pop.example.org (or host:port)")
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    if not host:
        raise ValueError("enter the server name, e.g. pop.example.org")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError("the port after ':' must be a number from 1 to 65535")
    return host, int(port_text)


def probe_plan(port: int | None) -> list[tuple[int, TlsMode]]:
    """Which (port, TLS mode) to try, most secure first."""
    if port is None:
        return [(IMPLICIT_TLS_PORT, "implicit"), (POP3_PORT, "starttls"), (POP3_PORT, "none")]
    if port == IMPLICIT_TLS_PORT:
        return [(IMPLICIT_TLS_PORT, "implicit")]
    if port == POP3_PORT:
        return [(POP3_PORT, "starttls"), (POP3_PORT, "none")]
    return [(port, "implicit"), (port, "starttls"), (port, "none")]


async def probe_server(
    host: str,
    port: int | None = None,
    *,
    cafile: str | None = None,
    timeout: float = DEFAULT_PROBE_TIMEOUT,
    protocol_log: ProtocolLog | None = None,
) -> ServerReport:
    """Find how ``host`` speaks POP3; raises :class:`ProbeFailed` with the reasons."""
    skipped: list[str] = []
    unreachable_ports: set[int] = set()
    for attempt_port, tls in probe_plan(port):
        if attempt_port in unreachable_ports:
            continue
        where = f"{attempt_port} ({TLS_WORDS[tls]})"
        if protocol_log is not None:
            protocol_log("#", f"set-up: looking at {host}:{where}")
        try:
            client = await POP3Client.connect(
                host,
                attempt_port,
                tls=tls,
                cafile=cafile,
                timeout=timeout,
                protocol_log=protocol_log,
            )
        except TLSFailure as exc:
            if _is_certificate_problem(exc):
                cause = exc.__cause__
                reason = (
                    cause.verify_message if isinstance(cause, ssl.SSLCertVerificationError) else ""
                ) or "not trusted"
                raise ProbeFailed(
                    f"The certificate of {host}:{attempt_port} is not trusted ({reason}). If "
                    "the server is yours, enter its CA file (for a self-signed certificate: "
                    "the certificate itself) under CA file; `tui-mail serverinfo "
                    f"{host} --port {attempt_port}` shows what it presents.",
                    certificate=True,
                    port=attempt_port,
                    tls=tls,
                ) from None
            skipped.append(f"{where}: {describe_error(exc)}")
            continue
        except (ConnectionLost, CommandTimeout, OSError) as exc:
            if _host_unknown(exc):
                raise ProbeFailed(f"{host}: host name not found; check the spelling") from None
            if isinstance(exc, ConnectionLost) and _refused(exc):
                unreachable_ports.add(attempt_port)
            skipped.append(f"{where}: {describe_error(exc)}")
            continue
        except Exception as exc:  # NotSupported (no STLS), a -ERR greeting, ...
            skipped.append(f"{where}: {describe_error(exc)}")
            continue
        try:
            return _report(client, host, attempt_port, tls, tuple(skipped))
        finally:
            await close_politely(client)
    raise ProbeFailed(f"no POP3 server answered at {host}: " + "; ".join(skipped))


def _report(
    client: POP3Client, host: str, port: int, tls: TlsMode, skipped: tuple[str, ...]
) -> ServerReport:
    return ServerReport(
        host=host,
        port=port,
        tls=tls,
        greeting=client.greeting,
        capabilities=client.capabilities,
        apop=client.apop_timestamp is not None,
        tls_version=client.tls_version,
        certificate=certificate_summary(client.peer_certificate),
        provider=provider_for_host(host),
        skipped=skipped,
    )


async def close_politely(client: POP3Client) -> None:
    """QUIT before login commits nothing; fall back to dropping the connection."""
    try:
        await client.quit()
    except Exception:
        await client.abort()


def _is_certificate_problem(exc: BaseException) -> bool:
    return isinstance(exc.__cause__, ssl.SSLCertVerificationError) or "not trusted" in str(exc)


def _host_unknown(exc: BaseException) -> bool:
    return isinstance(exc, socket.gaierror) or isinstance(exc.__cause__, socket.gaierror)


def _refused(exc: ConnectionLost) -> bool:
    return "refused" in str(exc)


def certificate_summary(cert: dict[str, Any] | None) -> CertificateSummary | None:
    """Subject, issuer and expiry of a verified peer certificate, for people."""
    if not cert:
        return None
    expires: str | None = None
    not_after = cert.get("notAfter")
    if not_after:
        when = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), tz=UTC)
        days = (when - datetime.now(tz=UTC)).days
        expires = f"{when:%Y-%m-%d} ({f'in {days} days' if days >= 0 else 'EXPIRED'})"
    return CertificateSummary(
        subject=_name(cert.get("subject", ())),
        issuer=_name(cert.get("issuer", ())),
        expires=expires,
    )


def _name(rdns: Any) -> str:
    """``CN=pop.example.org`` style, common name and organisation only (one line)."""
    short = {"commonName": "CN", "organizationName": "O"}
    parts = [f"{short[key]}={value}" for rdn in rdns for key, value in rdn if key in short]
    return ", ".join(parts) or "(unnamed)"
