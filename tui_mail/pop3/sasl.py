"""Client side of the POP3 login methods: SASL mechanisms (RFC 5034) and the APOP digest.

Each mechanism is I/O-free: it produces an optional initial response and answers decoded
challenges with raw bytes; the client base64-encodes and sends them. A challenge a mechanism
cannot answer raises :class:`SaslFailure`, upon which the client cancels with ``*``.
No exception raised here ever carries the secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import stringprep
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Final

from tui_mail.vocabulary import LOGIN_MECHANISMS

#: What ``mechanism="auto"`` tries, strongest first. OAuth is never picked automatically.
AUTO_PREFERENCE: Final = ("scram-sha-256", "cram-md5", "apop", "plain", "login", "user")
#: ``auto`` over TLS: no APOP, no CRAM-MD5 (see :func:`choose_auto`).
TLS_AUTO_PREFERENCE: Final = ("scram-sha-256", "plain", "user", "login")
#: Mechanisms selectable by name, including the non-SASL ones (defined in tui_mail.vocabulary).
KNOWN_MECHANISMS: Final = LOGIN_MECHANISMS
#: RFC 7677 asks for at least 4096; a lower count from a server is a downgrade attempt.
SCRAM_MIN_ITERATIONS: Final = 4096
#: Far above any real deployment; stops a hostile server from pinning the CPU for minutes.
SCRAM_MAX_ITERATIONS: Final = 10_000_000


class SaslFailure(Exception):
    """A challenge could not be answered. ``untrusted``: the server failed to authenticate."""

    def __init__(self, reason: str, *, untrusted: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.untrusted = untrusted


def apop_digest(timestamp: str, secret: str) -> str:
    """RFC 1939: lower-case hex MD5 of the greeting's ``<timestamp>`` followed by the secret."""
    data = (timestamp + secret).encode("utf-8")
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def choose_auto(
    offered_sasl: Sequence[str],
    *,
    apop_timestamp: str | None,
    user_offered: bool,
    encrypted: bool = False,
) -> str | None:
    """The method ``auto`` uses among those offered, or None.

    Over TLS the password is already protected: SCRAM (which also proves the server knows it),
    then PLAIN or USER/PASS. APOP and CRAM-MD5 keep the server's password database in the
    clear, and APOP trusts a greeting sent before TLS, so they are picked only without TLS
    (or when named), per :data:`AUTO_PREFERENCE`.
    """
    offered = {name.lower() for name in offered_sasl}
    order = TLS_AUTO_PREFERENCE if encrypted else AUTO_PREFERENCE
    for name in order:
        if name == "apop":
            if apop_timestamp:
                return name
        elif name == "user":
            if user_offered:
                return name
        elif name in offered:
            return name
    return None


def saslprep(text: str) -> str:
    """RFC 4013 SASLprep for a query string (unassigned code points allowed).

    Raises ValueError (without echoing the text) for prohibited characters or bad bidi.
    """
    mapped = "".join(
        " " if stringprep.in_table_c12(ch) else ch for ch in text if not stringprep.in_table_b1(ch)
    )
    normal = unicodedata.normalize("NFKC", mapped)
    prohibited = (
        stringprep.in_table_c12,
        stringprep.in_table_c21,
        stringprep.in_table_c22,
        stringprep.in_table_c3,
        stringprep.in_table_c4,
        stringprep.in_table_c5,
        stringprep.in_table_c6,
        stringprep.in_table_c7,
        stringprep.in_table_c8,
        stringprep.in_table_c9,
    )
    if any(check(ch) for ch in normal for check in prohibited):
        raise ValueError("string contains a character SASLprep prohibits")
    if any(stringprep.in_table_d1(ch) for ch in normal):
        if any(stringprep.in_table_d2(ch) for ch in normal):
            raise ValueError("string mixes right-to-left and left-to-right text")
        if not (stringprep.in_table_d1(normal[0]) and stringprep.in_table_d1(normal[-1])):
            raise ValueError("right-to-left string must start and end with RTL characters")
    return normal


def _prepared(text: str) -> str:
    """SASLprep, falling back to the raw string (as libpq does): servers rarely prep at all."""
    try:
        return saslprep(text)
    except ValueError:
        return text


def _b64decode_challenge(data: bytes) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        raise SaslFailure("challenge is not valid base64") from None


