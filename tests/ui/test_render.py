"""Markdown rendering: highlighted code with copy links, no raw HTML, no remote content."""

from __future__ import annotations

from desktop_chat.ui.chat.render import COPY_CODE, LONG_WORD, MarkdownRenderer, plain


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
