"""Markdown to the HTML subset QTextDocument shows: highlighted code, a copy link per block, no remote content.

Qt-free apart from colour names handed in, so it is cheap to test and to cache.
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from desktop_chat.ui.chat.plain_text import breakable

if TYPE_CHECKING:
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict


# The app's own links (a code block's copy, a row's actions) use URL schemes that carry a
# random token made per process: a model's reply cannot guess it, so it cannot write a
# link that presses the app's buttons. Message content keeps only links the chat opens
# in the browser; any other href (``dc-action:...``, ``javascript:``, relative) is shown
# as text.
_TOKEN = secrets.token_hex(8)
OPENABLE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def internal_scheme(kind: str) -> str:
    """The href scheme of one kind of the app's own links, e.g. ``dc-action-<token>``."""
    return f"dc-{kind}-{_TOKEN}"


COPY_CODE = internal_scheme("copy-code")  # a code block's copy link: <COPY_CODE>:<block index>


def parse_internal(href: str, kind: str) -> list[str] | None:
    """The arguments of one of the app's own links of ``kind``; None for anything else or malformed."""
    scheme, colon, rest = href.partition(":")
    if not colon or scheme.lower() != internal_scheme(kind):
        return None
    return rest.split(":")


def openable(href: str) -> bool:
    """Whether message content may show ``href`` as a link (one the chat opens in the browser)."""
    match = _SCHEME.match(href)
    return match is not None and match.group(1).lower() in OPENABLE_SCHEMES


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    code_blocks: tuple[str, ...]  # the raw text of each fenced/indented block, for its copy link


@cache
def _formatter(style: str) -> Any:
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]

    return HtmlFormatter(style=style, noclasses=True, nowrap=True)


# While the window starts, code whose lexer has not been used yet is shown plain: a lexer compiles its
# patterns on first use (Python's: ~120 regexes, ~50 ms), which would hold the last chat back before it
# shows. ``warm_up`` (a worker thread, right after) compiles the common ones and ends the deferral; the
# chat then draws its code blocks again, coloured (``deferred_blocks`` tells which documents need it).
_start = {"deferring": False, "plain": 0}
_used: set[str] = set()  # languages highlighted at least once in this process: their lexer is compiled


def defer_highlighting() -> None:
    """Until ``warm_up`` ends, show code in a language not highlighted yet without colours."""
    _start["deferring"] = True


def deferring() -> bool:
    return bool(_start["deferring"])


def deferred_blocks() -> int:
    """How many code blocks were shown plain so far because of the deferral (grows; never reset)."""
    return _start["plain"]


def highlight(code: str, language: str, style: str, *, defer: bool = True) -> str:
    """Pygments spans with inline colours; unknown languages are escaped as they are."""
    if not language:
        return html.escape(code)
    if defer and _start["deferring"] and language not in _used:
        _start["plain"] += 1
        return html.escape(code)
    from pygments import highlight as pyg_highlight  # type: ignore[import-untyped]
    from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
    from pygments.util import ClassNotFound  # type: ignore[import-untyped]

    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return html.escape(code)
    coloured = str(pyg_highlight(code, lexer, _formatter(style))).rstrip("\n")
    _used.add(language)
    return coloured


