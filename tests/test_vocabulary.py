"""One vocabulary: the config, the client, the commands and the test server spell things alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pop3server import POP3TestServer
from tui_mail.accounts import parse_config
from tui_mail.cli import build_parser
from tui_mail.pop3.errors import InvalidArgument
from tui_mail.pop3.sasl import AUTO_PREFERENCE, KNOWN_MECHANISMS
from tui_mail.pop3.tls import default_port as client_default_port
from tui_mail.pop3.tls import parse_tls_mode
from tui_mail.vocabulary import (
    AUTH_MECHANISMS,
    LOGIN_MECHANISMS,
    OAUTH_MECHANISMS,
    TLS_MODES,
    default_port,
)


@pytest.mark.parametrize("tls", TLS_MODES)
def test_every_tls_mode_is_understood_everywhere(tls: str) -> None:
    plain = "allow_plaintext = true\n" if tls == "none" else ""
    text = f'[accounts.a]\nhost = "h"\nuser = "u"\ntls = "{tls}"\n{plain}'
    config = parse_config(text, Path("config.toml"))
    account = config.account("a")
    assert account.tls == tls
    assert account.port == default_port(tls) == client_default_port(tls)
    assert parse_tls_mode(tls) == tls
    args = build_parser().parse_args(["serverinfo", "example.org", "--tls", tls])
    assert args.tls == tls
    if tls == "none":
        assert POP3TestServer(tls=tls).tls == tls


def test_ports_and_unknown_modes() -> None:
    assert (default_port("implicit"), default_port("starttls"), default_port("none")) == (
        995,
        110,
        110,
    )
    with pytest.raises(InvalidArgument):
        parse_tls_mode("ssl")


def test_mechanism_names_are_one_list() -> None:
    assert AUTH_MECHANISMS == ("auto", *LOGIN_MECHANISMS)
    assert set(KNOWN_MECHANISMS) == set(LOGIN_MECHANISMS)
    assert set(AUTO_PREFERENCE) <= set(LOGIN_MECHANISMS)
    assert set(OAUTH_MECHANISMS) <= set(LOGIN_MECHANISMS)
    assert not set(OAUTH_MECHANISMS) & set(AUTO_PREFERENCE)  # never picked automatically


def test_submission_shares_the_vocabulary() -> None:
    from tui_mail.vocabulary import SMTP_AUTH_MECHANISMS, default_submission_port

    assert set(SMTP_AUTH_MECHANISMS) <= set(AUTH_MECHANISMS)
    assert (default_submission_port("implicit"), default_submission_port("starttls")) == (465, 587)
