"""An image's size from its header, and its tokens by OpenAI's tile rule (checked on the guide's examples)."""

from __future__ import annotations

import pytest

from desktop_chat.core.attachments.images import image_size, openai_image_tokens
from desktop_chat.core.attachments.types import UnreadableAttachment
from tests.helpers.documents import gif_header, jpeg_header, png_bytes, webp_header


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png_bytes(37, 11), (37, 11)),
        (jpeg_header(4032, 3024), (4032, 3024)),
        (b"\xff\xd8\xff\xff" + jpeg_header(640, 480)[2:], (640, 480)),  # a fill byte before a marker
        (gif_header(320, 200), (320, 200)),
        (webp_header(1920, 1080, "VP8X"), (1920, 1080)),
        (webp_header(16383, 1, "VP8L"), (16383, 1)),
        (webp_header(800, 600, "VP8 "), (800, 600)),
    ],
    ids=["png", "jpeg", "jpeg-fill", "gif", "webp-extended", "webp-lossless", "webp-lossy"],
)
def test_image_size_reads_the_header(data: bytes, size: tuple[int, int]) -> None:
    assert image_size(data) == size


def test_the_png_helper_writes_an_image_a_decoder_reads() -> None:
    # png_bytes is used by others' tests as a real picture: check it against a real decoder.
    import io

    from PIL import Image

    with Image.open(io.BytesIO(png_bytes(5, 3))) as picture:
        picture.load()
        assert picture.size == (5, 3)
        assert picture.getpixel((4, 2)) == (255, 255, 128)


@pytest.mark.parametrize(
    "data",
    [
        png_bytes(4, 4)[:20],  # cut inside IHDR
        b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIEND" + bytes(13),  # IHDR missing
        jpeg_header(10, 10)[:30],  # cut before the frame header
        b"\xff\xd8\xff\xda\x00\x08" + bytes(20),  # the scan starts with no frame header
        gif_header(0, 10),  # a zero width
        b"RIFF\x00\x00\x00\x00WEBPVP8Z" + bytes(20),  # an unknown WebP chunk
        b"BM" + bytes(60),  # a BMP: not a format sent to models
        b"",
    ],
    ids=["png-cut", "png-no-ihdr", "jpeg-cut", "jpeg-no-frame", "gif-zero", "webp-unknown", "bmp", "empty"],
)
def test_a_damaged_header_gives_one_line_naming_the_image(data: bytes) -> None:
    with pytest.raises(UnreadableAttachment) as caught:
        image_size(data, name="holiday.png")

    line = str(caught.value)
    assert line == (
        "holiday.png has a damaged image header: its size cannot be read. "
        "Open it in an image program, save it again as PNG or JPEG and attach the copy."
    )
    assert caught.value.reason == "damaged"


@pytest.mark.parametrize(
    ("width", "height", "detail", "tokens"),
    [
        # OpenAI's worked examples ("Images and vision", Calculating costs):
        (1024, 1024, "high", 765),  # no fit needed; 768 x 768; 4 tiles
        (2048, 4096, "high", 1105),  # fit to 1024 x 2048; 768 x 1536; 6 tiles
        (4096, 8192, "low", 85),  # low is 85 whatever the size
        # The rule's edges:
        (1024, 1024, "auto", 765),  # auto counts as high
        (512, 512, "high", 255),  # one tile, never scaled up
        (100, 30, "high", 255),
        (513, 513, "high", 765),  # one pixel over a tile: 2 x 2 tiles
        (1000, 500, "high", 425),  # shortest side under 768: kept, 2 x 1 tiles
        (769, 769, "high", 765),  # scaled down to 768 x 768
        (4000, 3000, "high", 765),  # 2048 x 1536, then 1024 x 768: 2 x 2 tiles
        (1920, 1080, "high", 1105),  # 1365 x 768: 3 x 2 tiles
        (10000, 100, "high", 765),  # 2048 x 20.48: a strip of 4 tiles
        (100000, 1, "high", 765),  # 2048 x 0.02: still one row of tiles, not none
    ],
)
def test_openai_image_tokens(width: int, height: int, detail: str, tokens: int) -> None:
    assert openai_image_tokens(width, height, detail) == tokens  # type: ignore[arg-type]


def test_an_image_without_pixels_has_no_token_count() -> None:
    with pytest.raises(ValueError, match="positive size"):
        openai_image_tokens(0, 10)
