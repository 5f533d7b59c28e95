"""Building outgoing mail: addressing, threading headers, encodings, the editor file, Maildir."""

from __future__ import annotations

import base64
import email
import email.policy
import os
import re
import stat
from pathlib import Path

import pytest

from tui_mail.accounts.config import Account, ConfigError, parse_config
from tui_mail.accounts.sending import Charset
from tui_mail.compose.draft import (
    AttachedFile,
    Draft,
    draft_from_stored,
    editor_text,
    from_editor_text,
)
from tui_mail.compose.headers import encoded_words, forward_subject, reply_subject, unstructured
from tui_mail.compose.mime import build_message, rfc2231_param, strip_bcc
from tui_mail.compose.reply import forward_draft, read_original, reply_draft
from tui_mail.mail.render import render_message
from tui_mail.store.maildir import Maildir


def account(tmp_path: Path, extra: str = "") -> Account:
    text = (
        '[accounts.w]\nhost = "pop.example.org"\nuser = "alice@example.org"\n'
        'from = "Alice <alice@example.org>"\n' + extra
    )
    return parse_config(text, tmp_path / "c.toml").account()


def original(tmp_path: Path, headers: str, body: str = "hello\n") -> Path:
    path = tmp_path / "orig.eml"
    path.write_bytes((headers.strip() + "\nMessage-ID: <o1@example.net>\n\n" + body).encode())
    return path


@pytest.mark.parametrize(
    ("subject", "reply", "forward"),
    [
        ("hello", "Re: hello", "Fwd: hello"),
        ("Re: hello", "Re: hello", "Fwd: hello"),
        ("RE: Re: Fwd: hello", "Re: hello", "Fwd: hello"),
        ("AW: Re[2]: hello", "Re: hello", "Fwd: hello"),
        ("Fw: hello", "Re: hello", "Fwd: hello"),
        ("", "Re:", "Fwd:"),
    ],
)
def test_prefixes_are_never_stacked(subject: str, reply: str, forward: str) -> None:
    assert reply_subject(subject) == reply
    assert forward_subject(subject) == forward


def test_group_reply_drops_own_addresses_and_duplicates(tmp_path: Path) -> None:
    path = original(
        tmp_path,
        "From: Bob <bob@example.net>\nTo: Alice <ALICE@example.org>, carol@example.net, Bob <bob@example.net>\n"
        "Cc: carol@example.net, dave@example.net, alice@example.org\nSubject: Re: plan",
    )
    draft = reply_draft(read_original(path), account(tmp_path), group=True)
    assert draft.to == "Bob <bob@example.net>"
    assert draft.cc == "carol@example.net, dave@example.net"
    assert draft.subject == "Re: plan"
    assert draft.in_reply_to == "<o1@example.net>" and draft.references == ("<o1@example.net>",)
    single = reply_draft(read_original(path), account(tmp_path))
    assert single.to == "Bob <bob@example.net>" and single.cc == ""


def test_reply_to_and_mail_followup_to_are_honoured(tmp_path: Path) -> None:
    path = original(
        tmp_path,
        "From: Bob <bob@example.net>\nReply-To: list@example.net\nTo: alice@example.org\n"
        "Mail-Followup-To: list@example.net, bob@example.net\nReferences: <a@x> <b@x>\nSubject: q",
    )
    parsed = read_original(path)
    assert reply_draft(parsed, account(tmp_path)).to == "list@example.net"
    group = reply_draft(parsed, account(tmp_path), group=True)
    assert group.to == "list@example.net, bob@example.net" and group.cc == ""
    assert group.references == ("<a@x>", "<b@x>", "<o1@example.net>")


def test_reply_to_own_message_goes_to_its_recipients(tmp_path: Path) -> None:
    path = original(tmp_path, "From: Alice <alice@example.org>\nTo: bob@example.net\nSubject: x")
    assert reply_draft(read_original(path), account(tmp_path)).to == "bob@example.net"


def test_hostile_addresses_are_not_offered(tmp_path: Path) -> None:
    path = original(
        tmp_path, "From: =?utf-8?q?Evil=0ABcc=3A_x=40y?= <evil@example.net>\nTo: a@b.c\nSubject: s"
    )
    draft = reply_draft(read_original(path), account(tmp_path))
    assert "\n" not in draft.to and "evil@example.net" in draft.to
    edited, problems = from_editor_text(draft, editor_text(draft))
    assert problems == [] and edited.bcc == ""


