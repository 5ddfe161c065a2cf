"""What to run next, added to the core's one-line errors: the core names no command, the command line does."""

from __future__ import annotations

from desktop_chat.core.errors import (
    AuthError,
    ChecksumUnknown,
    DesktopChatError,
    MissingApiKey,
    ModelNotFound,
    NotFound,
    UnknownModelSource,
)

_LISTS = {"chat": "desktop-chat sessions", "fact": "desktop-chat facts list"}


def with_hint(error: DesktopChatError) -> str:  # noqa: PLR0911 - one hint per kind of error
    """``str(error)`` plus the command that fixes it, when there is one."""
    text = str(error)
    if isinstance(error, MissingApiKey):
        return f"{text} Store one with `desktop-chat key set PROFILE` (profiles: `desktop-chat profiles`)."
    if isinstance(error, AuthError):
        return f"{text} Store the right key with `desktop-chat key set PROFILE`."
    if isinstance(error, NotFound) and error.kind in _LISTS:
        return f"{text} List them with `{_LISTS[error.kind]}`."
    if isinstance(error, ChecksumUnknown):
        return f"{text} Give it with `desktop-chat models download URL --sha256 HEX`."
    if isinstance(error, UnknownModelSource):
        return f"{text} List the catalog with `desktop-chat models catalog`."
    if isinstance(error, ModelNotFound):
        return f"{text} List the models with `desktop-chat models`."
    return text
