"""POP3Client.login against scripted servers: the exact AUTH/APOP/USER byte exchanges, and
proof that no password or token reaches an exception text or the protocol log."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import re

import pytest

from tests.pop3_fake import GREETING, FakeServer, Handler, open_client
from tui_mail.pop3.errors import (
    AuthFailed,
    InvalidArgument,
    NotSupported,
    POP3Error,
    ProtocolError,
    ServerError,
)

SECRET = "Sup3r-Secret-Pa55!"
ALL_SASL = b"SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 XOAUTH2 OAUTHBEARER\r\n"
CAPA_SASL = b"+OK\r\nUSER\r\nAUTH-RESP-CODE\r\n" + ALL_SASL + b".\r\n"


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


def unb64(data: bytes) -> bytes:
    return base64.b64decode(data, validate=True)


async def read_line(reader: asyncio.StreamReader, server: FakeServer) -> bytes:
    line = (await reader.readline()).rstrip(b"\r\n")
    server.commands.append(line)
    return line


def two_step(
    server: FakeServer, challenge: bytes = b"", *, final: bytes = b"+OK in\r\n"
) -> Handler:
    """AUTH handler: send ``challenge``, record the client's one response line, send final."""

    async def handler(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        writer.write(b"+ " + b64(challenge) + b"\r\n")
        await writer.drain()
        await read_line(reader, server)
        writer.write(final)
        return True

    return handler


# -- exact exchanges -------------------------------------------------------------------------------


async def test_user_pass() -> None:
    async with FakeServer() as server:
        client = await open_client(server)
        assert await client.login("joe", "pass word", mechanism="user") == "user"
        assert server.commands[1:3] == [b"USER joe", b"PASS pass word"]
        await client.abort()


async def test_apop_digest_rfc1939() -> None:
    async with FakeServer(greeting=GREETING, replies={b"APOP": b"+OK\r\n"}) as server:
        client = await open_client(server)
        assert await client.login("mrose", "tanstaaf", mechanism="apop") == "apop"
        assert server.commands[1] == b"APOP mrose c4c9334bac560ecc979e58001b3e22fb"
        await client.abort()


async def test_apop_without_timestamp_is_not_supported() -> None:
    async with FakeServer(greeting=b"+OK hi\r\n") as server:
        client = await open_client(server)
        with pytest.raises(NotSupported):
            await client.login("u", "p", mechanism="apop")
        await client.abort()


async def test_plain_short_goes_on_the_auth_line() -> None:
    async with FakeServer(capa=CAPA_SASL, replies={b"AUTH": b"+OK\r\n"}) as server:
        client = await open_client(server)
        assert await client.login("joe", "pw", mechanism="plain") == "plain"
        assert server.commands[1] == b"AUTH PLAIN " + b64(b"\0joe\0pw")
        await client.abort()


async def test_plain_too_long_for_255_octets_uses_the_continuation_line() -> None:
    password = "p" * 200
    async with FakeServer(capa=CAPA_SASL) as server:
        server.replies[b"AUTH"] = two_step(server)
        client = await open_client(server)
        await client.login("joe", password, mechanism="plain")
        assert server.commands[1:3] == [b"AUTH PLAIN", b64(b"\0joe\0" + password.encode())]
        await client.abort()


async def test_xoauth2_is_always_two_step() -> None:
    async with FakeServer(capa=CAPA_SASL) as server:
        server.replies[b"AUTH"] = two_step(server)
        client = await open_client(server)
        assert await client.login("me@example.com", "tok", mechanism="xoauth2") == "xoauth2"
        assert server.commands[1] == b"AUTH XOAUTH2"
        assert unb64(server.commands[2]) == b"user=me@example.com\x01auth=Bearer tok\x01\x01"
        await client.abort()


async def test_xoauth2_refused_token_is_acknowledged_then_auth_failed() -> None:
    error = json.dumps({"status": "401", "schemes": "Bearer"}).encode()

    async def refuse(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        writer.write(b"+ \r\n")
        await read_line(reader, server)  # the token
        writer.write(b"+ " + b64(error) + b"\r\n")
        await writer.drain()
        await read_line(reader, server)  # the acknowledgement
        writer.write(b"-ERR Authentication failed.\r\n")
        return True

    async with FakeServer(capa=CAPA_SASL, replies={b"AUTH": refuse}) as server:
        client = await open_client(server)
        with pytest.raises(AuthFailed, match="status 401"):
            await client.login("me", SECRET, mechanism="xoauth2")
        assert server.commands[-1] == b""  # XOAUTH2 answers the error challenge with nothing
        await client.noop()
        await client.abort()


async def test_oauthbearer_inline_when_short_continuation_when_long() -> None:
    async with FakeServer(capa=CAPA_SASL) as server:
        server.replies[b"AUTH"] = b"+OK\r\n"
        client = await open_client(server)
        await client.login("me", "short", mechanism="oauthbearer")
        inline = server.commands[1].split(b" ")
        assert inline[:2] == [b"AUTH", b"OAUTHBEARER"]
        assert unb64(inline[2]).endswith(b"auth=Bearer short\x01\x01")
        await client.abort()
    long_token = "t" * 400
    async with FakeServer(capa=CAPA_SASL) as server:
        server.replies[b"AUTH"] = two_step(server)
        client = await open_client(server)
        await client.login("me", long_token, mechanism="oauthbearer")
        assert server.commands[1] == b"AUTH OAUTHBEARER"
        assert unb64(server.commands[2]).endswith(f"Bearer {long_token}\x01\x01".encode())
        await client.abort()


async def test_login_mechanism_answers_prompts_in_order() -> None:
    async def login(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        for prompt in (b"Username:", b"Password:"):
            writer.write(b"+ " + b64(prompt) + b"\r\n")
            await writer.drain()
            await read_line(reader, server)
        writer.write(b"+OK\r\n")
        return True

    async with FakeServer(capa=CAPA_SASL, replies={b"AUTH": login}) as server:
        client = await open_client(server)
        await client.login("joe", "pw", mechanism="login")
        assert server.commands[1:] == [b"AUTH LOGIN", b64(b"joe"), b64(b"pw"), b"CAPA"]
        await client.abort()


async def test_cram_md5_rfc2195_exchange() -> None:
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    async with FakeServer(capa=CAPA_SASL) as server:
        server.replies[b"AUTH"] = two_step(server, challenge)
        client = await open_client(server)
        await client.login("tim", "tanstaaftanstaaf", mechanism="cram-md5")
        assert server.commands[1:3] == [
            b"AUTH CRAM-MD5",
            b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw",
        ]
        await client.abort()


def scram_server(server: FakeServer, *, final: bytes) -> Handler:
    """SCRAM server that cannot know the password: it forges the last step."""

    async def handler(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        client_first = unb64(command.split(b" ")[2]).decode()
        nonce = client_first.split("r=", 1)[1] + "srv"
        server_first = f"r={nonce},s={b64(b'salt').decode()},i=4096".encode()
        writer.write(b"+ " + b64(server_first) + b"\r\n")
        await writer.drain()
        await read_line(reader, server)  # client-final with proof
        writer.write(final)
        await writer.drain()
        if final.startswith(b"+ "):
            if await read_line(reader, server) == b"*":
                writer.write(b"-ERR [AUTH] Authentication cancelled.\r\n")
        return True

    return handler


async def test_scram_forged_server_signature_is_cancelled_and_dropped() -> None:
    forged = b"+ " + b64(b"v=" + b64(b"\0" * 32)) + b"\r\n"
    async with FakeServer(capa=CAPA_SASL) as server:
        server.replies[b"AUTH"] = scram_server(server, final=forged)
        client = await open_client(server)
        with pytest.raises(ProtocolError, match="impostor"):
            await client.login("u", SECRET, mechanism="scram-sha-256")
        assert server.commands[-1] == b"*" and client.closed


async def test_scram_success_without_server_proof_is_dropped() -> None:
    async with FakeServer(capa=CAPA_SASL) as server:
        server.replies[b"AUTH"] = scram_server(server, final=b"+OK logged in\r\n")
        client = await open_client(server)
        with pytest.raises(ProtocolError, match="without proving"):
            await client.login("u", SECRET, mechanism="scram-sha-256")
        assert client.closed


# -- choosing and guarding ---------------------------------------------------------------------


async def test_auto_picks_scram_and_demands_the_server_proof() -> None:
    async with FakeServer(capa=CAPA_SASL) as server:
        server.replies[b"AUTH"] = b"-ERR [AUTH] no\r\n"
        client = await open_client(server)
        with pytest.raises(AuthFailed):
            await client.login("u", "pw")
        assert server.commands[-1].startswith(b"AUTH SCRAM-SHA-256 ")
        server.replies[b"AUTH"] = b"+OK\r\n"  # accepted without proving it knows the password
        with pytest.raises(ProtocolError):
            await client.login("u", "pw")
        assert client.closed


async def test_auto_prefers_apop_over_user_and_refreshes_capa() -> None:
    async with FakeServer(replies={b"APOP": b"+OK\r\n"}) as server:
        client = await open_client(server)
        before_login = client.capabilities
        assert not before_login.pipelining
        server.replies[b"CAPA"] = b"+OK\r\nTOP\r\nPIPELINING\r\n.\r\n"
        assert await client.login("u", "pw") == "apop"
        assert client.capabilities.pipelining
        await client.abort()


async def test_auto_with_only_oauth_offered_is_not_supported() -> None:
    async with FakeServer(
        greeting=b"+OK hi\r\n", capa=b"+OK\r\nSASL XOAUTH2 OAUTHBEARER\r\n.\r\n"
    ) as server:
        client = await open_client(server)
        with pytest.raises(NotSupported):
            await client.login("u", "pw")
        await client.abort()


@pytest.mark.parametrize(
    ("user", "secret"), [("u\r\nDELE 1", "pw"), ("u", "pw\r\nDELE 1"), ("u", "p\0w")]
)
async def test_injection_in_credentials_is_refused_before_sending(user: str, secret: str) -> None:
    async with FakeServer() as server:
        client = await open_client(server)
        for mechanism in ("user", "plain", "apop"):
            with pytest.raises(InvalidArgument) as info:
                await client.login(user, secret, mechanism=mechanism)
            assert secret not in str(info.value) and secret not in repr(info.value)
        assert server.commands == [b"CAPA"]
        await client.abort()


async def test_unknown_mechanism() -> None:
    async with FakeServer() as server:
        client = await open_client(server)
        with pytest.raises(InvalidArgument):
            await client.login("u", "p", mechanism="kerberos")
        await client.abort()


# -- secrets never leak ------------------------------------------------------------------------


def echo_everything(server: FakeServer, *, code: bytes) -> Handler:
    """A hostile server: echoes every client line, raw and base64-decoded, in its -ERR."""

    def decoded(line: bytes) -> bytes:
        try:
            return unb64(line)
        except (binascii.Error, ValueError):
            return b""

    def refusal(lines: list[bytes]) -> bytes:
        echoed = b" | ".join(part for line in lines for part in (line, decoded(line)))
        return (
            b"-ERR " + code + b"echo: " + echoed.replace(b"\r", b"").replace(b"\n", b"") + b"\r\n"
        )

    async def handler(
        command: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        lines = [command, *command.split(b" ")[1:]]
        if command.split(b" ")[0] in (b"PASS", b"APOP") or len(command.split(b" ")) > 2:
            writer.write(refusal(lines))
            return True
        token_first = command.endswith((b"XOAUTH2", b"OAUTHBEARER", b"PLAIN"))
        for challenge in (b"" if token_first else b"<1.2@host>", b"Password:"):
            writer.write(b"+ " + b64(challenge) + b"\r\n")
            await writer.drain()
            lines.append(await read_line(reader, server))
            if lines[-1] == b"*":
                break
        writer.write(refusal(lines))
        return True

    return handler


def leaks(text: str, secret: str) -> bool:
    if secret in text:
        return True
    for token in re.findall(r"[A-Za-z0-9+/=]{8,}", text):
        try:
            if secret.encode() in base64.b64decode(token + "=" * (-len(token) % 4)):
                return True
        except (binascii.Error, ValueError):
            continue
    return False


def exception_chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


@pytest.mark.parametrize("code", [b"[AUTH] ", b""])
@pytest.mark.parametrize(
    "mechanism",
    ["user", "apop", "plain", "login", "cram-md5", "scram-sha-256", "xoauth2", "oauthbearer"],
)
async def test_secret_never_in_errors_or_log(mechanism: str, code: bytes) -> None:
    log: list[str] = []
    async with FakeServer(capa=CAPA_SASL) as server:
        server.replies[b"PASS"] = server.replies[b"APOP"] = server.replies[b"AUTH"] = (
            echo_everything(server, code=code)
        )
        client = await open_client(server, protocol_log=lambda d, line: log.append(line))
        with pytest.raises(POP3Error) as info:
            await client.login("joe", SECRET, mechanism=mechanism)
        assert not isinstance(info.value, InvalidArgument)
        for exc in exception_chain(info.value):
            assert not leaks(str(exc), SECRET) and not leaks(repr(exc), SECRET)
            for attribute in ("text", "server_text"):
                assert not leaks(str(getattr(exc, attribute, "")), SECRET)
        assert log and not any(leaks(line, SECRET) for line in log)
        assert any("***" in line for line in log)
        if code:
            assert isinstance(info.value, ServerError | ProtocolError)
        await client.abort()


async def test_protocol_log_redacts_pass_and_sizes_data() -> None:
    log: list[tuple[str, str]] = []
    async with FakeServer(
        replies={b"RETR": b"+OK\r\nSubject: private\r\n\r\nbody\r\n.\r\n"}
    ) as server:
        client = await open_client(server, protocol_log=lambda d, line: log.append((d, line)))
        await client.login("joe", SECRET, mechanism="user")
        await client.retr(1, io.BytesIO())
        await client.abort()
    assert ("C", "USER joe") in log and ("C", "PASS ***") in log
    body = b"Subject: private\r\n\r\nbody\r\n"
    assert ("S", f"[{len(body)} bytes of data]") in log
    assert not any("private" in line or SECRET in line for _, line in log)
