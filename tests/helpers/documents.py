"""Documents built in memory for attachment tests: PDFs, Office files and images, no files committed.

The PDFs are written by hand (a few objects, a cross-reference table) so a test controls exactly what
is in them: a text layer, pages with only an image (a "scan"), or nothing readable. The Office files
are written with the libraries the app reads them with (python-docx, python-pptx, openpyxl): a
reader tested only on its own writer's output would prove little, but these libraries write what
Word, PowerPoint and Excel write (the same OOXML parts), which is what users attach. The PNG is
encoded with zlib by hand, so it decodes in any viewer (and in Qt) without Pillow.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence

_PAGE_WIDTH, _PAGE_HEIGHT = 612, 792  # US Letter, in points
_LINE_HEIGHT = 14


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in WinAnsi (Latin-1 covers what the tests write)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def _text_stream(text: str) -> bytes:
    """A content stream that draws ``text`` line by line from the top of the page."""
    ops = [b"BT", b"/F1 11 Tf", f"{_LINE_HEIGHT} TL".encode(), f"72 {_PAGE_HEIGHT - 72} Td".encode()]
    for line in text.split("\n"):
        ops += [_pdf_string(line) + b" Tj", b"T*"]
    ops.append(b"ET")
    return b"\n".join(ops)


def _assemble(objects: list[bytes]) -> bytes:
    """A whole PDF from numbered objects (object 1 is the catalog), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(out)


def _stream(data: bytes, extra: str = "") -> bytes:
    return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"


def _pdf(page_streams: Sequence[bytes | None], *, image: bool) -> bytes:
    """Pages drawing ``page_streams`` (None: a page that draws only the image, as a scanner makes)."""
    # 1 catalog, 2 pages, 3 font, 4 image; then per page: the page and its content stream.
    count = len(page_streams)
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(count))
    gray = bytes(range(0, 256, 16)) * 16  # a 16x16 gradient: "pixels", no text
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        _stream(
            gray, " /Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceGray /BitsPerComponent 8"
        ),
    ]
    for i, content in enumerate(page_streams):
        resources = "/Font << /F1 3 0 R >>" + (" /XObject << /Im1 4 0 R >>" if image else "")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_PAGE_WIDTH} {_PAGE_HEIGHT}] "
            f"/Resources << {resources} >> /Contents {6 + 2 * i} 0 R >>".encode()
        )
        drawn = content if content is not None else f"q {_PAGE_WIDTH} 0 0 {_PAGE_HEIGHT} 0 0 cm /Im1 Do Q".encode()
        objects.append(_stream(drawn))
    return _assemble(objects)


def pdf_bytes(pages: list[str]) -> bytes:
    """A PDF with a text layer: one page per string (newlines start new lines; Latin-1 text).

    An empty string makes a page with no text layer (it draws the image only), as in a
    document where some pages were scanned.
    """
    streams = [_text_stream(text) if text else None for text in pages]
    return _pdf(streams, image=any(not text for text in pages))


def scanned_pdf_bytes(pages: int = 2) -> bytes:
    """A PDF whose every page is only a picture: what a scanner without OCR makes."""
    return _pdf([None] * pages, image=True)


def encrypted_pdf_bytes(text: str, password: str, *, owner_password: str = "owner") -> bytes:
    """``pdf_bytes([text])`` encrypted by pypdf (AES-256). ``password=""`` makes a PDF that opens
    without a password (only its permissions are protected), as many bank statements are."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes([text]))))
    writer.encrypt(user_password=password, owner_password=owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(paragraphs: list[str], *, table: list[list[str]] | None = None) -> bytes:
    """A Word document: the paragraphs, then (if given) a table with those rows."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pptx_bytes(slides: list[str], *, notes: list[str] | None = None) -> bytes:
    """A PowerPoint deck: one slide per string (title and body, split at the first newline);
    ``notes[i]`` becomes slide i's speaker notes when given and not empty."""
    from pptx import Presentation

    deck = Presentation()
    layout = deck.slide_layouts[1]  # "Title and Content"
    for i, text in enumerate(slides):
        slide = deck.slides.add_slide(layout)
        title, _, body = text.partition("\n")
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes and i < len(notes) and notes[i]:
            slide.notes_slide.notes_text_frame.text = notes[i]
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def xlsx_bytes(rows: Sequence[Sequence[object]] | Mapping[str, Sequence[Sequence[object]]]) -> bytes:
    """An Excel workbook: one sheet with ``rows``, or one sheet per name of a dict."""
    from openpyxl import Workbook

    sheets = rows if isinstance(rows, Mapping) else {"Sheet1": rows}
    book = Workbook()
    for default in list(book.worksheets):  # the empty "Sheet" a new workbook starts with
        book.remove(default)
    for name, sheet_rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in sheet_rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    """A ZIP archive (deflated) holding ``entries``: for Office files that are not what they claim."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(width: int, height: int) -> bytes:
    """A real, decodable PNG (8-bit RGB, a colour gradient) of that size, encoded by hand."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "None" for each scanline
        for x in range(width):
            rows += bytes((x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), 128))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows)))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a baseline JPEG up to its frame header (SOF0): enough to read its size."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quant = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes(range(1, 65))
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + app0 + quant + sof0


def gif_header(width: int, height: int) -> bytes:
    """A GIF89a header and logical screen descriptor."""
    return b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0)


def webp_header(width: int, height: int, kind: str = "VP8X") -> bytes:
    """The start of a WebP file of that size: extended (VP8X), lossless (VP8L) or lossy (VP8 )."""
    if kind == "VP8X":
        chunk = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
        chunk += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    elif kind == "VP8L":
        bits = (width - 1) | ((height - 1) << 14)
        chunk = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", bits)
    else:
        frame = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
        chunk = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
