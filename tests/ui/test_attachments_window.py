"""Attachments in the window (issue 23): drop, paste, chips, send, the chat's thumbnails, open, the inspector.

Real drops (``QDropEvent`` with ``QMimeData`` URLs) and a real clipboard; files read by the workspace on a
worker thread; sent through the real SDK to the project's test server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from desktop_chat.core.models import FilePart, ImagePart, Role
from desktop_chat.core.settings import Settings
from desktop_chat.ui.chat.attachment_chips import Chip
from desktop_chat.ui.chat.row_look import row_rect, text_width
from desktop_chat.ui.inspector.plan import OMITTED, PART
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.waiting import until
from tests.helpers.window import Harness, ui_settings


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / "files" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _png(tmp_path: Path, name: str, width: int, height: int) -> Path:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    path = tmp_path / "files" / name
    path.parent.mkdir(exist_ok=True)
    assert image.save(str(path), "PNG")  # type: ignore[call-overload]
    return path


def _mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _drop(target: QWidget, mime: QMimeData, composer: QWidget | None = None) -> None:
    """Drag files over ``target`` (the composer lights up), then drop them there."""
    where = QPoint(target.width() // 2, target.height() // 2)
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(where, action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted(), "the drag was refused"
    if composer is not None:
        assert composer._drop_highlight  # type: ignore[attr-defined]
    drop = QDropEvent(where.toPointF(), action, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, drop)
    assert drop.isAccepted()


def _chips(h: Harness) -> list[Chip]:
    return h.window.composer.chips.chips()


async def _ready(h: Harness, count: int) -> None:
    await until(lambda: len(_chips(h)) == count and all(c.ready for c in _chips(h)), what=f"{count} chips ready")


def test_dropping_files_on_the_chat_attaches_them_with_chips(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    notes = _file(tmp_path, "notes.txt", "The launch code is PELICAN-42.\n" * 50)
    picture = _png(tmp_path, "chart.png", 800, 600)
    composer = h.window.composer

    async def scenario() -> None:
        _drop(h.window.chat.list.viewport(), _mime(notes, picture), composer)
        assert not composer._drop_highlight
        await _ready(h, 2)

    h.run(scenario())
    first, second = _chips(h)
    assert (first.name, second.name) == ("notes.txt", "chart.png")
    assert first.detail.text().startswith("1.5 KB")
    assert "800 x 600 px" in second.detail.text()
    assert first.remove.accessibleName() == "Remove notes.txt"
    assert not second.picture.pixmap().isNull()  # the image's thumbnail
    assert [a.name for a in h.window.state.attachments] == ["notes.txt", "chart.png"]
    stored = h.workspace.attachments.get(first.attachment.sha256)  # type: ignore[union-attr]
    assert stored.text is not None and "PELICAN-42" in stored.text


def test_a_drag_that_leaves_turns_the_highlight_off_and_text_drags_stay_the_editors(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    composer = h.window.composer
    viewport = composer.edit.viewport()
    where = QPoint(5, 5)
    files = _mime(_file(tmp_path, "a.txt", "a"))  # held: the event does not own it
    enter = QDragEnterEvent(
        where, Qt.DropAction.CopyAction, files, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(viewport, enter)
    assert composer._drop_highlight
    QApplication.sendEvent(viewport, QDragLeaveEvent())
    assert not composer._drop_highlight
    text = QMimeData()
    text.setText("just words")
    plain = QDragEnterEvent(
        where, Qt.DropAction.CopyAction, text, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(viewport, plain)
    assert not composer._drop_highlight
    assert _chips(h) == []


def test_pasting_an_image_attaches_a_png_pasted_files_attach_and_pasted_text_stays_text(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    copied = _file(tmp_path, "copied.txt", "copied in a file manager")
    edit = h.window.composer.edit
    clipboard = QGuiApplication.clipboard()
    image = QImage(640, 480, QImage.Format.Format_RGB32)
    image.fill(QColor("orange"))

    async def scenario() -> None:
        clipboard.setImage(image)
        edit.setFocus()
        QTest.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        await _ready(h, 1)
        clipboard.setText("plain words")
        QTest.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        clipboard.setMimeData(_mime(copied))  # files copied in a file manager
        QTest.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        await _ready(h, 2)

    h.run(scenario())
    chip, pasted_file = _chips(h)
    assert pasted_file.name == "copied.txt"
    assert chip.name.startswith("Pasted image ") and chip.name.endswith(".png")
    attachment = chip.attachment
    assert attachment is not None and attachment.media_type == "image/png"
    assert (attachment.width, attachment.height) == (640, 480)
    assert h.workspace.attachments.path(attachment.sha256).read_bytes().startswith(b"\x89PNG")
    assert edit.toPlainText() == "plain words"


def test_removing_a_chip_takes_the_file_out_of_the_next_request(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    a, b = _file(tmp_path, "a.txt", "alpha"), _file(tmp_path, "b.txt", "beta")

    async def scenario() -> None:
        _drop(h.window.composer, _mime(a, b))
        await _ready(h, 2)
        QTest.mouseClick(_chips(h)[0].remove, Qt.MouseButton.LeftButton)
        await until(lambda: len(_chips(h)) == 1, what="one chip left")

    h.run(scenario())
    assert [c.name for c in _chips(h)] == ["b.txt"]
    assert [x.name for x in h.window.state.attachments] == ["b.txt"]


def test_an_unreadable_file_says_one_line_and_attaches_nothing(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    empty = _file(tmp_path, "empty.txt", "")
    problem = h.window.composer.problem

    async def scenario() -> None:
        _drop(h.window.composer.edit.viewport(), _mime(empty))
        await until(problem.isVisible, what="the problem line")

    h.run(scenario())
    assert problem.text().startswith("empty.txt is empty")
    assert "\n" not in problem.text()
    assert _chips(h) == []
    assert h.window.state.attachments == ()
    assert list(h.workspace.attachments.files.stored()) == []


def _model(server: FakeOpenAIServer, model: str) -> Settings:
    """The test server's profile, asking for ``model`` (which decides whether images are read)."""
    settings = ui_settings(server)
    return replace(settings, profiles=(replace(settings.profiles[0], default_model=model),))


