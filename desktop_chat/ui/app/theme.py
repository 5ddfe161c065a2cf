"""The light/dark theme: asked of the platform first, applied by the app when the platform does not.

Qt passes ``styleHints().setColorScheme`` to the platform theme; a desktop without
one (openbox, a bare X11 session, the offscreen platform) ignores it and keeps a
light palette, so a saved "dark" would never show. There the app sets a palette
of its own (derived from a few tones, the platform's highlight kept when it is
legible) under the Fusion style, which follows the palette everywhere. "system",
or a platform that does honour the setting, gives the platform's palette back.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

_SCHEMES = {"system": Qt.ColorScheme.Unknown, "light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}

# What the platform gave before the app set a palette: "platform" -> (palette, style name).
_saved: dict[str, tuple[QPalette, str]] = {}


def is_dark(palette: QPalette) -> bool:
    window, text = palette.color(QPalette.ColorRole.Window), palette.color(QPalette.ColorRole.WindowText)
    return window.lightness() < text.lightness()


def dark_palette(base: QPalette) -> QPalette:
    """A dark palette: grey tones for surfaces and text, the base palette's highlight when it reads on them."""
    palette = QPalette()
    window, surface, button, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(56, 56, 60), QColor(226, 226, 226)
    dim, disabled = QColor(150, 150, 150), QColor(118, 118, 118)
    highlight = base.color(QPalette.ColorRole.Highlight)
    if highlight.lightness() < 70 or highlight.saturation() < 40:
        highlight = QColor(42, 130, 218)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: surface,
        QPalette.ColorRole.AlternateBase: window,
        QPalette.ColorRole.ToolTipBase: button,
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: dim,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: button,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 110, 110),
        QPalette.ColorRole.Light: button.lighter(150),
        QPalette.ColorRole.Midlight: button.lighter(120),
        QPalette.ColorRole.Mid: button.darker(120),
        QPalette.ColorRole.Dark: surface.darker(130),
        QPalette.ColorRole.Shadow: QColor(0, 0, 0),
        QPalette.ColorRole.Highlight: highlight,
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(110, 170, 255),
        QPalette.ColorRole.LinkVisited: QColor(180, 140, 255),
    }
    for role, colour in roles.items():
        palette.setColor(role, colour)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.PlaceholderText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(80, 80, 80))
    return palette


def apply_theme(theme: str) -> None:
    """Show ``theme`` ("system", "light" or "dark"), by the platform when it can, else by the app's own palette."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    hints = QGuiApplication.styleHints()
    scheme = _SCHEMES.get(theme, Qt.ColorScheme.Unknown)
    if hints.colorScheme() != scheme or theme != "system":
        hints.setColorScheme(scheme)
    saved = _saved.pop("platform", None)
    if saved is not None:
        # Back to what the platform gives, then judge whether it honours the theme.
        palette, style = saved
        if app.style().name() != style:
            app.setStyle(style)
        app.setPalette(palette)
    if theme == "system" or is_dark(app.palette()) == (theme == "dark"):
        return
    platform = _saved["platform"] = (QPalette(app.palette()), app.style().name())
    available = QStyleFactory.keys()
    if app.style().name().lower() != "fusion" and "Fusion" in available:
        app.setStyle("Fusion")  # native styles may draw with the platform's colours, not the palette
    if theme == "dark":
        app.setPalette(dark_palette(platform[0]))
    else:
        app.setPalette(app.style().standardPalette())
