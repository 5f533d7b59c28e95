"""What an account needs to send mail: its From address, SMTP server and Maildir.

Kept apart from the POP3 settings in ``config.py`` so the two halves stay readable; the
checker there calls :func:`check_sending` with its own typed-value helpers, so errors name
the file, the line and the key exactly as for every other setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from tui_mail.accounts.toml_lines import KeyPath
from tui_mail.vocabulary import (
    OAUTH_MECHANISMS,
    SMTP_AUTH_MECHANISMS,
    TLS_MODES,
    SmtpAuthMechanism,
    TlsMode,
    default_submission_port,
)

if TYPE_CHECKING:
    from tui_mail.accounts.config import _Checker

SmtpTls = TlsMode
SmtpAuth = SmtpAuthMechanism
Charset = Literal["utf-8", "iso-2022-jp"]
SMTP_TLS_MODES = TLS_MODES
CHARSETS: tuple[Charset, ...] = ("utf-8", "iso-2022-jp")
SENDING_KEYS = ("from", "maildir", "charset", "signature", "smtp")
_SMTP_KEYS = (
    "host",
    "port",
    "tls",
    "user",
    "auth",
    "password_command",
    "oauth_token_command",
    "cafile",
    "allow_plaintext",
)


default_smtp_port = default_submission_port


@dataclass(frozen=True)
class SmtpSettings:
    """``[accounts.NAME.smtp]``; unset secrets fall back to the POP3 account's chain."""

    host: str
    port: int
    tls: SmtpTls = "starttls"
    user: str | None = None  # None: the POP3 user
    auth: SmtpAuth = "auto"
    password_command: str | None = None
    oauth_token_command: str | None = None
    cafile: Path | None = None
    allow_plaintext: bool = False


@dataclass(frozen=True)
class Sending:
    """The account's sending half: ``from``, ``smtp``, ``maildir``, ``charset``, ``signature``."""

    from_address: str | None = None  # "Name <addr>" as written
    smtp: SmtpSettings | None = None
    maildir: Path | None = None  # None: DATA_DIR/mail/ACCOUNT
    charset: Charset = "utf-8"
    signature: Path | None = None

    @property
    def from_addr_spec(self) -> str | None:
        """Only the address of ``from`` (for the envelope and the Message-ID's domain)."""
        if self.from_address is None:
            return None
        return parseaddr(self.from_address)[1] or None


def check_sending(checker: _Checker, where: KeyPath, table: dict[str, object]) -> Sending:
    """The sending keys of one account table (others were checked by the caller)."""
    from_address = checker.optional_text(where, table, "from")
    if from_address is not None:
        _name, address = parseaddr(from_address)
        if "@" not in address or any(ch.isspace() for ch in address):
            raise checker.error(
                (*where, "from"),
                'write it as "Name <address@example.org>" or "address@example.org"',
            )
    maildir = checker.path_value(where, table, "maildir", must_exist=False)
    signature = checker.path_value(where, table, "signature", must_exist=True)
    charset = cast(Charset, checker.choice(where, table, "charset", CHARSETS, "utf-8"))
    smtp = None
    if "smtp" in table:
        smtp = _check_smtp(checker, (*where, "smtp"), table["smtp"])
        if from_address is None:
            raise checker.error((*where, "smtp"), 'sending needs from = "Name <address>"')
    return Sending(from_address, smtp, maildir, charset, signature)


def _check_smtp(checker: _Checker, where: KeyPath, table: object) -> SmtpSettings:
    if not isinstance(table, dict):
        raise checker.error(where, "must be a table: [accounts.NAME.smtp]")
    for key in table:
        if key not in _SMTP_KEYS:
            raise checker.error((*where, key), "unknown key (known: " + ", ".join(_SMTP_KEYS) + ")")
    if "host" not in table:
        raise checker.error(where, "missing required key 'host'")
    host = checker.text(where, table, "host")
    if "://" in host or "/" in host or any(char.isspace() for char in host):
        raise checker.error((*where, "host"), "write the host name only, e.g. smtp.example.org")
    tls = cast(SmtpTls, checker.choice(where, table, "tls", SMTP_TLS_MODES, "starttls"))
    port = default_smtp_port(tls)
    if "port" in table:
        port = cast(int, checker.typed(where, table, "port", int))
        if not 1 <= port <= 65535:
            raise checker.error((*where, "port"), "must be between 1 and 65535")
    auth = cast(SmtpAuth, checker.choice(where, table, "auth", SMTP_AUTH_MECHANISMS, "auto"))
    allow_plaintext = checker.flag(where, table, "allow_plaintext")
    if tls == "none" and not allow_plaintext:
        raise checker.error(
            (*where, "tls"),
            'tls = "none" sends the login unencrypted; use "starttls" or "implicit", '
            "or set allow_plaintext = true",
        )
    if allow_plaintext and tls != "none":
        raise checker.error(
            (*where, "allow_plaintext"), f'only applies with tls = "none" (this uses {tls!r})'
        )
    password_command = checker.optional_text(where, table, "password_command")
    token_command = checker.optional_text(where, table, "oauth_token_command")
    if auth not in OAUTH_MECHANISMS and token_command is not None:
        raise checker.error(
            (*where, "oauth_token_command"), 'only used with auth = "xoauth2" or "oauthbearer"'
        )
    if auth in OAUTH_MECHANISMS and password_command is not None:
        raise checker.error(
            (*where, "password_command"),
            f"not used with auth = {auth!r} (tokens come from oauth_token_command)",
        )
    return SmtpSettings(
        host=host,
        port=port,
        tls=tls,
        user=checker.optional_text(where, table, "user"),
        auth=auth,
        password_command=password_command,
        oauth_token_command=token_command,
        cafile=checker.cafile(where, table),
        allow_plaintext=allow_plaintext,
    )
