"""Read an attached file's text: ``extract(path)`` -> ``Extracted``, or one ``UnreadableAttachment`` line.

Qt-free and stateless: it may run in any thread (the window runs it in a worker, so a 200-page
PDF never stalls the window), and several may run at once. It hands nothing to Qt; ``progress``
is a plain callback the caller may forward as it likes. The kind of file is found from its first
bytes, then its name (``sniff.media_type_of``); each reader imports its library when first used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePath

from desktop_chat.core.attachments import types
from desktop_chat.core.attachments.sniff import (
    DOCX,
    OLE,
    PDF,
    PPTX,
    XLSX,
    is_image,
    is_text_type,
    media_type_of,
)
from desktop_chat.core.attachments.types import Extracted, UnreadableAttachment

__all__ = ["Extracted", "UnreadableAttachment", "extract", "is_image", "media_type_of"]

HEAD_BYTES = 8192  # enough for the magic bytes and the first ZIP entries' names


def extract(
    path: Path,
    name: str | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    max_bytes: int | None = None,
) -> Extracted:
    """The text of the file at ``path``, called ``name`` for the user (default: the path's name).

    ``progress(done, total)`` is called after each page of a PDF, in the calling thread; to
    cancel, it raises, and the exception comes out of ``extract`` with the file closed.
    ``max_bytes`` refuses a larger file before reading it. Raises ``UnreadableAttachment`` (one
    line naming the file) for an empty, too large, unknown, damaged, password-protected or
    scanned file, for one with no text, and for an image (images are sent as image parts: check
    ``is_image`` first).
    ``OSError`` (the file cannot be opened) is the caller's to report, as for any file.
    """
    shown = name if name is not None else path.name
    size = path.stat().st_size
    if size == 0:
        raise types.empty(shown)
    if max_bytes is not None and size > max_bytes:
        raise types.too_large(shown, size, max_bytes)
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
    media_type = media_type_of(shown, head)
    return _read(path, shown, media_type, progress)


def _read(path: Path, name: str, media_type: str, progress: Callable[[int, int], None] | None) -> Extracted:
    if media_type == PDF:
        from desktop_chat.core.attachments.readers.pdf import read_pdf

        text, pages = read_pdf(path, name, progress)
        return Extracted(text, media_type, pages, "page")
    if media_type in {DOCX, PPTX, XLSX}:
        from desktop_chat.core.attachments.readers import office

        if media_type == DOCX:
            return Extracted(office.read_docx(path, name), media_type, None, "")
        if media_type == PPTX:
            text, slides = office.read_pptx(path, name)
            return Extracted(text, media_type, slides, "slide")
        text, sheets = office.read_xlsx(path, name)
        return Extracted(text, media_type, sheets, "sheet")
    if media_type == OLE:
        # An Office file protected by a password is an OLE container whatever its extension;
        # so is a .doc, .xls or .ppt from before 2007.
        if PurePath(name).suffix.lower() in {".docx", ".xlsx", ".pptx", ".docm", ".xlsm", ".pptm"}:
            raise types.encrypted(name)
        raise types.legacy_office(name)
    if media_type.startswith("image/"):
        raise types.image(name, media_type, sendable=is_image(media_type))
    if is_text_type(media_type):
        from desktop_chat.core.attachments.readers.text import read_text

        return Extracted(read_text(path.read_bytes(), name, media_type), media_type, None, "")
    raise types.unknown(name)
