"""MIME structure: HTML, alternatives, nesting, attached messages, attachments, breakage."""

from __future__ import annotations

import base64
import quopri

from tests.corpus.corpus_kit import (
    CRLF,
    DATE_SHOWN,
    Case,
    base64_body,
    headed,
    message,
    multipart,
    part,
    shown,
    std_headers,
)

PLAIN: list[tuple[str, str | bytes]] = [("Content-Type", "text/plain; charset=utf-8")]
HTML: list[tuple[str, str | bytes]] = [("Content-Type", "text/html; charset=utf-8")]


def _mixed(boundary: str) -> list[tuple[str, str | bytes]]:
    return [("Content-Type", f'multipart/mixed; boundary="{boundary}"')]


HTML_DOC = """<html><head><title>Ignored title</title><style>p {color: red}</style>
<script>alert(1)</script></head>
<body>
<div style="display: none">Hidden preheader&zwnj;&nbsp;&zwnj;&nbsp;</div>
<h1>Weekly   news</h1>
<p>Hello <b>reader</b>,<br>this is the <a href="https://example.com/news">latest issue</a>.</p>
<ul><li>First item</li><li>Second <a href="https://example.com/2">link</a></li>
<li>Nested<ul><li>inner</li></ul></li></ul>
<ol start="3"><li>three</li><li>four</li></ol>
<blockquote><p>Quoted text</p><p>second quoted paragraph</p></blockquote>
<table><tr><td>Name</td><td>Value</td></tr><tr><td>A</td><td>1</td></tr></table>
<p><img src="https://tracker.example/pixel.gif" width="1" height="1">
<img src="cid:logo" alt="Company logo"></p>
<pre>  code   block
    indented</pre>
<p>Again <a href="https://example.com/news">the same link</a> and
<a href="mailto:help@example.com">mail us</a>.</p>
<hr>
<p>Footer&nbsp;&nbsp;text &amp; more</p>
</body></html>
"""

HTML_SHOWN = """Weekly news

Hello reader,
this is the latest issue [1].

* First item
* Second link [2]
* Nested
   * inner

3. three
4. four

> Quoted text
>
> second quoted paragraph

Name  Value
A  1

[Company logo]

  code   block
    indented

Again the same link [1] and mail us [3].

------------------------

Footer  text & more"""

HTML_LINKS = """Links:
  [1] https://example.com/news
  [2] https://example.com/2
  [3] mailto:help@example.com"""


