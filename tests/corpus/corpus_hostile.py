"""Hostile mail: markup, terminal escapes, C1, bidi, zero-width, path tricks, giant fields."""

from __future__ import annotations

import urllib.parse

from tests.corpus.corpus_kit import (
    Case,
    b_word,
    headed,
    message,
    multipart,
    part,
    q_word,
    shown,
    std_headers,
)

PLAIN: list[tuple[str, str | bytes]] = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Transfer-Encoding", "8bit"),
]


def _subject_cases() -> list[Case]:
    markup = "Re: invoice [/] due [ @click=app.quit] [bold]x[/bold] [link=https://x.example]y"
    cases = [
        Case("hostile_subject_markup", message(std_headers(markup), b"x\r\n"), shown(markup, "x"))
    ]
    escapes = "\x1b]0;pwned\x07 clip \x1b]52;c;ZXZpbA==\x07 \x1b[2J\x1b[31mred \u009b31m c1 end"
    cases.append(
        Case(
            "hostile_subject_escapes",
            message(
                std_headers(b_word(escapes.encode(), "UTF-8"), to=b"\x1b[31mred@example.com"),
                b"x\r\n",
            ),
            shown(
                "␛]0;pwned␇ clip ␛]52;c;ZXZpbA==␇ ␛[2J␛[31mred <U+009B>31m c1 end",
                "x",
                to="␛[31mred@example.com",
            ),
        )
    )
    cases.append(
        Case(
            "hostile_raw_escape_in_subject",
            message(std_headers(b"plain \x1b]0;raw title\x07 \x1b[1;1H"), b"x\r\n"),
            shown("plain ␛]0;raw title␇ ␛[1;1H", "x"),
        )
    )
    tricky = "Pay\u200bPal \u202eevil\u202c invoice \u2066iso\u2069 \ufeffbom \u00adsoft"
    cases.append(
        Case(
            "hostile_subject_bidi_zero_width",
            message(std_headers(b_word(tricky.encode(), "UTF-8")), b"x\r\n"),
            shown(
                "Pay<U+200B>Pal <U+202E>evil<U+202C> invoice <U+2066>iso<U+2069> <U+FEFF>bom "
                "<U+00AD>soft",
                "x",
            ),
        )
    )
    cases.append(
        Case(
            "hostile_encoded_controls",
            message(std_headers(q_word(b"a\x00b\nc\rd\x7fe\x08f", "utf-8")), b"x\r\n"),
            shown("a␀b␊c␍d␡e␈f", "x"),
        )
    )
    long_subject = "A" * 20_000
    cases.append(
        Case(
            "hostile_giant_subject",
            message(std_headers(long_subject), b"x\r\n"),
            shown("A" * 16_383 + "\u2026", "x"),
        )
    )
    cases.append(
        Case(
            "hostile_content_type_garbage",
            message(
                [*std_headers("garbage type"), ("Content-Type", b"\x1b[31m/evil; name=\x1b[2J")],
                b"payload",
            ),
            "From: Taro <taro@example.jp>\nTo: hanako@example.jp\nDate: Wed, 01 May 2024 01:30:00 "
            "+0000\nSubject: garbage type\n\nAttachments:\n  #1  ␛[2J  (␛[31m/evil, 7 B)\n",
        )
    )
    return cases


def _body_cases() -> list[Case]:
    body = (
        "Line1\x1b[2J\x1b]0;title\x07\r\nBEL\x07 NUL\x00 BS\x08 DEL\x7f\r\n"
        "C1 \u009b 31m and NEL\u0085\r\nsafe\rEVIL\r\nRLO \u202e txt.exe\r\n"
        "ZW a\u200bb\u2060c, joiner 👨\u200d👩\u200d👧 ok\r\ntab\there\r\n日本\tx\r\n"
        "sep\u2028line\r\nfill\u200c\u200c\u200c\u200c\r\n"
    )
    expected = (
        "Line1␛[2J␛]0;title␇\nBEL␇ NUL␀ BS␈ DEL␡\nC1 <U+009B> 31m and NEL<U+0085>\n"
        "safe␍EVIL\nRLO <U+202E> txt.exe\n"
        "ZW a<U+200B>b<U+2060>c, joiner 👨\u200d👩\u200d👧 ok\ntab     here\n日本    x\n"
        "sep<U+2028>line\nfill<U+200C×4>"
    )
    cases = [
        Case(
            "hostile_body_controls",
            message(std_headers("controls") + PLAIN, body.encode()),
            shown("controls", expected),
        )
    ]
    html = (
        '<p>Click <a href="javascript:alert(1)">here</a> or <a href="data:text/html,x">'
        'there</a> or <a href="https://evil.example/&#x1b;]0;t&#x7;">title</a>.</p>'
        '<p><img src="https://remote.example/track.png" alt="remote image"></p>'
        "<p>pay&#8203;pal &zwnj;&nbsp;&zwnj;&nbsp;&zwnj; gap, hy&shy;phen</p>"
        '<div hidden>hidden text</div><span style="visibility:hidden">also hidden</span>'
        "<script>document.write('x')</script><iframe src='https://x.example'>frame</iframe>"
    )
    cases.append(
        Case(
            "hostile_html",
            message(
                headed("hostile html", ("Content-Type", "text/html; charset=utf-8")), html.encode()
            ),
            shown(
                "hostile html",
                "Click here or there or title [1].\n\n[remote image]\n\npay<U+200B>pal gap, hyphen",
                tail="Links:\n  [1] https://evil.example/␛]0;t␇",
            ),
        )
    )
    return cases


def _filename_cases() -> list[Case]:
    names = [
        "../../x",
        "/etc/passwd",
        "C:\\Windows\\evil.bat",
        ".bashrc",
        "a\r\nb.txt",
        "invoice\u202efdp.exe",
    ]
    parts = [part(PLAIN, b"files")]
    for name in names:
        quoted = urllib.parse.quote(name.encode("utf-8"), safe="")
        parts.append(
            part(
                [
                    ("Content-Type", "application/octet-stream"),
                    ("Content-Disposition", f"attachment; filename*=utf-8''{quoted}"),
                ],
                b"data",
            )
        )
    body = multipart("names", parts)
    listing = "\n".join(
        f"  #{index}  {shown_name}  (application/octet-stream, 4 B)"
        for index, shown_name in enumerate(
            [
                "../../x",
                "/etc/passwd",
                "C:\\Windows\\evil.bat",
                ".bashrc",
                "a␍␊b.txt",
                "invoice<U+202E>fdp.exe",
            ],
            1,
        )
    )
    return [
        Case(
            "hostile_file_names",
            message(headed("names", ("Content-Type", 'multipart/mixed; boundary="names"')), body),
            shown("names", "files", tail=f"Attachments:\n{listing}"),
        )
    ]


CASES = _subject_cases() + _body_cases() + _filename_cases()
