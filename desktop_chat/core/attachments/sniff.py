"""What kind of file this is: magic bytes first, then the name's extension; and text decoding.

Content wins over the name because users rename files ("report.pdf" saved from a browser that
is really HTML); the extension decides only when the bytes say nothing, and for text files,
whose kind (Markdown, CSV, code) lives only in the name. No ``mimetypes``: it reads the
system's tables, so the answer would change from one machine to another.
"""

from __future__ import annotations

import codecs
import struct
from pathlib import PurePath

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"
OLE = "application/x-ole-storage"  # old .doc/.xls/.ppt, and password-protected .docx/.xlsx/.pptx
CSV = "text/csv"
TSV = "text/tab-separated-values"
HTML = "text/html"
MARKDOWN = "text/markdown"
PLAIN = "text/plain"
UNKNOWN = "application/octet-stream"

# What OpenAI-compatible vision models accept in an image part.
SENDABLE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_OOXML_FOLDERS = (("word/", DOCX), ("ppt/", PPTX), ("xl/", XLSX))

_BY_EXTENSION = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".docm": DOCX,
    ".pptx": PPTX,
    ".pptm": PPTX,
    ".xlsx": XLSX,
    ".xlsm": XLSX,
    ".doc": OLE,
    ".xls": OLE,
    ".ppt": OLE,
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".bmp": "image/bmp",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".heic": "image/heic",
    ".svg": "image/svg+xml",
    ".zip": ZIP,
}

# Text formats: known only by name (the bytes of a CSV and of a log file look alike).
_TEXT_BY_EXTENSION = {
    ".csv": CSV,
    ".tsv": TSV,
    ".tab": TSV,
    ".html": HTML,
    ".htm": HTML,
    ".xhtml": HTML,
    ".md": MARKDOWN,
    ".markdown": MARKDOWN,
    ".mdown": MARKDOWN,
    ".py": "text/x-python",
    ".pyi": "text/x-python",
    ".c": "text/x-c",
    ".h": "text/x-c",
    ".cc": "text/x-c++",
    ".cpp": "text/x-c++",
    ".hpp": "text/x-c++",
    ".java": "text/x-java",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".ts": "text/x-typescript",
    ".tsx": "text/x-typescript",
    ".go": "text/x-go",
    ".rs": "text/x-rust",
    ".rb": "text/x-ruby",
    ".sh": "text/x-shellscript",
    ".sql": "text/x-sql",
    ".json": "application/json",
    ".xml": "application/xml",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".toml": "application/toml",
    ".css": "text/css",
}


_TEXT_APPLICATION_TYPES = frozenset({"application/json", "application/xml", "application/yaml", "application/toml"})


def is_image(media_type: str) -> bool:
    """Whether the file goes to a model as an image part (PNG, JPEG, GIF, WebP) rather than as text."""
    return media_type in SENDABLE_IMAGES


def is_text_type(media_type: str) -> bool:
    """Whether the media type is one of the text formats read by ``readers.text``."""
    return media_type.startswith("text/") or media_type in _TEXT_APPLICATION_TYPES


def media_type_of(name: str, head: bytes) -> str:  # noqa: PLR0911 - magic, then name, then content
    """The normalised media type of a file called ``name`` whose first bytes are ``head``.

    Give at least the first 4 KB (more tells Office files apart more often). Magic bytes decide
    first: PDF, PNG, JPEG, GIF, WebP, Office files (a ZIP whose parts live under ``word/``,
    ``ppt/`` or ``xl/``), old Office files. Then the extension; then text by decoding; else
    "application/octet-stream".
    """
    by_magic = _by_magic(head)
    extension = PurePath(name).suffix.lower()
    if by_magic == ZIP:
        # A ZIP whose first entries said nothing (a data descriptor hides their sizes): trust an
        # Office extension, the reader will find out if it lies.
        named = _BY_EXTENSION.get(extension)
        return named if named in {DOCX, PPTX, XLSX} else ZIP
    if by_magic is not None:
        return by_magic
    if extension in _BY_EXTENSION:
        return _BY_EXTENSION[extension]
    if head and decode_text(head, partial=True) is None:
        return UNKNOWN
    if extension in _TEXT_BY_EXTENSION:
        return _TEXT_BY_EXTENSION[extension]
    if not head:
        return PLAIN if extension in {".txt", ".text", ".log", ""} else UNKNOWN
    return HTML if _looks_like_html(head) else PLAIN


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
)


def _by_magic(head: bytes) -> str | None:
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(head) or ZIP
    # The PDF header may follow up to 1 KB of junk (ISO 32000-1, 7.5.2 and its implementation note).
    return PDF if b"%PDF-" in head[:1024] else None


def _ooxml_kind(head: bytes) -> str | None:
    """DOCX, PPTX or XLSX from the names of the ZIP entries visible in ``head``.

    Every Office file is a ZIP with ``[Content_Types].xml`` first; what sets the three apart is
    the folder of their main part. Local file headers carry each entry's name in clear.
    """
    at = 0
    while (at := head.find(b"PK\x03\x04", at)) >= 0 and at + 30 <= len(head):
        name_length, extra_length = struct.unpack_from("<HH", head, at + 26)
        entry = head[at + 30 : at + 30 + name_length]
        for folder, media_type in _OOXML_FOLDERS:
            if entry.startswith(folder.encode()):
                return media_type
        at += 30 + name_length + extra_length
    return None


def _looks_like_html(head: bytes) -> bool:
    start = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html"))


# Control characters that never appear in text files (tab, newline, form feed, CR, escape do).
_BINARY_CONTROLS = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}


def decode_text(data: bytes, *, partial: bool = False) -> str | None:
    """``data`` as text, or None when it is not text (binary junk).

    A BOM decides (UTF-8, UTF-16, UTF-32); else UTF-8; else Windows-1252, the commonest legacy
    encoding of Western text. ``partial``: ``data`` is the head of a file and may end inside a
    character. Text with NUL bytes, or many control characters, is not text.
    """
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            text = _decode(data[len(bom) :], encoding, partial=partial)
            return text if text is not None and _is_text(text) else None
    if b"\x00" in data:
        return None
    for encoding in ("utf-8", "cp1252"):
        text = _decode(data, encoding, partial=partial)
        if text is not None:
            return text if _is_text(text) else None
    return None


def _decode(data: bytes, encoding: str, *, partial: bool) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(data, final=not partial)
    except UnicodeDecodeError:
        return None


def _is_text(text: str) -> bool:
    sample = text[:65536]
    if "\x00" in sample:
        return False
    controls = sum(1 for char in sample if ord(char) in _BINARY_CONTROLS)
    return controls <= len(sample) // 100
