"""Submission against a real SMTP server (aiosmtpd: STARTTLS and AUTH required).

Covers the rules on top of smtplib: verified TLS, no login on a plaintext link, per-recipient
refusals, 8BITMIME only when offered, the draft kept with the reason on any failure, and the
Japanese reply round trip (the stdlib and our renderer read the same text back).
"""

from __future__ import annotations

import email
import email.policy
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.certs import CertFiles
from tests.smtpserver import PASSWORD, TOKEN, USER, SmtpServer, free_port
from tui_mail.accounts.config import Account, parse_config
from tui_mail.accounts.secrets import Secret, SecretProvider
from tui_mail.compose.draft import Draft
from tui_mail.compose.reply import read_original, reply_draft
from tui_mail.mail.render import render_message
from tui_mail.session.protocol_log import ProtocolLogWriter
from tui_mail.smtp.outbox import Outbox
from tui_mail.smtp.submit import SubmissionError, Submitter, smtp_target


@pytest.fixture
def smtp(certs: CertFiles) -> Iterator[SmtpServer]:
    server = SmtpServer(certs.server_context()).start()
    try:
        yield server
    finally:
        server.stop()


def make_account(
    tmp_path: Path, port: int, cafile: Path | None, extra: str = "", smtp_extra: str = ""
) -> Account:
    ca = f'cafile = "{cafile}"\n' if cafile else ""
    text = f"""
[accounts.work]
host = "pop.example.org"
user = "{USER}"
password_command = "printf {PASSWORD}"
from = "Alice Example <alice@example.org>"
{extra}
[accounts.work.smtp]
host = "127.0.0.1"
port = {port}
{ca}{smtp_extra}
"""
    return parse_config(text, tmp_path / "config.toml").account()


def outbox_for(account: Account, tmp_path: Path, log: ProtocolLogWriter | None = None) -> Outbox:
    submitter = Submitter(smtp_target(account), SecretProvider(), protocol_log=log, timeout=10)
    return Outbox(account, tmp_path / "Mail", submitter)


def files_in(folder: Path) -> list[Path]:
    return (
        [p for sub in ("new", "cur") for p in sorted((folder / sub).glob("*"))]
        if folder.exists()
        else []
    )


def test_send_goes_through_starttls_and_auth_and_lands_in_sent(
    smtp: SmtpServer, certs: CertFiles, tmp_path: Path
) -> None:
    account = make_account(tmp_path, smtp.port, certs.cafile)
    log = ProtocolLogWriter(tmp_path / "protocol.log")
    outbox = outbox_for(account, tmp_path, log)
    draft = Draft(
        from_=account.sending.from_address or "",
        to="Bob <bob@example.net>",
        cc="carol@example.net, nobody@refused.example",
        bcc="secret-boss@example.net",
        subject="Grüße aus Köln",
        body="Hallo Bob,\n\nschöne Grüße.\n",
    )
    outcome = outbox.send(draft)
    assert outcome.sent, outcome.text
    assert outcome.refused == {"nobody@refused.example": "550 5.1.1 no such user here"}
    assert "nobody@refused.example (550 5.1.1 no such user here)" in outcome.text
    [got] = smtp.received
    assert got.mail_from == "alice@example.org"
    assert got.rcpt_tos == ["bob@example.net", "carol@example.net", "secret-boss@example.net"]
    assert b"secret-boss" not in got.data  # Bcc never on the wire
    assert "BODY=8BITMIME" in got.mail_options  # aiosmtpd offers it: the body went as 8bit
    assert all(len(line) <= 998 for line in got.data.split(b"\r\n"))
    parsed = email.message_from_bytes(got.data, policy=email.policy.default)
    assert parsed["Subject"] == "Grüße aus Köln"
    assert parsed.get_content().replace("\r\n", "\n") == "Hallo Bob,\n\nschöne Grüße.\n"
    assert parsed["Message-ID"].endswith("@example.org>")
    assert parsed["MIME-Version"] == "1.0" and parsed["Date"]
    # A copy in .Sent (0600, with the Bcc), nothing left in .Drafts
    [copy] = files_in(tmp_path / "Mail" / ".Sent")
    assert copy.name.endswith(":2,S")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "Mail" / ".Sent").stat().st_mode) == 0o700
    assert b"Bcc: secret-boss@example.net" in copy.read_bytes()
    assert files_in(tmp_path / "Mail" / ".Drafts") == []
    log.close()
    text = (tmp_path / "protocol.log").read_text()
    assert "C: STARTTLS" in text and "C: ehlo" in text and "bytes of data]" in text
    assert PASSWORD not in text and "AUTH PLAIN ***" in text
    assert "schöne" not in text


