"""render_message: raw bytes to the display model the preview pane and ``tui-mail render`` use.

Body choice: in multipart/alternative the last text/plain alternative wins (the last HTML
one with ``prefer_html``), falling back to the other kind when the preferred one is
missing or blank; multipart/related shows its root; multipart/signed its first part;
every part of multipart/mixed (and unknown multiparts) in order; attached messages
inline with their own headers. Everything else is listed as an attachment. A text part
over the display limit shows its first ``max_text_part_bytes`` and says so (it is listed
too). ``render_attachment`` shows one listed text attachment on demand, within that limit.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from tui_mail.mail.addresses import format_addresses, parse_addresses
from tui_mail.mail.attachments import (
    BODY_TEXT_TYPES,
    collect_attachments,
    describe_attachments,
    is_body_text,
    shows_as_text,
)
from tui_mail.mail.dates import format_date, parse_date
from tui_mail.mail.encoded_words import decode_header_bytes, decode_unstructured
from tui_mail.mail.headers import one_line
from tui_mail.mail.html import LinkRegistry
from tui_mail.mail.limits import DEFAULT_LIMITS, Limits
from tui_mail.mail.model import Attachment, Link, RenderedMessage
from tui_mail.mail.notes import merged_notes, split_label
from tui_mail.mail.sanitize import sanitize_text
from tui_mail.mail.source import RawMessage, open_source
from tui_mail.mail.structure import Part, parse_message
from tui_mail.mail.textparts import part_text
from tui_mail.wording import format_size

_SEPARATOR = "----- Attached message -----"


class _HeaderView:
    """The five header fields shown, decoded and sanitised to one line each."""

    def __init__(self, part: Part, tz: tzinfo | None, limits: Limits) -> None:
        self.problems: list[str] = []
        limit = limits.max_header_chars
        self.from_ = self._addresses(part, "from", "From", limit)
        self.to = self._addresses(part, "to", "To", limit)
        self.cc = self._addresses(part, "cc", "Cc", limit)
        self.subject = ""
        raw_subject = part.header("subject")
        if raw_subject is not None:
            text, problems = decode_unstructured(raw_subject)
            self.subject = one_line(text, limit)
            self.problems += [f"Subject: {problem}" for problem in problems]
        self.date: datetime | None = None
        self.date_text = ""
        raw_date = part.header("date")
        if raw_date is not None:
            text = decode_header_bytes(raw_date)[0]
            parsed = parse_date(text)
            if parsed is None:
                self.date_text = one_line(text, 200)
                if text.strip():
                    self.problems.append("Date: not a date this reader understands")
            else:
                self.date_text = format_date(parsed, tz)
                try:
                    self.date = parsed.astimezone(tz) if tz is not None else parsed.astimezone()
                except (OverflowError, ValueError, OSError):
                    self.date = parsed

    def _addresses(self, part: Part, name: str, label: str, limit: int) -> str:
        raw = part.header(name)
        if raw is None:
            return ""
        pairs, problems = parse_addresses(raw)
        self.problems += [f"{label}: {problem}" for problem in problems]
        return one_line(format_addresses(pairs), limit)

    def lines(self) -> list[str]:
        fields = [
            ("From", self.from_),
            ("To", self.to),
            ("Cc", self.cc),
            ("Date", self.date_text),
            ("Subject", self.subject),
        ]
        return [f"{label}: {value}" for label, value in fields if value]


class _Renderer:
    def __init__(self, root: Part, prefer_html: bool, tz: tzinfo | None, limits: Limits) -> None:
        self.root = root
        self.prefer_html = prefer_html
        self.tz = tz
        self.limits = limits
        self.links = LinkRegistry(limits.max_links)
        self.problems: list[str] = []
        self.attachments = collect_attachments(root, limits)
        self.numbers = {id(part): index for index, part in enumerate(self.attachments, 1)}

    def render(self) -> RenderedMessage:
        pieces: list[str] = []
        self._visit(self.root, pieces)
        return self._result(pieces, describe_attachments(self.attachments, self.limits))

    def render_attachment(self, index: int) -> RenderedMessage:
        """The message's headers, then attachment ``index`` (1-based) as its body."""
        if not 1 <= index <= len(self.attachments):
            raise IndexError(f"no attachment #{index}: the message has {len(self.attachments)}")
        part = self.attachments[index - 1]
        entry = describe_attachments(self.attachments, self.limits)[index - 1]
        title = f"----- attachment {entry.describe()} -----"
        if not shows_as_text(part.content_type, part.info.filename):
            body = "[not text: save it with s to open it in another program]"
        elif part.children or part.embedded is not None:
            body = "[a container of parts, not one text: save it with s]"
        else:
            body = self._text_within_limit(part, about_attachment=True)
        return self._result([title, body], [entry])

    def _result(self, pieces: list[str], attachments: list[Attachment]) -> RenderedMessage:
        headers = _HeaderView(self.root, self.tz, self.limits)
        body = "\n\n".join(piece for piece in pieces if piece.strip())
        if len(body) > self.limits.max_body_chars:
            body = body[: self.limits.max_body_chars]
            self.problems.append(
                f"body longer than {self.limits.max_body_chars:,} characters; the rest is not shown"
            )
        found = self._part_defects(self.root) + [split_label(text) for text in self.problems]
        defects = headers.problems + merged_notes(found)
        return RenderedMessage(
            from_=headers.from_,
            to=headers.to,
            cc=headers.cc,
            date=headers.date,
            date_text=headers.date_text,
            subject=headers.subject,
            body=sanitize_text(body),
            attachments=tuple(attachments),
            links=tuple(
                Link(number, sanitize_text(url, single_line=True))
                for number, url in enumerate(self.links.urls, 1)
            ),
            defects=tuple(sanitize_text(text, single_line=True) for text in dict.fromkeys(defects)),
        )

    def _part_defects(self, part: Part) -> list[tuple[str, str]]:
        """(label, text) of every part's problems, outermost first ("" for the message)."""
        found = [(part.label if part.path else "", text) for text in part.defects]
        for child in part.children:
            found += self._part_defects(child)
        if part.embedded is not None:
            found += self._part_defects(part.embedded)
        return found

    def _not_shown(self, part: Part, why: str) -> str:
        size, exact = part.decoded_size()
        number = self.numbers.get(id(part))
        where = f"; it is attachment #{number}" if number else ""
        about = "" if exact else "about "
        return (
            f"[{part.label} ({part.content_type}, {about}{format_size(size)}) "
            f"not shown: {why}{where}]"
        )

    def _visit(self, part: Part, out: list[str]) -> None:
        if part.over_limit:
            return  # listed as an attachment; the multipart's note says why it is not shown
        if part.skipped is not None:
            out.append(self._not_shown(part, part.skipped))
            return
        ctype = part.content_type
        if ctype.startswith("multipart/"):
            self._visit_multipart(part, out)
        elif part.embedded is not None:
            view = _HeaderView(part.embedded, self.tz, self.limits)
            self.problems += [f"attached message ({part.label}): {p}" for p in view.problems]
            out.append("\n".join([_SEPARATOR, *view.lines()]))
            self._visit(part.embedded, out)
        elif is_body_text(part, self.limits):
            text, problems = part_text(part, self.links)
            self.problems += problems
            if part.info.filename:
                out.append(f"----- {one_line(part.info.filename, 300)} -----")
            out.append(text.rstrip())
        elif part.content_type in BODY_TEXT_TYPES and part.info.disposition != "attachment":
            if part.info.filename:
                out.append(f"----- {one_line(part.info.filename, 300)} -----")
            out.append(self._text_within_limit(part, about_attachment=False))

    def _text_within_limit(self, part: Part, *, about_attachment: bool) -> str:
        """The part's text, or its first ``max_text_part_bytes`` and a line saying so."""
        limit = self.limits.max_text_part_bytes
        size, exact = part.decoded_size()
        if size <= limit:
            text, problems = part_text(part, self.links)
            self.problems += problems
            return text.rstrip()
        text, problems = part_text(part, self.links, limit=limit)
        self.problems += problems
        number = self.numbers.get(id(part))
        where = "" if about_attachment or not number else f"; it is attachment #{number}"
        about = "" if exact else "about "
        note = (
            f"[{part.label} ({part.content_type}, {about}{format_size(size)}) is larger than "
            f"the {format_size(limit)} display limit: the first {format_size(limit)} are "
            f"shown above{where}]"
        )
        return f"{text.rstrip()}\n\n{note}"

    def _visit_multipart(self, part: Part, out: list[str]) -> None:
        children = part.children
        if not children:
            return
        subtype = part.content_type.split("/", 1)[1]
        if subtype == "alternative":
            self._visit(self._choose(children), out)
        elif subtype == "related":
            self._visit(self._related_root(part), out)
        elif subtype == "signed":
            self._visit(children[0], out)
        elif subtype == "encrypted":
            out.append(
                "[encrypted message: this reader does not decrypt; the parts are "
                "listed as attachments]"
            )
        else:
            for child in children:
                self._visit(child, out)

    def _related_root(self, part: Part) -> Part:
        start = part.info.start
        if start:
            for child in part.children:
                content_id = (child.header("content-id") or b"").decode("latin-1")
                if content_id.strip().strip("<>") == start:
                    return child
        return part.children[0]

    def _kind(self, part: Part) -> str | None:
        if part.skipped is not None:
            return None
        if part.content_type.startswith("multipart/") and part.children:
            if part.content_type == "multipart/related":
                return self._kind(self._related_root(part))
            kinds = [self._kind(child) for child in part.children]
            return "html" if "html" in kinds else ("plain" if "plain" in kinds else None)
        if not is_body_text(part, self.limits):
            return None
        return "html" if part.content_type == "text/html" else "plain"

    def _choose(self, children: list[Part]) -> Part:
        kinds = [(self._kind(child), child) for child in children]
        order = ("html", "plain") if self.prefer_html else ("plain", "html")
        for kind in order:
            matches = [child for found, child in kinds if found == kind]
            if not matches:
                continue
            chosen = matches[-1]
            if (
                kind == "plain"
                and not self.prefer_html
                and self._blank(chosen)
                and any(found == "html" for found, _child in kinds)
            ):
                continue
            return chosen
        return children[-1]

    def _blank(self, part: Part) -> bool:
        if part.children or part.embedded is not None:
            return False
        text, _problems = part_text(part, LinkRegistry(0))
        return not text.strip()


def render_message(
    raw: RawMessage,
    *,
    prefer_html: bool = False,
    tz: tzinfo | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> RenderedMessage:
    """Render a raw message (bytes, or a binary stream) for display; never raises for mail.

    ``tz``: the zone for the Date line (the local zone when None). A regular file passed
    as a stream is memory-mapped, so big attachments are neither read nor copied.
    """
    with open_source(raw) as buf:
        root = parse_message(buf, limits)
        return _Renderer(root, prefer_html, tz, limits).render()


def render_attachment(
    raw: RawMessage,
    index: int,
    *,
    tz: tzinfo | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> RenderedMessage:
    """Show attachment ``index`` (1-based, as listed) as text, under the message's headers.

    For text attachments (``text/*`` and text in disguise, see ``shows_as_text``): decoded,
    charset repaired, HTML as text, within the display limit like any body part. Anything
    else gets a line saying it is not text. Raises IndexError for a number not listed.
    """
    with open_source(raw) as buf:
        root = parse_message(buf, limits)
        return _Renderer(root, False, tz, limits).render_attachment(index)
