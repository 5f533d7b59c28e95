"""Writes the sample mailbox that ``tui-mail --demo`` serves into ``tui_mail/demo/mail/``.

Run once (``python assets/make_demo_mail.py``); the .eml files are kept in the package.

Each message shows something a reader must get right: Japanese in ISO-2022-JP (with NEC
extension characters) and Shift_JIS, HTML-only mail, attachments with RFC 2231 names, a long
thread, a large message, and a hostile subject that must show literally.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tui_mail" / "demo" / "mail"
JST = timezone(timedelta(hours=9))
BASE = datetime(2026, 11, 20, 9, 30, tzinfo=JST)


def jis_from_cp932(text: str) -> bytes:
    """ISO-2022-JP as Windows mailers write it (CP50220): CP932 rows mapped to JIS escapes."""
    out = bytearray()
    mode = "ascii"
    for ch in text:
        raw = ch.encode("cp932")
        if len(raw) == 1:
            if mode != "ascii":
                out += b"\x1b(B"
                mode = "ascii"
            out += raw
            continue
        if mode != "jis":
            out += b"\x1b$B"
            mode = "jis"
        lead, trail = raw
        lead -= 0x70 if lead < 0xA0 else 0xB0
        lead *= 2
        if trail >= 0x9F:
            trail -= 0x7E
        else:
            lead -= 1
            trail -= 0x1F if trail < 0x7F else 0x20
        out += bytes([lead, trail])
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def b_word(data: bytes, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def headers(n: int, sender: str, subject: str, extra: str = "") -> str:
    date = format_datetime(BASE - timedelta(hours=7 * n))
    msgid = hashlib.sha256(str(n).encode()).hexdigest()[:16]
    return (
        f"From: {sender}\r\nTo: You <you@demo.invalid>\r\nDate: {date}\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{msgid}@demo.invalid>\r\nMIME-Version: 1.0\r\n" + extra
    )


def write(name: str, data: bytes, *, gzipped: bool = False) -> None:
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if gzipped:  # the large message: 2.7 MB of mail, 25 KB in the package
        (OUT / f"{name}.eml.gz").write_bytes(gzip.compress(data, mtime=0))
    else:
        (OUT / f"{name}.eml").write_bytes(data)


def main() -> None:
    write(
        "01-welcome",
        (
            headers(
                0,
                "tui-mail <demo@demo.invalid>",
                "Welcome to tui-mail",
                "Content-Type: text/plain; charset=utf-8\r\n",
            )
            + "\r\n"
            + """\
This mailbox is served by a POP3 test server on your own machine.

  j / k, arrows   move            Enter   open the message (marks it read)
  d / u           mark / unmark   q       quit (asks before deleting)
  /               filter          o       change the sort
  c               look for mail   ?       all keys

Nothing is deleted until you quit and answer y. Try marking this message with d.
"""
        ).encode(),
    )

    jp_subject = b_word(jis_from_cp932("【重要】①定例会議のご案内 ㈱デモ商事"), "ISO-2022-JP")
    jp_from = b_word(jis_from_cp932("山田 太郎"), "ISO-2022-JP") + " <yamada@demo.invalid>"
    body = (
        "各位\n\nお疲れ様です。山田です。\n①定例会議は来週月曜１０時～です。\n"
        "㈱デモ商事の件も議題に入れます。\n\nよろしくお願いいたします。\n"
    )
    write(
        "02-iso2022jp",
        (
            headers(
                1,
                jp_from,
                jp_subject,
                "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n",
            )
            + "\r\n"
        ).encode()
        + jis_from_cp932(body.replace("\n", "\r\n")),
    )

    sj_subject = b_word("見積書送付のお知らせ～第２版".encode("cp932"), "Shift_JIS")
    sj_body = (
        "鈴木様\r\n\r\n見積書（第２版）を添付いたします。\r\n"
        "金額：￥１２０，０００～\r\n\r\n以上、ご確認ください。\r\n"
    )
    write(
        "03-shift-jis",
        (
            headers(
                2,
                "Suzuki <suzuki@demo.invalid>",
                sj_subject,
                "Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n",
            )
            + "\r\n"
        ).encode()
        + sj_body.encode("cp932"),
    )

    html = """<html><body><h1>November newsletter</h1>
