"""On a small screen (1280x800 leaves the dialog ~720 px) a settings page scrolls instead of being squeezed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QTextEdit,
    QWidget,
)

from tests.helpers.app import App
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.window import ui_settings

Opener = Callable[..., App]
CONTROLS = (QLabel, QLineEdit, QComboBox, QAbstractButton, QAbstractSpinBox, QPlainTextEdit, QTextEdit)


def _shown_controls(page: QWidget) -> list[tuple[QWidget, QRect]]:
    """Each visible label and control of ``page`` (not the parts of another one), with its rectangle on the page."""
    found = [w for w in page.findChildren(QWidget) if isinstance(w, CONTROLS) and w.isVisibleTo(page)]
    outer = [w for w in found if not any(o is not w and o.isAncestorOf(w) for o in found)]
    return [(w, QRect(w.mapTo(page, QPoint(0, 0)), w.size())) for w in outer if w.width() > 0 and w.height() > 0]


def test_the_providers_page_scrolls_instead_of_overlapping_on_a_small_screen(
    open_app: Opener, fake_openai: FakeOpenAIServer
) -> None:
    app = open_app(ui_settings(fake_openai))
    dialog = app.settings_dialog("providers")
    # A screen too short for the page (fonts differ from desktop to desktop): the window manager
    # can make the dialog smaller than its layout asks for, as a 1280x800 screen did.
    dialog.setMinimumSize(1, 1)
    dialog.resize(1280, 480)
    app.settle(0.1)
    page = dialog.providers
    assert isinstance(dialog.tabs.currentWidget(), QScrollArea)
    assert dialog.current_page() is page
    hint = page.minimumSizeHint()
    assert page.height() >= hint.height() and page.width() >= hint.width()  # never squeezed below its minimum
    # Nor below what its word-wrapped hints need at the width it has (more lines than the minimum hint assumes).
    layout = page.layout()
    assert layout is not None and page.height() >= layout.totalMinimumHeightForWidth(page.width())
    assert dialog.tabs.currentWidget().height() < hint.height()  # the page does not fit: it scrolls

    controls = _shown_controls(page)
    assert len(controls) > 10
    overlaps = [
        (a.accessibleName() or a.objectName() or type(a).__name__, b.accessibleName() or type(b).__name__)
        for i, (a, ra) in enumerate(controls)
        for b, rb in controls[i + 1 :]
        if ra.intersects(rb)
    ]
    assert overlaps == []


def test_a_page_scrolls_only_up_and_down(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    app = open_app(ui_settings(fake_openai))
    dialog = app.settings_dialog("providers")
    app.settle(0.1)
    area = dialog.tabs.currentWidget()
    assert isinstance(area, QScrollArea)
    assert not area.horizontalScrollBar().isVisible()
    assert dialog.providers.width() >= dialog.providers.minimumSizeHint().width()


def test_a_page_that_fits_is_not_stretched_past_the_view(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    app = open_app(ui_settings(fake_openai))
    dialog = app.settings_dialog("tools")
    dialog.resize(900, 760)
    app.settle(0.1)
    area, page = dialog.tabs.currentWidget(), dialog.tools
    assert isinstance(area, QScrollArea)
    # Its lists take the room there is, not their preferred height: the buttons stay in view, no scrolling.
    assert page.height() == area.viewport().height() and not area.verticalScrollBar().isVisible()
    assert page.new_button.isVisibleTo(page)