def test_server_down_keeps_the_draft_with_the_reason_then_continuing_sends_it(
    certs: CertFiles, tmp_path: Path
) -> None:
    port = free_port()
    account = make_account(tmp_path, port, certs.cafile)
    outbox = outbox_for(account, tmp_path)
    draft = Draft(
        from_="Alice <alice@example.org>", to="bob@example.net", subject="hi", body="text\n"
    )
    outcome = outbox.send(draft)
    assert not outcome.sent
    assert "connection refused" in outcome.text
    [stored] = outbox.list_drafts()
    assert stored.key == outcome.draft_key
    assert stored.draft.failure is not None and "connection refused" in stored.draft.failure
    assert stored.draft.body == "text\n" and stored.draft.to == "bob@example.net"
    server = SmtpServer(certs.server_context(), port=port).start()
    try:
        again = outbox.send(outbox.load(stored.key), key=stored.key)
        assert again.sent, again.text
        [got] = server.received
        parsed = email.message_from_bytes(got.data, policy=email.policy.default)
        assert parsed["Message-ID"] == stored.draft.message_id  # the same message, not a new one
        assert "X-Tui-Mail" not in got.data.decode()
    finally:
        server.stop()
    assert outbox.list_drafts() == []


def test_untrusted_certificate_is_refused_and_the_draft_stays(
    smtp: SmtpServer, tmp_path: Path
) -> None:
    account = make_account(tmp_path, smtp.port, None)  # no cafile: the test CA is unknown
    outcome = outbox_for(account, tmp_path).send(
        Draft(from_="alice@example.org", to="bob@example.net", subject="x", body="y\n")
    )
    assert not outcome.sent
    assert "not trusted" in outcome.text
    assert smtp.received == []
    assert len(files_in(tmp_path / "Mail" / ".Drafts")) == 1


def test_wrong_password_is_an_auth_failure_in_words(
    smtp: SmtpServer, certs: CertFiles, tmp_path: Path
) -> None:
    account = make_account(
        tmp_path, smtp.port, certs.cafile, smtp_extra='password_command = "printf wrong"\n'
    )
    outcome = outbox_for(account, tmp_path).send(
        Draft(from_="alice@example.org", to="bob@example.net", subject="x", body="y\n")
    )
    assert not outcome.sent
    assert "refused the login for alice" in outcome.text
    assert "wrong" not in outcome.text


def test_no_login_over_a_link_without_starttls(tmp_path: Path, certs: CertFiles) -> None:
    """A server that does not offer STARTTLS gets neither the password nor the message."""
    server = SmtpServer(None, require_tls=False).start()
    try:
        account = make_account(tmp_path, server.port, certs.cafile)
        log = ProtocolLogWriter(tmp_path / "log")
        outcome = outbox_for(account, tmp_path, log).send(
            Draft(from_="alice@example.org", to="bob@example.net", subject="x", body="y\n")
        )
        log.close()
        assert not outcome.sent
        assert "does not offer STARTTLS" in outcome.text
        assert server.received == [] and server.handler.logins == []
        text = (tmp_path / "log").read_text()
        assert "C: ehlo" in text and "AUTH PLAIN" not in text and "mail FROM" not in text
    finally:
        server.stop()


def test_implicit_tls_on_its_own_port(certs: CertFiles, tmp_path: Path) -> None:
    server = SmtpServer(certs.server_context(), implicit=True).start()
    try:
        account = make_account(
            tmp_path, server.port, certs.cafile, smtp_extra='tls = "implicit"\nauth = "login"\n'
        )
        outcome = outbox_for(account, tmp_path).send(
            Draft(from_="alice@example.org", to="bob@example.net", subject="x", body="y\n")
        )
        assert outcome.sent, outcome.text
        assert server.handler.logins == ["LOGIN"]
    finally:
        server.stop()


