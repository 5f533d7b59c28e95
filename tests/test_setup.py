"""The set-up screen, walked with Pilot at 80x24 against the POP3 test server.

Each test types an address, points the server field at the test server, checks it, logs in
and saves, then reads the config file back. Keyring use is pinned per test (a memory keyring,
or keyring's fail backend as on an SSH box), so no test touches a real keyring.
"""

from __future__ import annotations

import argparse
import re
import shutil
import ssl
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends import fail
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, RadioButton, Static

from tests.certs import CertFiles
from tests.memory_keyring import MemoryKeyring
from tests.pop3server import ErrorFault, Faults, POP3TestServer
from tests.waiting import until
from tui_mail.accounts import KEYRING_SERVICE, SecretProvider, load_config
from tui_mail.accounts import secrets as secrets_module
from tui_mail.commands import reader
from tui_mail.pop3.certificate import CertificateDetails
from tui_mail.session.server_probe import ServerReport
from tui_mail.ui import setup_app
from tui_mail.ui.screens.setup import SetupResult, SetupScreen
from tui_mail.ui.setup_app import SetupApp
from tui_mail.ui.widgets.certificate_view import CertificateView

USER = "alice@example.org"
PASSWORD = "Setup-Secret-Passw0rd"
TOKEN = "ya29.setup-screen-token-0042"
MESSAGE = b"From: bob@example.org\r\nSubject: hello\r\n\r\nhi\r\n"


@pytest.fixture(autouse=True)
def no_real_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts on keyring's fail backend (an SSH box) and a fresh process state."""
    monkeypatch.setattr(secrets_module._ProcessNotices, "keyring_advice_given", False)
    original = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(original)


# -- driving the screen ------------------------------------------------------------------


def screen_report(screen: SetupScreen) -> ServerReport | None:
    """The probe's report, read afresh (a worker may have set it since the last look)."""
    return screen.report


def field(screen: SetupScreen, name: str) -> Input:
    return screen.query_one(f"#{name}", Input)


async def fill(pilot: Pilot[Any], screen: SetupScreen, name: str, value: str) -> None:
    field(screen, name).value = value
    await pilot.pause()


async def enter_in(pilot: Pilot[Any], screen: SetupScreen, name: str) -> None:
    field(screen, name).focus()
    await pilot.press("enter")


def texts(screen: SetupScreen, selector: str) -> list[str]:
    return [str(widget.content) for widget in screen.query(selector).results(Static)]


def advice(screen: SetupScreen) -> str:
    return "\n".join(texts(screen, "#advice .advice"))


def login_result(screen: SetupScreen) -> str:
    return "\n".join(texts(screen, "#login-result .advice"))


def shown(screen: SetupScreen, selector: str) -> bool:
    widget = screen.query_one(selector)
    return bool(widget.display) and all(
        bool(a.display) for a in widget.ancestors_with_self if hasattr(a, "display")
    )


async def check_server(
    pilot: Pilot[Any], screen: SetupScreen, port: int, cafile: Path | None
) -> None:
    await fill(pilot, screen, "server", f"127.0.0.1:{port}")
    await fill(pilot, screen, "cafile", str(cafile) if cafile else "")
    await enter_in(pilot, screen, "cafile")
    await until(
        lambda: (
            screen.report is not None
            or "see above" in screen.status_text
            or "failed" in screen.status_text
        ),
        pilot=pilot,
    )


async def start(
    pilot: Pilot[Any], app: SetupApp, address: str = USER, *, typed: bool = False
) -> SetupScreen:
    """Wait for the screen and enter the address (key by key with ``typed``: slower)."""
    screen = app.setup_screen
    await until(lambda: screen.is_mounted and app.screen is screen, pilot=pilot)
    if typed:
        await pilot.press(*address)
    else:
        await fill(pilot, screen, "address", address)
    await pilot.pause()
    return screen


def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "config.toml"


def tls_server(certs: CertFiles, **options: Any) -> POP3TestServer:
    return POP3TestServer(
        [MESSAGE],
        user=USER,
        password=PASSWORD,
        tls="implicit",
        ssl_context=certs.server_context(),
        **options,
    )


# -- the scenarios the issue names -----------------------------------------------------


