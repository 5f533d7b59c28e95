"""What a POP3 server says it can do (RFC 2449 ``CAPA``), parsed tolerantly.

Servers differ in case and spacing and some send values that do not parse; a bad value is
kept in ``raw`` and becomes ``None`` rather than an error, because a capability list must never
stop a user from reading mail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from tui_mail.pop3.errors import server_words
from tui_mail.vocabulary import PIPELINING_MODES as PIPELINING_MODES
from tui_mail.vocabulary import PipeliningMode as PipeliningMode
from tui_mail.wording import plural

Expire = int | None | Literal["NEVER"]


@dataclass(frozen=True)
class Capabilities:
    """Parsed ``CAPA`` response. ``Capabilities()`` means "server announced nothing"."""

    raw: tuple[str, ...] = ()
    top: bool = False
    uidl: bool = False
    user: bool = False
    pipelining: bool = False
    resp_codes: bool = False
    auth_resp_code: bool = False
    stls: bool = False
    utf8: bool = False
    sasl: tuple[str, ...] = ()
    login_delay: int | None = None
    login_delay_per_user: bool = False
    expire: Expire = None
    expire_per_user: bool = False
    implementation: str | None = None

    @staticmethod
    def parse(lines: Iterable[str]) -> Capabilities:
        """Build from the data lines of a ``CAPA`` response (without the final ``.``)."""
        # Kept (and shown by serverinfo) as text made safe: a CAPA line may carry escapes.
        raw = tuple(server_words(line.strip()) for line in lines if line.strip())
        tags: set[str] = set()
        sasl: list[str] = []
        login_delay: int | None = None
        login_delay_per_user = False
        expire: Expire = None
        expire_per_user = False
        implementation: str | None = None
        for line in raw:
            tag, _, rest = line.partition(" ")
            tag = tag.upper()
            args = rest.split()
            tags.add(tag)
            if tag == "SASL":
                sasl.extend(mech.upper() for mech in args if mech.upper() not in sasl)
            elif tag == "LOGIN-DELAY":
                login_delay = _non_negative(args[0]) if args else None
                login_delay_per_user = _per_user(args)
            elif tag == "EXPIRE":
                if args and args[0].upper() == "NEVER":
                    expire = "NEVER"
                else:
                    expire = _non_negative(args[0]) if args else None
                expire_per_user = _per_user(args)
            elif tag == "IMPLEMENTATION":
                implementation = rest.strip()[:200] or None
        return Capabilities(
            raw=raw,
            top="TOP" in tags,
            uidl="UIDL" in tags,
            user="USER" in tags,
            pipelining="PIPELINING" in tags,
            resp_codes="RESP-CODES" in tags,
            auth_resp_code="AUTH-RESP-CODE" in tags,
            stls="STLS" in tags,
            utf8="UTF8" in tags,
            sasl=tuple(sasl),
            login_delay=login_delay,
            login_delay_per_user=login_delay_per_user,
            expire=expire,
            expire_per_user=expire_per_user,
            implementation=implementation,
        )

    def describe(self) -> list[str]:
        """One line in words per announced capability, in the order the server sent them."""
        described: list[str] = []
        for line in self.raw:
            tag = line.partition(" ")[0].upper()
            if tag == "SASL":
                text = f"SASL login mechanisms: {', '.join(self.sasl) or 'none listed'}"
            elif tag == "LOGIN-DELAY":
                text = self._describe_login_delay()
            elif tag == "EXPIRE":
                text = self._describe_expire()
            elif tag == "IMPLEMENTATION":
                text = f"server software: {self.implementation or 'not named'}"
            elif tag in _WORDS:
                text = _WORDS[tag]
            else:
                text = f"{line} (unknown to tui-mail)"
            described.append(text)
        return described

    def _describe_login_delay(self) -> str:
        if self.login_delay is None:
            return "LOGIN-DELAY with an unreadable value"
        scope = " (may differ per user after login)" if self.login_delay_per_user else ""
        return f"minimum time between logins: {duration_words(self.login_delay)}{scope}"

    def _describe_expire(self) -> str:
        scope = " (may differ per user after login)" if self.expire_per_user else ""
        if self.expire == "NEVER":
            return f"messages are kept on the server until deleted{scope}"
        if self.expire is None:
            return "EXPIRE with an unreadable value"
        if self.expire == 0:
            return f"messages are removed from the server once downloaded{scope}"
        days = plural(self.expire, "day")
        return f"the server deletes messages {days} after they are first downloaded{scope}"


_WORDS = {
    "TOP": "TOP: message headers can be fetched without the body",
    "UIDL": "UIDL: messages have stable unique ids across sessions",
    "USER": "USER/PASS: plain password login",
    "PIPELINING": "PIPELINING: several commands may be in flight at once (faster)",
    "RESP-CODES": "RESP-CODES: errors carry machine-readable reasons",
    "AUTH-RESP-CODE": "AUTH-RESP-CODE: a refused login says whether the password was wrong",
    "STLS": "STLS: the connection can be upgraded to TLS",
    "UTF8": "UTF8: UTF-8 user names and messages are supported",
}


def _non_negative(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def _per_user(args: list[str]) -> bool:
    return len(args) > 1 and args[1].upper() == "USER"


def duration_words(seconds: int) -> str:
    """``5 minutes``, ``1 hour``: how LOGIN-DELAY and similar values read to people."""
    if seconds == 0:
        return "none"
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return plural(hours, "hour")
    if seconds % 60 == 0:
        minutes = seconds // 60
        return plural(minutes, "minute")
    return plural(seconds, "second")
