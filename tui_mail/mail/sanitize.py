"""The one sanitiser: decoded mail text in, text that cannot drive a terminal out.

Mail text is chosen by the sender. A terminal obeys ESC sequences (OSC title, OSC 52
clipboard, CSI cursor moves), 8-bit C1 controls such as 0x9B, and bidi overrides reorder what
the reader sees (``invoice<RLO>fdp.exe`` displays as ``invoiceexe.pdf``). Rich/Textual
measure all of these as zero width. So, *after* decoding (ISO-2022-JP needs its ESC bytes),
every such character becomes a visible placeholder:

* C0 controls and DEL become Unicode Control Pictures: ESC -> ``␛``, NUL -> ``␀``,
  BEL -> ``␇``, CR -> ``␍``, DEL -> ``␡``. What follows an ESC stays as plain text, so
  ``\\x1b]0;pwned\\x07`` shows as ``␛]0;pwned␇``: harmless, and the reader sees the attempt.
* C1 controls, format characters (bidi embeddings/overrides/isolates/marks, zero-width
  space/non-joiner/joiner, word joiner, BOM, soft hyphen, tag characters ...), line/paragraph
  separators, invisible fillers and non-characters become ``<U+XXXX>``; a run of the same one
  becomes ``<U+XXXX×N>`` (HTML mail pads with hundreds of zero-width characters).
* Lone surrogates (undecodable bytes smuggled through ``surrogateescape``) become ``�``.
* Kept: ``\\n``; ``\\t`` expanded to 8-column stops (East Asian wide characters count as two
  columns); ``\\r\\n`` becomes ``\\n``. In ``single_line`` mode ``\\t`` becomes a space,
  ``\\n`` becomes ``␊`` and ``\\r\\n`` ``␍␊``.

What real writing needs is kept, where it does that job and nowhere else (the rule is what
can change what a reader *sees*: joiners and marks only shape or place neighbouring text,
overrides, embeddings and isolates can reorder whole runs of it):

* ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER (U+200C, U+200D) between two letters or
  marks of which one belongs to a script that shapes by joining (Hebrew onwards: Arabic,
  Persian, Syriac, Thaana, N'Ko, the Indic and South-East Asian scripts, Mongolian...):
  ``می‌خواهم`` is correct Persian. Between Latin letters (``Pay<U+200C>Pal``) they could
  only disguise a word, and stay replaced.
* ZERO WIDTH JOINER inside an emoji sequence (👨‍👩‍👧): after an emoji, a variation
  selector or a skin tone, before an emoji.
* LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK and ARABIC LETTER MARK (U+200E, U+200F, U+061C) on
  a line that holds right-to-left letters (Hebrew, Arabic ...). Marks are invisible strong
  characters: they decide where a neutral such as ``.`` or ``)`` goes, never the order of
  letters. On a line without right-to-left letters they have no job and stay replaced.
* Emoji tag sequences (subdivision flags such as England's 🏴 + ``gbeng`` tags + CANCEL
  TAG): the black flag, one to six tag letters or digits, the cancel tag. Tag characters
  anywhere else (hidden "ASCII smuggling" text) stay replaced.
* Never kept: the bidi embeddings, overrides and pops (U+202A-U+202E) and isolates
  (U+2066-U+2069), whatever surrounds them, and runs of two or more joiners or marks.

The result is idempotent: sanitising sanitised text changes nothing.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

# Format (Cf), line/paragraph separator (Zl/Zp) characters of Unicode 16, plus invisible
# fillers and non-characters. tests/test_mail_sanitize.py checks this list against the
# running Python's unicodedata, so a newer Unicode cannot silently add a hole.
FORMAT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x115F, 0x1160),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x3164, 0x3164),
    (0xFDD0, 0xFDEF),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0xFFFE, 0xFFFF),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)

_ZWNJ = "\u200c"
_ZWJ = "\u200d"
_DIRECTION_MARKS = frozenset("\u200e\u200f\u061c")  # LRM, RLM, ALM
_TAB_SIZE = 8
# Letters of right-to-left scripts: Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan,
# Mandaic, Arabic supplements and presentation forms, and the historic RTL blocks.
_RTL_LETTER = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
# A subdivision flag: black flag, tag letters/digits, cancel tag (🏴 + "gbeng" + U+E007F).
_EMOJI_TAG_SEQUENCE = "\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,6}\U000e007f"


def _char_class() -> str:
    parts = ["\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\ud800-\\udfff"]
    for low, high in FORMAT_RANGES:
        parts.append(f"{re.escape(chr(low))}-{re.escape(chr(high))}")
    return "".join(parts)


_UNSAFE_CLASS = _char_class()
# A run of one unsafe character; in multi-line text \r\n is matched first, to become \n.
# An emoji tag sequence is matched whole, to be kept.
_UNSAFE_RUN = re.compile(f"{_EMOJI_TAG_SEQUENCE}|([{_UNSAFE_CLASS}])\\1*")
_UNSAFE_RUN_OR_CRLF = re.compile(f"{_EMOJI_TAG_SEQUENCE}|\\r\\n|([{_UNSAFE_CLASS}])\\1*")
_UNSAFE_ANY = re.compile(f"[{_UNSAFE_CLASS}]")
_SINGLE_LINE_EXTRA = re.compile("[\\t\\n]")


def _placeholder(char: str, count: int) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code) * count
    if code == 0x7F:
        return "\u2421" * count
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd" * count
    suffix = f"×{count}" if count > 1 else ""
    return f"<U+{code:04X}{suffix}>"


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) in ("So", "Sk") or char == "\ufe0f"


def _joins_a_script(char: str) -> bool:
    """A letter or mark of a script from Hebrew onwards (joining and Brahmic scripts)."""
    return ord(char) >= 0x0590 and unicodedata.category(char)[0] in "LM"


def _is_letter_or_mark(char: str) -> bool:
    return unicodedata.category(char)[0] in "LM"


class _Lines:
    """Which lines of a text hold right-to-left letters; built once, on the first mark.

    One pass over the text, so judging thousands of marks stays linear.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._ends: list[int] | None = None
        self._rtl: list[bool] = []

    def has_rtl(self, position: int) -> bool:
        if self._ends is None:
            self._ends = [match.start() for match in re.finditer("\n", self.text)]
            self._ends.append(len(self.text))
            start = 0
            for end in self._ends:
                self._rtl.append(_RTL_LETTER.search(self.text, start, end) is not None)
                start = end + 1
        return self._rtl[bisect.bisect_left(self._ends, position)]


