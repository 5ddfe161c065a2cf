"""Word and PowerPoint text with the standard library: ``zipfile`` and ``xml.etree``, no lxml.

python-docx and python-pptx read these files well but bring lxml (9.8 MB) and, for python-pptx,
Pillow (15.4 MB) into the bundle, for the few XML elements that carry text. An OOXML file is a
ZIP of XML parts linked by relationship files (``_rels/*.rels``); the main part is found through
the package's relationships as those libraries do, not by a fixed name.

Safety: the caller has already refused a ZIP whose entries add up to too much (``office._check_zip``),
and ``zipfile`` never unpacks an entry past its declared size. Each part is then parsed only if
it declares no DTD: the Open Packaging Conventions (ECMA-376 Part 2) forbid DTDs in a package's
XML, and every entity trick (a "billion laughs" expansion, an external entity) needs one. A
part with a ``<!DOCTYPE`` is refused as damaged before ElementTree builds anything from it.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator
from pyexpat import ExpatError, ParserCreate

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_SLIDE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide"
_NOTES_SLIDE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/notesSlide"


class DamagedPackage(Exception):
    """The file is not a well-formed package of its kind (a part missing, not XML, or with a DTD)."""


# What reading a broken package raises, from zipfile, zlib and the XML parser: all "damaged" to the user.
READ_ERRORS = (DamagedPackage, KeyError, ValueError, zipfile.BadZipFile, zlib.error, EOFError, SyntaxError, OSError)


class _Doctype(Exception):
    pass


class _Started(Exception):
    pass


def _refuse_doctype(*_: object) -> None:
    raise _Doctype


def _stop_at_root(*_: object) -> None:
    raise _Started


def _declares_dtd(data: bytes) -> bool:
    """Whether the XML's prolog declares a DTD. expat reads only up to the root element's start
    (a DOCTYPE can come nowhere later), in whatever encoding the part declares."""
    parser = ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.StartElementHandler = _stop_at_root
    try:
        parser.Parse(data, True)
    except _Doctype:
        return True
    except (_Started, ExpatError):
        return False  # a syntax error before the root is ElementTree's to report next
    return False


def _part(archive: zipfile.ZipFile, name: str) -> ET.Element:
    data = archive.read(name)
    if _declares_dtd(data):
        raise DamagedPackage(f"{name} declares a DTD")
    # Safe without defusedxml: no DTD (checked above) means no entity to expand or fetch. (expat
    # >= 2.4 also refuses a billion laughs by itself, but a package needs no entity at all.)
    return ET.fromstring(data)  # noqa: S314


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """``{id: (type, target part)}`` of a part's internal relationships; none if it has no .rels."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    try:
        tree = _part(archive, rels)
    except KeyError:  # no such entry: a part without relationships
        return {}
    found = {}
    for rel in tree.iter(f"{RELS}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not target:
            continue
        # A target is relative to the part's folder, or absolute from the package's root.
        path = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return found


def _main_part(archive: zipfile.ZipFile) -> str:
    for kind, target in _relationships(archive, "").values():
        if kind == _OFFICE_DOCUMENT:
            return target
    raise DamagedPackage("no main document")


# --- Word ------------------------------------------------------------------------------------

# Elements that wrap blocks, rows, cells or runs without being text themselves: content controls,
# custom XML, tracked insertions and moves, smart tags, simple fields. Their content is read in place.
_WRAPPERS = {f"{W}{tag}" for tag in ("sdt", "sdtContent", "customXml", "ins", "moveTo", "smartTag", "fldSimple")}
_RUN_TEXT = {f"{W}t": None, f"{W}tab": "\t", f"{W}ptab": "\t", f"{W}cr": "\n", f"{W}noBreakHyphen": "-"}


def docx_blocks(archive: zipfile.ZipFile) -> list[str]:
    """The text of each non-empty paragraph and table of the document's body, in order."""
    body = _part(archive, _main_part(archive)).find(f"{W}body")
    if body is None:
        raise DamagedPackage("no document body")
    return [text for text in _blocks(body) if text]


def _unwrapped(parent: ET.Element, tag: str) -> Iterator[ET.Element]:
    """``parent``'s children called ``tag``, also those inside wrappers (a content control...)."""
    for child in parent:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _unwrapped(child, tag)


def _blocks(container: ET.Element) -> Iterator[str]:
    for child in container:
        if child.tag == f"{W}p":
            yield _paragraph(child).strip()
        elif child.tag == f"{W}tbl":
            yield _table(child)
        elif child.tag in _WRAPPERS:
            yield from _blocks(child)


def _paragraph(paragraph: ET.Element) -> str:
    """A paragraph's runs, also inside hyperlinks and wrappers; not drawings or text boxes (their
    text would come twice: Word writes a text box both as DrawingML and as a VML fallback)."""
    parts: list[str] = []
    for child in paragraph:
        if child.tag == f"{W}r":
            parts.append(_run(child))
        elif child.tag == f"{W}hyperlink" or child.tag in _WRAPPERS:
            parts.append(_paragraph(child))
    return "".join(parts)


def _run(run: ET.Element) -> str:
    parts = []
    for child in run:
        if child.tag in _RUN_TEXT:
            replacement = _RUN_TEXT[child.tag]
            parts.append(child.text or "" if replacement is None else replacement)
        elif child.tag == f"{W}br":
            # A line break is a new line; a page or column break is no text (as python-docx reads them).
            parts.append("\n" if child.get(f"{W}type", "textWrapping") == "textWrapping" else "")
    return "".join(parts)


def _table(table: ET.Element) -> str:
    """One line a row, ``cell | cell``; a merged cell once (a vertically merged one in its first row)."""
    lines = []
    for row in _unwrapped(table, f"{W}tr"):
        cells = []
        for cell in _unwrapped(row, f"{W}tc"):
            merge = cell.find(f"{W}tcPr/{W}vMerge")
            continued = merge is not None and merge.get(f"{W}val", "continue") == "continue"
            cells.append("" if continued else " ".join(" ".join(_blocks(cell)).split()))
        if any(cells):
            lines.append(" | ".join(cells))
    return "\n".join(lines)


# --- PowerPoint ------------------------------------------------------------------------------


def pptx_slides(archive: zipfile.ZipFile) -> list[list[str]]:
    """Each slide's lines in the order of its shapes (groups and tables inside), then "Notes: ..."."""
    main = _main_part(archive)
    presentation = _part(archive, main)
    relationships = _relationships(archive, main)
    slides = []
    for slide_id in presentation.iterfind(f"{P}sldIdLst/{P}sldId"):
        kind, path = relationships[slide_id.get(f"{R}id", "")]
        if kind != _SLIDE:
            raise DamagedPackage(f"{path} is not a slide")
        tree = _part(archive, path).find(f"{P}cSld/{P}spTree")
        lines = list(_shape_texts(tree)) if tree is not None else []
        notes = _notes(archive, path)
        if notes:
            lines.append(f"Notes: {notes}")
        slides.append(lines)
    return slides


def _shape_texts(tree: ET.Element) -> Iterator[str]:
    for shape in tree:
        if shape.tag == f"{P}grpSp":
            yield from _shape_texts(shape)
        elif shape.tag == f"{P}sp":
            body = shape.find(f"{P}txBody")
            text = _text_body(body).strip() if body is not None else ""
            if text:
                yield text
        elif shape.tag == f"{P}graphicFrame":
            for table in shape.iterfind(f"{A}graphic/{A}graphicData/{A}tbl"):
                yield from _slide_table(table)


def _slide_table(table: ET.Element) -> Iterator[str]:
    for row in table.iterfind(f"{A}tr"):
        # A merged cell's other grid cells are written with hMerge/vMerge and no text of their own.
        cells = [
            " ".join(_text_body(cell.find(f"{A}txBody")).split())
            for cell in row.iterfind(f"{A}tc")
            if cell.get("hMerge") not in {"1", "true"} and cell.get("vMerge") not in {"1", "true"}
        ]
        if any(cells):
            yield " | ".join(cells)


def _text_body(body: ET.Element | None) -> str:
    """Paragraphs on lines of their own; a line break inside one is a new line too."""
    if body is None:
        return ""
    paragraphs = []
    for paragraph in body.iterfind(f"{A}p"):
        parts = []
        for child in paragraph:
            if child.tag in {f"{A}r", f"{A}fld"}:
                parts.append(child.findtext(f"{A}t") or "")
            elif child.tag == f"{A}br":
                parts.append("\n")
        paragraphs.append("".join(parts))
    return "\n".join(paragraphs)


def _notes(archive: zipfile.ZipFile, slide: str) -> str:
    """The text of the notes page's body placeholder (not its slide image or page number)."""
    for kind, path in _relationships(archive, slide).values():
        if kind != _NOTES_SLIDE:
            continue
        tree = _part(archive, path).find(f"{P}cSld/{P}spTree")
        for shape in tree.iter(f"{P}sp") if tree is not None else ():
            placeholder = shape.find(f"{P}nvSpPr/{P}nvPr/{P}ph")
            if placeholder is not None and placeholder.get("type") == "body":
                return _text_body(shape.find(f"{P}txBody")).strip()
    return ""
