"""The text of one body part: transfer decoding, charset repair, HTML and format=flowed.

Returns unsanitised text; the renderer sanitises the assembled body once. A part larger
than the display limit yields its first ``limit`` bytes, cut at a line break when there is
one near the limit (so no character is cut in two), and never decodes the rest.
"""

from __future__ import annotations

from tui_mail.mail.charsets import decode_bytes
from tui_mail.mail.html import LinkRegistry, html_to_text, sniff_html_charset
from tui_mail.mail.structure import Part
from tui_mail.mail.transfer import decode_region, iter_decoded

_CUT_SEARCH = 64 << 10  # how far back from the limit a line break is looked for


def unflow(text: str, *, delsp: bool) -> str:
    """Join RFC 3676 format=flowed lines back into paragraphs (quote depth respected)."""
    out: list[str] = []
    paragraph: list[str] = []
    depth = 0

    def flush() -> None:
        if paragraph:
            out.append(("> " * depth if depth else "") + "".join(paragraph))
            paragraph.clear()

    for line in text.split("\n"):
        quote = len(line) - len(line.lstrip(">"))
        content = line[quote:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing
        if paragraph and quote != depth:
            flush()
        depth = quote
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        paragraph.append(content)
        if not flowed:
            flush()
    flush()
    return "\n".join(out)


def decoded_head(part: Part, limit: int) -> bytes:
    """The first ``limit`` decoded bytes of ``part`` (less, to end at a line break)."""
    out = bytearray()
    for chunk in iter_decoded(
        part.buf, part.body_start, part.body_end, part.info.transfer_encoding
    ):
        out += chunk
        if len(out) > limit:
            break
    if len(out) <= limit:
        return bytes(out)
    cut = out.rfind(b"\n", max(0, limit - _CUT_SEARCH), limit)
    return bytes(out[: cut + 1 if cut >= 0 else limit])


def part_text(
    part: Part, links: LinkRegistry, *, limit: int | None = None
) -> tuple[str, list[str]]:
    """(text, problems) of a body part; HTML becomes plain text with numbered links.

    With ``limit``, only the first ``limit`` decoded bytes are read (see the module doc).
    """
    info = part.info
    if limit is None:
        data = decode_region(part.buf, part.body_start, part.body_end, info.transfer_encoding)
    else:
        data = decoded_head(part, limit)
    charset = info.charset
    is_html = info.content_type == "text/html"
    if is_html and not charset:
        charset = sniff_html_charset(data)
    decoded = decode_bytes(data, charset)
    problems = [f"{part.label}: {decoded.problem}"] if decoded.problem else []
    text = decoded.text.replace("\r\n", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark is an encoding artefact, not content
    if is_html:
        notes: list[str] = []
        text = html_to_text(text, links, notes)
        problems += [f"{part.label}: {note}" for note in notes]
    elif info.format_flowed:
        text = unflow(text, delsp=info.delsp)
    return text, problems
