"""CAPA parsing (RFC 2449): every tag, tolerant of case, spacing and bad values."""

from __future__ import annotations

from tui_mail.pop3.capabilities import Capabilities

DOVECOT_BEFORE_LOGIN = [
    "TOP",
    "UIDL",
    "RESP-CODES",
    "PIPELINING",
    "AUTH-RESP-CODE",
    "STLS",
    "USER",
    "SASL PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256",
]


def test_dovecot_list() -> None:
    caps = Capabilities.parse(DOVECOT_BEFORE_LOGIN)
    assert caps.top and caps.uidl and caps.user and caps.pipelining and caps.stls
    assert caps.resp_codes and caps.auth_resp_code
    assert not caps.utf8
    assert caps.sasl == ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256")
    assert caps.login_delay is None and caps.expire is None and caps.implementation is None
    assert caps.raw == tuple(DOVECOT_BEFORE_LOGIN)


def test_empty_means_nothing_announced() -> None:
    assert Capabilities.parse([]) == Capabilities()
    assert not Capabilities().pipelining


def test_case_and_spacing_are_tolerated() -> None:
    caps = Capabilities.parse(["  top ", "Sasl  plain   xoauth2", "sasl PLAIN", "pipelining"])
    assert caps.top and caps.pipelining
    assert caps.sasl == ("PLAIN", "XOAUTH2")


def test_login_delay_and_expire_with_user_flag() -> None:
    caps = Capabilities.parse(["LOGIN-DELAY 900 USER", "EXPIRE 30 USER"])
    assert (caps.login_delay, caps.login_delay_per_user) == (900, True)
    assert (caps.expire, caps.expire_per_user) == (30, True)


def test_login_delay_and_expire_without_user_flag() -> None:
    caps = Capabilities.parse(["LOGIN-DELAY 0", "EXPIRE NEVER"])
    assert (caps.login_delay, caps.login_delay_per_user) == (0, False)
    assert (caps.expire, caps.expire_per_user) == ("NEVER", False)
    assert Capabilities.parse(["expire never user"]).expire == "NEVER"


def test_bad_numbers_become_none_but_stay_in_raw() -> None:
    caps = Capabilities.parse(["LOGIN-DELAY soon", "EXPIRE -1", "LOGIN-DELAY"])
    assert caps.login_delay is None and caps.expire is None
    assert "EXPIRE -1" in caps.raw
    assert Capabilities.parse(["EXPIRE ٣"]).expire is None  # non-ASCII digits are not numbers


def test_utf8_and_implementation() -> None:
    caps = Capabilities.parse(["UTF8 USER", "IMPLEMENTATION Example Server 4.2"])
    assert caps.utf8
    assert caps.implementation == "Example Server 4.2"


def test_describe_says_login_delay_and_expire_in_words() -> None:
    caps = Capabilities.parse(["LOGIN-DELAY 900 USER", "EXPIRE 0", "TOP", "X-SHINY"])
    lines = caps.describe()
    assert lines[0] == "minimum time between logins: 15 minutes (may differ per user after login)"
    assert lines[1] == "messages are removed from the server once downloaded"
    assert lines[2].startswith("TOP:")
    assert lines[3] == "X-SHINY (unknown to tui-mail)"


def test_describe_expire_days_and_never() -> None:
    assert Capabilities.parse(["EXPIRE 1"]).describe() == [
        "the server deletes messages 1 day after they are first downloaded"
    ]
    assert Capabilities.parse(["EXPIRE NEVER USER"]).describe() == [
        "messages are kept on the server until deleted (may differ per user after login)"
    ]
    assert Capabilities.parse(["LOGIN-DELAY 3600"]).describe() == [
        "minimum time between logins: 1 hour"
    ]


def test_describe_covers_every_line() -> None:
    caps = Capabilities.parse([*DOVECOT_BEFORE_LOGIN, "IMPLEMENTATION Dovecot"])
    lines = caps.describe()
    assert len(lines) == len(caps.raw)
    assert "SASL login mechanisms: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256" in lines
    assert lines[-1] == "server software: Dovecot"