def test_quote_attribution_and_signature(tmp_path: Path) -> None:
    signature = tmp_path / "sig.txt"
    signature.write_text("Alice\nhttps://example.org\n")
    path = original(
        tmp_path,
        "From: Bob <bob@example.net>\nDate: Mon, 30 Nov 2026 10:00:00 +0000\nSubject: x",
        "line one\n\nline two\n",
    )
    draft = reply_draft(read_original(path), account(tmp_path, f'signature = "{signature}"\n'))
    assert "wrote:\n> line one\n>\n> line two\n" in draft.body
    assert draft.body.endswith("\n-- \nAlice\nhttps://example.org\n")
    assert "Bob <bob@example.net> wrote:" in draft.body


def test_html_only_mail_is_quoted_as_text(tmp_path: Path) -> None:
    path = tmp_path / "h.eml"
    path.write_bytes(
        b"From: b@example.net\nSubject: h\nContent-Type: text/html; charset=utf-8\n\n"
        b"<html><body><p>Hello <b>there</b></p><script>alert(1)</script></body></html>\n"
    )
    body = reply_draft(read_original(path), account(tmp_path)).body
    assert "> Hello there" in body and "<b>" not in body and "alert" not in body


def test_forward_inline_and_attached(tmp_path: Path) -> None:
    path = original(
        tmp_path,
        "From: Bob <bob@example.net>\nTo: a@example.org\nSubject: Re: report",
        "the text\n",
    )
    parsed = read_original(path)
    inline = forward_draft(parsed, account(tmp_path))
    assert inline.subject == "Fwd: report" and "----- Forwarded message -----" in inline.body
    assert "From: Bob <bob@example.net>" in inline.body and "the text" in inline.body
    attached = forward_draft(parsed, account(tmp_path), attach=True)
    [item] = attached.attachments
    assert item.content_type == "message/rfc822" and item.data == path.read_bytes()
    built = build_message(attached.with_(to="c@example.net"))
    message = email.message_from_bytes(built.data, policy=email.policy.default)
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "message/rfc822"
    assert part.get_content()["Subject"] == "Re: report"


def test_headers_are_ascii_folded_and_words_complete() -> None:
    subject = "日本語の件名がとても長い場合でも正しく折り返されることを確認します" * 2
    charsets: tuple[Charset, ...] = ("utf-8", "iso-2022-jp")
    for charset in charsets:
        field = unstructured("Subject", subject, charset)
        assert field.isascii()
        assert all(len(line) <= 78 for line in field.split("\n"))
        decoded = str(
            email.message_from_string(field + "\n\n", policy=email.policy.default)["Subject"]
        )
        assert decoded == subject
    for word in encoded_words("会議" * 40, "iso-2022-jp"):
        raw = base64.b64decode(word.split("?")[3])
        assert raw.endswith(b"\x1b(B") and len(word) <= 75  # each word ends in ASCII


def test_iso_2022_jp_falls_back_to_utf8_when_a_character_is_missing() -> None:
    draft = Draft(from_="a@example.org", to="b@example.net", subject="了解🙂", body="デモ\n")
    built = build_message(draft, charset="iso-2022-jp")
    assert built.charset == "utf-8" and built.notes
    ok = build_message(draft.with_(subject="件", body="デモ\n"), charset="iso-2022-jp")
    assert ok.charset == "iso-2022-jp" and b'charset="ISO-2022-JP"' in ok.data


def test_iso_2022_jp_carries_what_japanese_keyboards_type() -> None:
    """NEC row 13 (①, ㈱, Ⅲ), Windows' ～ and －, half-width kana: as CP50220 sends them."""
    text = "①会議は㈱デモで、Ⅲ期～来期－ｶﾞｲﾀﾞﾝｽ\n"
    draft = Draft(from_="a@example.org", to="b@example.net", subject="①の件", body=text)
    built = build_message(draft, charset="iso-2022-jp")
    assert built.charset == "iso-2022-jp" and not built.notes
    assert all(byte < 128 for byte in built.data)
    assert b"\x1b$B-!" in built.data  # ① is row 13, cell 1
    ours = render_message(built.data)
    assert ours.subject == "①の件"
    assert ours.body.rstrip("\n") == "①会議は㈱デモで、Ⅲ期～来期－ガイダンス"
    for line in built.data.split(b"\r\n"):
        assert line.count(b"\x1b$B") == line.count(b"\x1b(B")  # every line ends in ASCII


