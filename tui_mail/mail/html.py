"""HTML mail to readable plain text, links as numbered references, nothing fetched.

lxml (libxml2's forgiving HTML parser) builds the tree; we walk it iteratively, so deeply
nested markup cannot exhaust the Python stack. Blocks become line breaks, lists get
bullets or numbers, blockquotes get ``> `` prefixes, table cells are spaced out on one line
per row, images show their alt text, links become ``text [n]`` with the URL listed at the
end of the message. Nothing is ever fetched: ``src`` attributes are ignored, the parser
runs with ``no_network``, and ``<script>``/``<style>``/``<head>`` and elements the sender
hid (``display:none``, ``hidden``) are dropped, as a browser would not show them either.
Runs of invisible filler (zero-width characters mixed with spaces, used as e-mail preview
padding) collapse to one space; soft hyphens are only hyphenation hints and are removed.

libxml2 stops building the tree at a nesting depth of 256 (2,048 with ``huge_tree``, which we
set) and silently drops everything after that point. When it reports that, the document is
read again without a tree: a tokeniser feeds the same writer tag by tag, so all the text is
shown (with the same blocks, lists, quotes and links) and a note says so.
"""

from __future__ import annotations

import html as html_entities
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree  # type: ignore[import-untyped, unused-ignore]
from lxml import html as lxml_html  # type: ignore[import-untyped, unused-ignore]

_SKIP = {
    "head",
    "script",
    "style",
    "title",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "canvas",
    "audio",
    "video",
    "map",
    "meta",
    "link",
    "base",
    "frameset",
}
_PARAGRAPH = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
    "table",
    "dl",
    "blockquote",
    "address",
    "figure",
    "form",
    "fieldset",
    "hr",
}
_BLOCK = {
    "div",
    "li",
    "dt",
    "dd",
    "tr",
    "ul",
    "ol",
    "article",
    "aside",
    "footer",
    "header",
    "nav",
    "section",
    "main",
    "figcaption",
    "legend",
    "details",
    "summary",
    "center",
    "caption",
    "body",
    "html",
    "tbody",
    "thead",
    "tfoot",
    "option",
}
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all", re.IGNORECASE
)
_INVISIBLE = "\u200b\u200c\u034f\ufeff\u2060"
_FILLER_RUN = re.compile(f"[\\s\u00a0{_INVISIBLE}]{{2,}}")
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
MAX_PREFIXES = 16  # nested quotes and lists shown as such; deeper ones add no more prefix
# A line break inside an attribute value, with the indentation around it: mailers wrap long
# href values; browsers drop the breaks (WHATWG URL parsing strips tab, CR and LF).
_ATTRIBUTE_BREAK = re.compile(r"[ \t]*[\r\n][ \t\r\n]*")
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]{1,40})", re.IGNORECASE
)


