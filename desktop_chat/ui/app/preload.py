"""What the window imports off the GUI thread while it starts, and when.

The preload thread (``Preload``) imports the event loop, the core and the panes' modules right after the
first look; the lexers and the provider's library (openai) load later, on workers, when the chat shows or
the user starts typing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_chat.ui.window.main_window import MainWindow


# The panes' modules and what attaching the workspace imports: ~90 ms that used to hold the GUI thread (the
# first look showing, the user typing) right after the first look. Modules only: no widget is made off the GUI
# thread.
PANE_MODULES = (
    "desktop_chat.ui.bridge",
    "desktop_chat.ui.chat.attachments",
    "desktop_chat.ui.chat.chat_view",
    "desktop_chat.ui.chat.tool_calls",
    "desktop_chat.ui.inspector.pane",
    "desktop_chat.ui.settings.dialog",
    "desktop_chat.ui.settings.first_run",
    "desktop_chat.ui.sidebar.sidebar",
    "desktop_chat.ui.window.chat_setup",
)


def import_core_modules() -> None:
    """What the window needs to show the last chat, imported on a worker thread while the GUI thread keeps
    answering (the first look shows; the user may type).

    qasync and asyncio, the core (bootstrap: the store, the workspace), the panes' modules and markdown-it
    for the chat's messages; openai, the token encodings and the code lexers wait until the chat shows
    (``import_heavy_modules``).
    """
    import importlib

    import qasync  # noqa: F401 - the loop the GUI thread runs next

    import desktop_chat.core.bootstrap  # noqa: F401
    from desktop_chat.ui.chat.render import MarkdownRenderer

    for name in PANE_MODULES:
        importlib.import_module(name)
    MarkdownRenderer().render("**warm** `up`")


def import_lexers() -> None:
    """The common code lexers, on a worker thread once the last chat shows (~0.2 s)."""
    from desktop_chat.ui.chat.render import warm_up

    warm_up()  # before the first chat with code in another language opens


def import_heavy_modules() -> None:
    """Import what the first send needs (openai: ~0.5 s, ~40 MB), on a worker thread.

    The core imports openai only when it makes its first client, which would stall
    the loop for ~0.5 s on the first send. Started when the user begins a message
    (``load_sdk_when_typing``): a window that is only read never pays for it.
    """
    from desktop_chat.core.bootstrap import load_provider_sdk

    load_provider_sdk()  # one thread at a time: a message sent meanwhile builds its client in another worker


def load_sdk_when_typing(window: MainWindow, long_lived: Callable[[], None] | None = None) -> None:
    """Import openai in the background on the first key typed in the composer (once); then ``long_lived()``."""
    import asyncio

    edit = window.composer.edit

    async def load() -> None:
        await asyncio.to_thread(import_heavy_modules)
        if long_lived is not None:
            long_lived()

    def first_key() -> None:
        edit.textChanged.disconnect(first_key)
        if "openai" not in sys.modules:
            window.tasks.run(load(), what="Loading the provider's library")

    edit.textChanged.connect(first_key)
    if edit.toPlainText():  # typed in the first look, before this listened
        first_key()


class Preload:
    """``import_core_modules`` on a thread of its own, started right after the first look (or the first paint,
    when there is no first look: nothing competes with those paints).

    A plain thread, not the loop's executor: qasync is not even imported yet when it starts.
    """

    def __init__(self) -> None:
        import threading

        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="preload", daemon=True)
        self._thread.start()

    def done(self) -> bool:
        return self._done.is_set()

    def _run(self) -> None:
        try:
            import_core_modules()
        except BaseException as exc:  # handed to the loop's side by ``wait``
            self._error = exc
        finally:
            self._done.set()

    async def wait(self) -> None:
        import asyncio

        await asyncio.to_thread(self._done.wait)  # the loop stays free; the imports take ~0.3 s
        if self._error is not None:
            raise self._error