<p>Hello! Here is what changed this month:</p>
<ul><li>Pipelined POP3: <a href="https://example.org/pipelining">read more</a></li>
<li>Safer rendering of <b>hostile</b> mail</li></ul>
<table><tr><th>Plan</th><th>Price</th></tr><tr><td>Basic</td><td>0</td></tr></table>
<p><img src="https://tracker.example.org/pixel.gif" alt="tracking pixel"> Remote images are
never loaded.</p><p><a href="https://example.org/unsubscribe">Unsubscribe</a></p></body></html>"""
    write(
        "04-html-only",
        (
            headers(
                3,
                "Newsletter <news@demo.invalid>",
                "November newsletter",
                "Content-Type: text/html; charset=utf-8\r\n",
            )
            + "\r\n"
            + html
            + "\r\n"
        ).encode(),
    )

    attachment_name = "報告書 2026.txt"
    encoded_name = "".join(
        c
        if (c.isascii() and c.isalnum()) or c in ".-"
        else "".join(f"%{b:02X}" for b in c.encode())
        for c in attachment_name
    )
    write(
        "05-attachments",
        (
            headers(
                4,
                "Carol <carol@demo.invalid>",
                "Photos and the report",
                'Content-Type: multipart/mixed; boundary="b1"\r\n',
            )
            + "\r\n"
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Two attachments: the report (Japanese file name) and a small CSV.\r\n"
            "Select one and press s to save it.\r\n"
            "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Disposition: attachment; filename*=UTF-8''{encoded_name}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes("報告書の本文です。\n".encode()).decode()
            + "--b1\r\nContent-Type: text/csv\r\n"
            'Content-Disposition: attachment; filename="data.csv"\r\n\r\n'
            "month,count\r\n2026-10,12\r\n2026-11,40\r\n--b1--\r\n"
        ).encode(),
    )

    hostile = "Invoice [/] due [ @click=app.quit] \x1b]0;pwned\x07\x1b[31mred\u202egnp.exe"
    write(
        "06-hostile-subject",
        (
            headers(
                5,
                "Mallory [b]boss[/b] <mallory@demo.invalid>",
                hostile,
                "Content-Type: text/plain; charset=utf-8\r\n",
            )
            + "\r\n"
            "This subject tries markup, a terminal-title escape and a bidi override.\r\n"
            "A safe reader shows it literally: \x1b]52;c;cHduZWQ=\x07 (that was a clipboard write).\r\n"
        ).encode(),
    )

    thread_subject = "Plans for the offsite"
    previous = ""
    for i in range(8):
        who = ["Alice <alice@demo.invalid>", "Bob <bob@demo.invalid>"][i % 2]
        place = ["Kyoto", "Lisbon", "Oslo", "Quito"][i % 4]
        said = f"Message {i + 1} of the thread: how about {place}?"
        quoted = "\n".join("> " + line for line in previous.splitlines())
        previous = said + ("\n\n" + quoted if quoted else "")
        subject = ("Re: " if i else "") + thread_subject
        write(
            f"07-thread-{i + 1}",
            (
                headers(17 - i, who, subject, "Content-Type: text/plain; charset=utf-8\r\n")
                + "\r\n"
                + previous
                + "\r\n"
            ).encode(),
        )

    blob = bytes((i * 7919) % 251 for i in range(2_000_000))
    write(
        "08-large",
        (
            headers(
                20,
                "Archive bot <archive@demo.invalid>",
                "Monthly archive (2 MB)",
                'Content-Type: multipart/mixed; boundary="big"\r\n',
            )
            + "\r\n"
            "--big\r\nContent-Type: text/plain\r\n\r\nThe archive is attached.\r\n"
            "--big\r\nContent-Type: application/octet-stream\r\n"
            'Content-Disposition: attachment; filename="archive.bin"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(blob).decode()
            + "--big--\r\n"
        ).encode(),
        gzipped=True,
    )


if __name__ == "__main__":
    main()