@cache
def _renderer_class() -> type:
    """The renderer, defined on first use: markdown-it costs ~45 ms to import, after the first paint."""
    from markdown_it.common.utils import escapeHtml
    from markdown_it.renderer import RendererHTML

    class _Renderer(RendererHTML):
        """Code through pygments with a copy link; images become plain links (never fetched)."""

        def __init__(self, parser: Any = None) -> None:
            super().__init__(parser)
            self.code_style = "default"
            self.code_background = "#f0f0f0"
            self.rule = "#b0b0b0"  # table borders and a quote's bar: the palette's dim text

        def _block(self, code: str, language: str, env: EnvType) -> str:
            blocks: list[str] = env.setdefault("code_blocks", [])
            index = len(blocks)
            blocks.append(code)
            body = highlight(code.rstrip("\n"), language, self.code_style)
            label = html.escape(language) + " · " if language else ""
            return (
                f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{self.code_background}"><tr><td>'
                f'<p align="right" style="margin:0"><small>{label}'
                f'<a href="{COPY_CODE}:{index}">Copy code</a></small></p>'
                f'<pre style="margin:0">{body}</pre></td></tr></table>'
            )

        def fence(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            token = tokens[idx]
            language = token.info.strip().split(" ")[0] if token.info else ""
            return self._block(token.content, language, env)

        def code_block(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            return self._block(tokens[idx].content, "", env)

        def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            # An <img> would make QTextDocument ask for the resource; show a link the user may click instead.
            token = tokens[idx]
            src = str(token.attrGet("src") or "")
            alt = html.escape(token.content or "image")
            if not openable(src):
                return f"[image: {alt}] ({html.escape(src)})"
            return f'<a href="{html.escape(src)}">[image: {alt}]</a>'

        # QTextDocument draws a bare <table> without lines and a <blockquote> as an indent only, so a
        # table's cells ran together and a quote looked like the reply's own words.
        def table_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            return (
                f'<table border="1" cellspacing="0" cellpadding="5" '
                f'style="border-collapse: collapse; border-color: {self.rule}; border-style: solid">'
            )

        def th_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            # The header row: shaded, and ruled off from the body by a heavier line.
            return (
                f'<th{_align(tokens[idx])} bgcolor="{self.code_background}" '
                f'style="border-bottom: 2px solid {self.rule}">'
            )

        def td_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            return f"<td{_align(tokens[idx])}>"

        def blockquote_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            # A bar down the quote's left: a narrow shaded cell beside it.
            return (
                '<table cellspacing="0" cellpadding="0" style="margin-top: 4px; margin-bottom: 4px"><tr>'
                f'<td width="3" bgcolor="{self.rule}"></td><td style="padding-left: 10px">'
            )

        def blockquote_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            return "</td></tr></table>"

        def text(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            return escapeHtml(breakable(tokens[idx].content))

        def code_inline(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            token = tokens[idx]
            return f"<code{self.renderAttrs(token)}>{escapeHtml(breakable(token.content))}</code>"

        def link_open(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            token = tokens[idx]
            href = str(token.attrGet("href") or "")
            if openable(href):
                return str(self.renderToken(tokens, idx, options, env))
            # Shown as text, its target after it so the reader still sees where it pointed.
            close = next((t for t in tokens[idx + 1 :] if t.type == "link_close"), None)
            if close is not None:
                close.meta["shown_as_text"] = "" if token.markup == "autolink" else f" ({html.escape(href)})"
            return ""

        def link_close(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            token = tokens[idx]
            if "shown_as_text" in token.meta:
                return str(token.meta["shown_as_text"])
            return str(self.renderToken(tokens, idx, options, env))

    return _Renderer


def _align(token: Token) -> str:
    """A table cell's alignment (markdown's ``:--:``) as the attribute QTextDocument reads."""
    style = str(token.attrGet("style") or "")
    for side in ("left", "center", "right"):
        if f"text-align:{side}" in style:
            return f' align="{side}"'
    return ""


class MarkdownRenderer:
    """One parser for the app: CommonMark plus tables and strikethrough, raw HTML shown as text."""

    def __init__(self, *, dark: bool = False, code_background: str = "#f0f0f0", rule: str = "#b0b0b0") -> None:
        from markdown_it import MarkdownIt

        self._md = MarkdownIt(
            "commonmark", {"html": False, "linkify": False, "breaks": True}, renderer_cls=_renderer_class()
        )
        self._md.enable(["table", "strikethrough"])
        renderer: Any = self._md.renderer
        renderer.code_style = "monokai" if dark else "default"
        renderer.code_background = code_background
        renderer.rule = rule

    def render(self, text: str) -> Rendered:
        env: dict[str, Any] = {}
        body = self._md.render(text, env)
        return Rendered(html=body, code_blocks=tuple(env.get("code_blocks", ())))


WARM_LANGUAGES = ("python", "bash", "json", "javascript", "typescript", "sql", "html", "http")


def warm_up() -> None:
    """Import markdown-it and compile the common lexers' patterns (~0.2 s), on a worker thread; ends the
    start's deferral (``defer_highlighting``).

    Without it the first chat with code in it pays that on the GUI thread when it opens.
    """
    try:
        MarkdownRenderer().render("**warm** `up`")
        for language in WARM_LANGUAGES:
            highlight("x", language, "default", defer=False)
    finally:
        _start["deferring"] = False
