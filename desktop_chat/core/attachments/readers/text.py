"""Text files: plain text, Markdown, source code, CSV/TSV (kept as they are) and HTML (its visible text).

The standard library only: ``html.parser`` is enough to drop markup, scripts and styles, and a
parser of our own choosing would add to the bundle for no better text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from desktop_chat.core.attachments import types
from desktop_chat.core.attachments.sniff import HTML, decode_text

# Elements whose content a reader of the page never sees.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
# Elements that start a new line when a browser lays the page out.
_BLOCKS = frozenset(
    {
        "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "section", "article",
        "header", "footer", "nav", "aside", "main", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
        "figure", "figcaption", "form", "fieldset", "details", "summary", "title", "caption", "address",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"\s+")


_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def read_text(data: bytes, name: str, media_type: str) -> str:
    """The file's text; HTML turned into its visible text. Raises ``UnreadableAttachment``."""
    text = _declared(data) if media_type == HTML else None
    if text is None:
        text = decode_text(data)
    if text is None:
        raise types.unknown(name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if media_type == HTML:
        text = html_text(text)
    if not text.strip():
        raise types.no_text(name, "a web page" if media_type == HTML else "a text file")
    return text


def _declared(data: bytes) -> str | None:
    """An HTML page decoded by the charset its ``<meta>`` declares (a saved page in windows-1251
    or Shift_JIS would otherwise turn into Western mojibake); None when it declares none, or a
    charset Python does not know, or the bytes do not decode, or a BOM says otherwise."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return None
    found = _CHARSET.search(data[:4096])
    if found is None:
        return None
    try:
        return data.decode(found.group(1).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None


def html_text(markup: str) -> str:
    """The text a browser would show: no tags, scripts or styles; blocks on lines of their own."""
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    return parser.text()


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._title: list[str] = []
        self._hidden = 0  # depth inside hidden elements
        self._in_title = False
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCKS:
            self._parts.append("\n")
        elif tag in _CELLS:
            self._parts.append(" | ")
        if tag == "pre":
            self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:  # <br/>, <hr/>
            self._parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self._parts.append("\n")
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        elif not self._hidden:
            # Outside <pre>, runs of white space are one space, as a browser shows them.
            self._parts.append(data if self._pre else _SPACES.sub(" ", data))

    def text(self) -> str:
        lines = (line.strip().strip("|").strip() for line in "".join(self._parts).split("\n"))
        body = "\n".join(line for line in lines if line)
        title = " ".join("".join(self._title).split())
        if title and not body.startswith(title):
            return f"{title}\n\n{body}" if body else title
        return body