async def test_xoauth2_only_server_gets_a_token_command(tmp_path: Path, certs: CertFiles) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    server = tls_server(certs, token=TOKEN, sasl=["XOAUTH2"], apop=False)
    path = config_path(tmp_path)
    async with server:
        app = SetupApp(SetupScreen(config_path=path))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await start(pilot, app, typed=True)
            assert field(screen, "server").value == "pop.example.org"  # the guess
            assert field(screen, "user").value == USER
            await check_server(pilot, screen, server.port, certs.cafile)
            assert screen.report is not None and screen.report.prefers_oauth
            assert shown(screen, "#token_command") and not shown(screen, "#password")
            assert screen.query_one("#login-oauth", RadioButton).value
            assert app.focused is field(screen, "token_command")
            assert "XOAUTH2" in screen.status_text
            await fill(pilot, screen, "token_command", f"cat {token_file}")
            await enter_in(pilot, screen, "token_command")
            await until(
                lambda: (
                    screen.login is not None
                    or "refused" in screen.status_text
                    or "failed" in screen.status_text
                ),
                pilot=pilot,
            )
            assert screen.login is not None, screen.status_text
            assert "Login accepted: 1 message" in login_result(screen)
            assert app.focused is field(screen, "name")
            await pilot.press("enter")
            await until(lambda: app.return_value is not None, pilot=pilot)
    result = app.return_value
    assert isinstance(result, SetupResult)
    assert server.sessions[-1].mechanism is not None
    assert server.sessions[-1].mechanism.upper() == "XOAUTH2"
    account = load_config(path).account()
    assert account.auth == "xoauth2" and account.oauth_token_command == f"cat {token_file}"
    assert account.cafile == certs.cafile and account.tls == "implicit"
    assert account.port == server.port and account.user == USER
    text = path.read_text()
    assert TOKEN not in text and PASSWORD not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_expire_0_and_login_delay_are_explained_and_password_kept_in_keyring(
    tmp_path: Path, certs: CertFiles
) -> None:
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    server = tls_server(certs, extra_capabilities=["EXPIRE 0", "LOGIN-DELAY 300"])
    path = config_path(tmp_path)
    async with server:
        app = SetupApp(SetupScreen(config_path=path))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await start(pilot, app)
            await check_server(pilot, screen, server.port, certs.cafile)
            assert screen.report is not None
            said = advice(screen)
            assert "removes retrieved mail (EXPIRE 0)" in said
            assert "one login every 5 minutes (LOGIN-DELAY 300)" in said
            assert "new mail no more often" in said
            assert shown(screen, "#password") and not shown(screen, "#token_command")
            assert app.focused is field(screen, "password")
            await fill(pilot, screen, "password", PASSWORD)
            await pilot.press("enter")
            await until(
                lambda: (
                    screen.login is not None
                    or "refused" in screen.status_text
                    or "failed" in screen.status_text
                ),
                pilot=pilot,
            )
            assert screen.login is not None, screen.status_text
            assert "saved in the system keyring" in login_result(screen)
            assert "EXPIRE 0" in advice(screen)  # still said after login
            await pilot.press("enter")
            await until(lambda: app.return_value is not None, pilot=pilot)
    account = load_config(path).account()
    assert memory.entries == {(KEYRING_SERVICE, account.keyring_user): PASSWORD}
    assert account.password_command is None and account.auth == "auto"
    assert PASSWORD not in path.read_text()
    result = app.return_value
    assert result is not None and result.secrets.lookup_password(account) is not None


async def test_without_keyring_password_command_is_explained_and_saved(
    tmp_path: Path, certs: CertFiles
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(PASSWORD + "\n")
    server = tls_server(certs)
    path = config_path(tmp_path)
    async with server:
        app = SetupApp(SetupScreen(config_path=path))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await start(pilot, app)
            await check_server(pilot, screen, server.port, certs.cafile)
            await fill(pilot, screen, "password", PASSWORD)
            await pilot.press("enter")
            await until(lambda: screen.login is not None, pilot=pilot)
            said = login_result(screen)
            assert "No system keyring is usable here" in said and "password_command" in said
            # Follow the advice: a command instead of the typed password, and test again.
            await fill(pilot, screen, "password_command", f"cat {secret_file}")
            assert screen.login is None  # changed settings must be tested again
            await enter_in(pilot, screen, "password_command")
            await until(lambda: screen.login is not None, pilot=pilot)
            assert "comes from your command" in login_result(screen)
            await enter_in(pilot, screen, "name")
            await until(lambda: app.return_value is not None, pilot=pilot)
    account = load_config(path).account()
    assert account.password_command == f"cat {secret_file}"
    assert PASSWORD not in path.read_text()


def make_self_signed(directory: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (its own CA), with the key in the same file."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a self-signed certificate")
    pem = directory / "self-signed.pem"
    key = directory / "self-signed.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(pem),
            "-days",
            "30",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,digitalSignature",
        ],
        check=True,
        capture_output=True,
    )
    return pem


