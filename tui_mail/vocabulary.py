"""The protocol words every layer shares, defined once: TLS modes, ports, login names, limits.

The config (``accounts``), the client (``pop3``), the commands and the test server all take
their spellings from here, so a new TLS mode or mechanism is added in one place. This module
sits below every layer and imports nothing of ours.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

TlsMode = Literal["implicit", "starttls", "none"]
"""How a connection is protected: TLS from the first byte, an STLS upgrade, or not at all."""
TLS_MODES: Final[tuple[TlsMode, ...]] = get_args(TlsMode)

IMPLICIT_TLS_PORT: Final = 995
"""POP3 over TLS from the first byte (RFC 8314, IANA ``pop3s``)."""
POP3_PORT: Final = 110
"""POP3 in the clear, upgraded with STLS or not (RFC 1939, RFC 2595)."""


def default_port(tls: str) -> int:
    """995 for implicit TLS, 110 for STLS and plain TCP (IANA assignments)."""
    return IMPLICIT_TLS_PORT if tls == "implicit" else POP3_PORT


SUBMISSION_PORT: Final = 587
"""Mail submission, upgraded with STARTTLS (RFC 6409)."""
SUBMISSIONS_PORT: Final = 465
"""Mail submission over TLS from the first byte (RFC 8314)."""


def default_submission_port(tls: str) -> int:
    """587 for submission with STARTTLS (RFC 6409), 465 for implicit TLS (RFC 8314)."""
    return SUBMISSIONS_PORT if tls == "implicit" else SUBMISSION_PORT


LoginMechanism = Literal[
    "user", "apop", "plain", "login", "cram-md5", "scram-sha-256", "xoauth2", "oauthbearer"
]
"""Login methods by the names the config and the client use (SASL names, lower-case)."""
LOGIN_MECHANISMS: Final[tuple[LoginMechanism, ...]] = get_args(LoginMechanism)

AuthMechanism = Literal["auto", LoginMechanism]
"""An account's ``auth`` key: ``auto`` (the strongest offered) or one mechanism by name."""
AUTH_MECHANISMS: Final[tuple[AuthMechanism, ...]] = ("auto", *LOGIN_MECHANISMS)

SmtpAuthMechanism = Literal["auto", "plain", "login", "xoauth2", "oauthbearer"]
"""An SMTP account's ``auth`` key: the POP3 names of the methods submission servers offer."""
SMTP_AUTH_MECHANISMS: Final[tuple[SmtpAuthMechanism, ...]] = get_args(SmtpAuthMechanism)

OAUTH_MECHANISMS: Final[frozenset[str]] = frozenset({"xoauth2", "oauthbearer"})
"""Mechanisms that send an OAuth2 access token instead of a password."""

PipeliningMode = Literal["auto", "on", "off"]
"""``auto``: pipeline when CAPA says PIPELINING; ``on``: always (servers that work but do not
say so, e.g. popa3d); ``off``: never."""
PIPELINING_MODES: Final[tuple[PipeliningMode, ...]] = get_args(PipeliningMode)

MAX_COMMAND_OCTETS: Final = 255
"""RFC 2449: a command line, CRLF included, is at most 255 octets."""