def sniff_html_charset(data: bytes) -> str | None:
    """The charset a ``<meta>`` tag declares in the first 4 KiB, for parts without one."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


@dataclass
class LinkRegistry:
    """Link URLs numbered in order of first appearance, shared by all HTML parts."""

    limit: int = 500
    urls: list[str] = field(default_factory=list)
    _numbers: dict[str, int] = field(default_factory=dict)

    def number(self, url: str) -> int | None:
        if url in self._numbers:
            return self._numbers[url]
        if len(self.urls) >= self.limit:
            return None
        self.urls.append(url)
        self._numbers[url] = len(self.urls)
        return len(self.urls)


def link_target(href: str) -> str:
    """The URL an ``href`` names: wrapped lines joined, tabs and outer spaces dropped."""
    return _ATTRIBUTE_BREAK.sub("", href).replace("\t", "").strip()


def _linkable(href: str) -> bool:
    lowered = href.strip().lower()
    return bool(lowered) and not lowered.startswith(("#", "javascript:", "data:"))


def _common_prefix(first: str, second: str) -> str:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return first[:length]


def _collapse_filler(text: str) -> str:
    """Whitespace mixed with zero-width characters (preview padding) becomes one space.

    A lone zero-width character between letters is left for the sanitiser to show.
    """

    def replace(match: re.Match[str]) -> str:
        run = match.group(0)
        invisible = sum(1 for char in run if char in _INVISIBLE)
        return " " if 0 < invisible < len(run) else run

    return _FILLER_RUN.sub(replace, text)


class _Writer:
    """Text output with pending line breaks, whitespace collapsing and line prefixes."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.started = False
        self.breaks = 0  # newlines written since the last text
        self.pending = 0  # newlines wanted before the next text
        self.space = False  # a collapsed space is due before the next word
        self.gap = False  # two spaces are due before the next text (next table cell)
        self.prefixes: list[str] = []
        self.line_prefix = ""  # the prefix of the last line that got text
        self.pre = 0

    def _prefix(self) -> str:
        """The line prefix: quote marks and list indents, the outermost MAX_PREFIXES of them.

        Deeper nesting adds nothing, so a document nested thousands of levels deep cannot
        make every line thousands of characters long.
        """
        return "".join(self.prefixes[:MAX_PREFIXES])

    def request(self, newlines: int) -> None:
        self.pending = max(self.pending, newlines)
        self.space = self.gap = False

    def cell_gap(self) -> None:
        self.gap = self.started and not self.breaks and not self.pending

    def line_break(self) -> None:
        if not self.started:
            return
        self._flush()
        self.pieces.append("\n")
        self.breaks += 1
        self.space = False

    def _flush(self) -> None:
        if self.started and self.pending > self.breaks:
            # Blank lines between two quoted paragraphs stay quoted ("> " -> ">").
            prefix = _common_prefix(self.line_prefix, self._prefix()).rstrip()
            for _ in range(self.pending - self.breaks):
                self.pieces.append("\n" if self.breaks == 0 else prefix + "\n")
                self.breaks += 1
        self.pending = 0

    def _emit(self, text: str) -> None:
        self._flush()
        if self.breaks or not self.started:
            self.line_prefix = self._prefix()
            self.pieces.append(self.line_prefix)
        elif self.gap:
            self.pieces.append("  ")
        elif self.space:
            self.pieces.append(" ")
        self.pieces.append(text)
        self.breaks = 0
        self.started = True
        self.space = self.gap = False

    def literal(self, text: str) -> None:
        """Text written as is (markers, link numbers), still subject to pending breaks."""
        if text:
            self._emit(text)

    def text(self, text: str | None) -> None:
        if not text:
            return
        text = _collapse_filler(text.replace("\u00ad", ""))
        if self.pre:
            for index, line in enumerate(text.replace("\u00a0", " ").split("\n")):
                if index:
                    self.line_break()
                if line:
                    self._emit(line)
            return
        if text[:1].isspace() and self.started and not self.breaks:
            self.space = True
        words = _WHITESPACE.split(text.strip(" \t\n\r\f"))
        for index, word in enumerate(words):
            if not word:
                continue
            if index:
                self.space = True
            self._emit(word.replace("\u00a0", " "))
        if text[-1:].isspace():
            self.space = (self.started and not self.breaks) or self.space

    def result(self) -> str:
        lines = "".join(self.pieces).split("\n")
        return "\n".join(line.rstrip() for line in lines).strip("\n")


@dataclass
class _ListState:
    ordered: bool
    counter: int = 0
    indented: bool = False


def _is_hidden(element: Any) -> bool:
    if element.get("hidden") is not None:
        return True
    style = element.get("style")
    return bool(style) and _HIDDEN_STYLE.search(style) is not None


def _parse(html: str) -> tuple[Any, bool]:
    """(tree or None, was the tree cut at libxml2's depth limit)."""
    parser = lxml_html.HTMLParser(
        encoding="utf-8",
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        recover=True,
        huge_tree=True,
    )
    data = html.replace("\x00", "\ufffd").encode("utf-8", "replace")
    try:
        root = lxml_html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None, False
    too_deep = any("Excessive depth" in entry.message for entry in parser.error_log)
    return root, too_deep


def html_to_text(html: str, links: LinkRegistry, problems: list[str] | None = None) -> str:
    """Readable text for an HTML document; link URLs are added to ``links``.

    A note for the reader (the document was too deeply nested for the parser) is appended
    to ``problems``.
    """
    root, too_deep = _parse(html)
    if too_deep:
        if problems is not None:
            problems.append(
                "HTML nested too deeply for the HTML parser; read tag by tag instead "
                "(all the text is shown, the layout may differ)"
            )
        return _tokens_to_text(html, links)
    if root is None:
        return ""
    writer = _Writer()
    lists: list[_ListState] = []
    anchors: list[str | None] = []
    skipping: Any = None
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(element.tag, str):  # a comment or processing instruction
            if event == "end" and skipping is None:
                writer.text(element.tail)
            continue
        tag = element.tag.lower()
        if skipping is not None:
            if event == "end" and element is skipping:
                skipping = None
                writer.text(element.tail)
            continue
        if event == "start":
            if tag in _SKIP or _is_hidden(element):
                skipping = element
                continue
            _start(writer, tag, element, lists, anchors)
            writer.text(element.text)
        else:
            _end(writer, tag, lists, anchors, links)
            writer.text(element.tail)
    return writer.result()


