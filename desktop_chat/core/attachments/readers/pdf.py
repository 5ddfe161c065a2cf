"""PDF: the text layer, page by page, with pypdf (BSD-3-Clause, pure Python).

Not PyMuPDF: it is AGPL, which the bundle cannot ship. pypdf reads the file lazily from the open
file object, so memory follows the page being read rather than the whole document; each page's
text is kept, nothing else. Pages without a text layer are marked rather than skipped silently;
a PDF where no page has one is a scan and says so (Cherry Studio marks such files "Ready" with
nothing in them, cherry#19095).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from desktop_chat.core.attachments import types

_KIND = "a PDF"


def read_pdf(path: Path, name: str, progress: Callable[[int, int], None] | None) -> tuple[str, int]:
    """The text of every page, each after a "[page N]" line; and the number of pages.

    ``progress(done, total)`` is called after each page. Raises ``UnreadableAttachment`` for a
    scanned, password-protected or damaged PDF.
    """
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PyPdfError

    with path.open("rb") as stream:
        try:
            reader = PdfReader(stream)
            if reader.is_encrypted and not reader.decrypt(""):
                # Opening needs a password. (An empty user password only protects permissions:
                # it opens as any reader would open it, and we read it.)
                raise types.encrypted(name)
            total = len(reader.pages)
        except types.UnreadableAttachment:
            raise
        except (FileNotDecryptedError, DependencyError, NotImplementedError) as error:
            # An encryption pypdf cannot open (an unknown handler, or AES without cryptography).
            raise types.encrypted(name) from error
        except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
            # pypdf raises many kinds on a damaged file (a bad xref, a cut-off stream, a wrong type
            # where a dictionary was expected); to the user each is the same damaged file.
            raise types.damaged(name, _KIND) from error
        if total == 0:
            raise types.damaged(name, _KIND)
        parts: list[str] = []
        with_text = 0
        for number in range(1, total + 1):
            try:
                text = reader.pages[number - 1].extract_text() or ""
            except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as error:
                raise types.damaged(name, _KIND) from error
            text = text.strip()
            if text:
                with_text += 1
                parts.append(f"[page {number}]\n{text}")
            else:
                parts.append(f"[page {number}: no text layer]")
            if progress is not None:
                progress(number, total)
    if with_text == 0:
        raise types.scanned(name)
    return "\n\n".join(parts), total
