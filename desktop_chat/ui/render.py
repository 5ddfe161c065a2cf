"""Markdown to the HTML subset QTextDocument shows: highlighted code, a copy link per block, no remote content.

Qt-free apart from colour names handed in, so it is cheap to test and to cache.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict


COPY_CODE = "dc-copy-code"  # href scheme of a code block's copy link: dc-copy-code:<block index>


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    code_blocks: tuple[str, ...]  # the raw text of each fenced/indented block, for its copy link


@cache
def _formatter(style: str) -> Any:
    from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]

    return HtmlFormatter(style=style, noclasses=True, nowrap=True)


def highlight(code: str, language: str, style: str) -> str:
    """Pygments spans with inline colours; unknown languages are escaped as they are."""
    from pygments import highlight as pyg_highlight  # type: ignore[import-untyped]
    from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
    from pygments.util import ClassNotFound  # type: ignore[import-untyped]

    if not language:
        return html.escape(code)
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return html.escape(code)
    return str(pyg_highlight(code, lexer, _formatter(style))).rstrip("\n")


@cache
def _renderer_class() -> type:
    """The renderer, defined on first use: markdown-it costs ~45 ms to import, after the first paint."""
    from markdown_it.renderer import RendererHTML

    class _Renderer(RendererHTML):
        """Code through pygments with a copy link; images become plain links (never fetched)."""

        def __init__(self, parser: Any = None) -> None:
            super().__init__(parser)
            self.code_style = "default"
            self.code_background = "#f0f0f0"

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
            src = html.escape(str(token.attrGet("src") or ""))
            alt = html.escape(token.content or "image")
            return f'<a href="{src}">[image: {alt}]</a>'

    return _Renderer


class MarkdownRenderer:
    """One parser for the app: CommonMark plus tables and strikethrough, raw HTML shown as text."""

    def __init__(self, *, dark: bool = False, code_background: str = "#f0f0f0") -> None:
        from markdown_it import MarkdownIt

        self._md = MarkdownIt(
            "commonmark", {"html": False, "linkify": False, "breaks": True}, renderer_cls=_renderer_class()
        )
        self._md.enable(["table", "strikethrough"])
        renderer: Any = self._md.renderer
        renderer.code_style = "monokai" if dark else "default"
        renderer.code_background = code_background

    def render(self, text: str) -> Rendered:
        env: dict[str, Any] = {}
        body = self._md.render(text, env)
        return Rendered(html=body, code_blocks=tuple(env.get("code_blocks", ())))


def plain(text: str) -> str:
    """Text shown as it is (user messages keep their line breaks and are never parsed)."""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


WARM_LANGUAGES = ("python", "bash", "json", "javascript", "typescript", "sql", "html", "http")


def warm_up() -> None:
    """Import markdown-it and compile the common lexers' patterns (~0.3 s), on a worker thread.

    Without it the first chat with code in it pays that on the GUI thread when it opens.
    """
    renderer = MarkdownRenderer()
    renderer.render("**warm** `up`\n\n" + "".join(f"```{lang}\nx\n```\n" for lang in WARM_LANGUAGES))
