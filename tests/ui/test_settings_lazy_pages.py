"""Settings builds a page when its tab is first shown; Save checks and saves only the pages built."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from desktop_chat.core.models import Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.ui.settings.dialog import PAGES
from desktop_chat.ui.settings.memory_page import MemoryPage
from desktop_chat.ui.settings.pages import AppearancePage, DataPage
from desktop_chat.ui.settings.providers import ProvidersPage
from tests.helpers.app import App
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.window import ui_settings

Opener = Callable[..., App]


def _built(dialog: object) -> list[str]:
    return [name for name in PAGES if dialog.is_built(name)]  # type: ignore[attr-defined]


def test_opening_settings_builds_only_the_page_shown(open_app: Opener) -> None:
    app = open_app()
    dialog = app.settings_dialog()
    assert _built(dialog) == ["providers"]
    assert isinstance(dialog.current_page(), ProvidersPage)
    assert not isinstance(dialog.tabs.widget(PAGES.index("memory")), MemoryPage)  # a placeholder until shown
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "&Providers",
        "&Memory",
        "&Instructions",
        "A&ssistants",
        "&Data",
        "&Appearance",
        "&Local models",
        "&Tools",
    ]


def test_opening_on_a_page_builds_that_page_only(open_app: Opener) -> None:
    app = open_app()
    dialog = app.settings_dialog("memory")
    assert _built(dialog) == ["memory"]
    assert dialog.current_page() is dialog.memory


def test_showing_a_tab_builds_its_page_with_the_saved_values(open_app: Opener, fake_openai: FakeOpenAIServer) -> None:
    app = open_app(ui_settings(fake_openai, retention_days=30, retention_mode="delete"))
    dialog = app.settings_dialog()
    tab_bar = dialog.tabs.tabBar()
    index = PAGES.index("data")
    QTest.mouseClick(tab_bar, Qt.MouseButton.LeftButton, pos=tab_bar.tabRect(index).center())
    app.settle(0.05)
    page = dialog.current_page()
    assert isinstance(page, DataPage) and dialog.tabs.currentIndex() == index  # the tab clicked stays shown
    assert page.fields["retention_days"].widget.text() == "30"  # type: ignore[attr-defined]
    assert _built(dialog) == ["providers", "data"]
    assert dialog.tabs.tabToolTip(index) == "Retention, backups and export"


def test_save_saves_a_changed_page_and_leaves_the_unbuilt_ones_alone(
    open_app: Opener, fake_openai: FakeOpenAIServer
) -> None:
    app = open_app(ui_settings(fake_openai, default_strategy=Strategy.SUMMARY, custom_instructions="Answer briefly."))
    dialog = app.settings_dialog()
    dialog.show_page("appearance")
    page = dialog.current_page()
    assert isinstance(page, AppearancePage)
    page.fields["conversation_font_size"].widget.setText("15")  # type: ignore[attr-defined]

    assert app.run(dialog.save())

    saved = app.saved_settings()
    assert saved.conversation_font_size == 15
    assert (saved.default_strategy, saved.custom_instructions) == (Strategy.SUMMARY, "Answer briefly.")
    assert _built(dialog) == ["providers", "appearance"]  # Save built nothing
    assert dialog.status.text() == "Saved."


def test_save_without_the_providers_page_keeps_the_profiles(open_app: Opener) -> None:
    app = open_app()
    before = app.saved_settings().profiles
    dialog = app.settings_dialog("appearance")
    dialog.appearance.fields["theme"].widget.setCurrentIndex(  # type: ignore[attr-defined]
        dialog.appearance.fields["theme"].widget.findData("dark")  # type: ignore[attr-defined]
    )
    assert app.run(dialog.save())
    saved = app.saved_settings()
    assert saved.theme == "dark" and saved.profiles == before
    assert not dialog.is_built("providers")


def test_a_bad_value_on_a_built_page_still_stops_the_save(open_app: Opener) -> None:
    app = open_app(Settings())
    dialog = app.settings_dialog("appearance")
    dialog.show_page("data")
    dialog.data.fields["retention_days"].widget.setText("-4")  # type: ignore[attr-defined]
    dialog.show_page("appearance")
    assert not app.run(dialog.save())
    assert dialog.current_page() is dialog.data  # the page with the problem is shown
    assert app.saved_settings().retention_days == Settings().retention_days


def test_reopening_reloads_the_built_pages(open_app: Opener) -> None:
    app = open_app()
    dialog = app.settings_dialog("data")
    dialog.data.fields["retention_days"].widget.setText("77")  # type: ignore[attr-defined]
    dialog.reject()
    again = app.settings_dialog("data")
    assert again is dialog
    assert dialog.data.fields["retention_days"].widget.text() != "77"  # type: ignore[attr-defined]
