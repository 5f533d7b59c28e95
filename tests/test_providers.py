"""Known providers, server guesses, and what set-up proposes from a server's capabilities."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui_mail.accounts import Account, ConfigError, load_config
from tui_mail.accounts.config_append import add_account
from tui_mail.accounts.providers import (
    GMAIL,
    MICROSOFT,
    MICROSOFT_POP_SCOPE,
    YAHOO,
    gmail_user,
    guess_server,
    provider_for_address,
    provider_for_host,
)
from tui_mail.pop3 import Capabilities
from tui_mail.session.server_probe import ServerReport, probe_plan, server_advice, split_server
from tui_mail.ui.setup_form import FormProblem, SetupFields, build_account, suggest_name
from tui_mail.vocabulary import TlsMode


@pytest.mark.parametrize(
    ("address", "host", "provider"),
    [
        ("alice@gmail.com", "pop.gmail.com", GMAIL),
        ("Alice@GoogleMail.com", "pop.gmail.com", GMAIL),
        ("bob@outlook.com", "outlook.office365.com", MICROSOFT),
        ("bob@hotmail.com", "outlook.office365.com", MICROSOFT),
        ("carol@yahoo.com", "pop.mail.yahoo.com", YAHOO),
        ("dave@example.org", "pop.example.org", None),
        ("eve@mail.example.co.jp", "pop.mail.example.co.jp", None),
    ],
)
def test_server_guess(address: str, host: str, provider: object) -> None:
    guess = guess_server(address)
    assert guess is not None
    assert (guess.host, guess.port, guess.tls) == (host, 995, "implicit")
    assert guess.provider is provider
    assert guess.user == address  # the whole address is the usual user name


@pytest.mark.parametrize("address", ["", "alice", "alice@", "alice@localhost", "a@b c.org"])
def test_no_guess_without_a_domain(address: str) -> None:
    assert guess_server(address) is None


def test_quirks_follow_the_server_not_the_address() -> None:
    # A company domain hosted at Microsoft 365 gets Microsoft's quirks from the host name.
    assert provider_for_address("ceo@company.example") is None
    assert provider_for_host("outlook.office365.com") is MICROSOFT
    assert provider_for_host("POP.GMAIL.COM.") is GMAIL
    assert provider_for_host("pop.googlemail.com") is GMAIL
    assert provider_for_host("pop.example.org") is None


def test_provider_facts() -> None:
    assert MICROSOFT.oauth_only
    assert MICROSOFT.oauth_scope == "https://outlook.office.com/POP.AccessAsUser.All"
    assert GMAIL.retr_hides_messages and GMAIL.recent_mode and not GMAIL.oauth_only
    assert YAHOO.app_passwords and not YAHOO.oauth_only
    gmail_text = " ".join(GMAIL.advice())
    assert "recent:" in gmail_text and "30 days" in gmail_text and "TOP" in gmail_text
    assert "RETR" in gmail_text and "hidden" in gmail_text
    assert MICROSOFT_POP_SCOPE in " ".join(MICROSOFT.advice())
    assert "app password" in " ".join(YAHOO.advice())


def test_gmail_recent_mode_user_name() -> None:
    assert gmail_user("alice@gmail.com", recent=True) == "recent:alice@gmail.com"
    assert gmail_user("recent:alice@gmail.com", recent=True) == "recent:alice@gmail.com"
    assert gmail_user("recent:alice@gmail.com", recent=False) == "alice@gmail.com"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pop.example.org", ("pop.example.org", None)),
        (" pop.example.org:1995 ", ("pop.example.org", 1995)),
        ("[::1]:995", ("::1", 995)),
        ("::1", ("::1", None)),
    ],
)
def test_split_server(text: str, expected: tuple[str, int | None]) -> None:
    assert split_server(text) == expected


@pytest.mark.parametrize("text", ["", "pop3://x.org", "x.org:0", "x.org:http", "a b"])
def test_split_server_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        split_server(text)


def test_probe_plan_tries_tls_first() -> None:
    assert probe_plan(None) == [(995, "implicit"), (110, "starttls"), (110, "none")]
    assert probe_plan(995) == [(995, "implicit")]
    assert probe_plan(110) == [(110, "starttls"), (110, "none")]
    assert probe_plan(2110)[0] == (2110, "implicit")


def report(
    caps: list[str],
    *,
    host: str = "pop.example.org",
    apop: bool = False,
    tls: TlsMode = "implicit",
) -> ServerReport:
    return ServerReport(
        host=host,
        port=995,
        tls=tls,
        greeting="ready",
        capabilities=Capabilities.parse(caps),
        apop=apop,
        provider=provider_for_host(host),
    )


def test_oauth_only_sasl_proposes_a_token() -> None:
    only_oauth = report(["USER", "SASL XOAUTH2"])
    assert only_oauth.prefers_oauth and only_oauth.oauth_auth() == "xoauth2"
    assert report(["SASL OAUTHBEARER"]).oauth_auth() == "oauthbearer"
    mixed = report(["USER", "SASL PLAIN XOAUTH2 OAUTHBEARER"])  # Gmail's shape
    assert not mixed.prefers_oauth and mixed.offers_oauth and mixed.offers_password


def test_microsoft_goes_straight_to_xoauth2() -> None:
    microsoft = report(["USER", "SASL PLAIN XOAUTH2"], host="outlook.office365.com")
    assert microsoft.prefers_oauth and not microsoft.offers_password
    assert microsoft.oauth_auth() == "xoauth2"


def test_password_method_follows_the_clients_auto_order() -> None:
    assert report(["USER", "SASL PLAIN SCRAM-SHA-256"]).password_auth_words() == "SCRAM-SHA-256"
    assert report(["USER"], apop=True).password_auth_words() == "APOP"
    assert report(["USER"]).password_auth_words() == "USER/PASS"
    assert report([]).password_methods == ("user",)  # no CAPA: RFC 1939 USER/PASS


def test_advice_for_expire_and_login_delay() -> None:
    texts = [
        a.text
        for a in server_advice(
            Capabilities.parse(["EXPIRE 0", "LOGIN-DELAY 300"]), tls="implicit", provider=None
        )
    ]
    assert any("removes retrieved mail (EXPIRE 0)" in text for text in texts)
    assert any("one login every 5 minutes" in text and "new mail" in text for text in texts)
    short = server_advice(Capabilities.parse(["EXPIRE 5"]), tls="implicit", provider=None)
    assert "5 days after it was first downloaded" in short[0].text and short[0].warning
    assert server_advice(Capabilities.parse(["EXPIRE NEVER"]), tls="implicit", provider=None) == []
    plain = server_advice(Capabilities(), tls="none", provider=None)
    assert plain[0].warning and "no encryption" in plain[0].text


def test_suggested_account_names_are_unique() -> None:
    assert suggest_name("alice@gmail.com") == "gmail"
    assert suggest_name("alice@mail.example.org") == "mail"
    assert suggest_name("alice@example.org", taken={"example", "example-2"}) == "example-3"


def test_build_account_from_fields(tmp_path: Path) -> None:
    server = report(["USER", "SASL XOAUTH2"])
    account = build_account(
        SetupFields(
            address="a@example.org",
            user="a@example.org",
            login="oauth",
            token_command="oauth2-helper a",
        ),
        server,
    )
    assert account.auth == "xoauth2" and account.oauth_token_command == "oauth2-helper a"
    assert account.password_command is None and account.name == "example"
    with pytest.raises(FormProblem) as missing:
        build_account(SetupFields(user="a", login="oauth"), server)
    assert missing.value.field == "token_command"
    with pytest.raises(FormProblem) as plaintext:
        build_account(SetupFields(user="a", password="x"), report(["USER"], tls="none"))
    assert plaintext.value.field == "allow_plaintext"
    with pytest.raises(FormProblem) as cafile:
        build_account(SetupFields(user="a", password="x", cafile=str(tmp_path / "no.pem")), server)
    assert cafile.value.field == "cafile"


# -- saving: first account, later accounts ------------------------------------------------


def account(name: str, **changes: object) -> Account:
    fields: dict[str, object] = dict(
        name=name, host="pop.example.org", port=995, tls="implicit", user="alice"
    )
    fields.update(changes)
    return Account(**fields)  # type: ignore[arg-type]


def test_first_account_is_written_private_and_default(tmp_path: Path) -> None:
    path = tmp_path / "config" / "config.toml"
    add_account(path, account("work"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path).account().name == "work"


def test_later_account_keeps_the_hand_written_text(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('# my notes\n[accounts.home]\nhost = "pop.home.example"\nuser = "me"  # me!\n')
    path.chmod(0o644)
    config = add_account(path, account("work"))
    text = path.read_text()
    assert text.startswith("# my notes\n[accounts.home]") and "# me!" in text
    assert list(config.accounts) == ["home", "work"]
    assert config.account().name == "work"  # nobody was default: the new one opens
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(ConfigError, match="already exists"):
        add_account(path, account("home"))
    third = add_account(path, account("third", default=True))
    assert third.account().name == "work" and not third.accounts["third"].default
