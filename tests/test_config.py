"""The config file: accepted shapes, and errors that name the file, the line and the key."""

from __future__ import annotations

import os
import stat
import textwrap
from pathlib import Path

import pytest

from tui_mail.accounts import (
    Account,
    ConfigError,
    ConfigNotFound,
    load_config,
    parse_config,
    render_config,
    write_config,
)

WORK = """\
# my accounts
[accounts.work]
host = "pop.example.org"
tls = "implicit"
user = "alice"
password_command = "pass show mail/work"
default = true

[accounts.home]
host = "mail.example.net"
tls = "starttls"
user = "alice@example.net"
auth = "scram-sha-256"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def test_full_example_loads_with_defaults_resolved(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, WORK))
    work = config.account("work")
    assert work == Account(
        name="work",
        host="pop.example.org",
        port=995,
        tls="implicit",
        user="alice",
        auth="auto",
        password_command="pass show mail/work",
        default=True,
    )
    home = config.account("home")
    assert (home.port, home.tls, home.auth, home.password_command) == (
        110,
        "starttls",
        "scram-sha-256",
        None,
    )
    assert list(config.accounts) == ["work", "home"]
    assert config.account() is work
    assert work.keyring_user == "alice@pop.example.org:995"


def test_env_var_names_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, WORK)
    monkeypatch.setenv("TUI_MAIL_CONFIG", str(path))
    assert load_config().path == path


def test_default_location_is_the_user_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TUI_MAIL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "xdg" / "tui-mail" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(WORK)
    assert load_config().path == path


def test_single_account_is_the_default(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[accounts.only]\nhost = "h"\nuser = "u"\n'))
    assert config.account().name == "only"
    assert config.account(None).port == 995


def test_several_accounts_without_default_need_a_name(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, WORK.replace("default = true\n", "")))
    with pytest.raises(ConfigError, match="none has default = true"):
        config.account()
    with pytest.raises(ConfigError, match="no account named 'play'"):
        config.account("play")


def test_missing_file_is_config_not_found(tmp_path: Path) -> None:
    with pytest.raises(ConfigNotFound, match="no config file"):
        load_config(tmp_path / "absent.toml")


def test_empty_config_has_no_default_account(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "# nothing yet\n"))
    with pytest.raises(ConfigError, match="no accounts configured"):
        config.account()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unknown key, with its line
        ('[accounts.w]\nhost = "h"\nuser = "u"\nprot = 995\n', ":4: accounts.w.prot: unknown key"),
        # passwords in the file are refused with a hint, and never echoed
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\npassword = "hunter2"\n',
            ":4: accounts.w.password: unknown key; passwords do not belong",
        ),
        # unknown top-level key
        ('colour = "blue"\n[accounts.w]\nhost = "h"\nuser = "u"\n', ":1: colour: unknown key"),
        # wrong types (a TOML boolean is not an integer)
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\nport = "995"\n',
            ":4: accounts.w.port: must be an integer, not a string",
        ),
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\nport = true\n',
            ":4: accounts.w.port: must be an integer, not true or false",
        ),
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\ndefault = "yes"\n',
            ":4: accounts.w.default: must be true or false, not a string",
        ),
        ('[accounts.w]\nhost = 5\nuser = "u"\n', ":2: accounts.w.host: must be a string"),
        ('[accounts]\nw = "pop.example.org"\n', ":2: accounts.w: must be a table"),
        ("accounts = 3\n", ":1: accounts: must be a table"),
        # missing required keys point at the table header
        ('\n[accounts.w]\nhost = "h"\n', ":2: accounts.w: missing required key 'user'"),
        ('[accounts.w]\nuser = "u"\n', ":1: accounts.w: missing required key 'host'"),
        # bad enum values
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\ntls = "ssl"\n',
            ":4: accounts.w.tls: 'ssl' is not one of: implicit, starttls, none",
        ),
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\nauth = "ntlm"\n',
            ":4: accounts.w.auth: 'ntlm' is not one of: auto, user, apop",
        ),
        # values out of range or malformed
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\nport = 70000\n',
            ":4: accounts.w.port: must be between 1 and 65535",
        ),
        ('[accounts.w]\nhost = "pop3s://h"\nuser = "u"\n', ":2: accounts.w.host: write the host"),
        ('[accounts.w]\nhost = "h"\nuser = ""\n', ":3: accounts.w.user: must not be empty"),
        (
            '[accounts.w]\nhost = "h"\nuser = "u\\r\\nDELE 1"\n',
            ":3: accounts.w.user: must not contain control characters",
        ),
        # plaintext needs an explicit opt-in, and the opt-in only applies to tls = "none"
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\ntls = "none"\n',
            ':4: accounts.w.tls: tls = "none" sends the login unencrypted',
        ),
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\nallow_plaintext = true\n',
            ":4: accounts.w.allow_plaintext: only applies with tls",
        ),
        # settings that would be silently ignored
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\nauth = "xoauth2"\n',
            ":4: accounts.w.auth: xoauth2 needs oauth_token_command",
        ),
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\noauth_token_command = "t"\n',
            ":4: accounts.w.oauth_token_command: only used with auth",
        ),
        (
            '[accounts.w]\nhost = "h"\nuser = "u"\nauth = "oauthbearer"\n'
            'oauth_token_command = "t"\npassword_command = "p"\n',
            ":6: accounts.w.password_command: not used with auth = 'oauthbearer'",
        ),
        (
            '[accounts.a]\nhost = "h"\nuser = "u"\ndefault = true\n'
            '[accounts.b]\nhost = "h"\nuser = "v"\ndefault = true\n',
            ":8: accounts.b.default: account 'a' is already the default",
        ),
        # syntax errors keep tomllib's position
        ('[accounts.w]\nhost = "h"\nuser = \n', ":3: invalid TOML:"),
        ('[accounts.w]\nhost = "h"\nhost = "g"\n', ":3: invalid TOML:"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_of(tmp_path, text)


def test_keys_are_located_in_dotted_quoted_and_inline_forms(tmp_path: Path) -> None:
    dotted = '[accounts]\nw.host = "h"\nw.user = "u"\nw.port = "x"\n'
    assert ":4: accounts.w.port:" in error_of(tmp_path, dotted)
    quoted = '[accounts."my work"]\nhost = "h"\n"user" = "u"\nport = 0\n'
    assert ":4: accounts.'my work'.port:" in error_of(tmp_path, quoted)
    inline = '[accounts]\n\nw = { host = "h", user = "u", port = -1 }\n'
    assert ":3: accounts.w.port:" in error_of(tmp_path, inline)  # the line of its parent


def test_multiline_strings_do_not_confuse_line_numbers(tmp_path: Path) -> None:
    text = (
        '[accounts.w]\nhost = "h"\npassword_command = """\nport = 1\n"""\n'
        'user = "u"\nport = "nope"\n'
    )
    assert ":7: accounts.w.port:" in error_of(tmp_path, text)


def test_long_or_odd_enum_values_are_not_echoed(tmp_path: Path) -> None:
    message = error_of(
        tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\nauth = "correct-horse-battery-staple"\n'
    )
    assert "correct-horse" not in message
    assert "is not one of" in message


def test_not_utf8_is_an_error_with_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[accounts.w]\nhost = "h"\nuser = "\xff"\n')
    with pytest.raises(ConfigError, match=r":3: not valid UTF-8"):
        load_config(path)


def test_world_writable_config_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, WORK)
    os.chmod(path, 0o666)
    with pytest.raises(ConfigError, match="writable by every user"):
        load_config(path)


def test_group_writable_config_is_refused_as_ssh_does(tmp_path: Path) -> None:
    path = write(tmp_path, WORK)
    os.chmod(path, 0o620)
    with pytest.raises(ConfigError, match="bad owner or permissions: writable by its group"):
        load_config(path)


def test_config_in_a_directory_others_can_write_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    path = write(shared, WORK)
    os.chmod(shared, 0o777)  # anyone could replace the file (no sticky bit)
    with pytest.raises(ConfigError, match="in a directory others can write to"):
        load_config(path)
    os.chmod(shared, 0o1777)  # like /tmp: others cannot replace our file
    assert load_config(path).account().name == "work"


def test_password_command_program_others_can_write_is_refused(tmp_path: Path) -> None:
    program = tmp_path / "mailpass"
    program.write_text("#!/bin/sh\necho secret\n")
    os.chmod(program, 0o777)
    path = write(
        tmp_path, f'[accounts.work]\nhost = "h"\nuser = "u"\npassword_command = "{program} work"\n'
    )
    with pytest.raises(ConfigError, match=r"password_command: .*mailpass: bad owner or perm"):
        load_config(path)
    os.chmod(program, 0o700)
    assert load_config(path).account().password_command == f"{program} work"


def test_cafile_is_resolved_and_must_exist(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    text = '[accounts.w]\nhost = "h"\nuser = "u"\ncafile = "ca.pem"\n'
    config = load_config(write(tmp_path, text))
    assert config.account().cafile == tmp_path / "ca.pem"
    message = error_of(tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\ncafile = "gone.pem"\n')
    assert ":4: accounts.w.cafile: no such file" in message


def test_plaintext_with_opt_in_is_accepted(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\ntls = "none"\nallow_plaintext = true\n'
        )
    )
    assert (config.account().port, config.account().allow_plaintext) == (110, True)


def test_prefer_html_is_a_flag(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\nprefer_html = true\n')
    )
    assert config.account().prefer_html is True
    assert not load_config(write(tmp_path, WORK)).account("work").prefer_html
    assert "prefer_html: must be true or false" in error_of(
        tmp_path, '[accounts.w]\nhost = "h"\nuser = "u"\nprefer_html = "yes"\n'
    )


def test_write_config_round_trips_private_and_atomic(tmp_path: Path) -> None:
    accounts = [
        Account(
            name="work",
            host="pop.example.org",
            port=1995,
            tls="implicit",
            user="alice",
            password_command='pass show "mail/work" | head -1',
            default=True,
        ),
        Account(
            name="my mail", host="h", port=110, tls="none", user='b\\o"b', allow_plaintext=True
        ),
        Account(
            name="o",
            host="outlook.office365.com",
            port=995,
            tls="implicit",
            user="c",
            auth="xoauth2",
            oauth_token_command="oama access c",
            prefer_html=True,
        ),
    ]
    path = tmp_path / "new" / "tui-mail" / "config.toml"
    written = write_config(path, accounts)
    loaded = load_config(path)
    assert list(loaded.accounts.values()) == accounts == list(written.accounts.values())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "port = 1995" in path.read_text() and "port = 110" not in path.read_text()
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp files left


def test_write_config_refuses_what_would_not_load(tmp_path: Path) -> None:
    path = write(tmp_path, WORK)
    before = path.read_bytes()
    bad = Account(name="w", host="h", port=110, tls="none", user="u")  # no allow_plaintext
    with pytest.raises(ConfigError, match="unencrypted"):
        write_config(path, [bad])
    dup = Account(name="w", host="h", port=995, tls="implicit", user="u")
    with pytest.raises(ConfigError, match="share one name"):
        write_config(path, [dup, dup])
    assert path.read_bytes() == before


def test_render_escapes_backslashes_and_quotes() -> None:
    account = Account(
        name="w", host="h", port=995, tls="implicit", user="u", password_command="printf 'a\\tb'"
    )
    text = render_config([account])
    assert parse_config(text, Path("x")).account().password_command == "printf 'a\\tb'"
