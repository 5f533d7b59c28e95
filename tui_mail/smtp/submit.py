"""Message submission (RFC 6409) for one account: connect, authenticate, send, report.

Our rules on top of smtplib: TLS is verified and required before AUTH (unless the account
says ``tls = "none"`` and ``allow_plaintext = true``); secrets come from the same chain as
POP3's and never appear in errors or the log; each refused recipient is reported with the
server's words; the message body is 8bit only when the server offered 8BITMIME.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui_mail.accounts.config import Account
from tui_mail.accounts.secret_command import SecretError
from tui_mail.accounts.secrets import Secret, SecretProvider
from tui_mail.accounts.sending import SmtpSettings
from tui_mail.mail.sanitize import sanitize_text
from tui_mail.smtp.connection import (
    DEFAULT_TIMEOUT,
    NoStartTLS,
    ProtocolLog,
    ReplyTooLong,
    open_connection,
)
from tui_mail.wording import format_size

SEND_DEADLINE = 300.0  # seconds for one whole submission, whatever the server does
_PASSWORD_METHODS = ("PLAIN", "LOGIN")


class SubmissionError(Exception):
    """Sending failed; ``str()`` is one line for the user (never a secret).

    ``stage`` is where: ``config``, ``connect``, ``tls``, ``secret`` (no password known:
    a UI may ask for one), ``auth``, ``sender``, ``recipients``, ``data``.
    """

    def __init__(self, stage: str, text: str, *, refused: dict[str, str] | None = None) -> None:
        super().__init__(text)
        self.stage = stage
        self.refused = refused or {}


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how one account submits, with secrets resolved through ``secret_account``."""

    host: str
    port: int
    tls: str
    cafile: Path | None
    auth: str
    allow_plaintext: bool
    secret_account: Account | None  # None: the server is used without AUTH


@dataclass(frozen=True)
class SubmitResult:
    """Who got the message and who was refused (address -> the server's reason)."""

    accepted: tuple[str, ...]
    refused: dict[str, str] = field(default_factory=dict)
    eight_bit: bool = False


def smtp_target(account: Account) -> SmtpTarget:
    """The account's SMTP settings, with its POP3 secrets chain as the default."""
    settings: SmtpSettings | None = account.sending.smtp
    if settings is None:
        raise SubmissionError(
            "config",
            f"account {account.name!r} has no [accounts.{account.name}.smtp] table, so it "
            'cannot send; add one with host = "smtp.example.org" (see the README)',
        )
    user = settings.user or account.user
    auth = settings.auth
    password_command = settings.password_command
    token_command = settings.oauth_token_command
    if password_command is None and token_command is None:
        # The POP3 account's chain: same command or token command, unless SMTP names its own.
        password_command = account.password_command
        token_command = account.oauth_token_command
        if auth == "auto" and account.uses_oauth:
            auth = "xoauth2" if account.auth == "xoauth2" else "oauthbearer"
    if auth not in ("xoauth2", "oauthbearer"):
        token_command = None
    else:
        password_command = None
    secret_account = Account(
        name=account.name,
        host=settings.host,
        port=settings.port,
        tls="implicit" if settings.tls == "implicit" else settings.tls,
        user=user,
        auth=auth,  # SMTP's names are a subset of POP3's
        password_command=password_command,
        oauth_token_command=token_command,
        cafile=settings.cafile,
        allow_plaintext=settings.allow_plaintext,
    )
    return SmtpTarget(
        host=settings.host,
        port=settings.port,
        tls=settings.tls,
        cafile=settings.cafile,
        auth=auth,
        allow_plaintext=settings.allow_plaintext,
        secret_account=secret_account,
    )


