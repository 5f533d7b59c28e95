"""The reader's settings in the config: ``[keys]`` (checked with line numbers) and ``mouse``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tests.fake_session import small_mailbox
from tests.test_ui_app import loaded, make_app, screen_lines
from tui_mail.accounts.config import ConfigError, parse_config
from tui_mail.commands import reader
from tui_mail.ui.bindings import binding_ids
from tui_mail.ui.keymap import checked_keymap, normalized_key

ACCOUNT = '[accounts.work]\nhost = "pop.example.org"\nuser = "alice"\n'


def keymap_of(text: str) -> dict[str, str]:
    return checked_keymap(parse_config(text, Path("/home/a/config.toml")))


def test_keys_table_accepts_dotted_and_quoted_ids() -> None:
    text = ACCOUNT + '[keys]\nmail.delete = "D"\n"list.down" = "j, ctrl+n"\nmail.help = "?,f1"\n'
    assert keymap_of(text) == {
        "mail.delete": "D",
        "list.down": "j,ctrl+n",
        "mail.help": "question_mark,f1",
    }


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('mail.delet = "D"', "keys.mail.delet: unknown action id (did you mean mail.delete?"),
        ('mail.delete = "ctrl+zz"', "'ctrl+zz' is not a key name"),
        ('mail.delete = "hyperspace+d"', "is not a key name"),
        ('mail.delete = ""', "must name keys separated by commas"),
        ('mail.delete = "d,,x"', "must name keys separated by commas"),
        ("mail.delete = 4", "must be a string, not an integer"),
        ('mail.delete = "j"', "'j' is already bound to list.down in the message list"),
    ],
)
def test_keys_table_problems_name_the_line(entry: str, problem: str) -> None:
    text = ACCOUNT + '\n[keys]\nmail.sort = "O"\n' + entry + "\n"
    with pytest.raises(ConfigError) as caught:
        keymap_of(text)
    message = str(caught.value)
    assert message.startswith("/home/a/config.toml:7: keys.")
    assert problem in message


def test_keys_must_be_a_table_and_unknown_top_level_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"config.toml:1: keys: must be a table"):
        parse_config('keys = "D"\n' + ACCOUNT, Path("config.toml"))
    with pytest.raises(ConfigError, match=r"config.toml:1: colour: unknown key"):
        parse_config("colour = 1\n" + ACCOUNT, Path("config.toml"))


def test_a_swap_of_two_keys_is_accepted() -> None:
    assert keymap_of(ACCOUNT + '[keys]\nmail.delete = "u"\nmail.undelete = "d"\n') == {
        "mail.delete": "u",
        "mail.undelete": "d",
    }


def test_every_help_listed_id_can_be_rebound() -> None:
    ids = binding_ids()
    assert "mail.delete" in ids and "list.down" in ids and "preview.page_up" in ids
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("D", "D"),
        ("?", "question_mark"),
        ("$", "dollar_sign"),
        ("ctrl+n", "ctrl+n"),
        ("pagedown", "pagedown"),
        ("f5", "f5"),
        ("space", "space"),
        ("dollar_sign", "dollar_sign"),
        ("shift+tab", "shift+tab"),
        ("+", "plus"),
        ("nonsense", None),
        ("ctrl+", None),
    ],
)
def test_key_names(name: str, key: str | None) -> None:
    assert normalized_key(name) == key


async def test_rebound_keys_work_and_show_in_the_key_line(tmp_path: Path) -> None:
    keymap = keymap_of(ACCOUNT + '[keys]\nmail.delete = "x"\nmail.exit = "X"\n')
    session = small_mailbox()
    app = make_app(session, tmp_path, keymap=keymap)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("x")
        assert session.calls_named("set_marked") == [("set_marked", "u1", True)]
        assert app.return_code is None
        assert "x:Del" in screen_lines(app)[-2]


# -- mouse -------------------------------------------------------------------------------------


def test_mouse_key_in_the_config() -> None:
    assert parse_config("mouse = false\n" + ACCOUNT, Path("c.toml")).mouse is False
    assert parse_config(ACCOUNT, Path("c.toml")).mouse is None
    with pytest.raises(ConfigError, match=r"c.toml:1: mouse: must be true or false"):
        parse_config('mouse = "off"\n' + ACCOUNT, Path("c.toml"))


@pytest.mark.parametrize(
    ("flag", "configured", "ssh", "wanted"),
    [
        (None, None, False, True),
        (None, None, True, False),  # over SSH the mouse is off unless asked for
        (None, True, True, True),
        (None, False, False, False),
        (True, False, True, True),  # --mouse wins
        (False, True, False, False),  # --no-mouse wins
    ],
)
def test_mouse_default_follows_flag_config_then_ssh(
    flag: bool | None, configured: bool | None, ssh: bool, wanted: bool
) -> None:
    environ = {"SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22"} if ssh else {}
    args = argparse.Namespace(mouse=flag)
    assert reader.mouse_wanted(args, configured, environ) is wanted


def test_mouse_flags_parse() -> None:
    from tui_mail.cli import build_parser

    assert build_parser().parse_args(["--no-mouse"]).mouse is False
    assert build_parser().parse_args(["--mouse"]).mouse is True
    assert build_parser().parse_args([]).mouse is None


def test_the_reader_refuses_a_bad_keys_table_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(ACCOUNT + '[keys]\nmail.nope = "D"\n')
    config.chmod(0o600)
    monkeypatch.setenv("TUI_MAIL_CONFIG", str(config))
    monkeypatch.setattr(reader, "_open_reader", lambda *a, **k: pytest.fail("started"))
    args = argparse.Namespace(log=None, demo=False, account=None, mouse=False)
    assert reader.run(args) == 2
    assert f"{config}:5: keys.mail.nope: unknown action id" in capsys.readouterr().err


def test_L_in_the_demo_writes_into_the_demo_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Path] = {}

    def fake_reader(
        account: object, secrets: object, data_dir: Path, log: object, **_: object
    ) -> int:
        seen["data"] = data_dir
        seen["log"] = log.path  # type: ignore[attr-defined]
        return 0

    monkeypatch.setattr(reader, "_open_reader", fake_reader)
    args = argparse.Namespace(log=None, demo=True, account=None, mouse=False)
    assert reader.run(args) == 0
    assert seen["log"] == seen["data"] / "protocol.log"
