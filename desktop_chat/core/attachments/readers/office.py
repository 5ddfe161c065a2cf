"""Office files: DOCX (python-docx), PPTX (python-pptx), XLSX (openpyxl); all MIT, read with lxml or the stdlib.

Each library is imported inside its reader: python-pptx alone takes ~0.1 s to import (it loads
lxml and Pillow), and the window must not pay that at start-up. The three formats are ZIP files;
before a library opens one, its entries' unpacked sizes are added up so a ZIP bomb (a few KB that
unpack to gigabytes) is refused instead of filling memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_chat.core.attachments import types

if TYPE_CHECKING:
    from docx.table import Table
    from pptx.shapes.base import BaseShape

# Far beyond any real document's unpacked XML (a 500-page report is ~20 MB), far below harm.
MAX_UNPACKED_BYTES = 1_000_000_000
# Rows of one sheet put in the text. A sheet is sent whole or in excerpts like any document, but
# a 1,000,000-row export would take minutes to read and hundreds of MB as text: the first rows
# (the header and plenty of data) say what the sheet holds; the text says what was left out.
MAX_ROWS_PER_SHEET = 5_000

WORD = "a Word document"
POWERPOINT = "a PowerPoint presentation"
EXCEL = "an Excel workbook"


def _check_zip(path: Path, name: str, kind: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise types.damaged(name, kind) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise types.damaged(name, kind)


# --- DOCX ------------------------------------------------------------------------------------


def read_docx(path: Path, name: str) -> str:
    """Paragraphs and tables in document order, also inside content controls; a table's rows as
    "cell | cell" lines. (Headers, footers, footnotes and text boxes are not read.)"""
    _check_zip(path, name, WORD)
    import docx

    try:
        document = docx.Document(str(path))
        blocks = list(_docx_blocks(document.element.body, document))
    except Exception as error:
        # python-docx fails on a damaged file with whatever its layers raise (KeyError for a
        # missing part, lxml's XMLSyntaxError, ValueError...): to the user, one damaged file.
        raise types.damaged(name, WORD) from error
    if not blocks:
        raise types.no_text(name, WORD)
    return "\n\n".join(blocks)


def _docx_blocks(container: Any, parent: Any) -> Iterator[str]:
    """The text of each paragraph and table under ``container``, in order.

    python-docx's own ``iter_inner_content`` sees only the body's direct paragraphs and tables;
    templates and forms often wrap their content in content controls (``w:sdt``), whose text
    would be lost, so the walk goes into them.
    """
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for element in container.iterchildren():
        if element.tag == qn("w:p"):
            text = Paragraph(element, parent).text.strip()
            if text:
                yield text
        elif element.tag == qn("w:tbl"):
            rows = _docx_table(Table(element, parent))
            if rows:
                yield rows
        elif element.tag == qn("w:sdt"):
            for content in element.iterchildren(qn("w:sdtContent")):
                yield from _docx_blocks(content, parent)


def _docx_table(table: Table) -> str:
    lines = []
    for row in table.rows:
        cells, previous = [], None
        for cell in row.cells:
            # A merged cell is returned once per grid column it spans: keep it once.
            if cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)


# --- PPTX ------------------------------------------------------------------------------------


def read_pptx(path: Path, name: str) -> tuple[str, int]:
    """Each slide's text after a "[slide N]" line, its speaker notes after "Notes:"; and the slide count."""
    _check_zip(path, name, POWERPOINT)
    from pptx import Presentation

    try:
        deck = Presentation(str(path))
        parts: list[str] = []
        total = 0
        with_text = 0
        for number, slide in enumerate(deck.slides, start=1):
            total = number
            lines = [text for shape in slide.shapes for text in _shape_texts(shape)]
            if slide.has_notes_slide:
                frame = slide.notes_slide.notes_text_frame
                notes = frame.text.strip() if frame is not None else ""
                if notes:
                    lines.append(f"Notes: {notes}")
            if lines:
                with_text += 1
                parts.append(f"[slide {number}]\n" + "\n".join(lines))
            else:
                parts.append(f"[slide {number}: no text]")
    except Exception as error:
        # As for DOCX: python-pptx's failures on a damaged file are of many kinds, one to the user.
        raise types.damaged(name, POWERPOINT) from error
    if with_text == 0:
        raise types.no_text(name, POWERPOINT)
    return "\n\n".join(parts), total


def _shape_texts(shape: BaseShape) -> Iterator[str]:
    """Text of a shape, of a table's cells, and of the shapes inside a group, in their order."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        for inner in shape.shapes:  # type: ignore[attr-defined]
            yield from _shape_texts(inner)
        return
    if shape.has_text_frame:
        text: str = shape.text_frame.text.strip()  # type: ignore[attr-defined]
        if text:
            yield text
    if getattr(shape, "has_table", False):
        for row in shape.table.rows:  # type: ignore[attr-defined]
            cells = [" ".join(cell.text.split()) for cell in row.cells]
            if any(cells):
                yield " | ".join(cells)


# --- XLSX ------------------------------------------------------------------------------------


def read_xlsx(path: Path, name: str) -> tuple[str, int]:
    """Each sheet after a "[sheet N: Name]" line, its rows as CSV (header kept, empty rows skipped).

    Values as last saved by Excel (``data_only``: a formula's result, not the formula). At most
    ``MAX_ROWS_PER_SHEET`` rows a sheet; a line says how many were left out.
    """
    _check_zip(path, name, EXCEL)
    from openpyxl import load_workbook

    try:
        # read_only streams rows instead of building every cell: memory stays flat on big sheets.
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise types.damaged(name, EXCEL) from error
    try:
        parts: list[str] = []
        with_rows = 0
        sheets = book.worksheets
        for number, sheet in enumerate(sheets, start=1):
            body, kept, more = _sheet_rows(sheet.iter_rows(values_only=True))
            heading = f"[sheet {number}: {sheet.title}]"
            if not kept:
                parts.append(f"{heading}\n(empty)")
                continue
            with_rows += 1
            if more:
                total_rows = sheet.max_row
                left = (
                    f"rows {MAX_ROWS_PER_SHEET + 1:,} to {total_rows:,} left out ({total_rows:,} rows in all)"
                    if isinstance(total_rows, int) and total_rows > MAX_ROWS_PER_SHEET
                    else "the rows after this one left out"
                )
                body += f"[sheet {number}: only the first {MAX_ROWS_PER_SHEET:,} rows are here; {left}]\n"
            parts.append(f"{heading}\n{body.rstrip()}")
    except Exception as error:
        raise types.damaged(name, EXCEL) from error
    finally:
        book.close()  # read_only keeps the file open until closed
    if with_rows == 0:
        raise types.no_text(name, EXCEL)
    return "\n\n".join(parts), len(sheets)


def _sheet_rows(rows: Iterator[tuple[Any, ...]]) -> tuple[str, int, bool]:
    """The first rows as CSV text, how many were kept, and whether more rows with values follow."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    kept = 0
    for row in rows:
        values = [_cell(value) for value in row]
        while values and not values[-1]:
            values.pop()
        if not values:
            continue
        if kept == MAX_ROWS_PER_SHEET:
            return out.getvalue(), kept, True
        writer.writerow(values)
        kept += 1
    return out.getvalue(), kept, False


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