def _html_cases() -> list[Case]:
    cases = [
        Case(
            "html_only",
            message(std_headers("HTML only") + HTML, HTML_DOC.replace("\n", "\r\n").encode()),
            shown("HTML only", HTML_SHOWN, tail=HTML_LINKS),
        )
    ]
    alternative = multipart(
        "alt",
        [
            part(PLAIN, b"Plain version\r\n"),
            part(HTML, b"<p>HTML <a href='https://example.com/h'>version</a></p>"),
        ],
    )
    headers = headed("alternative", ("Content-Type", 'multipart/alternative; boundary="alt"'))
    cases.append(
        Case(
            "alternative_prefers_plain",
            message(headers, alternative),
            shown("alternative", "Plain version"),
        )
    )
    cases.append(
        Case(
            "alternative_prefer_html",
            message(headers, alternative),
            shown("alternative", "HTML version [1]", tail="Links:\n  [1] https://example.com/h"),
            prefer_html=True,
        )
    )
    cases.append(
        Case(
            "alternative_blank_plain_falls_back_to_html",
            message(
                headed("blank plain", ("Content-Type", 'multipart/alternative; boundary="alt"')),
                multipart(
                    "alt",
                    [
                        part(PLAIN, b"\r\n  \r\n"),
                        part(HTML, b"<p>Only <i>HTML</i> has content</p>"),
                    ],
                ),
            ),
            shown("blank plain", "Only HTML has content"),
        )
    )
    png = bytes(range(100))
    related = multipart(
        "rel",
        [
            part(HTML, b'<p>Report: <img src="cid:img1@x" alt="chart"></p>'),
            part(
                [
                    ("Content-Type", "image/png; name=chart.png"),
                    ("Content-ID", "<img1@x>"),
                    ("Content-Disposition", "inline; filename=chart.png"),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                base64_body(png),
            ),
        ],
    )
    cases.append(
        Case(
            "related_inline_image",
            message(
                headed(
                    "related",
                    ("Content-Type", 'multipart/related; type="text/html"; boundary="rel"'),
                ),
                related,
            ),
            shown(
                "related",
                "Report: [chart]",
                tail="Attachments:\n  #1  chart.png  (image/png, 100 B)",
            ),
        )
    )
    return cases


def _nested_case() -> Case:
    gif = b"GIF89a" + bytes(30)
    pdf = b"%PDF-1.7\n" + bytes(991)
    inner_related = multipart(
        "rel",
        [
            part(HTML, b"<p>See <b>attached</b>.</p>"),
            part(
                [
                    ("Content-Type", "image/gif"),
                    ("Content-ID", "<g>"),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                base64_body(gif),
            ),
        ],
    )
    alternative = multipart(
        "alt",
        [
            part(PLAIN, b"See attached.\r\n"),
            part([("Content-Type", 'multipart/related; boundary="rel"')], inner_related),
        ],
    )
    body = multipart(
        "mix",
        [
            part([("Content-Type", 'multipart/alternative; boundary="alt"')], alternative),
            part(
                [
                    ("Content-Type", 'application/pdf; name="q.pdf"'),
                    ("Content-Disposition", 'attachment; filename="q.pdf"'),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                base64_body(pdf),
            ),
            part(
                [
                    ("Content-Type", "application/zip"),
                    ("Content-Disposition", "attachment; filename=a.zip"),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                base64_body(bytes(2048)),
            ),
        ],
        preamble=b"This is a multi-part message in MIME format.\r\n",
    )
    return Case(
        "nested_mixed_alternative_related",
        message(std_headers("nested") + _mixed("mix"), body),
        shown(
            "nested",
            "See attached.",
            tail=(
                "Attachments:\n"
                "  #1  (no name)  (image/gif, 36 B)\n"
                "  #2  q.pdf  (application/pdf, 1000 B)\n"
                "  #3  a.zip  (application/zip, 2.0 KiB)"
            ),
        ),
    )


def _forwarded_case() -> Case:
    inner = message(
        [
            ("From", "Inner Sender <inner@example.com>"),
            ("To", "taro@example.jp"),
            ("Date", "Tue, 30 Apr 2024 12:00:00 +0000"),
            ("Subject", "Original subject"),
            ("Content-Type", 'multipart/mixed; boundary="inner"'),
        ],
        multipart(
            "inner",
            [
                part(PLAIN, b"Inner body\r\n"),
                part(
                    [
                        ("Content-Type", "text/plain"),
                        ("Content-Disposition", "attachment; filename=inner.txt"),
                    ],
                    b"inner file\r\n",
                ),
            ],
        ),
    )
    body = multipart(
        "fwd",
        [
            part(PLAIN, b"FYI, see below.\r\n"),
            part([("Content-Type", "message/rfc822")], inner),
        ],
    )
    return Case(
        "forwarded_message_inline",
        message(std_headers("Fwd: Original subject") + _mixed("fwd"), body),
        shown(
            "Fwd: Original subject",
            "FYI, see below.\n\n----- Attached message -----\n"
            "From: Inner Sender <inner@example.com>\nTo: taro@example.jp\n"
            "Date: Tue, 30 Apr 2024 12:00:00 +0000\nSubject: Original subject\n\nInner body",
            tail=(
                "Attachments:\n"
                f"  #1  (no name)  (message/rfc822, {len(inner)} B)\n"
                "  #2  inner.txt  (text/plain, 12 B)"
            ),
        ),
    )


def _embedded_base64_case() -> Case:
    inner = message(
        [("From", "b64@example.com"), ("Subject", "encoded inside")],
        b"Base64-wrapped message body\r\n",
    )
    body = multipart(
        "m",
        [
            part(
                [("Content-Type", "message/rfc822"), ("Content-Transfer-Encoding", "base64")],
                base64_body(inner),
            ),
        ],
    )
    return Case(
        "embedded_message_base64",
        message(std_headers("b64 rfc822") + _mixed("m"), body),
        shown(
            "b64 rfc822",
            "----- Attached message -----\nFrom: b64@example.com\n"
            "Subject: encoded inside\n\nBase64-wrapped message body",
            tail=f"Attachments:\n  #1  (no name)  (message/rfc822, {len(inner)} B)",
        ),
    )


def _digest_case() -> Case:
    one = message([("From", "a@example.com"), ("Subject", "one")], b"Body one\r\n")
    two = message([("From", "b@example.com"), ("Subject", "two")], b"Body two\r\n")
    body = multipart("dig", [CRLF + one, CRLF + two])
    return Case(
        "digest_default_rfc822",
        message(headed("digest", ("Content-Type", 'multipart/digest; boundary="dig"')), body),
        shown(
            "digest",
            "----- Attached message -----\nFrom: a@example.com\nSubject: one\n\n"
            "Body one\n\n----- Attached message -----\nFrom: b@example.com\nSubject: two\n\n"
            "Body two",
            tail=(
                "Attachments:\n"
                f"  #1  (no name)  (message/rfc822, {len(one)} B)\n"
                f"  #2  (no name)  (message/rfc822, {len(two)} B)"
            ),
        ),
    )


def _attachments_case() -> Case:
    notes = "Caf=C3=A9 notes with a soft=\r\n break.\r\n"
    uu = b"begin 644 data.bin\r\n" + b"%:&5L;&\\`\r\n" + b"`\r\nend\r\n"
    body = multipart(
        "att",
        [
            part(PLAIN, b"Three files.\r\n"),
            part(
                [
                    ("Content-Type", "application/pdf"),
                    ("Content-Disposition", 'attachment; filename="report.pdf"'),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                base64_body(bytes(100)),
            ),
            part(
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Disposition", "attachment; filename=notes.txt"),
                    ("Content-Transfer-Encoding", "quoted-printable"),
                ],
                notes.encode(),
            ),
            part(
                [
                    ("Content-Type", "application/octet-stream; name=data.bin"),
                    ("Content-Transfer-Encoding", "x-uuencode"),
                ],
                uu,
            ),
        ],
    )
    return Case(
        "attachments_of_every_encoding",
        message(std_headers("attachments") + _mixed("att"), body),
        shown(
            "attachments",
            "Three files.",
            tail=(
                "Attachments:\n"
                "  #1  report.pdf  (application/pdf, 100 B)\n"
                f"  #2  notes.txt  (text/plain, {len(quopri.decodestring(notes.encode()))} B)\n"
                f"  #3  data.bin  (application/octet-stream, about {len(uu) * 3 // 4} B)"
            ),
        ),
    )


def _broken_cases() -> list[Case]:
    cases = [
        Case(
            "missing_closing_boundary",
            message(
                std_headers("truncated") + _mixed("cut"),
                multipart(
                    "cut", [part(PLAIN, b"first"), part(PLAIN, b"second (truncated")], close=False
                ),
            ),
            shown(
                "truncated",
                "first\n\nsecond (truncated",
                tail=(
                    "Notes:\n  - multipart/mixed ends without its closing boundary "
                    "(the message may be cut short)"
                ),
            ),
        )
    ]
    cases.append(
        Case(
            "boundary_never_appears",
            message(std_headers("no boundary line") + _mixed("nothere"), b"Just text\r\n"),
            shown(
                "no boundary line",
                "Just text",
                tail="Notes:\n  - multipart/mixed boundary never appears; shown as text",
            ),
        )
    )
    cases.append(
        Case(
            "multipart_without_boundary_parameter",
            message(
                headed("no boundary param", ("Content-Type", "multipart/mixed")),
                b"--x\r\nplain\r\n",
            ),
            shown(
                "no boundary param",
                "--x\nplain",
                tail="Notes:\n  - multipart/mixed without a boundary; shown as text",
            ),
        )
    )
    cases.append(
        Case(
            "headerless_body",
            b"\r\nJust a body without headers.\r\n",
            "Just a body without headers.\n",
        )
    )
    cases.append(Case("empty_file", b"", "\n"))
    cases.append(
        Case(
            "header_block_without_blank_line",
            b"From: a@example.com\r\nSubject: no separator\r\nThis line is the body\r\n",
            "From: a@example.com\nSubject: no separator\n\nThis line is the body\n\nNotes:\n"
            "  - header block not ended by an empty line; the body starts at the first line that "
            "is not a header\n",
        )
    )
    cases.append(
        Case(
            "mbox_from_line_and_bare_lf",
            b"From taro@example.jp Wed May  1 10:30:00 2024\nFrom: taro@example.jp\n"
            b"Subject: bare LF\nContent-Type: multipart/mixed; boundary=lf\n\n--lf\n"
            b"Content-Type: text/plain\n\nline one\nline two\n--lf--\n",
            "From: taro@example.jp\nSubject: bare LF\n\nline one\nline two\n",
        )
    )
    cases.append(
        Case(
            "unknown_charset_valid_utf8",
            message(
                headed("x-foobar", ("Content-Type", "text/plain; charset=x-foobar")),
                "Grüße\r\n".encode(),
            ),
            shown(
                "x-foobar",
                "Grüße",
                tail="Notes:\n  - body: unknown charset \u201cx-foobar\u201d; shown as UTF-8",
            ),
        )
    )
    cases.append(
        Case(
            "unknown_charset_8bit",
            message(
                headed("x-foobar 8bit", ("Content-Type", "text/plain; charset=x-foobar")),
                "café\r\n".encode("latin-1"),
            ),
            shown(
                "x-foobar 8bit",
                "café",
                tail="Notes:\n  - body: unknown charset \u201cx-foobar\u201d; shown as windows-1252",
            ),
        )
    )
    cases.append(
        Case(
            "unknown_transfer_encoding",
            message(headed("x-gzip64", ("Content-Transfer-Encoding", "x-gzip64")), b"H4sIAAAA\r\n"),
            shown(
                "x-gzip64",
                "H4sIAAAA",
                tail=(
                    "Notes:\n  - unknown Content-Transfer-Encoding \u201cx-gzip64\u201d; content shown "
                    "as it is"
                ),
            ),
        )
    )
    cases.append(
        Case(
            "latin1_label_on_utf8",
            message(
                headed(
                    "latin1?",
                    ("Content-Type", "text/plain; charset=iso-8859-1"),
                    ("Content-Transfer-Encoding", "8bit"),
                ),
                "naïve café\r\n".encode(),
            ),
            shown(
                "latin1?",
                "naïve café",
                tail="Notes:\n  - body: labelled iso-8859-1 but the text is UTF-8",
            ),
        )
    )
    cases.append(
        Case(
            "latin1_label_means_windows_1252",
            message(
                headed(
                    "smart quotes",
                    ("Content-Type", "text/plain; charset=ISO-8859-1"),
                    ("Content-Transfer-Encoding", "8bit"),
                ),
                b"\x93quoted\x94 \x96 dash \x80 sign\r\n",
            ),
            shown("smart quotes", "\u201cquoted\u201d \u2013 dash \u20ac sign"),
        )
    )
    return cases


def _text_cases() -> list[Case]:
    cases = [
        Case(
            "format_flowed",
            message(
                headed("flowed", ("Content-Type", "text/plain; charset=utf-8; format=flowed")),
                b"This is a long \r\nflowed line.\r\n> quoted and \r\n> flowed\r\n -stuffed\r\n"
                b"-- \r\nsig\r\n",
            ),
            shown("flowed", "This is a long flowed line.\n> quoted and flowed\n-stuffed\n-- \nsig"),
        )
    ]
    cases.append(
        Case(
            "quoted_printable_utf8",
            message(
                headed(
                    "qp",
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Transfer-Encoding", "quoted-printable"),
                ),
                b"check =E2=9C=93 and a soft=\r\nbreak, equals =3D sign\r\n",
            ),
            shown("qp", "check \u2713 and a softbreak, equals = sign"),
        )
    )
    cases.append(
        Case(
            "date_with_zone_name",
            message(
                [
                    ("From", "a@example.com"),
                    ("Date", "1 May 2024 10:30:00 JST"),
                    ("Subject", "JST"),
                ],
                b"x\r\n",
            ),
            f"From: a@example.com\nDate: {DATE_SHOWN}\nSubject: JST\n\nx\n",
        )
    )
    cases.append(
        Case(
            "date_unparsable",
            message(
                [("From", "a@example.com"), ("Date", "yesterday at noon"), ("Subject", "bad date")],
                b"x\r\n",
            ),
            "From: a@example.com\nDate: yesterday at noon\nSubject: bad date\n\nx\n\nNotes:\n"
            "  - Date: not a date this reader understands\n",
        )
    )
    cases.append(
        Case(
            "folded_subject_mixed_words",
            message(
                std_headers(
                    "=?UTF-8?Q?caf=C3=A9?= and\r\n =?UTF-8?B?"
                    + base64.b64encode("thé".encode()).decode()
                    + "?= more\r\n\ttext"
                ),
                b"x\r\n",
            ),
            shown("café and thé more text", "x"),
        )
    )
    inline = multipart(
        "inl",
        [
            part(PLAIN, b"Body text\r\n"),
            part(
                [
                    ("Content-Type", 'text/plain; name="log.txt"'),
                    ("Content-Disposition", 'inline; filename="log.txt"'),
                ],
                b"log line 1\r\nlog line 2",
            ),
        ],
    )
    cases.append(
        Case(
            "inline_text_with_filename",
            message(std_headers("inline log") + _mixed("inl"), inline),
            shown(
                "inline log",
                "Body text\n\n----- log.txt -----\n\nlog line 1\nlog line 2",
                tail="Attachments:\n  #1  log.txt  (text/plain, 22 B)",
            ),
        )
    )
    return cases


def _security_cases() -> list[Case]:
    signature = b"-----BEGIN PGP SIGNATURE-----\r\nabc\r\n-----END PGP SIGNATURE-----\r\n"
    signed = multipart(
        "sig",
        [
            part(PLAIN, b"Signed text\r\n"),
            part([("Content-Type", 'application/pgp-signature; name="signature.asc"')], signature),
        ],
    )
    cases = [
        Case(
            "multipart_signed",
            message(
                headed(
                    "signed",
                    (
                        "Content-Type",
                        "multipart/signed; micalg=pgp-sha256; "
                        'protocol="application/pgp-signature"; boundary="sig"',
                    ),
                ),
                signed,
            ),
            shown(
                "signed",
                "Signed text",
                tail=(
                    "Attachments:\n  #1  signature.asc  "
                    f"(application/pgp-signature, {len(signature)} B)"
                ),
            ),
        )
    ]
    armour = b"-----BEGIN PGP MESSAGE-----\r\nxyz\r\n-----END PGP MESSAGE-----\r\n"
    encrypted = multipart(
        "enc",
        [
            part([("Content-Type", "application/pgp-encrypted")], b"Version: 1\r\n"),
            part([("Content-Type", 'application/octet-stream; name="encrypted.asc"')], armour),
        ],
    )
    cases.append(
        Case(
            "multipart_encrypted",
            message(
                headed(
                    "encrypted",
                    (
                        "Content-Type",
                        'multipart/encrypted; protocol="application/pgp-encrypted"; boundary="enc"',
                    ),
                ),
                encrypted,
            ),
            shown(
                "encrypted",
                "[encrypted message: this reader does not decrypt; the parts are "
                "listed as attachments]",
                tail=(
                    "Attachments:\n  #1  (no name)  (application/pgp-encrypted, 12 B)\n"
                    f"  #2  encrypted.asc  (application/octet-stream, {len(armour)} B)"
                ),
            ),
        )
    )
    stub = b"Content-Type: application/octet-stream\r\n\r\n"
    external = multipart(
        "ext",
        [
            part(PLAIN, b"See the file on the server.\r\n"),
            part(
                [
                    (
                        "Content-Type",
                        "message/external-body; access-type=URL; "
                        'URL="https://files.example.com/big.iso"',
                    )
                ],
                stub,
            ),
        ],
    )
    cases.append(
        Case(
            "external_body_not_fetched",
            message(std_headers("external") + _mixed("ext"), external),
            shown(
                "external",
                "See the file on the server.",
                tail=(
                    f"Attachments:\n  #1  (no name)  (message/external-body, {len(stub)} B) \u2014 "
                    "content stored "
                    "elsewhere; never fetched"
                ),
            ),
        )
    )
    report = multipart(
        "rep",
        [
            part(PLAIN, b"Delivery failed.\r\n"),
            part(
                [("Content-Type", "message/delivery-status")],
                b"Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; x@example.com"
                b"\r\nAction: failed\r\n",
            ),
            part(
                [("Content-Type", "text/rfc822-headers")],
                b"From: me@example.com\r\nSubject: hi\r\n",
            ),
        ],
    )
    cases.append(
        Case(
            "delivery_status_report",
            message(
                headed(
                    "Undelivered",
                    (
                        "Content-Type",
                        'multipart/report; report-type=delivery-status; boundary="rep"',
                    ),
                ),
                report,
            ),
            shown(
                "Undelivered",
                "Delivery failed.\n\nReporting-MTA: dns; mx.example.com\n\n"
                "Final-Recipient: rfc822; x@example.com\nAction: failed\n\n"
                "From: me@example.com\nSubject: hi",
            ),
        )
    )
    return cases


def _limit_cases() -> list[Case]:
    depth = 30
    bodies: list[bytes] = []
    inner = part(PLAIN, b"deep")
    for level in range(depth, 0, -1):
        body = multipart(f"n{level}", [inner])
        bodies.append(body)
        inner = part([("Content-Type", f'multipart/mixed; boundary="n{level}"')], body)
    raw = message(std_headers("deep"), b"")[:-2] + inner
    skipped_body = bodies[depth - 21]  # the multipart at depth 20 (root is depth 0)
    path = ".".join(["1"] * 20)
    cases = [
        Case(
            "deeply_nested_multiparts",
            raw,
            shown(
                "deep",
                f"[part {path} (multipart/mixed, {len(skipped_body)} B) not shown: nested "
                "more than 20 levels deep; it is attachment #1]",
                tail=(
                    f"Attachments:\n  #1  (no name)  (multipart/mixed, {len(skipped_body)} B) "
                    "\u2014 not shown: nested more than 20 levels deep"
                ),
            ),
        )
    ]
    many = multipart("many", [part(PLAIN, f"p{i}".encode()) for i in range(1, 601)])
    cases.append(
        Case(
            "six_hundred_parts",
            message(std_headers("many parts") + _mixed("many"), many),
            shown(
                "many parts",
                "\n\n".join(f"p{i}" for i in range(1, 500)),
                # Past the 500-part limit the parts are still listed (and can be saved or
                # shown with v), just not opened.
                tail="Attachments:\n"
                + "\n".join(
                    f"  #{n}  (no name)  (text/plain, {len(f'p{n + 499}')} B) \u2014 not shown: "
                    "more than 500 MIME parts in the message"
                    for n in range(1, 102)
                )
                + "\n\nNotes:\n  - more than 500 MIME parts; the other 101 here are not shown "
                "(101 listed as attachments)",
            ),
        )
    )
    return cases


CASES = [
    *_html_cases(),
    _nested_case(),
    _forwarded_case(),
    _embedded_base64_case(),
    _digest_case(),
    _attachments_case(),
    *_broken_cases(),
    *_text_cases(),
    *_security_cases(),
    *_limit_cases(),
]
