"""What reading a file gives (``Extracted``) and the one error it raises (``UnreadableAttachment``).

Every way a file can fail has its own line here, so the window, the command line and the plan
say the same thing for the same file: what happened, naming the file, then what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from desktop_chat.core.errors import DesktopChatError

Reason = Literal[
    "scanned", "encrypted", "damaged", "empty", "no_text", "unknown", "too_large", "image", "missing", "unopenable"
]


@dataclass(frozen=True, slots=True)
class Extracted:
    """A document's text, ready to send or to cut into excerpts.

    ``text`` is never empty. Paged formats mark where each unit starts with a line of its own
    ("[page 3]", "[slide 2]", "[sheet 1: Sales]") so an excerpt can say where it comes from.
    ``units`` counts pages (PDF), slides (PPTX) or sheets (XLSX); None for flat text.
    """

    text: str
    media_type: str
    units: int | None
    unit_name: str  # "page" | "slide" | "sheet" | ""


class UnreadableAttachment(DesktopChatError):
    """A file that gives no text to send. ``str()`` is one line naming the file and saying what to do.

    ``reason`` lets a caller decide without parsing the line (e.g. the plan lists a too-large file
    differently from a damaged one); ``name`` is the file's name as the user knows it.
    """

    def __init__(self, message: str, *, name: str, reason: Reason) -> None:
        super().__init__(message)
        self.name = name
        self.reason = reason


def scanned(name: str) -> UnreadableAttachment:
    return UnreadableAttachment(
        f"{name} is a scanned PDF: no text to send. Attach its pages as images, or a PDF with a text layer.",
        name=name,
        reason="scanned",
    )


def encrypted(name: str) -> UnreadableAttachment:
    return UnreadableAttachment(
        f"{name} is protected by a password, so its text cannot be read. "
        "Save a copy without the password and attach that.",
        name=name,
        reason="encrypted",
    )


def damaged(name: str, kind: str) -> UnreadableAttachment:
    """``kind`` names the format as a user would: "a PDF", "a Word document"."""
    return UnreadableAttachment(
        f"{name} is damaged and cannot be read as {kind}. Open it in its program, save it again and attach the copy.",
        name=name,
        reason="damaged",
    )


def empty(name: str) -> UnreadableAttachment:
    return UnreadableAttachment(
        f"{name} is empty (0 bytes): nothing to send. Attach the file with its content.", name=name, reason="empty"
    )


def no_text(name: str, kind: str) -> UnreadableAttachment:
    return UnreadableAttachment(
        f"{name} is {kind} with no text in it: nothing to send. Attach a file that has text.",
        name=name,
        reason="no_text",
    )


def unknown(name: str) -> UnreadableAttachment:
    return UnreadableAttachment(
        f"{name} is not a kind of file Desktop Chat can read. Attach a PDF, Word, PowerPoint, Excel, CSV, HTML, "
        "Markdown or text file, or an image.",
        name=name,
        reason="unknown",
    )


def legacy_office(name: str) -> UnreadableAttachment:
    return UnreadableAttachment(
        f"{name} is in an old Office format (.doc, .xls, .ppt) that Desktop Chat cannot read. "
        "Save it as .docx, .xlsx or .pptx and attach that.",
        name=name,
        reason="unknown",
    )


def too_large(name: str, size: int, limit: int) -> UnreadableAttachment:
    return UnreadableAttachment(
        f"{name} is {megabytes(size)}, over the {megabytes(limit)} limit for an attachment. "
        "Attach a smaller file, or raise the attachment size limit.",
        name=name,
        reason="too_large",
    )


def image(name: str, media_type: str, *, sendable: bool) -> UnreadableAttachment:
    if sendable:
        message = (
            f"{name} is an image, not a document: it has no text to read. "
            "Send it as an image to a model that reads images."
        )
    else:
        kind = media_type.removeprefix("image/").split("+")[0].upper()
        message = (
            f"{name} is an image in {kind} format, which models do not take. Convert it to PNG or JPEG and attach that."
        )
    return UnreadableAttachment(message, name=name, reason="image")


def missing(name: str) -> UnreadableAttachment:
    return UnreadableAttachment(f"{name} does not exist any more. Choose the file again.", name=name, reason="missing")


def unopenable(name: str, why: str) -> UnreadableAttachment:
    """The file could not be opened at all (a folder, no permission): ``why`` in the system's words."""
    return UnreadableAttachment(
        f"Cannot open {name} ({why}). Choose a file you may read.", name=name, reason="unopenable"
    )


def megabytes(size: int) -> str:
    """A size as a user reads it: "12.3 MB", "850 KB"."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"
