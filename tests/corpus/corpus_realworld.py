"""Real-world shapes that readers get wrong (issue 12), each written here by hand.

Broken UTF-8, unlabelled Latin-1 next to unlabelled Japanese, old-Mac CR-only line ends,
HTML nested past the parser's depth limit, an address list without commas, base64 that is
not base64, Persian/Arabic/emoji text with its joiners and marks, 5,000 attachments, link
URLs wrapped inside attributes, a text attachment shown on demand and a text body over the
display limit.
"""

from __future__ import annotations

import base64

from tests.corpus.corpus_kit import (
    CRLF,
    DATE,
    DATE_SHOWN,
    Case,
    b_word,
    headed,
    message,
    multipart,
    part,
    shown,
    std_headers,
)

Headers = list[tuple[str, str | bytes]]
UTF8_8BIT: Headers = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Transfer-Encoding", "8bit"),
]
NO_CHARSET_8BIT: Headers = [("Content-Type", "text/plain"), ("Content-Transfer-Encoding", "8bit")]


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


def _broken_utf8_cases() -> list[Case]:
    subject = "会議の資料について".encode()[:-1]  # a header cut at a byte count
    cut_subject = Case(
        "real_utf8_subject_cut_off",
        message(std_headers(subject) + UTF8_8BIT, _crlf("資料を添付します。\n")),
        shown(
            "会議の資料につい\ufffd",
            "資料を添付します。",
            tail="Notes:\n  - Subject: no charset declared; UTF-8 with 1 invalid byte "
            "sequence(s), shown as \ufffd",
        ),
    )
    name = "Картинка_с_моря.jpg".encode()
    name = name[:5] + b"\xff" + name[6:]  # one byte of "р" lost in transit
    body = "Привет! Вот картинка с моря.\n".encode()
    body = body[:3] + body[4:]  # "р" of "Привет" loses its second byte
    mixed = multipart(
        "pic",
        [
            part(UTF8_8BIT, body.replace(b"\n", CRLF)),
            part(
                [
                    ("Content-Type", "image/jpeg"),
                    ("Content-Disposition", b'attachment; filename="' + name + b'"'),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                b"/9j/4AAQSkZJRg==\r\n",
            ),
        ],
    )
    bad_byte = Case(
        "real_utf8_one_bad_byte_in_name_and_text",
        message(
            headed(
                b_word("Картинка".encode(), "UTF-8"),
                ("Content-Type", 'multipart/mixed; boundary="pic"'),
            ),
            mixed,
        ),
        shown(
            "Картинка",
            "П\ufffdивет! Вот картинка с моря.",
            tail="Attachments:\n  #1  Ка\ufffd\ufffdтинка_с_моря.jpg  (image/jpeg, 10 B)\n\n"
            "Notes:\n"
            "  - part 2: no charset declared; UTF-8 with 2 invalid byte sequence(s), "
            "shown as \ufffd\n"
            "  - part 1: 1 byte sequence(s) not valid UTF-8, shown as \ufffd",
        ),
    )
    return [cut_subject, bad_byte]


def _latin1_or_japanese_cases() -> list[Case]:
    body = "Emagreça com saúde!\nPromoção válida só em São Paulo.\n"
    latin = Case(
        "real_latin1_unlabelled_is_not_japanese",
        message(
            std_headers(
                "PROGRAMAÇÃO de cursos".encode("latin-1"),
                from_="Clínica São Paulo <contato@clinica.example.br>".encode("latin-1"),
            )
            + NO_CHARSET_8BIT,
            body.replace("\n", "\r\n").encode("latin-1"),
        ),
        shown(
            "PROGRAMAÇÃO de cursos",
            body.rstrip(),
            from_="Clínica São Paulo <contato@clinica.example.br>",
            tail="Notes:\n"
            "  - From: no charset declared; shown as windows-1252\n"
            "  - Subject: no charset declared; shown as windows-1252\n"
            "  - body: no charset declared; shown as windows-1252",
        ),
    )
    # The other direction: short unlabelled Japanese, mixed with ASCII, stays Japanese.
    jp_body = "ID番号: A-123\nパスワードを変更してください。\n"
    japanese = Case(
        "real_japanese_unlabelled_next_to_ascii",
        message(
            std_headers("【重要】パスワード変更".encode("cp932")) + NO_CHARSET_8BIT,
            jp_body.replace("\n", "\r\n").encode("euc_jp"),
        ),
        shown(
            "【重要】パスワード変更",
            jp_body.rstrip(),
            tail="Notes:\n"
            "  - Subject: no charset declared; shown as Shift_JIS (CP932)\n"
            "  - body: no charset declared; shown as EUC-JP",
        ),
    )
    katakana = "テスト"  # Shift_JIS trail bytes of katakana are ASCII letters
    short = Case(
        "real_japanese_unlabelled_katakana_word",
        message(std_headers(b"Re: " + katakana.encode("cp932")), b"ok\r\n"),
        shown(
            f"Re: {katakana}",
            "ok",
            tail="Notes:\n  - Subject: no charset declared; shown as Shift_JIS (CP932)",
        ),
    )
    return [latin, japanese, short]


def _cr_only_cases() -> list[Case]:
    text = (
        "From: Mac User <mac@example.com>\rTo: you@example.org\r"
        f"Date: {DATE}\rSubject: Classic Mac mail\r\r"
        "First line.\rSecond line.\r\rNew paragraph.\r"
    )
    whole = Case(
        "real_cr_only_old_mac",
        text.encode("ascii"),
        f"From: Mac User <mac@example.com>\nTo: you@example.org\nDate: {DATE_SHOWN}\n"
        "Subject: Classic Mac mail\n\nFirst line.\nSecond line.\n\nNew paragraph.\n",
    )
    relayed = (
        b"Received: from mx.example.org by pop.example.org; " + DATE.encode() + b"\n"
        b"Return-Path: <mac@example.com>\n" + text.encode("ascii")
    )
    mixed = Case(
        "real_cr_only_after_relay_headers",
        relayed,
        f"From: Mac User <mac@example.com>\nTo: you@example.org\nDate: {DATE_SHOWN}\n"
        "Subject: Classic Mac mail\n\nFirst line.\nSecond line.\n\nNew paragraph.\n",
    )
    return [whole, mixed]


def _deep_html_case() -> Case:
    depth = 1600  # <div><font> pairs: 3,200 levels, past libxml2's 2,048 even with huge_tree
    html = (
        "<html><body><p>Top of the thread.</p>"
        + "<div><font>" * depth
        + "Deep reply with a <a href='https://example.com/deep'>link</a>."
        + "</font></div>" * depth
        + "<p>Text after the deep part.</p></body></html>"
    )
    return Case(
        "real_html_nested_past_parser_limit",
        message(
            [*std_headers("deep html"), ("Content-Type", "text/html; charset=utf-8")],
            html.encode(),
        ),
        shown(
            "deep html",
            "Top of the thread.\n\nDeep reply with a link [1].\n\nText after the deep part.",
            tail="Links:\n  [1] https://example.com/deep\n\n"
            "Notes:\n  - body: HTML nested too deeply for the HTML parser; read tag by tag "
            "instead (all the text is shown, the layout may differ)",
        ),
    )


def _address_case() -> Case:
    return Case(
        "real_from_without_comma",
        message(
            [
                *std_headers("two senders", from_="tim@example.com concierge@example.com"),
                ("Cc", "a@example.org  b@example.org"),
            ],
            b"hello\r\n",
        ),
        f"From: tim@example.com, concierge@example.com\nTo: hanako@example.jp\n"
        f"Cc: a@example.org, b@example.org\nDate: {DATE_SHOWN}\nSubject: two senders\n\n"
        "hello\n",
    )


def _base64_case() -> Case:
    text = "Hello Anna,\n\nthe meeting moved to 10:00 tomorrow (room 4).\nRegards, Bob\n"
    fine = base64.b64encode(b"Real base64 still decodes.").decode()
    body = multipart(
        "b64",
        [
            part(
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                _crlf(text),
            ),
            part(
                [("Content-Type", "text/plain"), ("Content-Transfer-Encoding", "base64")],
                fine.encode() + CRLF,
            ),
        ],
    )
    return Case(
        "real_base64_holding_plain_text",
        message(headed("meeting", ("Content-Type", 'multipart/mixed; boundary="b64"')), body),
        shown(
            "meeting",
            text.rstrip() + "\n\nReal base64 still decodes.",
            tail="Notes:\n  - part 1: marked base64 but is not base64; shown as it is",
        ),
    )


def _scripts_case() -> Case:
    zwnj, zwj, rlm, lrm, alm = "\u200c", "\u200d", "\u200f", "\u200e", "\u061c"
    flag = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
    legitimate = (
        f"Persian: می{zwnj}خواهم کتاب{zwnj}ها را بخرم.\n"
        f"Persian date: (۱۴۰۳){rlm} تهران\n"
        f"Arabic: العدد {alm}-5 فقط\n"
        f"Hebrew: שלום{lrm} (IBM){lrm} עולם\n"
        f"Hindi: क्{zwj}ष and क्{zwnj}ष\n"
        f"Emoji: 👨{zwj}👩{zwj}👧 🏳\ufe0f{zwj}🌈 {flag}\n"
    )
    spoofing = (
        "invoice\u202efdp.exe and \u2066isolated\u2069 and \u202aembedded\u202c\n"
        f"Pay{zwnj}Pal and Pay{zwj}Pal\n"
        f"plain{rlm}text{lrm} on a Latin line\n"
        f"joiner run می{zwnj}{zwnj}خواهم\n"
        "hidden tag\U000e0041\U000e0042 text\n"
    )
    spoofing_shown = (
        "invoice<U+202E>fdp.exe and <U+2066>isolated<U+2069> and <U+202A>embedded<U+202C>\n"
        "Pay<U+200C>Pal and Pay<U+200D>Pal\n"
        "plain<U+200F>text<U+200E> on a Latin line\n"
        "joiner run می<U+200C×2>خواهم\n"
        "hidden tag<U+E0041><U+E0042> text"
    )
    subject = f"کتاب{zwnj}ها 👨{zwj}👩{zwj}👧"
    return Case(
        "real_persian_arabic_emoji_text",
        message(
            std_headers(b_word(subject.encode(), "UTF-8")) + UTF8_8BIT, _crlf(legitimate + spoofing)
        ),
        shown(subject, legitimate + spoofing_shown),
    )


def _many_attachments_case() -> Case:
    count = 5000
    parts = [part(UTF8_8BIT, b"The scans are attached.")]
    for number in range(1, count + 1):
        parts.append(
            part(
                [
                    ("Content-Type", "image/png"),
                    ("Content-Disposition", f'attachment; filename="scan-{number:04d}.png"'),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                b"iVBORw0KGgo=",
            )
        )
    listing = "\n".join(
        f"  #{number}  scan-{number:04d}.png  (image/png, 8 B)" for number in range(1, count + 1)
    )
    return Case(
        "real_five_thousand_attachments",
        message(
            headed("5000 scans", ("Content-Type", 'multipart/mixed; boundary="scans"')),
            multipart("scans", parts),
        ),
        shown(
            "5000 scans",
            "The scans are attached.",
            tail=f"Attachments:\n{listing}\n\nNotes:\n  - more than 500 MIME parts; the other "
            "4,502 here are not shown (4,502 listed as attachments)",
        ),
    )


def _wrapped_links_case() -> Case:
    html = (
        '<p>Your <a href="https://tracking.example.com/c/ABCDEF123456/\r\n'
        '    very/long/path?campaign=spring&amp;\r\nuser=42">order status</a>,\r\n'
        '<a href="\r\nmailto:help@example.com\r\n">support</a> and\r\n'
        "<a href='java\r\nscript:alert(1)'>not a link</a>.</p>\r\n"
    )
    return Case(
        "real_html_wrapped_link_urls",
        message(
            [*std_headers("links"), ("Content-Type", "text/html; charset=utf-8")],
            html.encode(),
        ),
        shown(
            "links",
            "Your order status [1], support [2] and not a link.",
            tail="Links:\n"
            "  [1] https://tracking.example.com/c/ABCDEF123456/very/long/path?campaign=spring"
            "&user=42\n  [2] mailto:help@example.com",
        ),
    )


def _text_attachment_cases() -> list[Case]:
    csv = "name;city\nJoão;São Paulo\nZoë;Zürich\n"
    log = "".join(f"{number:05d} request served in 12 ms\n" for number in range(1, 401))
    body = multipart(
        "att",
        [
            part(UTF8_8BIT, b"Report and log attached."),
            part(
                [
                    ("Content-Type", 'text/csv; charset="iso-8859-1"; name="report.csv"'),
                    ("Content-Disposition", 'attachment; filename="report.csv"'),
                    ("Content-Transfer-Encoding", "quoted-printable"),
                ],
                b"name;city\r\nJo=E3o;S=E3o Paulo\r\nZo=EB;Z=FCrich\r\n",
            ),
            part(
                [
                    ("Content-Type", "application/octet-stream"),
                    ("Content-Disposition", 'attachment; filename="server.log"'),
                ],
                log.replace("\n", "\r\n").encode(),
            ),
        ],
    )
    raw = message(headed("report", ("Content-Type", 'multipart/mixed; boundary="att"')), body)
    csv_case = Case(
        "real_text_attachment_shown_on_demand",
        raw,
        shown(
            "report",
            "----- attachment #1  report.csv  (text/csv, 39 B) -----\n\n" + csv.rstrip(),
            tail="Attachments:\n  #1  report.csv  (text/csv, 39 B)",
        ),
        attachment=1,
    )
    # server.log: 400 lines of 29 characters and CRLF, 31 bytes each, 12,400 bytes. The
    # 4 KiB limit keeps the whole lines before byte 4096: 132 of them (132 * 31 = 4092).
    head = "".join(line + "\n" for line in log.split("\n")[:132])
    log_size = len(log.replace("\n", "\r\n"))
    log_case = Case(
        "real_text_attachment_on_demand_within_limit",
        raw,
        shown(
            "report",
            "----- attachment #2  server.log  (application/octet-stream, 12.1 KiB) -----\n\n"
            + head.rstrip()
            + "\n\n[part 3 (application/octet-stream, 12.1 KiB) is larger than the 4.0 KiB "
            "display limit: the first 4.0 KiB are shown above]",
            tail="Attachments:\n  #2  server.log  (application/octet-stream, 12.1 KiB)",
        ),
        attachment=2,
        text_limit=4096,
    )
    assert log_size == 12_400
    return [csv_case, log_case]


def _over_limit_body_case() -> Case:
    lines = "".join(f"line {number:04d} of a long report\n" for number in range(1, 301))
    # 300 lines of 27 bytes (28 with CR): 146 whole lines fit in 4,096 bytes (4,088).
    head = "".join(line + "\n" for line in lines.split("\n")[:146])
    return Case(
        "real_text_body_over_display_limit",
        message(std_headers("long report") + UTF8_8BIT, _crlf(lines)),
        shown(
            "long report",
            head.rstrip() + "\n\n[body (text/plain, 8.2 KiB) is larger than the 4.0 KiB "
            "display limit: the first 4.0 KiB are shown above; it is attachment #1]",
            tail="Attachments:\n  #1  (no name)  (text/plain, 8.2 KiB) \u2014 first 4.0 KiB "
            "shown: larger than the display limit",
        ),
        text_limit=4096,
    )


CASES = [
    *_broken_utf8_cases(),
    *_latin1_or_japanese_cases(),
    *_cr_only_cases(),
    _deep_html_case(),
    _address_case(),
    _base64_case(),
    _scripts_case(),
    _many_attachments_case(),
    _wrapped_links_case(),
    *_text_attachment_cases(),
    _over_limit_body_case(),
]
