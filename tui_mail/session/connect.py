"""Open a logged-in POP3 session for a configured account.

The one place that joins config, secrets and the client, so the reader, ``check`` and the
benchmarks log in the same way: verified TLS as configured, the secret from the provider chain,
a refused OAuth token refreshed once, a refused password dropped from the cache.
"""

from __future__ import annotations

import asyncio

from tui_mail.accounts import Account, SecretProvider
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.connection import ProtocolLog
from tui_mail.pop3.errors import AuthFailed, LoginRefused

DEFAULT_TIMEOUT = 30.0
# The most commands in flight; the adaptive window (pop3/window.py) keeps about a quarter
# second of answers in flight below it, so this only matters on fast links: 1,000 TOP n 0 at
# 50 ms RTT took 0.9 s with 128 and 0.55 s with 512 (measured, issue 14).
PIPELINE_WINDOW = 512


async def open_session(
    account: Account,
    secrets: SecretProvider,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    protocol_log: ProtocolLog | None = None,
    refusal_is_final: bool = False,
) -> POP3Client:
    """Connect and log in; on any failure the connection is closed (never QUIT).

    ``refusal_is_final``: a login refused without a response code (many servers answer a
    wrong password with a bare -ERR) counts as a wrong password: the secret is forgotten
    and :class:`AuthFailed` raised, so no retry loop can lock the account.
    """
    try:
        return await _login(
            account, secrets, timeout, protocol_log, refresh=False, final=refusal_is_final
        )
    except AuthFailed:
        if not account.uses_oauth:
            raise
    # Access tokens expire: run the token command again once before giving up.
    return await _login(
        account, secrets, timeout, protocol_log, refresh=True, final=refusal_is_final
    )


async def _login(
    account: Account,
    secrets: SecretProvider,
    timeout: float,
    protocol_log: ProtocolLog | None,
    *,
    refresh: bool,
    final: bool,
) -> POP3Client:
    client = await POP3Client.connect(
        account.host,
        account.port,
        tls=account.tls,
        cafile=account.cafile,
        allow_plaintext=account.allow_plaintext,
        timeout=timeout,
        protocol_log=protocol_log,
        pipeline_window=PIPELINE_WINDOW,
        pipelining=account.pipelining,
    )
    try:
        # Commands (pass, gpg-agent) may block for a while: keep the event loop free.
        secret = await asyncio.to_thread(secrets.secret, account, refresh=refresh)
        try:
            await client.login(account.user, secret.value, mechanism=account.auth)
        except AuthFailed:
            secrets.login_rejected(account, secret)
            raise
        except LoginRefused as refused:
            if not final:
                raise
            secrets.login_rejected(account, secret)
            raise AuthFailed(f"{refused.text} (refused twice: taken as a wrong password)") from None
        secrets.login_succeeded(account, secret)
    except BaseException:
        await client.abort()
        raise
    return client
