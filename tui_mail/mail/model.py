"""The display model of one message: every string in it is already decoded and sanitised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tui_mail.wording import format_size


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part the reader can save: its number in the list, name, type and decoded size."""

    index: int  # 1-based; the number save_attachment() takes
    filename: str  # sanitised for display; "" when the part names no file
    content_type: str  # sanitised, lowercase "type/subtype"
    size: int  # decoded size in bytes
    size_exact: bool = True  # False for the rare encodings sized without decoding
    note: str = ""  # sanitised; why the part is not shown, when it is not

    def describe(self) -> str:
        """``#1  report.pdf  (application/pdf, 1.2 MiB)`` plus the note, if any."""
        size = format_size(self.size)
        if not self.size_exact:
            size = f"about {size}"
        line = f"#{self.index}  {self.filename or '(no name)'}  ({self.content_type}, {size})"
        return f"{line} \u2014 {self.note}" if self.note else line


@dataclass(frozen=True, slots=True)
class Link:
    """A link target of an HTML part, shown as ``[number]`` after the link text."""

    number: int
    url: str  # sanitised


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """What the preview pane shows and ``tui-mail render`` prints."""

    from_: str
    to: str
    cc: str
    date: datetime | None  # timezone-aware, in the zone asked for (local time by default)
    date_text: str  # the Date line as shown (the raw header, sanitised, if unparsable)
    subject: str
    body: str  # sanitised, tabs expanded, lines separated by "\n"
    attachments: tuple[Attachment, ...]
    links: tuple[Link, ...]
    defects: tuple[str, ...]  # human-readable, sanitised

    def header_lines(self) -> list[tuple[str, str]]:
        """(label, value) of the headers shown, in order; empty ones left out."""
        fields = [
            ("From", self.from_),
            ("To", self.to),
            ("Cc", self.cc),
            ("Date", self.date_text),
            ("Subject", self.subject),
        ]
        return [(label, value) for label, value in fields if value]

    def as_text(self) -> str:
        """Headers, a blank line, the body, then attachments, links and notes."""
        sections = []
        if self.header_lines():
            sections.append("\n".join(f"{label}: {value}" for label, value in self.header_lines()))
        if self.body:
            sections.append(self.body)
        if self.attachments:
            sections.append(
                "Attachments:\n"
                + "\n".join(f"  {attachment.describe()}" for attachment in self.attachments)
            )
        if self.links:
            sections.append(
                "Links:\n" + "\n".join(f"  [{link.number}] {link.url}" for link in self.links)
            )
        if self.defects:
            sections.append("Notes:\n" + "\n".join(f"  - {defect}" for defect in self.defects))
        return "\n\n".join(sections) + "\n"
