"""Snapshot tests of the reader at 80x24 (update with ``pytest --snapshot-update``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.fake_session import FIXED_NOW, FakeSession, small_mailbox
from tests.waiting import until
from tui_mail.session.server_probe import ServerReport
from tui_mail.ui.app import TuiMailApp

SIZE = (80, 24)


def make_app(tmp_path: Path, theme: str = "textual-dark") -> TuiMailApp:
    session = small_mailbox()
    return TuiMailApp(
        session,
        account_name=session.account_name,
        clock=lambda: FIXED_NOW,
        download_dir=tmp_path,
        theme=theme,
        outcome_delay=0,
    )


async def loaded(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, TuiMailApp)
    await until(lambda: app.model.total == 6, pilot=pilot)
    await pilot.pause()


def test_message_list(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=loaded)


def test_message_list_ansi_theme_for_16_colours(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(make_app(tmp_path, "ansi-dark"), terminal_size=SIZE, run_before=loaded)


def test_preview_of_a_hostile_message(snap_compare: Any, tmp_path: Path) -> None:
    async def open_hostile(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        app = pilot.app
        assert isinstance(app, TuiMailApp)
        app.mail_screen.message_list.select_uid("u4")
        await pilot.press("enter")
        await until(lambda: app.mail_screen.preview.uid == "u4", pilot=pilot)
        await pilot.pause()

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=open_hostile)


def test_quit_dialog(snap_compare: Any, tmp_path: Path) -> None:
    async def mark_and_quit(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        await pilot.press("d", "d", "q")
        await pilot.pause()

    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=mark_and_quit)


def test_setup_certificate_view(snap_compare: Any, tmp_path: Path) -> None:
    """Set-up after an untrusted certificate: the certificate in full and the trust button."""
    from datetime import UTC, datetime

    from tui_mail.pop3.certificate import CertificateDetails
    from tui_mail.session.server_probe import ProbeFailed
    from tui_mail.ui.screens.setup import SetupScreen
    from tui_mail.ui.setup_app import SetupApp

    details = CertificateDetails(
        subject="CN=pop.example.org,O=Example Mail",
        issuer="CN=pop.example.org,O=Example Mail",
        not_before=datetime(2026, 1, 1, tzinfo=UTC),
        not_after=datetime(2028, 1, 1, tzinfo=UTC),
        fingerprint=":".join(f"{n * 7 % 256:02X}" for n in range(32)),
        names=("pop.example.org",),
        pem="-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    )

    async def refuse(host: str, port: int | None, **_: object) -> ServerReport:
        raise ProbeFailed(
            f"The certificate of {host}:995 is not trusted (self-signed certificate).",
            certificate=True,
            port=995,
            tls="implicit",
        )

    async def fetch(host: str, port: int, tls: str, **_: object) -> CertificateDetails:
        return details

    screen = SetupScreen(
        config_path=tmp_path / "config.toml",
        prober=refuse,
        certificate_fetcher=fetch,
        clock=lambda: datetime(2026, 12, 2, tzinfo=UTC),
    )

    async def refused(pilot: Pilot[None]) -> None:
        await pilot.pause()
        app = pilot.app
        assert isinstance(app, SetupApp)
        screen.query_one("#address", Input).value = "alice@example.org"
        await pilot.pause()
        screen.query_one("#cafile", Input).focus()
        await pilot.press("enter")
        await until(lambda: bool(screen.query("#trust-cert")), pilot=pilot)
        # Scrolling the new view into sight animates: let it finish, whatever the load.
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(SetupApp(screen), terminal_size=SIZE, run_before=refused)


def test_tagged_and_local_only_rows(snap_compare: Any, tmp_path: Path) -> None:
    """``*`` tagged, ``L`` only on this machine (and D before both), and the status bar."""
    app = make_app(tmp_path)
    session = app._session
    assert isinstance(session, FakeSession)
    for uid in ("u3", "u5"):
        session._rows[uid] = session._rows[uid].with_(local_only=True, arrival=0)

    async def tag_and_mark(pilot: Pilot[None]) -> None:
        await loaded(pilot)
        await pilot.press("t", "j", "j", "t", "d")  # u1, u4 tagged; u5 (local only) marked
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=tag_and_mark)