def _kept_in_context(text: str, start: int, end: int, lines: _Lines) -> bool:
    """Is the format character ``text[start:end]`` (one, not a run) legitimate here?

    See the module docstring for the rule; ``text`` is the whole text being sanitised.
    """
    char = text[start]
    if char in _DIRECTION_MARKS:
        return lines.has_rtl(start)
    if char not in (_ZWNJ, _ZWJ) or start == 0 or end >= len(text):
        return False
    before, after = text[start - 1], text[end]
    if char == _ZWJ and _is_emoji(before) and unicodedata.category(after) == "So":
        return True
    return (
        _is_letter_or_mark(before)
        and _is_letter_or_mark(after)
        and (_joins_a_script(before) or _joins_a_script(after))
    )


def _replace_runs(text: str, pattern: re.Pattern[str]) -> str:
    lines = _Lines(text)

    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        if run == "\r\n":
            return "\n"
        if match.group(1) is None:  # an emoji tag sequence
            return run
        start, end = match.span()
        if end - start == 1 and _kept_in_context(text, start, end, lines):
            return run
        return _placeholder(run[0], len(run))

    return pattern.sub(replace, text)


def _cell_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _expand_line(line: str) -> str:
    if "\t" not in line:
        return line
    out: list[str] = []
    column = 0
    for char in line:
        if char == "\t":
            pad = _TAB_SIZE - column % _TAB_SIZE
            out.append(" " * pad)
            column += pad
        else:
            out.append(char)
            column += _cell_width(char)
    return "".join(out)


def expand_tabs(text: str) -> str:
    """Tabs to spaces at 8-column stops, counting wide (CJK) characters as two columns."""
    if "\t" not in text:
        return text
    return "\n".join(_expand_line(line) for line in text.split("\n"))


def sanitize_text(s: str, *, single_line: bool = False) -> str:
    """Return ``s`` with every terminal-affecting character made visible (see module doc)."""
    if _UNSAFE_ANY.search(s) is not None:
        s = _replace_runs(s, _UNSAFE_RUN if single_line else _UNSAFE_RUN_OR_CRLF)
    if single_line:
        if "\t" in s or "\n" in s:
            s = _SINGLE_LINE_EXTRA.sub(lambda m: " " if m.group(0) == "\t" else "\u240a", s)
        return s
    return expand_tabs(s)


def unsafe_characters(s: str, *, single_line: bool = False) -> list[str]:
    """Characters that sanitize_text would have replaced (for tests and assertions)."""
    found: list[str] = []
    lines = _Lines(s)
    for match in _UNSAFE_RUN.finditer(s):
        if match.group(1) is None:
            continue  # an emoji tag sequence
        start, end = match.span()
        if end - start == 1 and _kept_in_context(s, start, end, lines):
            continue
        found.extend(match.group(0))
    found.extend(c for c in s if c == "\t" or (single_line and c == "\n"))
    return found
