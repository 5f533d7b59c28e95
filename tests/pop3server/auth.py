"""Server side of the login methods the POP3 test server offers: APOP and SASL mechanisms.

Each SASL mechanism is a generator: it yields challenges (raw bytes, base64-encoded by the
session) and receives the client's decoded responses; it returns the authenticated user name or
None. Keeping the exchange I/O-free makes every mechanism easy to read next to its RFC.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Generator
from dataclasses import dataclass

#: A SASL exchange: yields challenges, is sent responses, returns the user (or None on failure).
SaslExchange = Generator[bytes, bytes, "str | None"]

SCRAM_ITERATIONS = 4096


@dataclass(frozen=True)
class Credentials:
    """The one account a test server knows: a password and, optionally, an OAuth token."""

    user: str
    password: str
    token: str | None = None

    def password_ok(self, user: str, password: str) -> bool:
        """Constant-time check of a user name and password."""
        return _same(user, self.user) & _same(password, self.password)

    def token_ok(self, user: str, token: str) -> bool:
        """Constant-time check of an OAuth bearer token for ``user``."""
        return self.token is not None and (_same(user, self.user) & _same(token, self.token))


def _same(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode("utf-8"), right.encode("utf-8"))


def apop_digest(timestamp: str, password: str) -> str:
    """RFC 1939 APOP digest: lower-case hex MD5 of the greeting timestamp and the secret."""
    return hashlib.md5((timestamp + password).encode("utf-8"), usedforsecurity=False).hexdigest()


def apop_ok(credentials: Credentials, timestamp: str, user: str, digest: str) -> bool:
    """Whether an APOP command's digest proves the password."""
    expected = apop_digest(timestamp, credentials.password)
    return _same(user, credentials.user) & _same(digest.lower(), expected)


def make_timestamp(domain: str = "tui-mail.test") -> str:
    """A fresh ``<random.random@domain>`` msg-id, for APOP greetings and CRAM-MD5 challenges."""
    return f"<{secrets.randbelow(10**9)}.{secrets.token_hex(6)}@{domain}>"


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def plain(credentials: Credentials, initial: bytes | None) -> SaslExchange:
    """RFC 4616: ``authzid NUL authcid NUL password``, authzid empty or equal to authcid."""
    response = initial if initial is not None else (yield b"")
    parts = response.split(b"\0")
    if len(parts) != 3:
        return None
    authzid, user, password = (_utf8(part) for part in parts)
    if user is None or password is None or authzid not in ("", user):
        return None
    return user if credentials.password_ok(user, password) else None


def login(credentials: Credentials, initial: bytes | None) -> SaslExchange:
    """The LOGIN mechanism (draft-murchison-sasl-login): user name, then password."""
    user_bytes = initial if initial is not None else (yield b"Username:")
    password_bytes = yield b"Password:"
    user, password = _utf8(user_bytes), _utf8(password_bytes)
    if user is None or password is None:
        return None
    return user if credentials.password_ok(user, password) else None


def cram_md5(credentials: Credentials, initial: bytes | None) -> SaslExchange:
    """RFC 2195: the client answers ``user SP hex(HMAC-MD5(password, challenge))``."""
    if initial is not None:  # the server speaks first in CRAM-MD5
        return None
    challenge = make_timestamp().encode("ascii")
    response = _utf8((yield challenge))
    if response is None or " " not in response:
        return None
    user, digest = response.rsplit(" ", 1)
    expected = hmac.new(credentials.password.encode("utf-8"), challenge, "md5").hexdigest()
    return user if _same(user, credentials.user) & _same(digest.lower(), expected) else None


