"""Every file that gives no text fails with its own one line: what happened, the file's name, what to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from desktop_chat.core.attachments.extract import UnreadableAttachment, extract
from desktop_chat.core.attachments.readers import office
from desktop_chat.core.errors import DesktopChatError
from tests.helpers.documents import (
    docx_bytes,
    encrypted_pdf_bytes,
    pdf_bytes,
    png_bytes,
    pptx_bytes,
    scanned_pdf_bytes,
    xlsx_bytes,
    zip_bytes,
)

# file name, its bytes, the reason, words the line must hold (what happened; what to do)
CASES: list[tuple[str, Callable[[], bytes], str, tuple[str, ...]]] = [
    (
        "scan.pdf",
        lambda: scanned_pdf_bytes(3),
        "scanned",
        ("scanned PDF: no text to send", "Attach its pages as images"),
    ),
    ("locked.pdf", lambda: encrypted_pdf_bytes("secret", "hunter2"), "encrypted", ("password", "Save a copy")),
    (
        "cut.pdf",
        lambda: pdf_bytes(["The quarterly figures.", "Revenue rose."])[:300],
        "damaged",
        ("damaged", "as a PDF", "save it again"),
    ),
    ("all-pages-broken.pdf", lambda: pdf_bytes(["one"]).replace(b"(one) Tj", b"(one  Tj"), "damaged", ("as a PDF",)),
    ("not-really.pdf", lambda: b"this was never a PDF, only a renamed note\n" * 5, "damaged", ("as a PDF",)),
    ("empty.txt", lambda: b"", "empty", ("empty", "Attach the file with its content")),
    ("empty.pdf", lambda: b"", "empty", ("empty",)),
    (
        "noise.bin",
        lambda: bytes((i * 167 + 13) % 256 for i in range(4096)),
        "unknown",
        ("not a kind of file", "Attach a PDF"),
    ),
    ("noise.txt", lambda: bytes((i * 167 + 13) % 256 for i in range(4096)), "unknown", ("not a kind of file",)),
    ("archive.zip", lambda: zip_bytes({"a.txt": b"hello"}), "unknown", ("not a kind of file",)),
    (
        "old.doc",
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        "unknown",
        ("old Office format", "Save it as .docx"),
    ),
    ("locked.docx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "encrypted", ("password",)),
    ("broken.docx", lambda: docx_bytes(["Hello"])[:3000], "damaged", ("as a Word document",)),
    (
        "broken.xlsx",
        lambda: zip_bytes({"[Content_Types].xml": b"<nope", "xl/workbook.xml": b"<"}),
        "damaged",
        ("as an Excel workbook",),
    ),
    (
        "blank.docx",
        lambda: docx_bytes(["", "   "]),
        "no_text",
        ("a Word document with no text", "Attach a file that has text"),
    ),
    ("blank.pptx", lambda: pptx_bytes(["\n"]), "no_text", ("a PowerPoint presentation with no text",)),
    ("blank.xlsx", lambda: xlsx_bytes([[None, None]]), "no_text", ("an Excel workbook with no text",)),
    ("blank.html", lambda: b"<html><script>only()</script><style>p{}</style></html>", "no_text", ("a web page",)),
    ("spaces.md", lambda: b"  \n\n\t\n", "no_text", ("a text file with no text",)),
    ("photo.png", lambda: png_bytes(8, 8), "image", ("is an image", "Send it as an image")),
    ("photo.bmp", lambda: b"BM" + bytes(60), "image", ("an image in BMP format", "Convert it to PNG or JPEG")),
]


@pytest.mark.parametrize(("name", "build", "reason", "words"), CASES, ids=[case[0] for case in CASES])
def test_an_unreadable_file_gives_one_line_naming_it_and_saying_what_to_do(
    tmp_path: Path, name: str, build: Callable[[], bytes], reason: str, words: tuple[str, ...]
) -> None:
    path = tmp_path / name
    path.write_bytes(build())

    with pytest.raises(UnreadableAttachment) as caught:
        extract(path)

    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(name)
    for word in words:
        assert word in line
    assert caught.value.reason == reason
    assert caught.value.name == name
    assert isinstance(caught.value, DesktopChatError)


def test_the_line_names_the_file_as_the_user_knows_it_not_its_stored_path(tmp_path: Path) -> None:
    stored = tmp_path / "3f2a9c0e"  # content-addressed storage keeps no name
    stored.write_bytes(scanned_pdf_bytes(1))

    with pytest.raises(UnreadableAttachment, match=r"^Contract 2024\.pdf is a scanned PDF"):
        extract(stored, "Contract 2024.pdf")


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 600_000)  # 3.0 MB

    with pytest.raises(UnreadableAttachment) as caught:
        extract(path, max_bytes=2_000_000)

    assert str(caught.value) == (
        "big.txt is 3.0 MB, over the 2.0 MB limit for an attachment. "
        "Attach a smaller file, or raise the attachment size limit."
    )
    assert caught.value.reason == "too_large"
    assert extract(path, max_bytes=3_000_000).text.startswith("word word")


def test_a_zip_bomb_dressed_as_a_word_document_is_refused_unopened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The limit is lowered so the test needs no gigabyte: the check is the same sum of entry sizes.
    monkeypatch.setattr(office, "MAX_UNPACKED_BYTES", 1_000_000)
    path = tmp_path / "bomb.docx"
    path.write_bytes(zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<" + b"a" * 2_000_000}))

    with pytest.raises(UnreadableAttachment, match=r"^bomb\.docx is damaged") as caught:
        extract(path)

    assert caught.value.reason == "damaged"
