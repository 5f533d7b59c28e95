"""A real SMTP submission server for the tests: aiosmtpd with STARTTLS and AUTH required.

It runs in its own thread on a free loopback port with the test CA's server certificate,
accepts one user (``alice`` / ``s3cret``), refuses any recipient at ``refused.example`` with
550, and keeps every accepted envelope so tests can read what was really delivered.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

USER = "alice"
PASSWORD = "s3cret"
TOKEN = "ya29.test-token"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str]


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower().endswith("@refused.example"):
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """Google's XOAUTH2: ``user=U^Aauth=Bearer T^A^A``, base64 (initial response or not)."""
        if len(args) > 1:  # ["XOAUTH2", initial response]
            blob = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("", encode_to_b64=False)
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=False)
            blob = answer
        if blob == f"user={USER}\x01auth=Bearer {TOKEN}\x01\x01".encode():
            self.logins.append("XOAUTH2")
            return AuthResult(success=True, handled=False, auth_data=USER)
        return AuthResult(success=False, handled=False)

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:
        """RFC 7628: ``n,a=U,^Ahost=H^Aport=P^Aauth=Bearer T^A^A`` (initial response)."""
        blob = base64.b64decode(args[1]) if len(args) > 1 else b""
        fields = dict(part.split("=", 1) for part in blob.decode().split("\x01")[1:] if "=" in part)
        if blob.startswith(f"n,a={USER},".encode()) and fields.get("auth") == f"Bearer {TOKEN}":
            self.logins.append("OAUTHBEARER")
            return AuthResult(success=True, handled=False, auth_data=USER)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        with self.lock:
            self.received.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    bytes(content),
                    list(envelope.mail_options),
                )
            )
        return "250 2.0.0 queued"


def _authenticator(handler: Handler) -> Any:
    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            ok = data.login == USER.encode() and data.password == PASSWORD.encode()
            if ok:
                handler.logins.append(mechanism)
            return AuthResult(success=ok, handled=False)
        return AuthResult(success=False, handled=False)

    return check


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _Controller(Controller):
    def __init__(self, handler: Handler, port: int, factory_kwargs: dict[str, Any], **kw: Any):
        self._factory_kwargs = factory_kwargs
        super().__init__(handler, hostname="127.0.0.1", port=port, **kw)

    def factory(self) -> SMTP:
        return SMTP(self.handler, **self._factory_kwargs)


class SmtpServer:
    """Start with :meth:`start`; ``port``, ``received`` and ``stop()`` for the tests."""

    def __init__(
        self,
        server_context: ssl.SSLContext | None,
        *,
        implicit: bool = False,
        require_tls: bool = True,
        port: int | None = None,
        size_limit: int | None = None,
    ) -> None:
        self.handler = Handler()
        self.port = port or free_port()
        kwargs: dict[str, Any] = {
            "hostname": "smtp.test",
            "authenticator": _authenticator(self.handler),
            "auth_required": True,
            # aiosmtpd cannot see implicit TLS: it is TLS from the first byte all the same.
            "auth_require_tls": require_tls and not implicit,
        }
        if size_limit is not None:
            kwargs["data_size_limit"] = size_limit
        controller_kw: dict[str, Any] = {}
        if implicit:
            controller_kw["ssl_context"] = server_context
            controller_kw["server_hostname"] = "127.0.0.1"
        elif server_context is not None:
            kwargs["tls_context"] = server_context
            kwargs["require_starttls"] = require_tls
        self.controller = _Controller(self.handler, self.port, kwargs, **controller_kw)

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller._thread is not None:  # stopping twice is fine
            self.controller.stop()