def test_sending_files_alone_sends_them_and_clears_the_chips(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    h = open_window(_model(fake_openai, "gpt-4o"))
    notes = _file(tmp_path, "notes.txt", "The launch code is PELICAN-42.")
    picture = _png(tmp_path, "chart.png", 300, 200)
    h.server.reply(chunks=["Got them."])

    async def scenario() -> None:
        _drop(h.window.composer, _mime(notes, picture))
        await _ready(h, 2)
        h.window.composer.edit.setFocus()
        QTest.keyClick(h.window.composer.edit, Qt.Key.Key_Return)  # no text: the files are the message
        await until(lambda: len(h.server.chat_requests) >= 1, what="the request")
        await until(lambda: not h.window.composer.busy, what="the reply's end")

    h.run(scenario())
    assert _chips(h) == [] and h.window.state.attachments == ()
    user = [m for m in h.workspace.messages(h.chat_id) if m.role is Role.USER][-1]
    assert [p.name for p in user.parts if isinstance(p, FilePart | ImagePart)] == ["notes.txt", "chart.png"]
    body = json.dumps(h.server.chat_requests[0].body)
    assert "PELICAN-42" in body  # the document's text, as the server received it
    assert "data:image/png;base64," in body  # the image, to a model that reads images
    assert h.window.composer.notice.isHidden()


def test_a_failed_reply_keeps_the_files_with_the_message_and_retry_sends_them_again(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    h = open_window()
    h.server.fail(Fault.SERVER_ERROR)
    h.server.reply(chunks=["Now it works."])

    async def scenario() -> None:
        _drop(h.window.composer, _mime(_file(tmp_path, "notes.txt", "The launch code is PELICAN-42.")))
        await _ready(h, 1)
        h.window.composer.set_text("What is the code?")
        h.window.composer.submit()
        await until(lambda: not h.window.composer.busy and h.server.chat_requests, what="the failure")
        assert _chips(h) == []  # the files went with the message, saved before the request
        h.window.replies.retry()
        await until(lambda: len(h.server.chat_requests) >= 2 and not h.window.composer.busy, what="the retry")

    h.run(scenario())
    failed, retried = h.server.chat_requests[:2]  # then the chat's title
    assert "PELICAN-42" in json.dumps(failed.body) and "PELICAN-42" in json.dumps(retried.body)


def test_a_text_only_model_shows_the_notice_and_the_inspector_lists_the_attachment_parts(
    open_window: Callable[..., Harness], tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    h = open_window(_model(fake_openai, "gpt-3.5-turbo"))
    notice = h.window.composer.notice
    tree = h.window.inspector.next_request.tree

    async def scenario() -> None:
        _drop(
            h.window.composer,
            _mime(_file(tmp_path, "report.txt", "Sales rose 12% in May."), _png(tmp_path, "chart.png", 300, 200)),
        )
        await _ready(h, 2)
        await until(notice.isVisible, what="the notice")
        await until(lambda: any(r.title.text() == "Attachment: report.txt" for r in tree.items()), what="the part")

    h.run(scenario())
    assert "read images" in notice.text() and "\n" not in notice.text()
    assert notice.accessibleName() == "About the next request"
    assert notice.accessibleDescription() == notice.text()
    part = next(r for r in tree.items() if r.title.text() == "Attachment: report.txt")
    assert part.which == PART and part.amount.text().lstrip("≈").replace(",", "").isdigit()
    assert part.reason.text()  # whole, excerpts, and why
    assert part.accessibleName().startswith("Attachment: report.txt: ")
    (left_out,) = [r for r in tree.items() if r.which == OMITTED]
    assert left_out.title.text().startswith("Attachment chart.png: "), left_out.title.text()
    assert left_out.title.text().count("chart.png") == 1  # named once, though the reason names it too
    assert "read images" in left_out.title.text()
    # The files are the next message: the inspector does not call it empty.
    assert not h.window.inspector.next_request.note.text().startswith("Your next message is still empty")


@pytest.fixture
def opened_urls() -> Iterator[list[QUrl]]:
    """What the chat asks the desktop to open, caught instead of launching an application."""

    class Catcher(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.urls: list[QUrl] = []

        @Slot(QUrl)
        def open(self, url: QUrl) -> None:
            self.urls.append(url)

    catcher = Catcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")  # type: ignore[arg-type]  # PySide6 takes str
    try:
        yield catcher.urls
    finally:
        QDesktopServices.unsetUrlHandler("file")


def test_the_chat_shows_a_thumbnail_and_a_file_line_and_a_click_opens_the_stored_copy(
    open_window: Callable[..., Harness], tmp_path: Path, opened_urls: list[QUrl]
) -> None:
    h = open_window()
    picture = _png(tmp_path, "photo.png", 2400, 1600)
    notes = _file(tmp_path, "notes.txt", "Some notes.")
    h.server.reply(chunks=["Nice photo."])
    chat = h.window.chat

    async def scenario() -> None:
        _drop(h.window.composer, _mime(picture, notes))
        await _ready(h, 2)
        h.window.composer.set_text("Look")
        h.window.composer.submit()
        await until(lambda: not h.window.composer.busy and h.server.chat_requests, what="the reply")
        await until(lambda: bool(chat.delegate.thumbnails.decode_ms), what="the thumbnail decoded")

    h.run(scenario())
    row = next(r for r in chat.model.rows() if r.message is not None and r.message.role is Role.USER)
    assert [a.name for a in row.attachments] == ["photo.png", "notes.txt"]
    thumbs = chat.delegate.thumbnails
    image = thumbs.image(row.attachments[0])
    assert image is not None and (image.width(), image.height()) == (240, 160)  # decoded at its shown size
    assert len(thumbs.decode_ms) == 1  # once: drawing again reuses it
    width = text_width(chat.list.viewport().width())
    doc, _ = chat.delegate.document(row, width)
    assert "notes.txt" in doc.toPlainText()
    index = chat.model.index(chat.model.rows().index(row))
    rect = chat.list.visualRect(index)
    # The thumbnail is a link: find a point on it and click it, as a user does.
    layout = doc.documentLayout()
    left = row_rect(rect).topLeft()
    target = None
    for y in range(0, int(doc.size().height()), 4):
        for x in range(0, width, 8):
            href = layout.anchorAt((QPoint(x, y)).toPointF())
            if href.endswith(":0") and "attachment" in href:
                target = QPoint(left.x() + x, left.y() + y)
                break
        if target is not None:
            break
    assert target is not None, "no link on the thumbnail"
    QTest.mouseClick(chat.list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, target)
    stored = h.workspace.attachments.path(row.attachments[0].sha256)
    [url] = opened_urls
    opened = Path(url.toLocalFile())
    # A read-only copy under the file's own name (its extension picks the application), the same bytes.
    assert opened.name == "photo.png" and opened.read_bytes() == stored.read_bytes()
    assert opened.stat().st_mode & 0o777 == 0o400
    assert "attached: photo.png, notes.txt" in str(index.data(Qt.ItemDataRole.AccessibleTextRole))


def test_every_new_control_has_an_accessible_name(open_window: Callable[..., Harness], tmp_path: Path) -> None:
    from tests.ui.test_accessibility_walk import unnamed

    h = open_window()
    composer = h.window.composer

    async def scenario() -> None:
        _drop(composer, _mime(_file(tmp_path, "a.txt", "alpha"), _png(tmp_path, "b.png", 40, 30)))
        await _ready(h, 2)
        _drop(composer, _mime(_file(tmp_path, "empty.txt", "")))
        await until(composer.problem.isVisible, what="the problem line")

    h.run(scenario())
    missing, checked = unnamed(composer)
    assert missing == [], missing
    assert checked >= 5  # the editor, the paperclip, Send, and a Remove per chip
    names = {w.accessibleName() for w in composer.findChildren(QWidget) if w.isVisible()}
    assert {"Attach files", "Attachments", "Remove a.txt", "Remove b.png", "Attachment problem"} <= names
    assert h.window.composer.attachments is not None
    action = h.window.composer.attachments.action
    assert action.shortcut().toString() == "Ctrl+U"
    assert action in h.window.chat_menu.actions()
    # No other action of the window has the shortcut.
    clashes = [a.text() for a in h.window.findChildren(QAction) if a.shortcut() == action.shortcut()]
    assert clashes == [action.text()]


def test_a_long_pdf_is_read_in_the_background_with_its_progress_on_the_chip(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    from tests.helpers.documents import pdf_bytes

    h = open_window()
    pdf = tmp_path / "files" / "long report.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(pdf_bytes([f"Page {i} of the report, about harbour lights. " * 40 for i in range(1, 801)]))
    seen: list[str] = []

    async def scenario() -> None:
        _drop(h.window.composer, _mime(pdf))
        while not (_chips(h) and _chips(h)[0].ready):
            if _chips(h):
                seen.append(_chips(h)[0].detail.text())
            await asyncio.sleep(0.002)  # the window's loop runs meanwhile: it is not blocked

    h.run(scenario(), timeout=60)
    steps = {s for s in seen if s.startswith("reading… ") and s != "reading… 100%"}
    assert steps, seen[:5]  # "reading… 34%": pages read of the total
    (chip,) = _chips(h)
    assert chip.detail.text().endswith(" tok") and "800 pages" in chip.detail.text()


def test_removing_a_chip_while_its_file_is_read_stops_the_reading(
    open_window: Callable[..., Harness], tmp_path: Path
) -> None:
    from tests.helpers.documents import pdf_bytes

    h = open_window()
    pdf = tmp_path / "files" / "long report.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(pdf_bytes([f"Page {i} of the report, about harbour lights. " * 40 for i in range(1, 1201)]))

    async def scenario() -> None:
        _drop(h.window.composer, _mime(pdf))
        await until(lambda: _chips(h) and _chips(h)[0].detail.text().startswith("reading… "), what="reading")
        QTest.mouseClick(_chips(h)[0].remove, Qt.MouseButton.LeftButton)
        assert _chips(h) == []
        await asyncio.sleep(4.0)  # reading it whole takes 2.5-5 s here: a worker still reading would have stored it

    h.run(scenario())
    assert list(h.workspace.attachments.files.stored()) == []  # stopped before its copy was made
    assert h.window.state.attachments == () and not h.window.composer.problem.isVisible()