class Mechanism(ABC):
    """One SASL client exchange. ``name`` is the upper-case SASL name sent in ``AUTH``."""

    name: ClassVar[str]
    #: Whether the first response may go on the AUTH line (when it fits in 255 octets).
    initial_response_allowed: ClassVar[bool] = True

    def __init__(self, user: str, secret: str) -> None:
        self._user = user
        self._secret = secret

    @abstractmethod
    def initial_response(self) -> bytes | None:
        """The client-first message, or None if the server speaks first.

        The client sends it on the AUTH line if allowed and short enough, else after the
        server's empty challenge; :meth:`respond` only sees the challenges after it.
        """

    @abstractmethod
    def respond(self, challenge: bytes) -> bytes:
        """Answer one decoded server challenge; raise SaslFailure if it makes no sense."""

    def check_success(self) -> None:  # noqa: B027 - a hook most mechanisms do not need
        """Called on the final +OK; raises SaslFailure if the server never proved itself."""

    @property
    def failure_hint(self) -> str | None:
        """A safe description of an error the server reported inside the exchange, if any."""
        return None

    def decode_challenge(self, text: str) -> bytes:
        """Decode a ``+ base64`` challenge text for :meth:`respond`."""
        return _b64decode_challenge(text.encode("ascii", errors="replace"))


class Plain(Mechanism):
    """RFC 4616: ``NUL user NUL password`` in one message."""

    name = "PLAIN"

    def initial_response(self) -> bytes | None:
        return b"\0" + self._user.encode("utf-8") + b"\0" + self._secret.encode("utf-8")

    def respond(self, challenge: bytes) -> bytes:
        raise SaslFailure("unexpected challenge after PLAIN credentials")


class Login(Mechanism):
    """The obsolete LOGIN mechanism: user name, then password, each after a prompt."""

    name = "LOGIN"
    initial_response_allowed = False

    def __init__(self, user: str, secret: str) -> None:
        super().__init__(user, secret)
        self._step = 0

    def initial_response(self) -> bytes | None:
        return None

    def respond(self, challenge: bytes) -> bytes:
        self._step += 1
        if self._step == 1:
            return self._user.encode("utf-8")
        if self._step == 2:
            return self._secret.encode("utf-8")
        raise SaslFailure("unexpected third challenge in LOGIN")


class CramMD5(Mechanism):
    """RFC 2195: ``user SP hex(HMAC-MD5(secret, challenge))``."""

    name = "CRAM-MD5"
    initial_response_allowed = False

    def __init__(self, user: str, secret: str) -> None:
        super().__init__(user, secret)
        self._answered = False

    def initial_response(self) -> bytes | None:
        return None

    def respond(self, challenge: bytes) -> bytes:
        if self._answered or not challenge:
            raise SaslFailure("unexpected CRAM-MD5 challenge")
        self._answered = True
        digest = hmac.new(self._secret.encode("utf-8"), challenge, "md5").hexdigest()
        return self._user.encode("utf-8") + b" " + digest.encode("ascii")


class ScramSHA256(Mechanism):
    """RFC 5802 / RFC 7677 SCRAM-SHA-256 without channel binding, verifying the server.

    The server proves it knows the password (``v=``) before we accept +OK: a server that
    skips or fails that proof is treated as an impostor.
    """

    name = "SCRAM-SHA-256"
    _GS2_HEADER: ClassVar[str] = "n,,"

    def __init__(self, user: str, secret: str, *, nonce: str | None = None) -> None:
        super().__init__(user, secret)
        self._client_nonce = nonce or secrets.token_urlsafe(24)
        escaped = _prepared(user).replace("=", "=3D").replace(",", "=2C")
        self._client_first_bare = f"n={escaped},r={self._client_nonce}"
        self._server_signature: bytes | None = None
        self._verified = False

    def initial_response(self) -> bytes | None:
        return (self._GS2_HEADER + self._client_first_bare).encode("utf-8")

    def respond(self, challenge: bytes) -> bytes:
        if self._server_signature is None:
            return self._client_final(challenge)
        if self._verified:
            raise SaslFailure("unexpected challenge after SCRAM completed")
        return self._verify_server_final(challenge)

    def check_success(self) -> None:
        if not self._verified:
            raise SaslFailure(
                "server accepted SCRAM login without proving it knows the password", untrusted=True
            )

    def _client_final(self, challenge: bytes) -> bytes:
        try:
            server_first = challenge.decode("ascii")
        except UnicodeDecodeError:
            raise SaslFailure("SCRAM server-first message is not ASCII") from None
        attributes = _scram_attributes(server_first)
        if server_first.startswith("m="):
            raise SaslFailure("SCRAM server requires an unsupported extension")
        nonce, salt_b64, iterations_text = (attributes.get(k) for k in ("r", "s", "i"))
        if not nonce or salt_b64 is None or iterations_text is None:
            raise SaslFailure("SCRAM server-first message lacks r, s or i")
        if not nonce.startswith(self._client_nonce) or len(nonce) <= len(self._client_nonce):
            raise SaslFailure("SCRAM server nonce does not extend ours", untrusted=True)
        if not (iterations_text.isascii() and iterations_text.isdigit()):
            raise SaslFailure("SCRAM iteration count is not a number")
        iterations = int(iterations_text)
        if not SCRAM_MIN_ITERATIONS <= iterations <= SCRAM_MAX_ITERATIONS:
            raise SaslFailure(
                f"SCRAM iteration count {iterations} outside "
                f"{SCRAM_MIN_ITERATIONS}..{SCRAM_MAX_ITERATIONS}",
                untrusted=True,
            )
        salt = _b64decode_challenge(salt_b64.encode("ascii"))
        password = _prepared(self._secret).encode("utf-8")
        salted = hashlib.pbkdf2_hmac("sha256", password, salt, iterations)
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        stored_key = hashlib.sha256(client_key).digest()
        binding = base64.b64encode(self._GS2_HEADER.encode("ascii")).decode("ascii")
        without_proof = f"c={binding},r={nonce}"
        auth_message = f"{self._client_first_bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        self._server_signature = hmac.new(server_key, auth_message, "sha256").digest()
        return f"{without_proof},p={base64.b64encode(proof).decode('ascii')}".encode("ascii")

    def _verify_server_final(self, challenge: bytes) -> bytes:
        assert self._server_signature is not None
        attributes = _scram_attributes(challenge.decode("ascii", errors="replace"))
        if "e" in attributes:
            raise SaslFailure(f"SCRAM server reported error {attributes['e'][:60]!r}")
        try:
            claimed = base64.b64decode(attributes.get("v", ""), validate=True)
        except binascii.Error:
            claimed = b""
        if not claimed or not hmac.compare_digest(claimed, self._server_signature):
            raise SaslFailure(
                "SCRAM server signature is wrong: the server does not know the "
                "password (possible impostor)",
                untrusted=True,
            )
        self._verified = True
        return b""


