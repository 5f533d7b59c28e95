"""The secrets chain: password_command, keyring, masked prompt; tokens from a command."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from tests.memory_keyring import MemoryKeyring
from tui_mail.accounts import Account, Secret, SecretError, SecretProvider, run_secret_command
from tui_mail.accounts import secrets as secrets_module

PASSWORD = "s3cret pass"  # spaces on purpose: they belong to the password


class LockedKeyring(MemoryKeyring):
    """A keyring backend that exists but fails when used (locked, D-Bus gone...)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")


@pytest.fixture(autouse=True)
def fresh_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test is a new "process" for the once-per-process notice; keyring restored."""
    monkeypatch.setattr(secrets_module._ProcessNotices, "keyring_advice_given", False)
    original = keyring.get_keyring()
    yield
    keyring.set_keyring(original)


def account(**changes: object) -> Account:
    fields: dict[str, object] = dict(
        name="work", host="pop.example.org", port=995, tls="implicit", user="alice"
    )
    fields.update(changes)
    return Account(**fields)  # type: ignore[arg-type]


class Recorder:
    """Stands in for the UI: scripted answers, and a record of what was shown."""

    def __init__(self, answers: list[str] | None = None, save: bool = True) -> None:
        self.answers = list(answers or [])
        self.prompts: list[str] = []
        self.questions: list[str] = []
        self.notices: list[str] = []
        self.save = save

    def prompt(self, text: str) -> str:
        self.prompts.append(text)
        return self.answers.pop(0)

    def confirm(self, question: str) -> bool:
        self.questions.append(question)
        return self.save

    def notify(self, text: str) -> None:
        self.notices.append(text)

    def provider(self, **kwargs: object) -> SecretProvider:
        return SecretProvider(
            prompt=self.prompt,
            confirm=self.confirm,
            notify=self.notify,
            config_path=Path("/home/alice/.config/tui-mail/config.toml"),
            **kwargs,  # type: ignore[arg-type]
        )


# -- password_command ----------------------------------------------------------------


def test_command_password_is_first_line_with_spaces_kept(tmp_path: Path) -> None:
    script = tmp_path / "pw"
    script.write_text(f"{PASSWORD}\r\nurl: example.org\n")
    ui = Recorder()
    secret = ui.provider().password(account(password_command=f"cat {script} | cat"))
    assert secret == Secret(PASSWORD, "password_command")
    assert ui.prompts == [] and ui.notices == []


def test_command_runs_once_per_process(tmp_path: Path) -> None:
    counter = tmp_path / "runs"
    command = f"echo run >> {counter}; echo {shlex.quote(PASSWORD)}"
    provider = Recorder().provider()
    work = account(password_command=command)
    assert provider.password(work).value == provider.password(work).value == PASSWORD
    assert counter.read_text().count("run") == 1


def test_failing_command_error_hides_output_and_command() -> None:
    command = f"echo {shlex.quote(PASSWORD)}; echo {shlex.quote(PASSWORD)} >&2; exit 3"
    with pytest.raises(SecretError) as caught:
        Recorder().provider().password(account(password_command=command))
    message = str(caught.value)
    assert "exit status 3" in message and "'work'" in message and "run it in a shell" in message
    assert "s3cret" not in message and "s3cret" not in repr(caught.value)
    assert caught.value.__context__ is None  # no chained exception carrying the output


@pytest.mark.parametrize(
    ("command", "problem"),
    [
        ("no-such-command-here", "command not found"),
        ("printf ''", "printed nothing"),
        ("printf '\\n\\nlater'", "printed nothing"),
        ("printf '\\377\\376'", "not UTF-8"),
        ("kill -TERM $$", "killed by SIGTERM"),
    ],
)
def test_command_problems_are_one_clear_line(command: str, problem: str) -> None:
    with pytest.raises(SecretError, match=problem) as caught:
        run_secret_command(command, setting="password_command", account_name="work")
    assert "\n" not in str(caught.value)


def test_command_that_hangs_is_killed_with_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "child-still-alive"
    # The grandchild would create the marker after the timeout if it survived.
    command = f"(sleep 1.5; touch {marker}) & sleep 30"
    with pytest.raises(SecretError, match="did not finish"):
        run_secret_command(command, setting="password_command", account_name="w", timeout=0.3)
    subprocess.run(["sleep", "2"], check=True)
    assert not marker.exists()


def test_secret_never_in_repr_or_str() -> None:
    secret = Secret(PASSWORD, "keyring")
    assert PASSWORD not in repr(secret) and PASSWORD not in str(secret)
    assert "keyring" in repr(secret)


# -- no keyring at all (this box, and headless SSH) ----------------------------------


def test_no_keyring_prompts_and_tells_once_how_to_set_password_command() -> None:
    keyring.set_keyring(fail.Keyring())
    ui = Recorder(answers=[PASSWORD, "other"])
    provider = ui.provider()
    secret = provider.password(account())
    assert secret == Secret(PASSWORD, "prompt")
    assert ui.prompts == ["Password for alice@pop.example.org: "]
    assert ui.questions == []  # no keyring: saving is not offered
    assert len(ui.notices) == 1
    assert "No system keyring" in ui.notices[0]
    assert 'password_command = "pass show mail/work"' in ui.notices[0]
    assert "/home/alice/.config/tui-mail/config.toml" in ui.notices[0]
    provider.login_succeeded(account(), secret)  # nothing to save, nothing raised
    # Another account, and another provider, in the same process: not told again.
    other = ui.provider().password(account(name="home", host="h2"))
    assert other.value == "other"
    assert len(ui.notices) == 1


def test_no_keyring_and_no_terminal_is_a_clear_error() -> None:
    keyring.set_keyring(fail.Keyring())
    provider = SecretProvider(prompt=None, config_path=Path("/c.toml"))
    with pytest.raises(SecretError) as caught:
        provider.password(account())
    message = str(caught.value)
    assert "no password for account 'work'" in message
    assert "no system keyring" in message and "password_command" in message
    assert "\n" not in message


def test_headless_box_default_backend_runs_without_traceback(tmp_path: Path) -> None:
    """The real keyring start-up on a box without Secret Service (a fresh interpreter)."""
    script = textwrap.dedent("""
        from tui_mail.accounts import Account, SecretProvider
        notices = []
        provider = SecretProvider(prompt=lambda text: "typed", confirm=None,
                                  notify=notices.append)
        account = Account(name="w", host="h", port=995, tls="implicit", user="u")
        secret = provider.password(account)
        provider.login_succeeded(account, secret)
        print(secret.source, provider.keyring_usable(), len(notices))
    """)
    env = {key: value for key, value in os.environ.items() if not key.startswith("DBUS")}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env["HOME"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.split() == ["prompt", "False", "1"]
    assert result.stderr == ""


# -- a working keyring ---------------------------------------------------------------


def test_keyring_password_is_used_without_prompting() -> None:
    memory = MemoryKeyring()
    memory.set_password("tui-mail", "alice@pop.example.org:995", PASSWORD)
    keyring.set_keyring(memory)
    ui = Recorder()
    assert ui.provider().password(account()) == Secret(PASSWORD, "keyring")
    assert ui.prompts == [] and ui.notices == []


def test_command_wins_over_keyring() -> None:
    memory = MemoryKeyring()
    memory.set_password("tui-mail", "alice@pop.example.org:995", "from keyring")
    keyring.set_keyring(memory)
    secret = Recorder().provider().password(account(password_command="echo from-command"))
    assert secret == Secret("from-command", "password_command")


def test_typed_password_is_saved_only_after_a_successful_login() -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    ui = Recorder(answers=[PASSWORD], save=True)
    provider = ui.provider()
    secret = provider.password(account())
    assert ui.questions == ["Save this password in the system keyring?"]
    assert memory.entries == {}  # not yet: the server has not accepted it
    provider.login_succeeded(account(), secret)
    assert memory.entries == {("tui-mail", "alice@pop.example.org:995"): PASSWORD}
    assert ui.notices == ["Password for alice@pop.example.org:995 saved in the system keyring."]


def test_typed_password_not_saved_when_declined_or_rejected() -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    declined = Recorder(answers=[PASSWORD], save=False)
    provider = declined.provider()
    provider.login_succeeded(account(), provider.password(account()))
    assert memory.entries == {}
    wrong = Recorder(answers=["wrong", PASSWORD], save=True)
    provider = wrong.provider()
    first = provider.password(account())
    provider.login_rejected(account(), first)
    provider.login_succeeded(account(), first)  # a stale success report saves nothing
    assert memory.entries == {}
    second = provider.password(account())
    assert second.value == PASSWORD and len(wrong.prompts) == 2
    provider.login_succeeded(account(), second)
    assert list(memory.entries.values()) == [PASSWORD]


def test_rejected_keyring_password_falls_back_to_prompt_and_is_replaced() -> None:
    memory = MemoryKeyring()
    memory.set_password("tui-mail", "alice@pop.example.org:995", "stale")
    keyring.set_keyring(memory)
    ui = Recorder(answers=["fresh"], save=True)
    provider = ui.provider()
    stale = provider.password(account())
    assert stale.source == "keyring"
    provider.login_rejected(account(), stale)
    fresh = provider.password(account())
    assert fresh == Secret("fresh", "prompt")
    provider.login_succeeded(account(), fresh)
    assert memory.get_password("tui-mail", "alice@pop.example.org:995") == "fresh"


def test_broken_keyring_is_reported_once_and_prompt_still_works() -> None:
    keyring.set_keyring(LockedKeyring())
    ui = Recorder(answers=[PASSWORD, PASSWORD])
    provider = ui.provider()
    assert provider.password(account()).source == "prompt"
    assert provider.password(account(name="b", host="other")).source == "prompt"
    assert len(ui.notices) == 1
    assert "The system keyring failed (KeyringLocked)" in ui.notices[0]
    assert "collection is locked" not in ui.notices[0]
    assert ui.questions == []  # a keyring that just failed is not offered for saving


def test_prompt_refuses_empty_and_multiline_passwords() -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(SecretError, match="no password entered"):
        Recorder(answers=[""]).provider().password(account())
    with pytest.raises(SecretError, match="line breaks") as caught:
        Recorder(answers=["a\r\nDELE 1"]).provider().password(account())
    assert "DELE" not in str(caught.value)


def test_lookup_without_prompt_for_a_ui_dialog() -> None:
    keyring.set_keyring(MemoryKeyring())
    provider = SecretProvider(prompt=None)
    assert provider.lookup_password(account()) is None
    typed = provider.accept_typed_password(account(), PASSWORD, remember=True)
    assert provider.lookup_password(account()) == typed  # cached for reconnects
    provider.login_succeeded(account(), typed)
    assert keyring.get_password("tui-mail", "alice@pop.example.org:995") == PASSWORD


# -- OAuth tokens --------------------------------------------------------------------


def test_token_comes_from_command_cached_until_refresh(tmp_path: Path) -> None:
    counter = tmp_path / "n"
    counter.write_text("0")
    command = f'n=$(( $(cat {counter}) + 1 )); echo $n > {counter}; echo " token-$n "'
    oauth = account(auth="xoauth2", oauth_token_command=command)
    provider = Recorder().provider()
    assert provider.secret(oauth) == Secret("token-1", "oauth_token_command")
    assert provider.secret(oauth).value == "token-1"
    assert provider.secret(oauth, refresh=True).value == "token-2"
    provider.login_rejected(oauth, provider.token(oauth))
    assert provider.token(oauth).value == "token-3"


def test_token_never_from_keyring_or_prompt() -> None:
    memory = MemoryKeyring()
    memory.set_password("tui-mail", "alice@pop.example.org:995", "a password")
    keyring.set_keyring(memory)
    ui = Recorder(answers=["typed"])
    oauth = account(auth="oauthbearer", oauth_token_command="exit 1")
    with pytest.raises(SecretError, match="oauth_token_command of account 'work' failed"):
        ui.provider().secret(oauth)
    assert ui.prompts == []


def test_ui_dialog_path_gets_the_advice_once() -> None:
    keyring.set_keyring(fail.Keyring())
    ui = Recorder()
    provider = ui.provider()
    assert provider.lookup_password(account()) is None
    assert not provider.keyring_usable()  # so the dialog offers no "save" box
    provider.advise_if_no_keyring(account())
    provider.advise_if_no_keyring(account())
    assert len(ui.notices) == 1 and "password_command" in ui.notices[0]