def test_every_recipient_refused_keeps_the_draft(
    smtp: SmtpServer, certs: CertFiles, tmp_path: Path
) -> None:
    account = make_account(tmp_path, smtp.port, certs.cafile)
    outcome = outbox_for(account, tmp_path).send(
        Draft(
            from_="alice@example.org",
            to="a@refused.example, b@refused.example",
            subject="x",
            body="y\n",
        )
    )
    assert not outcome.sent
    assert outcome.refused.keys() == {"a@refused.example", "b@refused.example"}
    assert "a@refused.example: 550" in outcome.text
    assert smtp.received == []


def test_japanese_reply_round_trip(smtp: SmtpServer, certs: CertFiles, tmp_path: Path) -> None:
    """An ISO-2022-JP mail answered with charset = "iso-2022-jp": what arrives reads the same
    in the stdlib and in our renderer, and carries the threading headers."""
    original = tmp_path / "original.eml"
    subject = "=?ISO-2022-JP?B?GyRCMnE1RCRON28bKEI=?="  # 会議の件
    body = "田中です。\n明日の会議は十時からです。\n".encode("iso2022_jp").replace(b"\n", b"\r\n")
    original.write_bytes(
        b"From: =?ISO-2022-JP?B?GyRCRURDZhsoQg==?= <tanaka@example.jp>\r\n"
        b"To: alice@example.org\r\nSubject: " + subject.encode() + b"\r\n"
        b"Date: Mon, 30 Nov 2026 10:00:00 +0900\r\nMessage-ID: <m1@example.jp>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" + body
    )
    account = make_account(tmp_path, smtp.port, certs.cafile, extra='charset = "iso-2022-jp"\n')
    draft = reply_draft(read_original(original), account)
    draft = draft.with_(body="承知しました。よろしくお願いします。\n" + draft.body)
    outcome = outbox_for(account, tmp_path).send(draft)
    assert outcome.sent, outcome.text
    [got] = smtp.received
    assert got.rcpt_tos == ["tanaka@example.jp"]
    assert b"ISO-2022-JP" in got.data and all(b < 128 for b in got.data)
    parsed = email.message_from_bytes(got.data, policy=email.policy.default)
    assert parsed["Subject"] == "Re: 会議の件"
    assert parsed["In-Reply-To"] == "<m1@example.jp>"
    assert parsed["References"] == "<m1@example.jp>"
    stdlib_text = parsed.get_content().replace("\r\n", "\n")
    assert "承知しました。よろしくお願いします。" in stdlib_text
    assert "> 明日の会議は十時からです。" in stdlib_text
    ours = render_message(got.data)
    assert ours.subject == "Re: 会議の件"
    assert ours.body.rstrip("\n") == stdlib_text.rstrip("\n")
    assert "田中" in ours.to


def test_given_secret_skips_the_chain(smtp: SmtpServer, certs: CertFiles, tmp_path: Path) -> None:
    account = make_account(
        tmp_path, smtp.port, certs.cafile, smtp_extra='password_command = "false"\n'
    )
    outcome = outbox_for(account, tmp_path).send(
        Draft(from_="alice@example.org", to="bob@example.net", subject="x", body="y\n"),
        secret=Secret(PASSWORD, "prompt"),
    )
    assert outcome.sent, outcome.text


def test_smtp_target_defaults_to_the_pop3_secrets_chain(tmp_path: Path) -> None:
    account = make_account(tmp_path, 587, None)
    target = smtp_target(account)
    assert target.secret_account is not None
    assert target.secret_account.password_command == f"printf {PASSWORD}"
    assert target.secret_account.keyring_user == f"{USER}@127.0.0.1:587"
    with pytest.raises(SubmissionError):
        smtp_target(
            parse_config('[accounts.a]\nhost = "h"\nuser = "u"\n', tmp_path / "c").account()
        )


