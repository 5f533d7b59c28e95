"""Pilot tests of writing mail: r / R / f / F / m, the editor, the review screen, drafts.

``$EDITOR`` is a script that edits the file as a user would; the SMTP server is a real one
(aiosmtpd with STARTTLS and AUTH required, trusting only our test CA).
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import keyring
import pytest
from textual.pilot import Pilot

from tests.certs import CertFiles
from tests.fake_session import FIXED_NOW, FakeSession
from tests.memory_keyring import MemoryKeyring
from tests.smtpserver import PASSWORD, USER, SmtpServer, free_port
from tests.test_ui_app import screen_lines
from tests.waiting import until
from tui_mail.accounts.config import Account, parse_config
from tui_mail.commands.reader import make_composer
from tui_mail.mail.render import render_message
from tui_mail.store.models import MessageSummary
from tui_mail.ui.app import TuiMailApp
from tui_mail.ui.screens.drafts import DraftsScreen
from tui_mail.ui.screens.review import AttachPrompt, PasswordPrompt, ReviewScreen, YesNo

JAPANESE_SUBJECT = "=?ISO-2022-JP?B?GyRCMnE1RCRON28bKEI=?="  # 会議の件
JAPANESE_BODY = "田中です。\n明日の会議は十時からです。\n".encode("iso2022_jp")


def japanese_mail() -> bytes:
    return (
        b"From: =?ISO-2022-JP?B?GyRCRURDZhsoQg==?= <tanaka@example.jp>\r\n"
        b"To: Alice <alice@example.org>, bob@example.net\r\n"
        b"Subject: " + JAPANESE_SUBJECT.encode() + b"\r\n"
        b"Date: Mon, 30 Nov 2026 10:00:00 +0900\r\n"
        b"Message-ID: <m1@example.jp>\r\nReferences: <m0@example.jp>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
        + JAPANESE_BODY.replace(b"\n", b"\r\n")
    )


def mailbox() -> FakeSession:
    row = MessageSummary(
        "j1", 400, FIXED_NOW - timedelta(hours=1), "田中", "会議の件", True, False, 1
    )
    return FakeSession([row], {"j1": japanese_mail()}, account_name="work")


@pytest.fixture(autouse=True)
def empty_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def smtp(certs: CertFiles) -> Iterator[SmtpServer]:
    server = SmtpServer(certs.server_context()).start()
    try:
        yield server
    finally:
        server.stop()


def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> Path:
    """Make ``$EDITOR`` a shell script (``$1`` is the draft file)."""
    path = tmp_path / "editor.sh"
    path.write_text("#!/bin/sh\nset -e\n" + script, encoding="utf-8")
    path.chmod(0o700)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(path))
    return path


def account(
    tmp_path: Path, port: int, certs: CertFiles, smtp_extra: str = "", pop_secret: bool = True
) -> Account:
    secret = f'password_command = "printf {PASSWORD}"\n' if pop_secret else ""
    text = (
        f'[accounts.work]\nhost = "pop.example.org"\nuser = "{USER}"\n{secret}'
        'from = "Alice <alice@example.org>"\ncharset = "iso-2022-jp"\n'
        f'maildir = "{tmp_path / "Mail"}"\n'
        f'[accounts.work.smtp]\nhost = "127.0.0.1"\nport = {port}\ncafile = "{certs.cafile}"\n{smtp_extra}'
    )
    return parse_config(text, tmp_path / "config.toml").account()


def make_app(session: FakeSession, acct: Account, tmp_path: Path) -> TuiMailApp:
    return TuiMailApp(
        session,
        account_name="work",
        clock=lambda: FIXED_NOW,
        download_dir=tmp_path / "downloads",
        outcome_delay=0,
        composer=make_composer(acct, tmp_path / "data", None),
    )


def folder(tmp_path: Path, name: str) -> list[Path]:
    root = tmp_path / "Mail" / f".{name}"
    return (
        sorted(p for sub in ("new", "cur") for p in (root / sub).glob("*")) if root.exists() else []
    )


async def review_shown(pilot: Pilot[None], app: TuiMailApp) -> str:
    await until(lambda: isinstance(app.screen, ReviewScreen), pilot=pilot)
    await until(lambda: "y send" in "\n".join(screen_lines(app)), "the review drawn", pilot=pilot)
    return "\n".join(screen_lines(app))


APPEND_JAPANESE = 'printf "了解しました。よろしくお願いします。\\n" >> "$1"\n'


async def test_reply_to_a_japanese_mail_is_sent_and_kept_in_sent(
    smtp: SmtpServer, certs: CertFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor(tmp_path, monkeypatch, APPEND_JAPANESE)
    app = make_app(mailbox(), account(tmp_path, smtp.port, certs), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: len(app.model) == 1, pilot=pilot)
        await pilot.press("enter")
        await until(lambda: app.displayed is not None, pilot=pilot)
        await pilot.press("r")
        screen = await review_shown(pilot, app)
        assert "To:       田中 <tanaka@example.jp>" in screen
        assert "Subject:  Re: 会議の件" in screen
        assert "y send" in screen and "q abandon" in screen
        assert len(folder(tmp_path, "Drafts")) == 1  # stored as soon as the editor returned
        await pilot.press("y")
        await until(lambda: len(smtp.received) == 1 and not folder(tmp_path, "Drafts"), pilot=pilot)
    [got] = smtp.received
    assert got.rcpt_tos == ["tanaka@example.jp"]
    parsed = email.message_from_bytes(got.data, policy=email.policy.default)
    assert parsed["Subject"] == "Re: 会議の件"
    assert parsed["In-Reply-To"] == "<m1@example.jp>"
    assert parsed["References"] == "<m0@example.jp> <m1@example.jp>"
    assert parsed.get_content_charset() == "iso-2022-jp"
    text = parsed.get_content().replace("\r\n", "\n")
    assert "> 明日の会議は十時からです。" in text
    assert text.rstrip().endswith("了解しました。よろしくお願いします。")
    assert render_message(got.data).body.rstrip() == text.rstrip()
    [sent] = folder(tmp_path, "Sent")
    assert b"In-Reply-To: <m1@example.jp>" in sent.read_bytes()


async def test_server_down_keeps_the_draft_and_p_continues_it(
    certs: CertFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor(tmp_path, monkeypatch, APPEND_JAPANESE)
    port = free_port()
    app = make_app(mailbox(), account(tmp_path, port, certs), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: len(app.model) == 1, pilot=pilot)
        await pilot.press("enter")
        await until(lambda: app.displayed is not None, pilot=pilot)
        await pilot.press("r")
        await review_shown(pilot, app)
        await pilot.press("y")
        await until(lambda: any("Not sent" in n.message for n in app._notifications), pilot=pilot)
        [note] = [n.message for n in app._notifications if "Not sent" in n.message]
        assert "kept in Drafts" in note and "connection refused" in note and "P continues" in note
        [draft] = folder(tmp_path, "Drafts")
        assert b"connection refused" in draft.read_bytes()
        server = SmtpServer(certs.server_context(), port=port).start()
        try:
            await pilot.press("P")
            await until(lambda: isinstance(app.screen, DraftsScreen), pilot=pilot)
            await until(lambda: "not sent: " in "\n".join(screen_lines(app)), pilot=pilot)
            await pilot.press("enter")
            screen = await review_shown(pilot, app)
            assert "Last attempt failed: " in screen
            await pilot.press("y")
            await until(
                lambda: len(server.received) == 1 and not folder(tmp_path, "Drafts"), pilot=pilot
            )
        finally:
            server.stop()
    parsed = email.message_from_bytes(server.received[0].data, policy=email.policy.default)
    assert parsed["Subject"] == "Re: 会議の件"
    assert "了解しました" in parsed.get_content()
    assert len(folder(tmp_path, "Sent")) == 1


async def test_unsent_drafts_are_offered_at_start(certs: CertFiles, tmp_path: Path) -> None:
    from tui_mail.compose.draft import Draft

    acct = account(tmp_path, free_port(), certs)
    outbox = make_composer(acct, tmp_path / "data", None).outbox
    outbox.save_draft(
        Draft(from_="alice@example.org", to="b@example.net", subject="x"), failure="cannot connect"
    )
    app = make_app(mailbox(), acct, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(
            lambda: any("in Drafts not sent" in n.message for n in app._notifications),
            pilot=pilot,
        )


async def test_group_reply_and_forward_headers(
    smtp: SmtpServer, certs: CertFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor(tmp_path, monkeypatch, 'printf "FYI\\n" >> "$1"\n')
    app = make_app(mailbox(), account(tmp_path, smtp.port, certs), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: len(app.model) == 1, pilot=pilot)
        await pilot.press("R")  # not opened yet: R opens it, then starts the reply
        screen = await review_shown(pilot, app)
        assert "To:       田中 <tanaka@example.jp>" in screen
        assert "Cc:       bob@example.net" in screen  # our own address left out
        await pilot.press("p")
        await until(lambda: not isinstance(app.screen, ReviewScreen), pilot=pilot)
        assert len(folder(tmp_path, "Drafts")) == 1
        await pilot.press("F")
        screen = await review_shown(pilot, app)
        assert "Subject:  Fwd: 会議の件" in screen and "message/rfc822" in screen
        assert "No recipients" in screen or "no recipients" in screen  # To is still empty
        await pilot.press("y")  # refused on screen: fix first
        assert isinstance(app.screen, ReviewScreen)


async def test_new_message_attach_and_abandon(
    smtp: SmtpServer, certs: CertFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "files" / "報告書.pdf"
    report.parent.mkdir()
    report.write_bytes(b"%PDF-1.4 report")
    editor(
        tmp_path,
        monkeypatch,
        'sed -i "s/^To: *$/To: Bob <bob@example.net>/; s/^Subject: *$/Subject: 月報/" "$1"\n'
        'printf "添付します。\\n" >> "$1"\n',
    )
    monkeypatch.chdir(tmp_path)
    app = make_app(mailbox(), account(tmp_path, smtp.port, certs), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: len(app.model) == 1, pilot=pilot)
        await pilot.press("m")
        await review_shown(pilot, app)
        await pilot.press("a")
        await until(lambda: isinstance(app.screen, AttachPrompt), pilot=pilot)
        await pilot.press(*"fi", "tab")  # completes to files/
        await pilot.press(*"報", "tab")  # completes the only file
        await pilot.press("enter")
        screen = await review_shown(pilot, app)
        assert "報告書.pdf  application/pdf" in screen
        await pilot.press("y")
        await until(lambda: len(smtp.received) == 1, pilot=pilot)
        # and a second message, abandoned: asks first, then leaves nothing behind
        await pilot.press("m")
        await review_shown(pilot, app)
        await pilot.press("q")
        await until(lambda: isinstance(app.screen, YesNo), pilot=pilot)
        await pilot.press("n")
        await review_shown(pilot, app)
        await pilot.press("q")
        await until(lambda: isinstance(app.screen, YesNo), pilot=pilot)
        await pilot.press("y")
        await until(lambda: not folder(tmp_path, "Drafts"), pilot=pilot)
    parsed = email.message_from_bytes(smtp.received[0].data, policy=email.policy.default)
    assert parsed["Subject"] == "月報" and parsed["To"] == "Bob <bob@example.net>"
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "報告書.pdf"
    assert attachment.get_content() == b"%PDF-1.4 report"
    assert b"filename*=UTF-8''" in smtp.received[0].data


async def test_unchanged_new_message_is_dropped(
    certs: CertFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor(tmp_path, monkeypatch, "true\n")
    app = make_app(mailbox(), account(tmp_path, free_port(), certs), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: len(app.model) == 1, pilot=pilot)
        await pilot.press("m")
        await until(
            lambda: any("not changed" in n.message for n in app._notifications), pilot=pilot
        )
        assert not isinstance(app.screen, ReviewScreen)
    assert folder(tmp_path, "Drafts") == []


async def test_password_is_asked_in_the_app_when_nothing_else_has_it(
    smtp: SmtpServer, certs: CertFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor(tmp_path, monkeypatch, 'sed -i "s/^To: *$/To: bob@example.net/" "$1"\n')
    app = make_app(mailbox(), account(tmp_path, smtp.port, certs, pop_secret=False), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: len(app.model) == 1, pilot=pilot)
        await pilot.press("m")
        await review_shown(pilot, app)
        await pilot.press("y")
        await until(lambda: isinstance(app.screen, PasswordPrompt), pilot=pilot)
        who = f"{USER}@127.0.0.1:{smtp.port}"
        await until(lambda: who in "\n".join(screen_lines(app)), "the prompt names it", pilot=pilot)
        await pilot.press(*PASSWORD, "enter")
        await until(lambda: len(smtp.received) == 1, pilot=pilot)
        assert PASSWORD not in "\n".join(screen_lines(app))


async def test_help_lists_the_compose_keys(certs: CertFiles, tmp_path: Path) -> None:
    app = make_app(mailbox(), account(tmp_path, free_port(), certs), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: len(app.model) == 1, pilot=pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        from tui_mail.ui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("Static").render())
        for words in (
            "Reply to the sender",
            "Reply to all",
            "Forward as attachment",
            "Write a new message",
            "Check for new mail",
            "Postpone",
        ):
            assert words in text


async def test_an_edit_cut_off_by_a_dropped_link_is_recovered_at_the_next_start(
    certs: CertFiles, tmp_path: Path
) -> None:
    from tui_mail.compose.draft import Draft, editor_text

    acct = account(tmp_path, free_port(), certs)
    composer = make_composer(acct, tmp_path / "data", None)
    draft, key = composer.outbox.save_draft(
        Draft(from_="alice@example.org", to="t@example.jp", subject="Re: x", in_reply_to="<m1@x>")
    )
    composer.work_dir.mkdir(parents=True)
    left = composer.work_dir / f"draft-{key}--k2j3.txt"  # what the editor had saved
    left.write_text(editor_text(draft.with_(body="書きかけの返事\n")), encoding="utf-8")
    app = make_app(mailbox(), acct, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(
            lambda: any("Recovered 1 message" in n.message for n in app._notifications),
            pilot=pilot,
        )
    [stored] = composer.outbox.list_drafts()
    assert stored.draft.body == "書きかけの返事\n" and stored.draft.in_reply_to == "<m1@x>"
    assert not left.exists()
