"""The window's layout: the three panes in the splitter, their widths, and what is remembered of them.

The first paint shows empty panes in their remembered places (``fit_screen``,
``restore``); ``build_panes`` puts the real ones in right after it. The geometry, the
panes' widths and whether the inspector shows are read from the ``QSettings`` the
launcher gives the window (none: nothing is remembered) and written on close (``save``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from desktop_chat.ui.window.main_window import MainWindow


def empty_panes() -> QSplitter:
    """The splitter of the first paint: three empty panes, the chat's taking the width the others leave."""
    splitter = QSplitter()  # horizontal
    splitter.setAccessibleName("Panes")
    splitter.setChildrenCollapsible(False)
    for minimum in (180, 300, 200):
        placeholder = QWidget()
        placeholder.setMinimumWidth(minimum)
        splitter.addWidget(placeholder)
    splitter.setStretchFactor(0, 0)
    splitter.setStretchFactor(1, 1)
    splitter.setStretchFactor(2, 0)
    return splitter


def build_panes(window: MainWindow, sizes_restored: bool) -> None:
    """Make the sidebar, chat, composer and inspector in place of the first paint's empty panes."""
    from desktop_chat.ui.chat.chat_view import ChatView
    from desktop_chat.ui.chat.composer import Composer
    from desktop_chat.ui.inspector.pane import InspectorPane
    from desktop_chat.ui.sidebar.sidebar import Sidebar

    window.sidebar = Sidebar()
    window.chat = ChatView()
    window.inspector = InspectorPane(window.state)
    look = window.first_look
    if look is None:
        window.composer = Composer()
        window.composer.setEnabled(False)  # until the workspace is attached
        centre = QWidget()
        centre.setAccessibleName("Chat")
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(window.chat, 1)
        column.addWidget(window.composer)
    else:  # the first look's column and composer stay; the chat waits hidden until it has opened (attach)
        centre = look.centre
        window.chat.hide()
        look.column.insertWidget(0, window.chat, 1)
    window.sidebar.setMinimumWidth(180)
    # The header's model and strategy wrap rather than widen the chat past a small screen.
    window.chat.details.setWordWrap(True)
    window.chat.title.setMinimumWidth(80)
    sizes = window.splitter.sizes()
    placeholders = [window.splitter.widget(i) for i in range(window.splitter.count())]
    placeholders = [old for old in placeholders if old is not centre]
    # insertWidget, not replaceWidget: PySide6 does not hand replaceWidget's widget to Qt,
    # so Python would delete it with the last reference.
    for index, pane in enumerate((window.sidebar, centre, window.inspector)):
        window.splitter.insertWidget(index, pane)
    for old in placeholders:
        if old is not None:
            old.hide()
            old.setParent(None)
            old.deleteLater()
    window.splitter.setSizes(sizes if sizes_restored else default_sizes(window))
    from desktop_chat.ui.chat.attachments import ComposerAttachments

    ComposerAttachments(window)  # the paperclip, drops and pastes; it keeps itself as composer.attachments


def fit_screen(window: MainWindow, width: int, height: int) -> None:
    """1280 by 800 where it fits; on a smaller screen its available area (the chat pane gives way first)."""
    screen = window.screen()
    room = screen.availableGeometry() if screen is not None else None
    if room is not None and room.width() > 0 and room.height() > 0:
        width, height = min(width, room.width()), min(height, room.height())
    window.resize(width, height)
    window.splitter.setSizes(default_sizes(window))


def default_sizes(window: MainWindow) -> list[int]:
    """Sidebar, chat and inspector widths for the window's width: the chat takes what the others leave."""
    width = window.width()
    side = max(200, min(270, width // 5))
    inspector_pane = window.splitter.widget(2)
    least = inspector_pane.minimumSizeHint().width() if inspector_pane is not None else 0
    inspector = max(least, min(320, width // 4))
    return [side, max(width - side - inspector, 300), inspector]


def restore(window: MainWindow, qsettings: QSettings | None) -> bool:
    """Put back the geometry, the panes' widths and the inspector's visibility; whether the widths were saved."""
    if qsettings is None:
        return False
    restored = False
    geometry = qsettings.value("geometry")
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
    splitter = qsettings.value("splitter")
    if isinstance(splitter, QByteArray):
        restored = window.splitter.restoreState(splitter)
    inspector = qsettings.value("inspector", True)
    visible = inspector not in (False, "false", "0", 0)
    pane = window.splitter.widget(2)
    if pane is not None:
        pane.setVisible(visible)
    window.inspector_action.setChecked(visible)
    return restored


def save(window: MainWindow, qsettings: QSettings | None) -> None:
    if qsettings is None:
        return
    qsettings.setValue("geometry", window.saveGeometry())
    qsettings.setValue("splitter", window.splitter.saveState())
    qsettings.setValue("inspector", window.inspector.isVisible())
    qsettings.sync()