def _words(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return sanitize_text(" ".join(text.split()), single_line=True)[:300]


def _server_said(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_words(error.smtp_error)}".strip()


class Submitter:
    """Sends messages for one account; one connection per :meth:`send` call."""

    def __init__(
        self,
        target: SmtpTarget,
        secrets: SecretProvider,
        *,
        protocol_log: ProtocolLog | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        deadline: float = SEND_DEADLINE,
    ) -> None:
        self.target = target
        self._secrets = secrets
        self._log = protocol_log
        self._timeout = timeout
        self._deadline = deadline

    def send(
        self,
        sender: str,
        recipients: list[str],
        message_for: Callable[[bool], bytes],
        *,
        secret: Secret | None = None,
    ) -> SubmitResult:
        """Submit; ``message_for(eight_bit_ok)`` builds the bytes once EHLO is known.

        Raises :class:`SubmissionError` with the stage and the reason in words. ``secret``
        (a password the user just typed) skips the chain.
        """
        if not recipients:
            raise SubmissionError("recipients", "no recipients")
        target = self.target
        try:
            connection = open_connection(
                target.host,
                target.port,
                target.tls,
                cafile=target.cafile,
                timeout=self._timeout,
                protocol_log=self._log,
            )
        except NoStartTLS as error:
            raise SubmissionError("tls", str(error)) from None
        except ssl.SSLCertVerificationError as error:
            raise SubmissionError(
                "tls",
                f"certificate of {target.host}:{target.port} not trusted: "
                f"{error.verify_message or 'verification failed'} (add its CA with cafile "
                "in the smtp table if the server is yours)",
            ) from None
        except ssl.SSLError as error:
            raise SubmissionError(
                "tls",
                f"TLS with {target.host}:{target.port} failed: {error.reason or 'handshake'} "
                '(port 465 wants tls = "implicit", port 587 tls = "starttls")',
            ) from None
        except smtplib.SMTPResponseException as error:
            raise SubmissionError(
                "connect", f"the server refused us: {_server_said(error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise SubmissionError("connect", _connect_words(target, error)) from None
        try:
            connection.deadline = time.monotonic() + self._deadline  # type: ignore[attr-defined]
            self._authenticate(connection, secret)
            return self._transfer(connection, sender, recipients, message_for)
        except ReplyTooLong:
            raise SubmissionError("data", "the server sent an endless reply; gave up") from None
        except smtplib.SMTPServerDisconnected as error:
            raise SubmissionError(
                "data", f"the connection to {target.host} dropped ({_words(str(error))})"
            ) from None
        except (TimeoutError, OSError) as error:
            raise SubmissionError(
                "data", f"the connection to {target.host} failed: {error}"
            ) from None
        finally:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def _authenticate(self, connection: smtplib.SMTP, typed: Secret | None) -> None:
        target = self.target
        account = target.secret_account
        offered = connection.esmtp_features.get("auth", "").upper().split()
        encrypted = target.tls != "none"
        if account is None or (not offered and target.auth == "auto" and not encrypted):
            return  # a relay without AUTH (tls = "none" on a trusted network)
        if not encrypted and not target.allow_plaintext:
            raise SubmissionError("tls", "refusing to log in over an unencrypted connection")
        if not offered:
            raise SubmissionError(
                "auth",
                f"{target.host} offers no login (no AUTH in EHLO); it may not be a "
                "submission port (587 or 465)",
            )
        mechanism = self._mechanism(offered)
        try:
            secret = typed or self._secrets.secret(account)
        except SecretError as error:
            raise SubmissionError("secret", str(error)) from None
        try:
            self._auth(connection, mechanism, account.user, secret)
        except smtplib.SMTPAuthenticationError as error:
            self._secrets.login_rejected(account, secret)
            raise SubmissionError(
                "auth",
                f"the SMTP server refused the login for {account.user} ({_server_said(error)})",
            ) from None
        except smtplib.SMTPResponseException as error:
            raise SubmissionError("auth", f"login failed: {_server_said(error)}") from None
        self._secrets.login_succeeded(account, secret)

    def _mechanism(self, offered: list[str]) -> str:
        wanted = self.target.auth
        if wanted != "auto":
            name = wanted.upper()
            if name not in offered:
                raise SubmissionError(
                    "auth",
                    f"the server does not offer {name}; it offers: {_words(' '.join(offered))}",
                )
            return name
        for name in _PASSWORD_METHODS:
            if name in offered:
                return name
        raise SubmissionError(
            "auth",
            f"no password login tui-mail knows is offered ({_words(' '.join(offered))}); "
            'set auth = "xoauth2" or "oauthbearer" with oauth_token_command',
        )

    def _auth(self, connection: smtplib.SMTP, mechanism: str, user: str, secret: Secret) -> None:
        value = secret.value
        if mechanism == "PLAIN":
            plain = f"\0{user}\0{value}"
            connection.auth("PLAIN", lambda challenge=None: plain)
        elif mechanism == "LOGIN":
            answers = iter((user, value))
            connection.auth(
                "LOGIN", lambda challenge=None: next(answers, ""), initial_response_ok=False
            )
        elif mechanism == "XOAUTH2":
            initial = f"user={user}\x01auth=Bearer {value}\x01\x01"
            replies = iter((initial,))
            # After a refusal the server sends a JSON challenge; the answer is an empty line.
            connection.auth("XOAUTH2", lambda challenge=None: next(replies, ""))
        else:  # OAUTHBEARER, RFC 7628
            initial = (
                f"n,a={user},\x01host={self.target.host}\x01port={self.target.port}"
                f"\x01auth=Bearer {value}\x01\x01"
            )
            replies = iter((initial,))
            connection.auth("OAUTHBEARER", lambda challenge=None: next(replies, "\x01"))

    def _transfer(
        self,
        connection: smtplib.SMTP,
        sender: str,
        recipients: list[str],
        message_for: Callable[[bool], bytes],
    ) -> SubmitResult:
        eight_bit_ok = connection.has_extn("8bitmime")
        data = message_for(eight_bit_ok)
        is_8bit = any(byte > 127 for byte in data)
        if is_8bit and not eight_bit_ok:
            raise SubmissionError(
                "data", "the message has 8-bit text and the server does not offer 8BITMIME"
            )
        options = ["BODY=8BITMIME"] if is_8bit else []
        if connection.has_extn("size"):
            limit = connection.esmtp_features.get("size", "").strip()
            if limit.isdigit() and int(limit) and len(data) > int(limit):
                raise SubmissionError(
                    "data",
                    f"the message is {format_size(len(data))}; the server accepts at most "
                    f"{format_size(int(limit))} (remove or shrink attachments)",
                )
            options.append(f"SIZE={len(data)}")
        code, reply = connection.mail(sender, options)
        if code != 250:
            connection.rset()
            raise SubmissionError(
                "sender", f"the server refused the sender {sender}: {code} {_words(reply)}"
            )
        refused: dict[str, str] = {}
        accepted: list[str] = []
        for recipient in recipients:
            code, reply = connection.rcpt(recipient)
            if code in (250, 251):
                accepted.append(recipient)
            else:
                refused[recipient] = f"{code} {_words(reply)}"
        if not accepted:
            connection.rset()
            raise SubmissionError("recipients", _refused_words(refused), refused=refused)
        code, reply = connection.data(data)
        if code != 250:
            raise SubmissionError(
                "data", f"the server did not accept the message: {code} {_words(reply)}"
            )
        return SubmitResult(tuple(accepted), refused, is_8bit)


def _refused_words(refused: dict[str, str]) -> str:
    shown = "; ".join(f"{address}: {why}" for address, why in refused.items())
    return f"every recipient was refused ({shown})"


def _connect_words(target: SmtpTarget, error: BaseException) -> str:
    where = f"{target.host}:{target.port}"
    if isinstance(error, ConnectionRefusedError):
        return f"cannot connect to {where}: connection refused (is the SMTP server running?)"
    if isinstance(error, TimeoutError | smtplib.SMTPServerDisconnected):
        return f"cannot connect to {where}: no answer ({_words(str(error)) or 'timed out'})"
    if isinstance(error, OSError) and error.strerror:
        return f"cannot connect to {where}: {error.strerror}"
    return f"cannot connect to {where}: {_words(str(error)) or type(error).__name__}"
