"""The PySide6 window: packages that mirror it (see docs/window.md)."""