def test_long_lines_and_8bit_bodies() -> None:
    body = "ä" * 2000 + "\n" + "plain\n"
    draft = Draft(from_="a@example.org", to="b@example.net", subject="s", body=body)
    for eight_bit_ok in (False, True):
        built = build_message(draft, eight_bit_ok=eight_bit_ok)
        assert all(len(line) <= 998 for line in built.data.split(b"\r\n"))
        assert b"quoted-printable" in built.data and not built.eight_bit
        message = email.message_from_bytes(built.data, policy=email.policy.default)
        assert message.get_content().replace("\r\n", "\n") == body
    short = build_message(draft.with_(body="grüße\n"), eight_bit_ok=True)
    assert short.eight_bit and b"Content-Transfer-Encoding: 8bit" in short.data
    ascii_only = build_message(draft.with_(body="hi\n"))
    assert b"Content-Transfer-Encoding: 7bit" in ascii_only.data


def test_rfc2231_names_and_bcc_handling() -> None:
    name = "四半期の売上報告書（最終版・社外秘）と付属資料一式.pdf"
    param = rfc2231_param("filename", name)
    assert param.startswith("filename*0*=UTF-8''") and param.isascii()
    draft = Draft(
        from_="a@example.org",
        to="b@example.net",
        bcc="hidden@example.net",
        subject="s",
        attachments=(AttachedFile("../../" + name, "application/pdf", b"%PDF"),),
    )
    stored = build_message(draft, include_bcc=True).data
    assert b"Bcc: hidden@example.net" in stored
    wire = strip_bcc(stored)
    assert b"hidden" not in wire
    message = email.message_from_bytes(wire, policy=email.policy.default)
    [part] = list(message.iter_attachments())
    assert part.get_filename() == name and part.get_content() == b"%PDF"
    assert draft.recipients() == ["b@example.net", "hidden@example.net"]


def test_editor_round_trip_and_problems() -> None:
    draft = Draft(from_="Alice <a@example.org>", to="b@example.net", subject="日本", body="本文\n")
    text = editor_text(draft)
    assert text.startswith(
        "From: Alice <a@example.org>\nTo: b@example.net\nCc: \nBcc: \nSubject: 日本\n\n"
    )
    edited, problems = from_editor_text(
        draft, text.replace("Cc: ", "Cc: c@example.net,\n d@example.net")
    )
    assert (
        problems == [] and edited.cc == "c@example.net, d@example.net" and edited.body == "本文\n"
    )
    _bad, problems = from_editor_text(draft, "X-Evil: 1\n" + text)
    assert problems and "X-Evil" in problems[0]
    assert Draft(from_="a@example.org", to="not an address").problems()
    assert Draft(from_="a@example.org").problems() == ["no recipients: fill in To, Cc or Bcc"]


def test_stored_draft_reads_back() -> None:
    draft = Draft(
        from_="Alice <a@example.org>",
        to="田中 <t@example.jp>",
        bcc="x@example.net",
        subject="Re: 会議",
        body="本文です。\n",
        in_reply_to="<m1@x>",
        references=("<m0@x>", "<m1@x>"),
        attachments=(AttachedFile("a.bin", "application/octet-stream", b"\x00\x01"),),
        message_id="<id@example.org>",
    )
    again = draft_from_stored(build_message(draft, include_bcc=True, failure="server down").data)
    assert again == draft.with_(failure="server down")


def test_received_text_matches_in_stdlib_and_renderer() -> None:
    draft = Draft(
        from_="a@example.org", to="山田 <y@example.jp>", subject="件名", body="日本語の本文。\n"
    )
    data = build_message(draft, charset="iso-2022-jp").data
    ours = render_message(data)
    theirs = email.message_from_bytes(data, policy=email.policy.default)
    assert ours.subject == str(theirs["Subject"]) == "件名"
    assert ours.body.rstrip() == theirs.get_content().replace("\r\n", "\n").rstrip()


