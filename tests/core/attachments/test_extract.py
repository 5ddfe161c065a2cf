"""Reading each supported format: the text a model will get, where each part came from, and the media type."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from desktop_chat.core.attachments.extract import Extracted, extract
from desktop_chat.core.attachments.readers.office import MAX_ROWS_PER_SHEET
from desktop_chat.core.attachments.sniff import DOCX, PDF, PPTX, XLSX
from tests.helpers.documents import docx_bytes, encrypted_pdf_bytes, pdf_bytes, pptx_bytes, xlsx_bytes


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_pdf_gives_each_pages_text_after_its_marker_and_counts_pages(tmp_path: Path) -> None:
    path = _file(
        tmp_path, "report.pdf", pdf_bytes(["Quarterly report\nRevenue rose 12%.", "Costs (fixed) fell.", "Outlook"])
    )
    seen: list[tuple[int, int]] = []

    got = extract(path, progress=lambda done, total: seen.append((done, total)))

    assert got == Extracted(
        "[page 1]\nQuarterly report\nRevenue rose 12%.\n\n[page 2]\nCosts (fixed) fell.\n\n[page 3]\nOutlook",
        PDF,
        3,
        "page",
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_raising_from_progress_stops_the_reading_there(tmp_path: Path) -> None:
    # How a caller cancels: its progress callback raises; nothing is read after that page.
    path = _file(tmp_path, "long.pdf", pdf_bytes([f"Page {n}" for n in range(1, 51)]))
    seen: list[int] = []

    class Cancelled(Exception):
        pass

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 3:
            raise Cancelled

    with pytest.raises(Cancelled):
        extract(path, progress=progress)

    assert seen == [1, 2, 3]


def test_a_pdf_with_some_scanned_pages_keeps_the_text_and_marks_the_pages_without(tmp_path: Path) -> None:
    pages = [f"Text of page {n}." for n in range(1, 9)]
    pages[6] = ""  # page 7 is only a picture
    path = _file(tmp_path, "mixed.pdf", pdf_bytes(pages))

    got = extract(path)

    assert "[page 6]\nText of page 6.\n\n[page 7: no text layer]\n\n[page 8]\nText of page 8." in got.text
    assert got.units == 8


def test_a_pdf_page_that_cannot_be_read_is_marked_and_the_others_kept(tmp_path: Path) -> None:
    # Page 2's string is left open (same length, so the cross-reference table stays right).
    data = pdf_bytes(["page one", "page two", "page three"]).replace(b"(page two) Tj", b"(page two  Tj")
    path = _file(tmp_path, "broken-page.pdf", data)

    got = extract(path)

    assert got.text == "[page 1]\npage one\n\n[page 2: damaged, not read]\n\n[page 3]\npage three"


def test_a_pdf_page_whose_glyphs_map_to_no_characters_is_not_sent(tmp_path: Path) -> None:
    # Page 1's font points at an object that does not exist: pypdf gives U+FFFD for each glyph.
    data = pdf_bytes(["page one", "page two"]).replace(b"/F1 3 0 R", b"/F1 0 0 R", 1)
    path = _file(tmp_path, "no-unicode.pdf", data)

    got = extract(path)

    assert got.text == "[page 1: text layer not readable]\n\n[page 2]\npage two"


def test_an_encrypted_pdf_that_opens_without_a_password_is_read(tmp_path: Path) -> None:
    path = _file(tmp_path, "statement.pdf", encrypted_pdf_bytes("Balance: 1,024.00", ""))

    assert extract(path).text == "[page 1]\nBalance: 1,024.00"


def test_a_word_document_gives_paragraphs_and_tables_in_their_order(tmp_path: Path) -> None:
    data = docx_bytes(["Minutes", "Present: Ana, Bo"], table=[["Item", "Owner"], ["Budget", "Ana"]])
    path = _file(tmp_path, "minutes.docx", data)

    got = extract(path)

    assert got == Extracted("Minutes\n\nPresent: Ana, Bo\n\nItem | Owner\nBudget | Ana", DOCX, None, "")


def test_a_merged_table_cell_is_read_once(tmp_path: Path) -> None:
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("Before")
    table = document.add_table(rows=2, cols=3)
    merged = table.cell(0, 0).merge(table.cell(0, 2))
    merged.text = "Totals"
    for i, value in enumerate(("1", "2", "3")):
        table.cell(1, i).text = value
    out = io.BytesIO()
    document.save(out)

    got = extract(_file(tmp_path, "merged.docx", out.getvalue()))

    assert got.text == "Before\n\nTotals\n1 | 2 | 3"


def test_text_inside_a_content_control_is_read_in_its_place(tmp_path: Path) -> None:
    import io

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    document.add_paragraph("Before")
    document.add_paragraph("After")
    control = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtPr/><w:sdtContent>"
        "<w:p><w:r><w:t>Filled-in field</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    )
    document.element.body[0].addnext(control)  # after "Before", as a form template places it
    out = io.BytesIO()
    document.save(out)

    got = extract(_file(tmp_path, "form.docx", out.getvalue()))

    assert got.text == "Before\n\nFilled-in field\n\nAfter"


def test_a_presentation_gives_each_slides_text_and_notes_and_counts_slides(tmp_path: Path) -> None:
    data = pptx_bytes(["Plan\nShip in May", "Risks\nSupplier delay\nHiring"], notes=["Say the date twice", ""])
    path = _file(tmp_path, "plan.pptx", data)

    got = extract(path)

    assert got == Extracted(
        "[slide 1]\nPlan\nShip in May\nNotes: Say the date twice\n\n[slide 2]\nRisks\nSupplier delay\nHiring",
        PPTX,
        2,
        "slide",
    )


def test_a_workbook_gives_each_sheet_as_rows_with_its_header(tmp_path: Path) -> None:
    import datetime as dt

    data = xlsx_bytes(
        {
            "Sales": [["Region", "Units", "Since"], ["North, upper", 12, dt.date(2024, 3, 1)], ["South", 7.5, None]],
            "Notes": [[None], ["checked"]],
        }
    )
    path = _file(tmp_path, "sales.xlsx", data)

    got = extract(path)

    assert got == Extracted(
        '[sheet 1: Sales]\nRegion,Units,Since\n"North, upper",12,2024-03-01\nSouth,7.5\n\n[sheet 2: Notes]\nchecked',
        XLSX,
        2,
        "sheet",
    )


def test_a_long_sheet_is_cut_and_the_text_says_how_many_rows_were_left_out(tmp_path: Path) -> None:
    rows: list[list[object]] = [["n", "square"]]
    for n in range(1, MAX_ROWS_PER_SHEET + 3):
        rows.append([n, n * n])
    path = _file(tmp_path, "long.xlsx", xlsx_bytes(rows))

    text = extract(path).text

    lines = text.split("\n")
    assert lines[:3] == ["[sheet 1: Sheet1]", "n,square", "1,1"]
    assert lines[-2] == f"{MAX_ROWS_PER_SHEET - 1},{(MAX_ROWS_PER_SHEET - 1) ** 2}"  # the 5,000th row kept
    assert (
        lines[-1] == "[sheet 1: only the first 5,000 rows are here; rows 5,001 to 5,003 left out (5,003 rows in all)]"
    )


def test_csv_and_tsv_are_sent_as_they_are(tmp_path: Path) -> None:
    csv = _file(tmp_path, "people.csv", b'name,city\r\n"Ana, Jr.",Lisbon\r\n')
    tsv = _file(tmp_path, "people.tsv", b"name\tcity\nBo\tOslo\n")

    assert extract(csv) == Extracted('name,city\n"Ana, Jr.",Lisbon\n', "text/csv", None, "")
    assert extract(tsv) == Extracted("name\tcity\nBo\tOslo\n", "text/tab-separated-values", None, "")


def test_a_web_page_gives_its_visible_text_without_scripts_or_styles(tmp_path: Path) -> None:
    page = b"""<!DOCTYPE html><html><head><title>Release notes</title>
    <style>body { color: red }</style><script>var secret = "not text";</script></head>
    <body><h1>Version 2</h1><p>Faster   <b>search</b>&nbsp;and fixes &amp; more.</p>
    <noscript>Enable JavaScript</noscript><ul><li>One</li><li>Two</li></ul>
    <table><tr><th>Size</th><th>Time</th></tr><tr><td>10</td><td>2 s</td></tr></table>
    <script type="module">import("x")</script></body></html>"""
    path = _file(tmp_path, "notes.html", page)

    got = extract(path)

    assert got.media_type == "text/html"
    assert got.text == "Release notes\n\nVersion 2\nFaster search and fixes & more.\nOne\nTwo\nSize | Time\n10 | 2 s"


def test_a_web_page_is_decoded_by_the_charset_it_declares(tmp_path: Path) -> None:
    page = '<html><head><meta charset="windows-1251"></head><body><p>Привет, мир</p></body></html>'
    path = _file(tmp_path, "ru.html", page.encode("cp1251"))

    assert extract(path).text == "Привет, мир"


def test_markdown_and_source_code_are_sent_as_they_are_with_their_kind(tmp_path: Path) -> None:
    markdown = "# Title\n\n- item *one*\n"
    code = "def add(a, b):\n    return a + b  # café\n"

    assert extract(_file(tmp_path, "README.md", markdown.encode())) == Extracted(markdown, "text/markdown", None, "")
    assert extract(_file(tmp_path, "add.py", code.encode())) == Extracted(code, "text/x-python", None, "")
    assert extract(_file(tmp_path, "Makefile", b"all:\n\tcc main.c\n")).media_type == "text/plain"


def test_text_is_decoded_from_utf16_and_utf8_with_a_bom_and_from_windows_1252(tmp_path: Path) -> None:
    text = "Grüße, naïve café — ok\n"

    assert extract(_file(tmp_path, "a.txt", text.encode("utf-16"))).text == text
    assert extract(_file(tmp_path, "b.txt", text.encode("utf-8-sig"))).text == text
    assert extract(_file(tmp_path, "c.txt", text.encode("cp1252"))).text == text


def test_the_content_decides_the_kind_not_a_wrong_extension(tmp_path: Path) -> None:
    renamed = _file(tmp_path, "download.bin", docx_bytes(["Signed contract"]))
    pdf_named_txt = _file(tmp_path, "paper.txt", pdf_bytes(["Abstract"]))

    assert extract(renamed) == Extracted("Signed contract", DOCX, None, "")
    assert extract(pdf_named_txt).media_type == PDF


def test_the_given_name_decides_the_kind_of_a_stored_file_without_one(tmp_path: Path) -> None:
    stored = _file(tmp_path, "9b1c", b"# Notes\n")

    assert extract(stored, "notes.md").media_type == "text/markdown"


def test_files_read_in_parallel_threads_give_what_they_give_alone(tmp_path: Path) -> None:
    paths = [
        _file(tmp_path, f"doc{n}.pdf", pdf_bytes([f"Document {n} page {p}" for p in range(1, 6)])) for n in range(6)
    ]
    paths.append(_file(tmp_path, "deck.pptx", pptx_bytes(["A\nB"])))
    paths.append(_file(tmp_path, "book.xlsx", xlsx_bytes([["h"], ["v"]])))
    alone = [extract(path) for path in paths]

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(extract, paths))

    assert together == alone


def test_importing_the_core_and_the_readers_loads_no_document_library() -> None:
    # The window's start-up must not pay for pypdf, lxml, Pillow or openpyxl: they load on first use.
    script = (
        "import sys\n"
        "import desktop_chat.core.workspace\n"
        "import desktop_chat.core.attachments.extract, desktop_chat.core.attachments.images\n"
        "print(sorted(m for m in ('pypdf', 'docx', 'pptx', 'openpyxl', 'lxml', 'PIL') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)

    assert done.stdout.strip() == "[]"
