"""The kind of a file: its first bytes first, then its name; text told from binary junk."""

from __future__ import annotations

import pytest

from desktop_chat.core.attachments.sniff import DOCX, PDF, PPTX, XLSX, is_image, media_type_of
from tests.helpers.documents import (
    docx_bytes,
    gif_header,
    jpeg_header,
    pdf_bytes,
    png_bytes,
    pptx_bytes,
    webp_header,
    xlsx_bytes,
    zip_bytes,
)

HEAD = 8192


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("scan.pdf", pdf_bytes(["x"]), PDF),
        ("no-extension", pdf_bytes(["x"]), PDF),
        ("junk-first.pdf", b"\r\n%!junk before the header\n" + pdf_bytes(["x"]), PDF),
        ("a.png", png_bytes(2, 2), "image/png"),
        ("a.jpg", jpeg_header(10, 10), "image/jpeg"),
        ("a.gif", gif_header(10, 10), "image/gif"),
        ("a.webp", webp_header(10, 10), "image/webp"),
        ("photo.txt", png_bytes(2, 2), "image/png"),
        ("letter.zip", docx_bytes(["x"]), DOCX),
        ("deck", pptx_bytes(["x"]), PPTX),
        ("book.docx", xlsx_bytes([["x"]]), XLSX),
        ("archive.zip", zip_bytes({"notes/a.txt": b"x"}), "application/zip"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "application/x-ole-storage"),
        ("table.csv", b"a,b\n1,2\n", "text/csv"),
        ("table.TSV", b"a\tb\n", "text/tab-separated-values"),
        ("page.htm", b"<p>x</p>", "text/html"),
        ("saved-page", b"<!DOCTYPE html><html><body>x</body></html>", "text/html"),
        ("notes.md", b"# x", "text/markdown"),
        ("main.rs", b"fn main() {}", "text/x-rust"),
        ("config.yaml", b"a: 1", "application/yaml"),
        ("LICENSE", b"MIT License\n", "text/plain"),
        ("utf16.txt", "hé".encode("utf-16"), "text/plain"),
        ("noise.bin", bytes((i * 167 + 13) % 256 for i in range(4096)), "application/octet-stream"),
        ("noise.csv", bytes((i * 167 + 13) % 256 for i in range(4096)), "application/octet-stream"),
        ("renamed.pdf", b"plain words", PDF),  # the name is all there is: the PDF reader will say it is damaged
        ("photo.heic", b"\x00\x00\x00\x18ftypheic", "image/heic"),
        ("empty.txt", b"", "text/plain"),
        ("empty.bin", b"", "application/octet-stream"),
    ],
)
def test_media_type_of(name: str, data: bytes, expected: str) -> None:
    assert media_type_of(name, data[:HEAD]) == expected


def test_text_cut_inside_a_character_at_the_end_of_the_head_is_still_text() -> None:
    data = ("é" * 5000).encode()  # 2 bytes a character: 8192 bytes end on a whole one, 8191 do not

    assert media_type_of("a.txt", data[:8191]) == "text/plain"


def test_only_the_images_models_take_are_images() -> None:
    assert [is_image(t) for t in ("image/png", "image/jpeg", "image/gif", "image/webp")] == [True] * 4
    assert not is_image("image/bmp")
    assert not is_image("image/svg+xml")
    assert not is_image(PDF)
