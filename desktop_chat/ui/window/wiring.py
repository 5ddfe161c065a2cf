"""Every connection between the window's parts, in one place: the panes among themselves, then the bridge.

Split from ``main_window.py`` (its own line budget); the slots stay the window's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_chat.ui.bridge import WorkspaceBridge
    from desktop_chat.ui.window.main_window import MainWindow


def connect_panes(window: MainWindow) -> None:
    """The sidebar, chat, composer, inspector and the window's state (once, when the panes are built)."""
    sidebar, chat, composer, inspector = window.sidebar, window.chat, window.composer, window.inspector
    sidebar.sessionActivated.connect(window.open_session)
    sidebar.messageActivated.connect(window.open_message)
    sidebar.newChat.connect(window.new_chat)
    sidebar.newTemporaryChat.connect(window.new_temporary_chat)
    sidebar.notice.connect(window.notify)
    composer.send.connect(window.replies.send)
    composer.stop.connect(window.replies.stop)
    chat.action.connect(window.replies.on_chat_action)
    chat.summaryClicked.connect(window.show_inspector)
    chat.restoreRequested.connect(sidebar.toggle_archive)
    # The next request (ui/state/chat_state.py): the draft in, one plan out to the chat and the composer.
    composer.edit.textChanged.connect(window._draft_edited)
    window.state.planChanged.connect(window._plan_changed)
    window.state.countChanged.connect(composer.show_count)
    # The memory inspector (ui/inspector/): provenance both ways, the selected reply.
    inspector.showMessages.connect(chat.select_messages)
    inspector.openMessage.connect(window.open_message)
    inspector.notice.connect(window.notify)
    chat.contextClicked.connect(window._context_clicked)
    chat.messageClicked.connect(inspector.show_reply)
    window.splitter.splitterMoved.connect(window._splitter_moved)
    window._poll_timer.timeout.connect(window.poll)


def connect_bridge(window: MainWindow, bridge: WorkspaceBridge) -> None:
    """The workspace's events (through the bridge) to the window and its panes."""
    window.sidebar.connect_bridge(bridge)  # row by row, never a rebuild
    bridge.sessionChanged.connect(window._session_changed)
    bridge.sessionDeleted.connect(window._session_deleted)
    bridge.titleChanged.connect(window._title_changed)
    bridge.messagesChanged.connect(window._messages_changed)
    bridge.settingsChanged.connect(window._settings_changed)
    bridge.externalChange.connect(window._external_change)
    bridge.localModelChanged.connect(window._local_model_changed)
    bridge.indexingProgress.connect(window._indexing_progress)
    window.replies.connect_bridge(bridge)
