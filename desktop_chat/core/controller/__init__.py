"""The conversation controller: the reply engine (``replies``) and the seams around it.

- ``replies.ConversationController``: send / stop / retry / regenerate / edit-and-resend, as events;
- ``turn``: one streaming reply's text and saves; ``slots``: one reply per chat (and the database claim);
- ``branches``: which messages a reply answers and what it supersedes;
- ``clients.ClientPool``: a ``ChatClient`` per profile, from the client factory;
- ``stores.StoreRouter``: which store a chat lives in (saved or temporary);
- ``upkeep_scheduler.UpkeepScheduler``: every memory upkeep run, after replies and on request;
- ``naming.ChatNamer``: a new chat's title, in the background;
- ``targets``: where a chat's request goes and which strategy it may use.
"""

from typing import TYPE_CHECKING

from desktop_chat.core.controller.branches import INTERRUPTED_NOTE
from desktop_chat.core.controller.stores import TEMPORARY_ID_BASE
from desktop_chat.core.controller.targets import Target, reply_limit, starter_model_strategy, strategy_choice

if TYPE_CHECKING:
    from desktop_chat.core.controller.replies import ConversationController


def __getattr__(name: str) -> object:
    # The reply engine's module is imported when first named: reading chats (the window's first screen)
    # imports this package without it.
    if name == "ConversationController":
        from desktop_chat.core.controller.replies import ConversationController

        return ConversationController
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "INTERRUPTED_NOTE",
    "TEMPORARY_ID_BASE",
    "ConversationController",
    "Target",
    "reply_limit",
    "starter_model_strategy",
    "strategy_choice",
]