def _scram_attributes(message: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for part in message.split(","):
        name, sep, value = part.partition("=")
        if sep and len(name) == 1:
            attributes.setdefault(name, value)
    return attributes


def _scram_unescape(name: str) -> str:
    return name.replace("=2C", ",").replace("=3D", "=")


def scram_sha_256(credentials: Credentials, initial: bytes | None) -> SaslExchange:
    """RFC 5802 / RFC 7677 without channel binding; the server signature goes as a challenge.

    POP3 has no "additional data with success" (RFC 5034), so, as Dovecot does, the final
    ``v=`` is sent as a challenge that the client acknowledges with an empty response.
    """
    client_first = _utf8(initial if initial is not None else (yield b""))
    if client_first is None or not client_first.startswith(("n,", "y,")):
        return None  # "p=" (channel binding) is not offered
    gs2_end = client_first.find(",", 2)
    if gs2_end < 0:
        return None
    gs2_header, client_first_bare = client_first[: gs2_end + 1], client_first[gs2_end + 1 :]
    first = _scram_attributes(client_first_bare)
    if "n" not in first or not first.get("r"):
        return None
    user = _scram_unescape(first["n"])
    nonce = first["r"] + secrets.token_urlsafe(18)
    salt = secrets.token_bytes(16)
    server_first = f"r={nonce},s={base64.b64encode(salt).decode()},i={SCRAM_ITERATIONS}"
    client_final = _utf8((yield server_first.encode("ascii")))
    if client_final is None or ",p=" not in client_final:
        return None
    without_proof, proof_b64 = client_final.rsplit(",p=", 1)
    final = _scram_attributes(without_proof)
    expected_binding = base64.b64encode(gs2_header.encode("utf-8")).decode()
    if final.get("c") != expected_binding or final.get("r") != nonce:
        return None
    try:
        proof = base64.b64decode(proof_b64, validate=True)
    except binascii.Error:
        return None
    salted = hashlib.pbkdf2_hmac(
        "sha256", credentials.password.encode("utf-8"), salt, SCRAM_ITERATIONS
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    auth_message = f"{client_first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored_key, auth_message, "sha256").digest()
    if len(proof) != len(signature):
        return None
    recovered_key = bytes(a ^ b for a, b in zip(proof, signature, strict=True))
    if not (
        hmac.compare_digest(hashlib.sha256(recovered_key).digest(), stored_key)
        & _same(user, credentials.user)
    ):
        return None
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    server_signature = hmac.new(server_key, auth_message, "sha256").digest()
    yield b"v=" + base64.b64encode(server_signature)
    return user


def _bearer_fields(kvpairs: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for pair in kvpairs.split("\x01"):
        key, sep, value = pair.partition("=")
        if sep:
            fields[key] = value
    return fields


def _bearer_token(auth_field: str | None) -> str | None:
    if auth_field is None or not auth_field.lower().startswith("bearer "):
        return None
    return auth_field[len("bearer ") :]


def xoauth2(credentials: Credentials, initial: bytes | None) -> SaslExchange:
    """Google/Microsoft XOAUTH2: ``user=U^Aauth=Bearer T^A^A``.

    A refused token gets a JSON error as a challenge; the client must answer it (empty line)
    before the final -ERR, exactly as Gmail behaves.
    """
    response = _utf8(initial if initial is not None else (yield b""))
    fields = _bearer_fields(response or "")
    user, token = fields.get("user"), _bearer_token(fields.get("auth"))
    if user is not None and token is not None and credentials.token_ok(user, token):
        return user
    error = {"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}
    yield json.dumps(error).encode("ascii")
    return None


def oauthbearer(credentials: Credentials, initial: bytes | None) -> SaslExchange:
    """RFC 7628: ``n,a=U,^Ahost=..^Aport=..^Aauth=Bearer T^A^A``; errors as a JSON challenge."""
    response = _utf8(initial if initial is not None else (yield b""))
    user: str | None = None
    token: str | None = None
    if response is not None and response.startswith(("n,", "y,")):
        gs2, _, kvpairs = response.partition("\x01")
        for attribute in gs2.split(",")[1:]:
            if attribute.startswith("a="):
                user = _scram_unescape(attribute[2:])
        token = _bearer_token(_bearer_fields(kvpairs).get("auth"))
    if user is not None and token is not None and credentials.token_ok(user, token):
        return user
    error = {"status": "invalid_token", "scope": "pop3"}
    yield json.dumps(error).encode("ascii")
    return None


#: Mechanism name -> exchange factory, in the order the server advertises them.
MECHANISMS: dict[str, Callable[[Credentials, bytes | None], SaslExchange]] = {
    "PLAIN": plain,
    "LOGIN": login,
    "CRAM-MD5": cram_md5,
    "SCRAM-SHA-256": scram_sha_256,
    "XOAUTH2": xoauth2,
    "OAUTHBEARER": oauthbearer,
}

#: Mechanisms that put a reusable secret on the wire (refused without TLS when so configured).
CLEARTEXT_MECHANISMS = frozenset({"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"})
