"""Word and PowerPoint files read with the standard library: the parts python-docx and python-pptx
write (they build the inputs here, as Word and PowerPoint would), and the XML no package may hold."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_chat.core.attachments.extract import UnreadableAttachment, extract
from tests.helpers.documents import docx_bytes, pptx_bytes


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _rewrite(data: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The same package with one part changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            target.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


def _with_doctype(declarations: str, reference: bytes) -> Callable[[bytes], bytes]:
    """Put a DOCTYPE with ``declarations`` after the XML declaration, and replace the first text
    "Hello" with ``reference`` (an entity reference)."""

    def change(xml: bytes) -> bytes:
        declaration_end = xml.index(b"?>") + 2
        root = xml[declaration_end:].lstrip()
        root_name = root[1 : root.index(b" ")]
        doctype = b"<!DOCTYPE " + root_name + b" [" + declarations.encode() + b"]>"
        return xml[:declaration_end] + doctype + root.replace(b"Hello", reference, 1)

    return change


BILLION_LAUGHS = '<!ENTITY lol "lol">' + "".join(
    f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">' for n in range(1, 10)
)


@pytest.mark.parametrize(
    "entity",
    [
        ('<!ENTITY who "World">', b"&who;"),  # harmless in itself: a package may hold no DTD at all
        (BILLION_LAUGHS, b"&lol9;"),  # 10^9 "lol"s from a few hundred bytes
        ('<!ENTITY secret SYSTEM "file:///etc/hostname">', b"&secret;"),
    ],
    ids=["internal-entity", "billion-laughs", "external-entity"],
)
@pytest.mark.parametrize(
    "package",
    [
        ("letter.docx", lambda: docx_bytes(["Hello"]), "word/document.xml", "a Word document"),
        ("deck.pptx", lambda: pptx_bytes(["Hello\nthere"]), "ppt/slides/slide1.xml", "a PowerPoint presentation"),
    ],
    ids=["docx", "pptx"],
)
def test_a_part_that_declares_a_dtd_is_refused_as_damaged(
    tmp_path: Path, entity: tuple[str, bytes], package: tuple[str, Callable[[], bytes], str, str]
) -> None:
    declarations, reference = entity
    name, build, part, kind = package
    data = _rewrite(build(), part, _with_doctype(declarations, reference))

    with pytest.raises(UnreadableAttachment) as caught:
        extract(_file(tmp_path, name, data))

    assert caught.value.reason == "damaged"
    assert str(caught.value).startswith(f"{name} is damaged and cannot be read as {kind}.")


def test_a_part_that_is_not_xml_is_damaged(tmp_path: Path) -> None:
    data = _rewrite(docx_bytes(["Hello"]), "word/document.xml", lambda xml: xml[: len(xml) // 2])

    with pytest.raises(UnreadableAttachment, match=r"^cut\.docx is damaged and cannot be read as a Word document"):
        extract(_file(tmp_path, "cut.docx", data))


def test_a_package_without_its_main_part_is_damaged(tmp_path: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(pptx_bytes(["Hello"]))) as source:
        kept = {
            info.filename: source.read(info) for info in source.infolist() if info.filename != "ppt/slides/slide1.xml"
        }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for part, content in kept.items():
            target.writestr(part, content)

    with pytest.raises(UnreadableAttachment) as caught:
        extract(_file(tmp_path, "missing.pptx", out.getvalue()))

    assert caught.value.reason == "damaged"


def test_a_vertically_merged_cell_is_read_in_its_first_row_only(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).merge(table.cell(2, 0)).text = "North"
    for row, value in enumerate(("Jan 4", "Feb 7", "Mar 2")):
        table.cell(row, 1).text = value
    out = io.BytesIO()
    document.save(out)

    got = extract(_file(tmp_path, "regions.docx", out.getvalue()))

    assert got.text == "North | Jan 4\n | Feb 7\n | Mar 2"


def test_word_line_breaks_tabs_and_hyperlinks_are_read_as_text(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    paragraph = document.add_paragraph("Name:")
    run = paragraph.add_run()
    run.add_tab()
    run.add_text("Ana")
    run.add_break()  # a line break inside the paragraph
    run.add_text("Role: lead")
    link = parse_xml(
        f'<w:hyperlink {nsdecls("w", "r")} r:id="rId99"><w:r><w:t xml:space="preserve"> (see wiki)</w:t></w:r>'
        "</w:hyperlink>"
    )
    paragraph._p.append(link)
    out = io.BytesIO()
    document.save(out)

    got = extract(_file(tmp_path, "card.docx", out.getvalue()))

    assert got.text == "Name:\tAna\nRole: lead (see wiki)"


def test_tracked_insertions_and_inline_content_controls_are_read_and_deletions_are_not(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    document = docx.Document()
    paragraph = document.add_paragraph("Pay ")
    w = nsdecls("w")
    for xml in (
        f'<w:del {w} w:id="1" w:author="Bo"><w:r><w:delText>90</w:delText></w:r></w:del>',
        f'<w:ins {w} w:id="2" w:author="Bo"><w:r><w:t>60</w:t></w:r></w:ins>',
        f'<w:r {w}><w:t xml:space="preserve"> days to </w:t></w:r>',
        f"<w:sdt {w}><w:sdtPr/><w:sdtContent><w:r><w:t>Acme Ltd</w:t></w:r></w:sdtContent></w:sdt>",
    ):
        paragraph._p.append(parse_xml(xml))
    out = io.BytesIO()
    document.save(out)

    assert extract(_file(tmp_path, "terms.docx", out.getvalue())).text == "Pay 60 days to Acme Ltd"


def test_a_slide_reads_groups_tables_and_line_breaks_in_shape_order(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    title = slide.shapes.add_textbox(Inches(1), Inches(0.5), Inches(6), Inches(1)).text_frame
    title.text = "Roadmap"
    title.paragraphs[0].add_line_break()
    title.paragraphs[0].add_run().text = "2025"
    group = slide.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(2), Inches(2), Inches(1)).text_frame.text = "Q1: hire"
    group.shapes.add_textbox(Inches(4), Inches(2), Inches(2), Inches(1)).text_frame.text = "Q2: ship"
    grid = slide.shapes.add_table(2, 3, Inches(1), Inches(4), Inches(6), Inches(1)).table
    grid.cell(0, 0).merge(grid.cell(0, 2))
    grid.cell(0, 0).text = "Budget"
    for column, value in enumerate(("10", "20", "30")):
        grid.cell(1, column).text = value
    out = io.BytesIO()
    deck.save(out)

    got = extract(_file(tmp_path, "roadmap.pptx", out.getvalue()))

    assert got.text == "[slide 1]\nRoadmap\n2025\nQ1: hire\nQ2: ship\nBudget\n10 | 20 | 30"
    assert got.units == 1


def test_a_slide_without_text_is_marked_and_counted(tmp_path: Path) -> None:
    data = pptx_bytes(["Intro\nWelcome", "\n", "End\nQuestions"], notes=["", "Only a picture here"])

    got = extract(_file(tmp_path, "talk.pptx", data))

    assert got.text == (
        "[slide 1]\nIntro\nWelcome\n\n[slide 2]\nNotes: Only a picture here\n\n[slide 3]\nEnd\nQuestions"
    )
    blank = extract(_file(tmp_path, "blank-middle.pptx", pptx_bytes(["A\nB", "\n", "C\nD"])))
    assert "[slide 2: no text]" in blank.text
    assert blank.units == 3


def test_reading_word_and_powerpoint_files_loads_no_document_library(tmp_path: Path) -> None:
    # python-docx and python-pptx only write the tests' inputs: the app reads these files with
    # the standard library, so the bundle needs neither them nor lxml and Pillow.
    docx = _file(tmp_path, "a.docx", docx_bytes(["Hello"], table=[["a", "b"]]))
    pptx = _file(tmp_path, "b.pptx", pptx_bytes(["Title\nBody"], notes=["Say it"]))
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from desktop_chat.core.attachments.extract import extract\n"
        f"print(extract(Path({str(docx)!r})).text.replace(chr(10), ' '))\n"
        f"print(extract(Path({str(pptx)!r})).text.replace(chr(10), ' '))\n"
        "print(sorted(m for m in ('docx', 'pptx', 'lxml', 'PIL', 'xlsxwriter', 'openpyxl') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)

    assert done.stdout.splitlines() == ["Hello  a | b", "[slide 1] Title Body Notes: Say it", "[]"]


WORDS = ["alpha", "beta", "gamma", "delta", "épsilon", "zeta", "ηta", "theta", "iota", "kappa", "lambda", "日本", "mu"]


def _docx_read_by_python_docx(data: bytes) -> str:
    """What python-docx reads in the body: paragraphs' text, tables' rows (a merged cell once)."""
    import docx
    from docx.table import Table

    blocks = []
    for item in docx.Document(io.BytesIO(data)).iter_inner_content():
        if isinstance(item, Table):
            rows = []
            for row in item.rows:
                cells = [" ".join(cell.text.split()) for cell in row.cells]
                if any(cells):
                    rows.append(" | ".join(cells))
            blocks.append("\n".join(rows))
        else:
            blocks.append(item.text.strip())
    return "\n\n".join(block for block in blocks if block)


def _pptx_read_by_python_pptx(data: bytes) -> list[str]:
    from pptx import Presentation

    slides = []
    for slide in Presentation(io.BytesIO(data)).slides:
        lines = [shape.text_frame.text.strip() for shape in slide.shapes if shape.has_text_frame]
        for shape in slide.shapes:
            if shape.has_table:
                lines += [" | ".join(cell.text for cell in row.cells) for row in shape.table.rows]
        notes = slide.notes_slide.notes_text_frame.text.strip() if slide.has_notes_slide else ""
        slides.append("\n".join([line for line in lines if line] + ([f"Notes: {notes}"] if notes else [])))
    return slides


@pytest.mark.parametrize("seed", range(8))
def test_word_files_give_what_python_docx_reads_in_them(tmp_path: Path, seed: int) -> None:
    import random

    import docx

    rng = random.Random(seed)

    def words() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))

    document = docx.Document()
    for _ in range(rng.randint(2, 8)):
        if rng.random() < 0.6:
            paragraph = document.add_paragraph(words(), style=rng.choice(["Normal", "List Bullet", "Title"]))
            paragraph.add_run(" " + words()).bold = True
        else:
            rows, columns = rng.randint(1, 4), rng.randint(1, 4)
            table = document.add_table(rows=rows, cols=columns)
            for row in range(rows):
                for column in range(columns):
                    if rng.random() < 0.8:
                        table.cell(row, column).text = words()
    out = io.BytesIO()
    document.save(out)

    assert extract(_file(tmp_path, "random.docx", out.getvalue())).text == _docx_read_by_python_docx(out.getvalue())


@pytest.mark.parametrize("seed", range(8))
def test_powerpoint_files_give_what_python_pptx_reads_in_them(tmp_path: Path, seed: int) -> None:
    import random

    from pptx import Presentation
    from pptx.util import Inches

    rng = random.Random(seed)

    def words() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 8)))

    deck = Presentation()
    for _ in range(rng.randint(1, 4)):
        slide = deck.slides.add_slide(deck.slide_layouts[rng.choice([0, 1, 5])])
        for placeholder in slide.placeholders:
            placeholder.text_frame.text = words()
            placeholder.text_frame.add_paragraph().text = words()
        if rng.random() < 0.5:
            slide.shapes.add_textbox(Inches(1), Inches(1), Inches(2), Inches(1)).text_frame.text = words()
        if rng.random() < 0.5:
            table = slide.shapes.add_table(2, 2, Inches(1), Inches(3), Inches(4), Inches(1)).table
            for row in range(2):
                for column in range(2):
                    table.cell(row, column).text = words()
        if rng.random() < 0.5:
            slide.notes_slide.notes_text_frame.text = words()
    out = io.BytesIO()
    deck.save(out)

    got = extract(_file(tmp_path, "random.pptx", out.getvalue()))

    expected = [f"[slide {n}]\n{text}" for n, text in enumerate(_pptx_read_by_python_pptx(out.getvalue()), start=1)]
    assert got.text == "\n\n".join(expected)
