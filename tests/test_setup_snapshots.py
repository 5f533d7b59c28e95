"""Snapshot of the set-up screen at 80x24 right after a successful login test (issue 13).

The probe and the login are replaced by fixed reports, so the picture does not depend on a
random port or on today's date; the screen code under test is the real one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.test_setup import fill, no_real_keyring, start  # noqa: F401 (autouse fixture)
from tests.waiting import until
from tui_mail.pop3.capabilities import Capabilities
from tui_mail.session.login_check import LoginReport
from tui_mail.session.server_probe import CertificateSummary, ServerReport
from tui_mail.ui.screens import setup as setup_screen
from tui_mail.ui.screens.setup import SetupScreen
from tui_mail.ui.setup_app import SetupApp

CAPABILITIES = Capabilities.parse(["TOP", "UIDL", "USER", "SASL PLAIN", "PIPELINING"])
AFTER_LOGIN = Capabilities.parse(["TOP", "UIDL", "USER", "PIPELINING", "EXPIRE 0"])


async def fake_probe(host: str, port: int | None, **_: object) -> ServerReport:
    return ServerReport(
        host=host,
        port=995,
        tls="implicit",
        greeting="+OK POP3 ready",
        capabilities=CAPABILITIES,
        apop=False,
        tls_version="TLSv1.3",
        certificate=CertificateSummary(
            subject="CN=pop.example.org",
            issuer="CN=Example CA",
            expires="2027-01-31 (in 400 days)",
        ),
    )


async def fake_login(*_: object, **__: object) -> LoginReport:
    return LoginReport(messages=1204, octets=88_000_000, capabilities=AFTER_LOGIN)


def test_setup_screen_after_login(
    snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(setup_screen, "check_login", fake_login)
    app = SetupApp(SetupScreen(config_path=tmp_path / "config.toml", prober=fake_probe))

    async def log_in(pilot: Pilot[None]) -> None:
        screen = await start(pilot, app)
        screen.query_one("#cafile").focus()
        await pilot.press("enter")
        await until(lambda: screen.report is not None, pilot=pilot)
        await fill(pilot, screen, "password", "not-a-real-password")
        await pilot.press("enter")
        await until(lambda: screen.login is not None, pilot=pilot)
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=log_in)
