"""Set-up's trial login: the same path the reader takes, then STAT, then a harmless QUIT.

It goes through :func:`open_session`, so what set-up proves is exactly what the reader will
do: verified TLS, the secret from the provider chain (a typed password is saved in the keyring
only after the server accepted it), a refused OAuth token refreshed once. Nothing is retrieved
or deleted, so the QUIT commits nothing (and Gmail pops nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

from tui_mail.accounts import Account, SecretProvider
from tui_mail.pop3 import Capabilities, POP3Client
from tui_mail.pop3.connection import ProtocolLog
from tui_mail.session.connect import open_session
from tui_mail.wording import format_size, plural

LOGIN_CHECK_TIMEOUT = 30.0


@dataclass(frozen=True)
class LoginReport:
    """What the server showed after a successful login."""

    messages: int
    octets: int
    capabilities: Capabilities  # after login: authoritative for EXPIRE and LOGIN-DELAY

    def words(self) -> str:
        count, size = plural(self.messages, "message"), format_size(self.octets)
        return f"Login accepted: {count} ({size}) on the server."


async def check_login(
    account: Account,
    secrets: SecretProvider,
    *,
    timeout: float = LOGIN_CHECK_TIMEOUT,
    protocol_log: ProtocolLog | None = None,
) -> LoginReport:
    """Log in as the reader would; raises what :func:`open_session` raises on failure."""
    if protocol_log is not None:
        protocol_log(
            "#",
            f"set-up: test login to {account.host}:{account.port} "
            f"(tls={account.tls}, auth={account.auth})",
        )
    client = await open_session(account, secrets, timeout=timeout, protocol_log=protocol_log)
    try:
        messages, octets = await client.stat()
        capabilities = client.capabilities
    except BaseException:
        await client.abort()
        raise
    await _close_politely(client)
    return LoginReport(messages=messages, octets=octets, capabilities=capabilities)


async def _close_politely(client: POP3Client) -> None:
    try:
        await client.quit()
    except Exception:
        await client.abort()
