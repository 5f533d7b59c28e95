"""USER and PASS (and the CAPA after login) in one write, when the server allows it.

One round trip instead of three on a slow link. Decided (issue 14): only when the server's
CAPA announced both ``PIPELINING`` and ``USER`` and the account does not turn pipelining
off. Forcing pipelining (``pipelining = "on"``, for servers without CAPA) does not apply
here: a server that never said it takes USER might refuse it, and then PASS would already
be on its way. With ``USER`` announced, a refused USER means a wrong user name for that
very server; the PASS that follows reaches the same server over the same link that the
password was going to cross anyway, and the link itself was checked before (rule 2: TLS,
or plaintext explicitly allowed). A refused USER is reported as before, as USER's error.
"""

from __future__ import annotations

from tui_mail.pop3.bounds import SMALL_ANSWER_BYTES
from tui_mail.pop3.capabilities import Capabilities, PipeliningMode
from tui_mail.pop3.connection import Connection
from tui_mail.pop3.errors import CommandTimeout, ConnectionLost
from tui_mail.pop3.protocol import Command, Expect, Status, decode_text, encode_command


def pipelines_login(mode: PipeliningMode, capabilities: Capabilities) -> bool:
    """Whether USER, PASS and CAPA may go in one write (see the module doc)."""
    return mode != "off" and capabilities.pipelining and capabilities.user


async def user_pass_pipelined(conn: Connection, user: Command, password: Command) -> Capabilities:
    """Send USER, PASS, CAPA at once; raise USER's or PASS's error, else the new capabilities.

    Every answer is read (or the stream has ended) before an error is raised, so the
    connection stays in step and the refusal is classified exactly as a lone command's.
    """
    conn.send_mixed(
        [(user, Expect.SINGLE), (password, Expect.SINGLE), (encode_command("CAPA"), Expect.MULTI)]
    )
    user_status = await conn.status("USER")
    pass_status: Status | None = None
    capa: Capabilities | None = None
    lost: ConnectionLost | CommandTimeout | None = None
    try:
        pass_status = await conn.status("PASS")
        capa_status = await conn.status("CAPA")
        if capa_status.ok:
            data = await conn.collect("CAPA", limit=SMALL_ANSWER_BYTES, log_lines=True)
            capa = Capabilities.parse(decode_text(data).split("\r\n"))
        else:
            capa = Capabilities()
    except (ConnectionLost, CommandTimeout) as error:
        lost = error
    if not user_status.ok:
        await conn.raise_for(user_status, "USER")
    if pass_status is not None and not pass_status.ok:
        await conn.raise_for(pass_status, "PASS")
    if lost is not None:  # PASS unanswered, or logged in and then lost: as a lone command
        raise lost
    assert capa is not None
    return capa