def _scram_attributes(message: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for part in message.split(","):
        key, sep, value = part.partition("=")
        if sep and len(key) == 1:
            attributes.setdefault(key, value)
    return attributes


class _Bearer(Mechanism):
    """Shared part of the OAuth mechanisms: token first, then at most one error challenge."""

    _error_reply: ClassVar[bytes]

    def __init__(self, user: str, secret: str, *, host: str = "", port: int = 0) -> None:
        super().__init__(user, secret)
        self._host = host
        self._port = port
        self._error: str | None = None

    @abstractmethod
    def _token_message(self) -> bytes:
        """The message carrying the bearer token."""

    def initial_response(self) -> bytes | None:
        return self._token_message()

    def respond(self, challenge: bytes) -> bytes:
        """Only ever called after the token was sent: any challenge reports an error."""
        if self._error is not None:
            raise SaslFailure(f"second error challenge in {self.name}")
        self._error = _describe_oauth_error(challenge)
        return self._error_reply  # the spec's acknowledgement; the server then says -ERR

    @property
    def failure_hint(self) -> str | None:
        return self._error


class XOAuth2(_Bearer):
    """Google/Microsoft XOAUTH2, always in the two-step form (token on the continuation line)."""

    name = "XOAUTH2"
    initial_response_allowed = False
    _error_reply = b""

    def _token_message(self) -> bytes:
        return f"user={self._user}\x01auth=Bearer {self._secret}\x01\x01".encode()


class OAuthBearer(_Bearer):
    """RFC 7628 OAUTHBEARER; the token goes on the AUTH line only if it fits."""

    name = "OAUTHBEARER"
    _error_reply = b"\x01"

    def _token_message(self) -> bytes:
        escaped = self._user.replace("=", "=3D").replace(",", "=2C")
        fields = f"n,a={escaped},\x01"
        if self._host:
            fields += f"host={self._host}\x01"
        if self._port:
            fields += f"port={self._port}\x01"
        return f"{fields}auth=Bearer {self._secret}\x01\x01".encode()


def _describe_oauth_error(challenge: bytes) -> str:
    """The server's JSON error, reduced to its status field (it never holds the token)."""
    try:
        status = json.loads(challenge.decode("utf-8")).get("status", "unknown")
    except (UnicodeDecodeError, ValueError, AttributeError):
        return "token refused"
    printable = "".join(ch for ch in str(status)[:40] if ch.isprintable())
    return f"token refused (status {printable})"


_MECHANISMS: Final[dict[str, type[Mechanism]]] = {
    "plain": Plain,
    "login": Login,
    "cram-md5": CramMD5,
    "scram-sha-256": ScramSHA256,
}


def create_mechanism(
    name: str, user: str, secret: str, *, host: str = "", port: int = 0
) -> Mechanism:
    """Instantiate the SASL mechanism called ``name`` (lower-case, as in KNOWN_MECHANISMS)."""
    for field in (user, secret):
        if any(ch in field for ch in "\0\x01\r\n"):
            raise ValueError("user name or secret contains NUL, ^A, CR or LF")
    if name == "xoauth2":
        return XOAuth2(user, secret, host=host, port=port)
    if name == "oauthbearer":
        return OAuthBearer(user, secret, host=host, port=port)
    try:
        return _MECHANISMS[name](user, secret)
    except KeyError:
        raise ValueError(f"unknown SASL mechanism {name!r}") from None
