"""PDF: the text layer, page by page, with pypdf (BSD-3-Clause, pure Python).

Not PyMuPDF: it is AGPL, which the bundle cannot ship. pypdf reads objects from the open file as
pages ask for them, so the file is never loaded whole (a 200-page PDF needs ~3.5 MiB: see
docs/attachments.md). Pages without a text layer are marked rather than skipped silently;
a PDF where no page has one is a scan and says so (Cherry Studio marks such files "Ready" with
nothing in them, cherry#19095).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from desktop_chat.core.attachments import types

if TYPE_CHECKING:
    from pypdf import PdfReader

_KIND = "a PDF"


# What pypdf raises on a damaged file: a bad xref, a cut-off stream, a wrong type where a
# dictionary was expected... To the user each is the same damaged file.
_DAMAGE = (ValueError, KeyError, TypeError, AttributeError, OSError)


def read_pdf(path: Path, name: str, progress: Callable[[int, int], None] | None) -> tuple[str, int]:
    """The text of every page, each after a "[page N]" line; and the number of pages.

    ``progress(done, total)`` is called after each page. Raises ``UnreadableAttachment`` for a
    scanned, password-protected or damaged PDF.
    """
    with path.open("rb") as stream:
        reader = _open(stream, name)
        total = len(reader.pages)
        parts: list[str] = []
        with_text = failed = 0
        for number in range(1, total + 1):
            text = _page_text(reader, number)
            if text is None:
                # One broken page (a bad font, a cut stream) should not lose the other 199: the text
                # says which page is missing, and the file is damaged only if no page reads.
                failed += 1
                parts.append(f"[page {number}: damaged, not read]")
            elif _readable(text):
                with_text += 1
                parts.append(f"[page {number}]\n{text}")
            elif text:
                parts.append(f"[page {number}: text layer not readable]")
            else:
                parts.append(f"[page {number}: no text layer]")
            if progress is not None:
                progress(number, total)
    if with_text == 0:
        raise types.damaged(name, _KIND) if failed else types.scanned(name)
    return "\n\n".join(parts), total


def _open(stream: BinaryIO, name: str) -> PdfReader:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(stream)
        if reader.is_encrypted and not reader.decrypt(""):
            # Opening needs a password. (An empty user password only protects permissions: it
            # opens as any PDF viewer would open it, and we read it.)
            raise types.encrypted(name)
        pages = len(reader.pages)
    except (FileNotDecryptedError, DependencyError, NotImplementedError) as error:
        # An encryption pypdf cannot open (an unknown handler, or AES without cryptography).
        raise types.encrypted(name) from error
    except (PyPdfError, *_DAMAGE) as error:
        raise types.damaged(name, _KIND) from error
    if pages == 0:
        raise types.damaged(name, _KIND)
    return reader


def _page_text(reader: PdfReader, number: int) -> str | None:
    """Page ``number``'s text, stripped; None when pypdf cannot read the page."""
    from pypdf.errors import PyPdfError

    try:
        return (reader.pages[number - 1].extract_text() or "").strip()
    except (PyPdfError, *_DAMAGE):
        return None


def _readable(text: str) -> bool:
    """Whether a page's text is words rather than glyphs with no known characters.

    A font without a map to Unicode (or one that is missing) gives U+FFFD for every glyph: sending
    a page of those would cost tokens and tell the model nothing.
    """
    letters = [char for char in text if not char.isspace()]
    return bool(letters) and letters.count("\ufffd") * 2 < len(letters)
