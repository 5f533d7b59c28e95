"""USER, PASS and the CAPA after login travel in one write only where the server allows it.

Decided in ``pop3/user_login.py``: PIPELINING *and* USER announced in CAPA, pipelining not
turned off. Refusals must come out exactly as they do one command at a time (same error
type, same words), and the stream must stay in step. Checked on the test server's own
record of what arrived ahead of its answers.
"""

from __future__ import annotations

import pytest

from tests.pop3server import DropFault, ErrorFault, Faults, POP3TestServer
from tui_mail.pop3 import POP3Client
from tui_mail.pop3.capabilities import Capabilities, PipeliningMode
from tui_mail.pop3.errors import PlaintextNotAllowed, POP3Error
from tui_mail.pop3.user_login import pipelines_login

MESSAGES = [f"Subject: message {n}\r\n\r\nbody {n}\r\n".encode() for n in range(1, 4)]


async def _login(
    server: POP3TestServer,
    *,
    password: str | None = None,
    mode: PipeliningMode = "auto",
    allow_plaintext: bool = True,
) -> POP3Client:
    client = await POP3Client.connect(
        server.host,
        server.port,
        tls="none",
        allow_plaintext=allow_plaintext,
        timeout=5,
        pipelining=mode,
    )
    try:
        await client.login(server.user, password or server.password, mechanism="user")
    except BaseException:
        await client.abort()
        raise
    return client


def login_verbs(server: POP3TestServer) -> list[str]:
    verbs = server.last_session.verbs
    return verbs[: verbs.index("CAPA", 1) + 1] if verbs.count("CAPA") > 1 else verbs


async def test_user_pass_and_capa_go_in_one_write() -> None:
    async with POP3TestServer(MESSAGES) as server:
        client = await _login(server)
        assert await client.stat() == (3, sum(len(m) for m in MESSAGES))
        await client.quit()
    record = server.last_session
    assert login_verbs(server) == ["CAPA", "USER", "PASS", "CAPA"]
    assert record.ahead[:2] == ["PASS", "CAPA"]  # both were already there when USER was answered
    # The capabilities are the ones announced after login (no USER/SASL any more).
    assert client.capabilities.top and not client.capabilities.user


@pytest.mark.parametrize(
    ("faults", "mode"),
    [
        (Faults(no_pipelining=True), "auto"),  # PIPELINING not announced
        (Faults(), "off"),  # the account turned it off
        (Faults(no_capa=True), "on"),  # forced, but USER was never announced
        (Faults(late_capabilities=True), "auto"),  # PIPELINING only after login (Gmail)
    ],
)
async def test_otherwise_one_command_at_a_time(faults: Faults, mode: PipeliningMode) -> None:
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        client = await _login(server, mode=mode)
        await client.quit()
    assert "PASS" not in server.last_session.ahead
    assert server.last_session.user == server.user


def test_the_rule_in_one_place() -> None:
    both = Capabilities(pipelining=True, user=True)
    assert pipelines_login("auto", both) and pipelines_login("on", both)
    assert not pipelines_login("off", both)
    assert not pipelines_login("on", Capabilities(pipelining=False, user=True))
    assert not pipelines_login("auto", Capabilities(pipelining=True, user=False))


async def _refusal(faults: Faults, *, password: str | None = None) -> tuple[type, str, list[str]]:
    async with POP3TestServer(MESSAGES, faults=faults) as server:
        with pytest.raises(POP3Error) as caught:
            await _login(server, password=password)
    return type(caught.value), str(caught.value), server.last_session.ahead


@pytest.mark.parametrize(
    ("fault", "password"),
    [
        (ErrorFault(command="USER", code=None, text="no such user"), None),
        (ErrorFault(command="USER", code="SYS/TEMP", text="try later"), None),
        (ErrorFault(command="USER", code="IN-USE", text="locked"), None),
        (None, "wrong-password"),
        (DropFault(command="PASS"), None),
        (DropFault(command="USER"), None),
        (DropFault(command="PASS", server_text="shutting down"), None),
    ],
)
async def test_refusals_read_as_they_do_one_at_a_time(
    fault: ErrorFault | DropFault | None, password: str | None
) -> None:
    errors = () if not isinstance(fault, ErrorFault) else (fault,)
    drops = () if not isinstance(fault, DropFault) else (fault,)
    piped = await _refusal(Faults(errors=errors, drops=drops), password=password)
    alone = await _refusal(
        Faults(errors=errors, drops=drops, no_pipelining=True), password=password
    )
    assert piped[:2] == alone[:2]
    assert "PASS" not in alone[2]


async def test_a_refused_user_still_had_the_password_sent_after_it() -> None:
    """The documented cost of the round trip saved: PASS was on its way (see user_login)."""
    fault = ErrorFault(command="USER", code=None, text="no such user")
    async with POP3TestServer(MESSAGES, faults=Faults(errors=(fault,))) as server:
        with pytest.raises(POP3Error, match="no such user"):
            await _login(server)
    assert server.last_session.verbs[:3] == ["CAPA", "USER", "PASS"]
    assert "PASS" in server.last_session.ahead


async def test_no_password_on_a_clear_link_unless_allowed() -> None:
    async with POP3TestServer(MESSAGES) as server:
        with pytest.raises(PlaintextNotAllowed):
            await _login(server, allow_plaintext=False)
    assert server.last_session.verbs == ["CAPA"]


async def test_the_protocol_log_never_holds_the_password() -> None:
    lines: list[tuple[str, str]] = []
    async with POP3TestServer(MESSAGES) as server:
        client = await POP3Client.connect(
            server.host,
            server.port,
            tls="none",
            allow_plaintext=True,
            timeout=5,
            protocol_log=lambda direction, text: lines.append((direction, text)),
        )
        await client.login(server.user, server.password, mechanism="user")
        await client.quit()
    assert "PASS" in server.last_session.ahead
    sent = [text for direction, text in lines if direction == "C"]
    assert any(text.startswith("PASS") for text in sent)
    assert not any(server.password in text for _, text in lines)
