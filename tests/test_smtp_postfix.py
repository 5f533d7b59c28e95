"""Submission to Debian's Postfix (a private instance): what a real MTA makes of our mail.

STARTTLS is required before AUTH (``smtpd_tls_auth_only``), Cyrus SASL checks the password,
and Postfix's ``virtual`` agent delivers into a Maildir the test reads back.
"""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from tests.certs import CertFiles
from tests.postfix import Postfix
from tests.smtpserver import PASSWORD, USER
from tests.waiting import until
from tui_mail.accounts.config import Account, parse_config
from tui_mail.accounts.secrets import SecretProvider
from tui_mail.compose.draft import AttachedFile, Draft
from tui_mail.mail.render import render_message
from tui_mail.session.protocol_log import ProtocolLogWriter
from tui_mail.smtp.outbox import Outbox
from tui_mail.smtp.submit import Submitter, smtp_target

pytestmark = pytest.mark.postfix


def account(
    tmp_path: Path, postfix: Postfix, certs: CertFiles, password: str = PASSWORD
) -> Account:
    text = (
        f'[accounts.w]\nhost = "pop.example.org"\nuser = "{USER}"\n'
        f'password_command = "printf {password}"\nfrom = "Alice <alice@example.org>"\n'
        'charset = "iso-2022-jp"\n'
        f'[accounts.w.smtp]\nhost = "127.0.0.1"\nport = {postfix.port}\ncafile = "{certs.cafile}"\n'
    )
    return parse_config(text, tmp_path / "c.toml").account()


def outbox(acct: Account, tmp_path: Path, log: ProtocolLogWriter | None = None) -> Outbox:
    submitter = Submitter(smtp_target(acct), SecretProvider(), protocol_log=log, timeout=20)
    return Outbox(acct, tmp_path / "Mail", submitter)


async def test_postfix_delivers_a_japanese_reply_with_an_attachment(
    postfix: Postfix, certs: CertFiles, tmp_path: Path
) -> None:
    before = len(postfix.delivered())
    log = ProtocolLogWriter(tmp_path / "log")
    draft = Draft(
        from_="Alice <alice@example.org>",
        to="田中 <tanaka@example.jp>",
        cc="nobody@refused.example",
        subject="Re: 会議の件",
        body="承知しました。\n> 明日の会議は十時からです。\n",
        in_reply_to="<m1@example.jp>",
        references=("<m1@example.jp>",),
        attachments=(AttachedFile("議事録.txt", "text/plain", "議事録\n".encode()),),
    )
    outcome = outbox(account(tmp_path, postfix, certs), tmp_path, log).send(draft)
    log.close()
    assert outcome.sent, outcome.text + postfix.log()
    assert list(outcome.refused) == ["nobody@refused.example"]
    assert outcome.refused["nobody@refused.example"].startswith("554")
    await until(lambda: len(postfix.delivered()) > before, "Postfix delivered it", limit=60)
    data = postfix.delivered()[-1]
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == "Re: 会議の件"
    assert parsed["In-Reply-To"] == "<m1@example.jp>"
    assert parsed["Message-ID"].endswith("@example.org>")
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content_charset() == "iso-2022-jp"
    assert body.get_content().replace("\r\n", "\n") == draft.body
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "議事録.txt"
    ours = render_message(data)
    assert ours.subject == "Re: 会議の件" and "承知しました。" in ours.body
    text = (tmp_path / "log").read_text()
    assert "C: STARTTLS" in text and PASSWORD not in text and "AUTH PLAIN ***" in text
    assert "Postfix" in text
    assert len(list((tmp_path / "Mail" / ".Sent" / "cur").iterdir())) == 1


def test_postfix_refuses_a_wrong_password_and_the_draft_stays(
    postfix: Postfix, certs: CertFiles, tmp_path: Path
) -> None:
    outcome = outbox(account(tmp_path, postfix, certs, password="wrong"), tmp_path).send(
        Draft(from_="alice@example.org", to="bob@example.net", subject="x", body="y\n")
    )
    assert not outcome.sent
    assert "refused the login for alice (535" in outcome.text
    assert len(list((tmp_path / "Mail" / ".Drafts" / "cur").iterdir())) == 1