def _start(
    writer: _Writer, tag: str, element: Any, lists: list[_ListState], anchors: list[str | None]
) -> None:
    if tag in _PARAGRAPH:
        writer.request(2)
    elif tag in _BLOCK:
        writer.request(1)
    if tag in ("ul", "ol"):
        if lists:
            writer.prefixes.append("   ")
        else:
            writer.request(2)
        start = (element.get("start") or "1").strip()
        counter = int(start[:9]) - 1 if tag == "ol" and start.isdigit() else 0
        lists.append(_ListState(ordered=tag == "ol", counter=counter, indented=bool(lists)))
    elif tag == "li":
        state = lists[-1] if lists else _ListState(ordered=False)
        state.counter += 1
        writer.literal(f"{state.counter}. " if state.ordered else "* ")
    elif tag == "blockquote":
        writer.prefixes.append("> ")
    elif tag == "pre":
        writer.pre += 1
    elif tag == "br":
        writer.line_break()
    elif tag == "hr":
        writer.literal("-" * 24)
    elif tag in ("td", "th"):
        writer.cell_gap()
    elif tag == "img":
        alt = (element.get("alt") or "").strip()
        if alt:
            writer.literal(f"[{_WHITESPACE.sub(' ', alt)}]")
    elif tag == "a":
        anchors.append(element.get("href"))


def _end(
    writer: _Writer,
    tag: str,
    lists: list[_ListState],
    anchors: list[str | None],
    links: LinkRegistry,
) -> None:
    if tag in ("ul", "ol"):
        if lists and lists.pop().indented and writer.prefixes:
            writer.prefixes.pop()
    elif tag == "blockquote" and writer.prefixes:
        writer.prefixes.pop()
    elif tag == "pre":
        writer.pre = max(0, writer.pre - 1)
    elif tag == "a" and anchors:
        href = link_target(anchors.pop() or "")
        if _linkable(href):
            number = links.number(href)
            if number is not None:
                writer.space = writer.started and not writer.breaks
                writer.literal(f"[{number}]")
    if tag in _PARAGRAPH or (tag in ("ul", "ol") and not lists):
        writer.request(2)
    elif tag in _BLOCK:
        writer.request(1)


_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"  # a comment
    # A tag. An unclosed quote or tag runs to the end of the input (as in a browser), so
    # this never fails once started: no rescanning, linear on any input.
    r"|<(/?)([A-Za-z][A-Za-z0-9:-]{0,40})((?:[^>\"']|\"[^\"]*(?:\"|\Z)|'[^']*(?:'|\Z))*)(?:>|\Z)"
    r"|<[!?/][^>]*(?:>|\Z)"  # doctype, processing instruction, stray end
    r"|[^<]+|<",
    re.DOTALL,
)
_ATTRIBUTE = re.compile(r"([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        found.setdefault(match.group(1).lower(), html_entities.unescape(value))
    return found


def _tokens_to_text(html: str, links: LinkRegistry) -> str:
    """The same text as :func:`html_to_text`, from a tokeniser instead of a tree.

    For documents nested beyond the tree builder's depth limit: open elements are kept on
    a stack (an end tag closes up to its match, as a browser would; one with no match is
    ignored), elements to skip or hide are skipped to their end tag. Linear in the input.
    """
    writer = _Writer()
    lists: list[_ListState] = []
    anchors: list[str | None] = []
    stack: list[str] = []
    open_count: dict[str, int] = {}
    skip_depth: int | None = None  # the stack depth at which the skipped element ends

    def push(tag: str) -> None:
        stack.append(tag)
        open_count[tag] = open_count.get(tag, 0) + 1

    def pop() -> str:
        tag = stack.pop()
        open_count[tag] -= 1
        return tag

    for match in _TOKEN.finditer(html):
        token = match.group(0)
        tag = (match.group(2) or "").lower()
        if not tag:
            if skip_depth is None and not token.startswith(("<!", "<?", "</")):
                writer.text(html_entities.unescape(token))
            continue
        if match.group(1):  # an end tag
            if not open_count.get(tag):
                continue
            while stack:
                closed = pop()
                if skip_depth is None:
                    _end(writer, closed, lists, anchors, links)
                elif len(stack) <= skip_depth:
                    skip_depth = None
                if closed == tag:
                    break
            continue
        void = tag in _VOID or match.group(3).rstrip().endswith("/")
        if skip_depth is not None:
            if not void:
                push(tag)
            continue
        attributes = _attributes(match.group(3))
        if tag in _SKIP or _is_hidden(attributes):
            if not void:
                skip_depth = len(stack)
                push(tag)
            continue
        _start(writer, tag, attributes, lists, anchors)
        if void:
            _end(writer, tag, lists, anchors, links)
        else:
            push(tag)
    while stack and skip_depth is None:
        _end(writer, pop(), lists, anchors, links)
    return writer.result()