def test_maildir_writes_atomically_private_and_named(tmp_path: Path) -> None:
    box = Maildir(tmp_path / "Mail").folder("Sent")
    first = box.add(b"one", flags="S")
    second = box.add(b"two")
    assert re.fullmatch(r"\d+\.M\d+P\d+Q\d+\.[^/:]+", first.key)
    assert first.path.parent.name == "cur" and first.path.name.endswith(":2,S")
    assert second.path.parent.name == "new"
    assert list((box.root / "tmp").iterdir()) == []
    for path in (box.root, box.root / "cur", box.root / "new", box.root / "tmp"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o600
    assert [m.key for m in box.messages()] == [first.key, second.key]
    replaced = box.replace(first.key, b"uno", flags="DS")
    assert box.get(first.key) is None and replaced.path.read_bytes() == b"uno"
    assert replaced.path.name.endswith(":2,DS")
    assert box.remove(second.key) and not box.remove(second.key)
    with pytest.raises(ValueError):
        Maildir(tmp_path).folder("../x")


def test_maildir_failure_leaves_nothing_in_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Maildir(tmp_path / "Mail").ensure()

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    from tui_mail.store.maildir import MaildirError

    with pytest.raises(MaildirError, match="No space left"):
        box.add(b"x")
    assert list((box.root / "tmp").iterdir()) == [] and box.messages() == []


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("[accounts.w.smtp]\nport = 587\n", "missing required key 'host'"),
        ('[accounts.w.smtp]\nhost = "s"\nsecret = "x"\n', "smtp.secret: unknown key"),
        ('[accounts.w.smtp]\nhost = "s"\ntls = "none"\n', "sends the login unencrypted"),
        ('[accounts.w.smtp]\nhost = "s"\nauth = "cram-md5"\n', "is not one of"),
        ('charset = "shift_jis"\n', "is not one of"),
        ('from = "nobody"\n', "write it as"),
    ],
)
def test_config_refuses_bad_sending_settings(tmp_path: Path, extra: str, problem: str) -> None:
    text = '[accounts.w]\nhost = "pop.example.org"\nuser = "u"\n'
    if not extra.startswith("from"):
        text += 'from = "A <a@example.org>"\n'
    if extra.startswith("["):
        text += extra
    else:
        text = text.replace("[accounts.w]\n", "[accounts.w]\n" + extra)
    with pytest.raises(ConfigError, match=re.escape(problem)):
        parse_config(text, tmp_path / "c.toml")


def test_config_smtp_defaults(tmp_path: Path) -> None:
    acct = account(tmp_path, '[accounts.w.smtp]\nhost = "smtp.example.org"\ntls = "implicit"\n')
    assert acct.sending.smtp is not None and acct.sending.smtp.port == 465
    assert acct.maildir_path(tmp_path) == tmp_path / "mail" / "w"
    with pytest.raises(ConfigError, match="sending needs from"):
        parse_config(
            '[accounts.w]\nhost = "h"\nuser = "u"\n[accounts.w.smtp]\nhost = "s"\n', tmp_path / "c"
        )


def test_maildir_lists_messages_oldest_first_across_microsecond_widths(tmp_path: Path) -> None:
    box = Maildir(tmp_path / "Mail").ensure()
    names = ["1700000000.M99999P7Q1.host", "1700000000.M100000P7Q2.host", "1700000001.M5P7Q3.host"]
    for name in reversed(names):
        (box.root / "new" / name).write_bytes(b"x")
    assert [m.key for m in box.messages()] == names


def test_a_half_typed_address_is_still_stored_as_a_draft(tmp_path: Path) -> None:
    from tui_mail.smtp.outbox import Outbox

    outbox = Outbox(account(tmp_path), tmp_path / "Mail", None)
    draft = Draft(from_="demo", to="bob@", subject="日本", body="本文\n")
    with pytest.raises(ValueError):
        build_message(draft)
    _stored, key = outbox.save_draft(draft)
    again = outbox.load(key)
    assert (again.from_, again.to, again.subject, again.body) == ("demo", "bob@", "日本", "本文\n")
    assert again.problems()