def test_serverinfo_smtp_shows_starttls_auth_and_certificate(
    smtp: SmtpServer, certs: CertFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    from tui_mail.cli import main

    status = main(
        [
            "serverinfo",
            "--smtp",
            "127.0.0.1",
            "--port",
            str(smtp.port),
            "--cafile",
            str(certs.cafile),
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    assert "(SMTP, STARTTLS)" in out and "TLSv1." in out
    assert "before STARTTLS:" in out and "  STARTTLS" in out
    assert "login:        LOGIN, OAUTHBEARER, PLAIN, XOAUTH2" in out
    assert "8BITMIME offered" in out
    assert "tui-mail test" in out or "subject:" in out


def test_send_command_submits_a_prepared_message(
    smtp: SmtpServer,
    certs: CertFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tui_mail.cli import main

    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.work]\nhost = "pop.example.org"\nuser = "{USER}"\n'
        f'password_command = "printf {PASSWORD}"\nfrom = "Alice <alice@example.org>"\n'
        f'maildir = "{tmp_path / "Mail"}"\n'
        f'[accounts.work.smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\ncafile = "{certs.cafile}"\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("TUI_MAIL_CONFIG", str(config))
    message = tmp_path / "m.eml"
    message.write_bytes(
        b"From: Alice <alice@example.org>\nTo: bob@example.net\nBcc: x@example.net\nSubject: cron\n\nnightly report\n"
    )
    assert main(["send", str(message)]) == 0
    [got] = smtp.received
    assert got.rcpt_tos == ["bob@example.net", "x@example.net"]
    assert (
        b"Bcc" not in got.data
        and b"Message-ID: <" in got.data
        and b"\r\nDate: " in b"\r\n" + got.data
    )
    assert len(files_in(tmp_path / "Mail" / ".Sent")) == 1
    assert files_in(tmp_path / "Mail" / ".Drafts") == []
    smtp.stop()
    assert main(["send", str(message)]) == 1
    assert "kept in Drafts" in capsys.readouterr().err
    assert len(files_in(tmp_path / "Mail" / ".Drafts")) == 1


def test_xoauth2_with_a_token_command(smtp: SmtpServer, certs: CertFiles, tmp_path: Path) -> None:
    account = make_account(
        tmp_path,
        smtp.port,
        certs.cafile,
        smtp_extra=f'auth = "xoauth2"\noauth_token_command = "printf {TOKEN}"\n',
    )
    log = ProtocolLogWriter(tmp_path / "log")
    outcome = outbox_for(account, tmp_path, log).send(
        Draft(from_="alice@example.org", to="bob@example.net", subject="x", body="y\n")
    )
    log.close()
    assert outcome.sent, outcome.text
    assert smtp.handler.logins == ["XOAUTH2"]
    text = (tmp_path / "log").read_text()
    assert TOKEN not in text and "AUTH XOAUTH2 ***" in text


def test_oauthbearer_with_a_token_command(
    smtp: SmtpServer, certs: CertFiles, tmp_path: Path
) -> None:
    account = make_account(
        tmp_path,
        smtp.port,
        certs.cafile,
        smtp_extra=f'auth = "oauthbearer"\noauth_token_command = "printf {TOKEN}"\n',
    )
    outcome = outbox_for(account, tmp_path).send(
        Draft(from_="alice@example.org", to="bob@example.net", subject="x", body="y\n")
    )
    assert outcome.sent, outcome.text
    assert smtp.handler.logins == ["OAUTHBEARER"]


def test_a_message_over_the_servers_size_limit_stays_a_draft(
    certs: CertFiles, tmp_path: Path
) -> None:
    from tui_mail.compose.draft import AttachedFile

    server = SmtpServer(certs.server_context(), size_limit=10_000).start()
    try:
        account = make_account(tmp_path, server.port, certs.cafile)
        big = AttachedFile("big.bin", "application/octet-stream", bytes(20_000))
        outcome = outbox_for(account, tmp_path).send(
            Draft(from_="alice@example.org", to="bob@example.net", subject="x", attachments=(big,))
        )
        assert not outcome.sent
        assert "the server accepts at most 9.8 KiB" in outcome.text
        assert server.received == []
    finally:
        server.stop()


def test_send_reads_stdin(
    smtp: SmtpServer,
    certs: CertFiles,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io
    import sys

    from tui_mail.cli import main

    config = tmp_path / "config.toml"
    config.write_text(
        f'[accounts.work]\nhost = "pop.example.org"\nuser = "{USER}"\n'
        f'password_command = "printf {PASSWORD}"\nfrom = "Alice <alice@example.org>"\n'
        f'maildir = "{tmp_path / "Mail"}"\n'
        f'[accounts.work.smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\ncafile = "{certs.cafile}"\n'
    )
    config.chmod(0o600)
    monkeypatch.setenv("TUI_MAIL_CONFIG", str(config))
    message = b"To: bob@example.net\nSubject: from a pipe\n\nhello\n"

    class Stdin:
        buffer = io.BytesIO(message)

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdin", Stdin())
    assert main(["send", "--account", "work", "-"]) == 0
    [got] = smtp.received
    assert got.mail_from == "alice@example.org" and b"Subject: from a pipe" in got.data