async def test_self_signed_certificate_is_refused_then_accepted_with_cafile(tmp_path: Path) -> None:
    pem = make_self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pem, tmp_path / "self-signed.key")
    server = POP3TestServer(
        [MESSAGE], user=USER, password=PASSWORD, tls="implicit", ssl_context=context
    )
    async with server:
        app = SetupApp(SetupScreen(config_path=config_path(tmp_path)))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await start(pilot, app)
            await check_server(pilot, screen, server.port, None)
            assert screen.report is None
            report = "\n".join(texts(screen, "#report"))
            assert "not trusted" in report and "CA file" in report, report
            assert "self-signed" in report
            assert not shown(screen, "#login") and "certificate not trusted" in (screen.status_text)
            assert screen.query_one("#status").has_class("-error")
            assert "no POP3 server answered" not in report  # stopped: no fallback to plain
            await check_server(pilot, screen, server.port, pem)
            report_after = screen_report(screen)
            assert report_after is not None and report_after.tls == "implicit"
            assert "certificate verified" in "\n".join(texts(screen, "#report"))
            assert shown(screen, "#password")


# -- providers, hostile server text, wiring ------------------------------------------------


async def test_gmail_is_explained_before_any_connection(tmp_path: Path) -> None:
    app = SetupApp(SetupScreen(config_path=config_path(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app, "alice@gmail.com")
        assert field(screen, "server").value == "pop.gmail.com"
        assert field(screen, "name").value == "gmail"
        said = advice(screen)
        assert "recent:" in said and "hidden" in said and "app password" in said
        recent = screen.query_one("#recent", Checkbox)
        assert recent.display
        recent.value = True
        await pilot.pause()
        assert field(screen, "user").value == "recent:alice@gmail.com"
        recent.value = False
        await pilot.pause()
        assert field(screen, "user").value == "alice@gmail.com"


async def test_microsoft_address_goes_to_office365_and_oauth(tmp_path: Path) -> None:
    app = SetupApp(SetupScreen(config_path=config_path(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app, "bob@outlook.com")
        assert field(screen, "server").value == "outlook.office365.com"
        assert "POP.AccessAsUser.All" in advice(screen) and "XOAUTH2" in advice(screen)
        assert not screen.query_one("#recent", Checkbox).display


async def test_hand_edited_server_field_is_not_overwritten(tmp_path: Path) -> None:
    app = SetupApp(SetupScreen(config_path=config_path(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.setup_screen
        await until(lambda: screen.is_mounted, pilot=pilot)
        await fill(pilot, screen, "server", "mail.isp.example")
        await fill(pilot, screen, "address", "me@example.org")
        assert field(screen, "server").value == "mail.isp.example"
        assert field(screen, "user").value == "me@example.org"


async def test_server_refusal_text_is_shown_as_text_not_markup(
    tmp_path: Path, certs: CertFiles
) -> None:
    hostile = "[b]no[/b] [@click=app.quit]x[/] \x1b]0;title\x07"
    faults = Faults(errors=(ErrorFault("PASS", code="AUTH", text=hostile),))
    server = tls_server(certs, sasl=(), apop=False, faults=faults)
    async with server:
        app = SetupApp(SetupScreen(config_path=config_path(tmp_path)))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await start(pilot, app)
            await check_server(pilot, screen, server.port, certs.cafile)
            await fill(pilot, screen, "password", "wrong")
            await pilot.press("enter")
            await until(lambda: "refused" in screen.status_text, pilot=pilot)
            said = login_result(screen)
            assert "[b]no[/b] [@click=app.quit]x[/]" in said
            assert "\x1b" not in said
            assert app.is_running and app.return_value is None
            await pilot.press("escape")
    assert app.return_value is None
    assert not config_path(tmp_path).exists()  # leaving saves nothing


async def test_unreachable_server_is_one_clear_message(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = SetupApp(SetupScreen(config_path=config_path(tmp_path), probe_timeout=5))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(pilot, app)
        await check_server(pilot, screen, port, None)
        report = "\n".join(texts(screen, "#report"))
        assert "no POP3 server answered" in report and "refused" in report
        assert not shown(screen, "#login")


# -- the first run, and `tui-mail setup` from the command line ------------------------------


def reader_args(**changes: object) -> argparse.Namespace:
    values: dict[str, object] = dict(log=None, demo=False, account=None, no_mouse=True)
    values.update(changes)
    return argparse.Namespace(**values)


def test_first_run_opens_setup_then_the_new_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_mail.accounts import Account

    path = tmp_path / "none" / "config.toml"
    monkeypatch.setenv("TUI_MAIL_CONFIG", str(path))
    monkeypatch.setenv("TUI_MAIL_DATA_DIR", str(tmp_path / "data"))
    account = Account(name="work", host="127.0.0.1", port=995, tls="implicit", user=USER)
    secrets = SecretProvider()
    calls: list[object] = []

    def fake_setup(**options: object) -> SetupResult:
        calls.append(options["config_path"])
        from tui_mail.accounts import Config

        return SetupResult(account, Config(path, {"work": account}), secrets)

    def fake_reader(opened: Account, used: SecretProvider, *_: object, **__: object) -> int:
        calls.append((opened, used))
        return 0

    monkeypatch.setattr(setup_app, "run_setup", fake_setup)
    monkeypatch.setattr(reader, "_open_reader", fake_reader)
    assert reader.run(reader_args()) == 0
    assert calls == [path, (account, secrets)]  # the tested secrets: no second prompt

    monkeypatch.setattr(setup_app, "run_setup", lambda **options: None)
    assert reader.run(reader_args()) == 1


def test_setup_command_refuses_a_broken_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[accounts.work\n")
    done = subprocess.run(
        [sys.executable, "-m", "tui_mail", "setup"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={"TUI_MAIL_CONFIG": str(path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2
    assert "invalid TOML" in done.stderr and "Traceback" not in done.stderr
    assert path.read_text() == "[accounts.work\n"


# -- trusting a certificate in place (mutt's "accept always") ---------------------------------


async def test_untrusted_certificate_is_shown_and_trusted_only_on_request(
    tmp_path: Path, certs: CertFiles
) -> None:
    server = tls_server(certs)
    path = config_path(tmp_path)
    async with server:
        app = SetupApp(SetupScreen(config_path=path))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await start(pilot, app)
            await check_server(pilot, screen, server.port, None)
            await until(lambda: bool(screen.query("#trust-cert")), pilot=pilot)
            details = "\n".join(texts(screen, "#cert-details"))
            assert "issuer:       CN=tui-mail test CA" in details
            assert re.search(
                r"sha256: +([0-9A-F]{2}:){16}\n +([0-9A-F]{2}:){15}[0-9A-F]{2}", details
            ), details
            assert "valid:" in details and "days left" in details
            assert screen.report is None and not shown(screen, "#login")
            assert not path.parent.exists() or not list(path.parent.glob("*.pem"))
            assert field(screen, "cafile").value == ""  # nothing trusted by itself
            # The keyboard path (as over SSH): a click can miss while layout settles under load.
            screen.query_one("#trust-cert", Button).focus()
            await pilot.pause()
            await pilot.press("enter")
            await until(lambda: screen.report is not None, pilot=pilot)
            saved = path.parent / f"127.0.0.1-{server.port}.pem"
            assert field(screen, "cafile").value == str(saved)
            assert saved.read_text().startswith("-----BEGIN CERTIFICATE-----")
            assert stat.S_IMODE(saved.stat().st_mode) == 0o600
            assert "certificate verified" in "\n".join(texts(screen, "#report"))
            assert not screen.query("#trust-cert")
            await fill(pilot, screen, "password", PASSWORD)
            await enter_in(pilot, screen, "password")
            await until(
                lambda: screen.login is not None or "fail" in screen.status_text, pilot=pilot
            )
            await enter_in(pilot, screen, "name")
            await until(lambda: app.return_value is not None, pilot=pilot)
    account = load_config(path).account()
    assert account.cafile == saved


async def test_a_certificate_for_another_host_offers_no_trust_button(
    tmp_path: Path, certs: CertFiles
) -> None:
    server = tls_server(certs)
    async with server:
        app = SetupApp(SetupScreen(config_path=config_path(tmp_path)))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await start(pilot, app)
            details = CertificateDetails.from_der(
                ssl.PEM_cert_to_DER_cert(certs.certfile.read_text())
            )
            view = CertificateView(details, "pop.example.org", 995)
            assert view.problem is not None and "not made out for pop.example.org" in view.problem
            await screen.query_one("#certificate").mount(view)
            await pilot.pause()
            assert not screen.query("#trust-cert")
            assert "trusting it would not help" in "\n".join(texts(screen, "#cert-warning"))
