"""Errors in words: one clear line for any failure, without secrets or tracebacks.

The session layer says what went wrong; the UI and the commands only show or print it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl

from tui_mail.mail.sanitize import sanitize_text
from tui_mail.pop3.errors import (
    AuthFailed,
    LoginRefused,
    MailboxInUse,
    POP3Error,
    ServerError,
    TemporaryFailure,
    server_words,
)
from tui_mail.store.schema import StoreError


def describe_error(exc: BaseException) -> str:
    """Words for the user; the exception text is included only where it is the server's.

    The result has been through the mail sanitiser (one line): a server's -ERR text cannot
    reach a toast, the status bar or stderr with its terminal escapes.
    """
    return sanitize_text(_words(exc), single_line=True)


def _words(exc: BaseException) -> str:
    if isinstance(exc, LoginRefused):
        return f"login refused (wrong password?): {exc.text}"
    if isinstance(exc, AuthFailed):
        return f"login refused: {exc.text}"
    if isinstance(exc, MailboxInUse):
        return f"mailbox busy (another session holds it): {exc.text}"
    if isinstance(exc, TemporaryFailure):
        return f"temporary server failure, try again later: {exc.text}"
    if isinstance(exc, ServerError):
        return f"server said: {exc.text}"
    if isinstance(exc, POP3Error):  # the client's messages are written for users already
        return str(exc) or type(exc).__name__
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not trusted ({exc.verify_message}); pass --cafile if it is yours"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, StoreError):  # written for users: "disk full: cannot write to DIR"
        return str(exc)
    if isinstance(exc, OSError):
        return server_words(exc.strerror or str(exc))
    if isinstance(exc, RecursionError):
        return "unexpected error: something was nested too deeply (RecursionError)"
    # Anything else is our bug; its text may quote what a server or a message said.
    detail = server_words(str(exc))[:200]
    return (
        f"unexpected error ({type(exc).__name__}{': ' + detail if detail else ''}); "
        "run with --log FILE and report it"
    )
