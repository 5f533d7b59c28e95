"""Japanese mail in every encoding and mislabelling seen in the wild."""

from __future__ import annotations

import urllib.parse

from tests.corpus.corpus_kit import (
    DATE,
    Case,
    b_word,
    base64_body,
    cp50220,
    headed,
    message,
    multipart,
    part,
    q_word,
    shown,
    std_headers,
)

JIS = "ISO-2022-JP"


def _text_headers(charset: str | None, cte: str = "7bit") -> list[tuple[str, str | bytes]]:
    ctype = "text/plain" if charset is None else f"text/plain; charset={charset}"
    return [("Content-Type", ctype), ("Content-Transfer-Encoding", cte)]


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def _cases() -> list[Case]:
    cases: list[Case] = []

    body = "お疲れ様です。\n明日の会議は10時からです。\n"
    cases.append(
        Case(
            "jp_iso2022jp_plain",
            message(
                std_headers(
                    b_word(cp50220("会議のお知らせ"), JIS),
                    from_=b_word(cp50220("山田太郎"), JIS) + " <yamada@example.jp>",
                )
                + _text_headers(JIS),
                cp50220(_crlf(body)),
            ),
            shown("会議のお知らせ", body.rstrip(), from_="山田太郎 <yamada@example.jp>"),
        )
    )

    body = "丸数字①②③、㈱と㈲、ローマ数字Ⅻ、波ダッシュ～、全角マイナス－、≒≡∫\n"
    cases.append(
        Case(
            "jp_iso2022jp_nec_extensions",
            message(
                std_headers(b_word(cp50220("①㈱Ⅻ～のテスト"), JIS)) + _text_headers(JIS),
                cp50220(_crlf(body)),
            ),
            shown("①㈱Ⅻ～のテスト", body.rstrip()),
        )
    )

    body = "IBM拡張漢字: 纊褜鍈銈 髙﨑\n"
    cases.append(
        Case(
            "jp_iso2022jp_ibm_extensions",
            message(
                std_headers(b_word(cp50220("髙橋さんへ"), JIS)) + _text_headers(JIS),
                cp50220(_crlf(body)),
            ),
            shown("髙橋さんへ", body.rstrip()),
        )
    )

    body = "金額：￥１０，０００～\n①ご確認ください\n㈱サンプル　営業部\n"
    cases.append(
        Case(
            "jp_shift_jis_is_cp932",
            message(
                std_headers(b_word("見積書（ご確認ください）".encode("cp932"), "Shift_JIS"))
                + _text_headers("Shift_JIS", "8bit"),
                _crlf(body).encode("cp932"),
            ),
            shown("見積書（ご確認ください）", body.rstrip()),
        )
    )

    body = "ＭＳ９３２ラベルの本文①～\n"
    cases.append(
        Case(
            "jp_ms932_label_base64",
            message(
                std_headers(b_word("MS932の件名".encode("cp932"), "MS932"))
                + _text_headers("MS932", "base64"),
                base64_body(_crlf(body).encode("cp932")),
            ),
            shown("MS932の件名", body.rstrip()),
        )
    )

    body = "Windows-31Jの本文です。㈱\n"
    raw = _crlf(body).encode("cp932")
    quoted = "".join(chr(b) if 33 <= b < 127 and b != 61 else f"={b:02X}" for b in raw)
    cases.append(
        Case(
            "jp_windows31j_label_qp",
            message(
                std_headers(q_word("Windows-31J".encode("cp932"), "Windows-31J"))
                + _text_headers('"Windows-31J"', "quoted-printable"),
                quoted.encode("ascii"),
            ),
            shown("Windows-31J", body.rstrip()),
        )
    )

    body = "EUC-JPで書かれた本文です。\nひらがなとカタカナ。\n"
    cases.append(
        Case(
            "jp_euc_jp",
            message(
                std_headers(b_word("EUCの件名".encode("euc_jp"), "EUC-JP"))
                + _text_headers("EUC-JP", "8bit"),
                _crlf(body).encode("euc_jp"),
            ),
            shown("EUCの件名", body.rstrip()),
        )
    )

    body = "①番の部屋、㈱テスト\n"
    euc = bytes(
        byte | 0x80 if byte >= 0x21 and inside else byte
        for byte, inside in _jis_bytes_with_mode(_crlf(body))
    )
    cases.append(
        Case(
            "jp_euc_jp_nec_row13",
            message(std_headers("NEC row 13 in EUC-JP") + _text_headers("euc-jp", "8bit"), euc),
            shown("NEC row 13 in EUC-JP", body.rstrip()),
        )
    )

    body = "UTF-8なのにISO-2022-JPと書いてあるメールです。\n"
    cases.append(
        Case(
            "jp_utf8_labelled_iso2022jp",
            message(
                std_headers("mislabelled UTF-8") + _text_headers(JIS, "8bit"),
                _crlf(body).encode("utf-8"),
            ),
            shown(
                "mislabelled UTF-8",
                body.rstrip(),
                tail="Notes:\n  - body: labelled ISO-2022-JP but the text is UTF-8",
            ),
        )
    )

    body = "Shift_JISなのにISO-2022-JPと書いてあるメールです。①\n"
    cases.append(
        Case(
            "jp_sjis_labelled_iso2022jp",
            message(
                std_headers("mislabelled Shift_JIS") + _text_headers(JIS, "8bit"),
                _crlf(body).encode("cp932"),
            ),
            shown(
                "mislabelled Shift_JIS",
                body.rstrip(),
                tail="Notes:\n  - body: labelled ISO-2022-JP but the text is Shift_JIS (CP932)",
            ),
        )
    )

    body = "UTF-8なのにShift_JISと書いてあります。\n"
    cases.append(
        Case(
            "jp_utf8_labelled_shift_jis",
            message(
                std_headers("UTF-8 as Shift_JIS") + _text_headers("Shift_JIS", "8bit"),
                _crlf(body).encode("utf-8"),
            ),
            shown(
                "UTF-8 as Shift_JIS",
                body.rstrip(),
                tail="Notes:\n  - body: labelled Shift_JIS but the text is UTF-8",
            ),
        )
    )

    body = "文字コードの指定がないシフトJISのメールです。\n"
    cases.append(
        Case(
            "jp_unlabelled_shift_jis",
            message(
                std_headers("no charset") + _text_headers(None, "8bit"), _crlf(body).encode("cp932")
            ),
            shown(
                "no charset",
                body.rstrip(),
                tail="Notes:\n  - body: no charset declared; shown as Shift_JIS (CP932)",
            ),
        )
    )

    body = "これはEUC-JPで書かれたメールです。ラベルがありません。\n"
    cases.append(
        Case(
            "jp_unlabelled_euc_jp",
            message(std_headers("no content-type"), _crlf(body).encode("euc_jp")),
            shown(
                "no content-type",
                body.rstrip(),
                tail="Notes:\n  - body: no charset declared; shown as EUC-JP",
            ),
        )
    )

    body = "ラベルのない生のJISテキストです。\n"
    cases.append(
        Case(
            "jp_raw_jis_without_label",
            message(
                [
                    ("From", "taro@example.jp"),
                    ("Subject", cp50220("生のJISの件名")),
                    ("Date", DATE),
                ],
                cp50220(_crlf(body)),
            ),
            f"From: taro@example.jp\nDate: Wed, 01 May 2024 01:30:00 +0000\n"
            f"Subject: 生のJISの件名\n\n{body}",
        )
    )

    subject = "日本語の件名が途中で切れる"
    data = subject.encode("utf-8")
    cases.append(
        Case(
            "jp_rfc2047_split_utf8_character",
            message(
                std_headers(
                    b_word(data[:4], "UTF-8")
                    + "\r\n "
                    + b_word(data[4:11], "UTF-8")
                    + " "
                    + b_word(data[11:], "utf-8")
                ),
                b"body\r\n",
            ),
            shown(subject, "body"),
        )
    )

    subject = "分割されたＪＩＳの件名です"
    data = cp50220(subject)
    cases.append(
        Case(
            "jp_rfc2047_split_jis_sequence",
            message(
                std_headers(
                    b_word(data[:7], JIS)
                    + "\r\n\t"
                    + b_word(data[7:16], JIS)
                    + " "
                    + b_word(data[16:], "iso-2022-jp")
                ),
                b"body\r\n",
            ),
            shown(subject, "body"),
        )
    )

    subject = "Qエンコードの分割"
    data = subject.encode("utf-8")
    cases.append(
        Case(
            "jp_rfc2047_q_split",
            message(
                std_headers(q_word(data[:5], "utf-8") + " " + q_word(data[5:], "UTF-8")),
                b"body\r\n",
            ),
            shown(subject, "body"),
        )
    )

    cases.append(_rfc2231_case())
    cases.append(_rfc2047_filename_case())

    cases.append(
        Case(
            "jp_raw_utf8_headers",
            message(
                std_headers(
                    "生のUTF-8件名".encode(), from_="鈴木 一郎 <suzuki@example.jp>".encode()
                )
                + _text_headers("utf-8", "8bit"),
                "本文\r\n".encode(),
            ),
            shown("生のUTF-8件名", "本文", from_="鈴木 一郎 <suzuki@example.jp>"),
        )
    )

    cases.append(
        Case(
            "jp_raw_shift_jis_subject",
            message(
                std_headers("シフトJISの生ヘッダ".encode("cp932")) + _text_headers(JIS),
                cp50220("本文\r\n"),
            ),
            shown(
                "シフトJISの生ヘッダ",
                "本文",
                tail="Notes:\n  - Subject: no charset declared; shown as Shift_JIS (CP932)",
            ),
        )
    )

    cases.append(
        Case(
            "jp_halfwidth_katakana_jis",
            message(
                std_headers("hankaku") + _text_headers(JIS),
                b"\x1b(I\x36\x40\x36\x45\x1b(B hankaku, " + cp50220("全角") + b"\r\n",
            ),
            shown("hankaku", "ｶﾀｶﾅ hankaku, 全角"),
        )
    )

    body = "Base64でエンコードされたISO-2022-JPの本文。\n二行目①\n"
    cases.append(
        Case(
            "jp_iso2022jp_base64_body",
            message(
                std_headers("base64 JIS") + _text_headers(JIS, "base64"),
                base64_body(cp50220(_crlf(body))),
            ),
            shown("base64 JIS", body.rstrip()),
        )
    )

    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
        "</head><body><p>ＨＴＭＬのメール①</p><p>二段落目</p></body></html>"
    )
    cases.append(
        Case(
            "jp_html_meta_charset",
            message(
                headed(
                    "html sjis",
                    ("Content-Type", "text/html"),
                    ("Content-Transfer-Encoding", "8bit"),
                ),
                html.encode("cp932"),
            ),
            shown("html sjis", "ＨＴＭＬのメール①\n\n二段落目"),
        )
    )

    body = "JIS X 0213: Ⅻと㈱、𠀋\n"
    cases.append(
        Case(
            "jp_iso2022jp_2004",
            message(
                std_headers("2004") + _text_headers("ISO-2022-JP-2004"),
                _crlf(body).encode("iso2022_jp_2004"),
            ),
            shown("2004", body.rstrip()),
        )
    )

    body = "한국어와 日本語\n"
    cases.append(
        Case(
            "jp_iso2022jp2_korean",
            message(
                std_headers("jp-2") + _text_headers("ISO-2022-JP-2"),
                _crlf(body).encode("iso2022_jp_2"),
            ),
            shown("jp-2", body.rstrip()),
        )
    )
    return cases


