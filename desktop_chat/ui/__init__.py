"""The PySide6 window. Importing the package first repairs a known binding bug (see qt_fixes)."""

from desktop_chat.ui import qt_fixes as _qt_fixes

_qt_fixes.install()
