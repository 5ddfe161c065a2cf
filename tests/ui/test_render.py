"""Markdown rendering: highlighted code with copy links, no raw HTML, no remote content."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument, QTextTable
from PySide6.QtWidgets import QApplication

from desktop_chat.ui.chat.plain_text import LONG_WORD, plain
from desktop_chat.ui.chat.render import COPY_CODE, MarkdownRenderer


def test_code_blocks_are_highlighted_and_each_has_a_copy_link() -> None:
    text = "Try this:\n\n```python\ndef f():\n    return 1\n```\n\nand\n\n    plain block\n"
    rendered = MarkdownRenderer().render(text)
    assert rendered.code_blocks == ("def f():\n    return 1\n", "plain block\n")
    assert f'href="{COPY_CODE}:0"' in rendered.html and f'href="{COPY_CODE}:1"' in rendered.html
    assert "<span style=" in rendered.html  # pygments colours


def test_raw_html_is_shown_as_text_and_images_become_links() -> None:
    rendered = MarkdownRenderer().render('<img src="https://evil.example/t.png"> ![chart](https://x.example/c.png)')
    assert "<img" not in rendered.html
    assert "&lt;img" in rendered.html
    assert '<a href="https://x.example/c.png">[image: chart]</a>' in rendered.html


def test_very_long_words_get_break_opportunities_but_links_keep_their_target() -> None:
    word = "x" * 1000
    url = "https://example.org/" + "y" * 300
    rendered = MarkdownRenderer().render(f"{word} [link]({url}) `{word}`")
    assert f'href="{url}"' in rendered.html
    assert "x" * (LONG_WORD) not in rendered.html
    assert rendered.html.count("\u200b") >= 2 * (1000 // 80)
    assert "\u200b" not in plain("short words stay as they are")
    assert "x" * LONG_WORD not in plain(word)


def _tables(doc: QTextDocument, html_text: str) -> list[QTextTable]:
    """The tables Qt made of ``html_text`` (``doc`` owns them: keep it alive while they are read)."""
    doc.setHtml(html_text)
    return [frame for frame in doc.rootFrame().childFrames() if isinstance(frame, QTextTable)]


def test_a_table_has_borders_and_a_ruled_shaded_header(qapp: QApplication) -> None:
    rendered = MarkdownRenderer(code_background="#eeeeee", rule="#888888").render(
        "| City | Nights |\n|:--|--:|\n| Lisbon | 3 |\n| Porto | 2 |"
    )
    doc = QTextDocument()
    (table,) = _tables(doc, rendered.html)
    assert (table.rows(), table.columns()) == (3, 2)
    assert table.format().border() >= 1 and table.format().borderBrush().color().name() == "#888888"
    header = table.cellAt(0, 0).format().toTableCellFormat()
    body = table.cellAt(1, 0).format().toTableCellFormat()
    assert header.background().color().name() == "#eeeeee" and body.background().style() == Qt.BrushStyle.NoBrush
    assert header.bottomBorder() == 2  # the rule under the header row
    assert table.cellAt(1, 1).firstCursorPosition().blockFormat().alignment() & Qt.AlignmentFlag.AlignRight


def test_a_blockquote_has_a_bar_beside_it(qapp: QApplication) -> None:
    rendered = MarkdownRenderer(rule="#888888").render("Before\n\n> Quoted words\n\nAfter")
    doc = QTextDocument()
    (bar_table,) = _tables(doc, rendered.html)
    bar, quote = bar_table.cellAt(0, 0), bar_table.cellAt(0, 1)
    assert bar.format().background().color().name() == "#888888"
    assert quote.firstCursorPosition().block().text() == "Quoted words"