def _jis_bytes_with_mode(text: str) -> list[tuple[int, bool]]:
    """cp50220 bytes of ``text`` without escapes, each flagged True inside a JIS run."""
    out: list[tuple[int, bool]] = []
    data = cp50220(text)
    inside = False
    index = 0
    while index < len(data):
        if data[index] == 0x1B:
            inside = data[index + 1 : index + 3] == b"$B"
            index += 3
            continue
        out.append((data[index], inside))
        index += 1
    return out


def _rfc2231_case() -> Case:
    invoice = "請求書.pdf"
    quote = urllib.parse.quote(invoice.encode("utf-8"), safe=".")
    jis_name = cp50220("見積書①.xlsx")
    encoded = urllib.parse.quote(jis_name, safe="")
    first, second = encoded[:20], encoded[20:]
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    body = multipart(
        "b2231",
        [
            part(
                [
                    ("Content-Type", "text/plain; charset=UTF-8"),
                    ("Content-Transfer-Encoding", "8bit"),
                ],
                "添付します。".encode(),
            ),
            part(
                [
                    ("Content-Type", "application/pdf"),
                    ("Content-Disposition", f"attachment; filename*=UTF-8''{quote}"),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                base64_body(b"%PDF-1.4 fake\n"),
            ),
            part(
                [
                    ("Content-Type", xlsx),
                    (
                        "Content-Disposition",
                        f"attachment;\r\n filename*0*=ISO-2022-JP''{first};\r\n filename*1*={second}",
                    ),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                base64_body(b"PK\x03"),
            ),
        ],
    )
    return Case(
        "jp_rfc2231_filenames",
        message(headed("RFC 2231", ("Content-Type", 'multipart/mixed; boundary="b2231"')), body),
        shown(
            "RFC 2231",
            "添付します。",
            tail=(
                "Attachments:\n"
                "  #1  請求書.pdf  (application/pdf, 14 B)\n"
                f"  #2  見積書①.xlsx  ({xlsx}, 3 B)"
            ),
        ),
    )


def _rfc2047_filename_case() -> Case:
    word = b_word(cp50220("①資料.zip"), JIS)
    body = multipart(
        "b2047",
        [
            part([("Content-Type", "text/plain; charset=ISO-2022-JP")], cp50220("資料です。")),
            part(
                [
                    ("Content-Type", f'application/zip; name="{word}"'),
                    ("Content-Disposition", f'attachment; filename="{word}"'),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                base64_body(b"PK\x05\x06" + bytes(18)),
            ),
        ],
    )
    return Case(
        "jp_rfc2047_filename",
        message(
            headed("RFC 2047 name", ("Content-Type", 'multipart/mixed; boundary="b2047"')), body
        ),
        shown(
            "RFC 2047 name",
            "資料です。",
            tail="Attachments:\n  #1  ①資料.zip  (application/zip, 22 B)",
        ),
    )


CASES = _cases()
