"""One hierarchy of errors; ``str(error)`` is always one line a user can act on."""

from __future__ import annotations


class DesktopChatError(Exception):
    """Base of every error the app reports to a user.

    The message must say what happened and what to do, in one line. It names no
    command-line command and no window: each front end adds its own hint.
    ``retryable``: trying the same thing again, unchanged, may work.
    """

    retryable: bool = False


# --- providers -------------------------------------------------------------


class ProviderError(DesktopChatError):
    """The model server could not give us a reply."""

    retryable = True


class AuthError(ProviderError):
    """The server refused the API key."""

    retryable = False


class MissingApiKey(AuthError):
    """The profile needs an API key and none is stored or set."""


class RateLimited(ProviderError):
    """The server asked us to slow down and retries did not help."""


class ContextTooLong(ProviderError):
    """The request does not fit the model's context window."""

    retryable = False

    def __init__(self, message: str, *, prompt_tokens: int | None = None, limit: int | None = None) -> None:
        super().__init__(message)
        self.prompt_tokens = prompt_tokens
        self.limit = limit


class ModelNotFound(ProviderError):
    """The server does not serve the requested model."""

    retryable = False

    def __init__(self, message: str, *, model: str, available: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.model = model
        self.available = available


class ConnectionFailed(ProviderError):
    """The server could not be reached, or stopped answering."""


class BadResponse(ProviderError):
    """The server answered with something we cannot use."""


# --- storage ---------------------------------------------------------------


class StorageError(DesktopChatError):
    """The local database could not be used."""


class DatabaseBusy(StorageError):
    """Another program holds the database's write lock; the same write may succeed once it lets go."""

    retryable = True


class DatabaseTooNew(StorageError):
    """The database was written by a newer version of the app."""


class CorruptDatabase(StorageError):
    """The file is not a usable SQLite database (SQLite says it is damaged or not a database)."""


class DiskFull(StorageError):
    """The disk holding the data folder has no space left; nothing is wrong with the database."""


class ReadOnlyData(StorageError):
    """The data folder or the database cannot be written (permissions, a read-only disk)."""


class NotFound(DesktopChatError):
    """A session, message or fact the user named does not exist; ``kind`` says which ("chat", "fact", "message")."""

    def __init__(self, message: str, *, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


# --- everything else -------------------------------------------------------


class SecretStoreUnavailable(DesktopChatError):
    """No usable OS keyring (Secret Service, Keychain, Credential Locker)."""


class SettingsError(DesktopChatError):
    """A setting has a value the app does not accept."""


class Busy(DesktopChatError):
    """The chat is answering already (here or in another process of the app)."""

    retryable = True


class EmptyInput(DesktopChatError):
    """A message, title, fact or summary that must have text has none."""


class NotAllowed(DesktopChatError):
    """The action does not apply to the thing in its current state (e.g. approving an active fact)."""


class ExtractionRejected(DesktopChatError):
    """The fact extractor's answer is unusable as a whole; nothing it said is stored."""


class SummaryRejected(DesktopChatError):
    """The summary model's answer cannot be used; the old summary is kept."""


class LocalModelError(DesktopChatError):
    """The built-in local model server could not be started, or a model file cannot be had or used."""


class ChecksumUnknown(LocalModelError):
    """A model download has no SHA-256 to be checked against (neither the catalog nor the server has one)."""


class UnknownModelSource(LocalModelError):
    """A download names neither a catalog model nor a .gguf URL."""


class ImportFormatError(DesktopChatError):
    """A file to import is not in a shape the app understands."""


class InputTooLarge(DesktopChatError):
    """The user's message alone does not fit the token budget."""

    def __init__(self, message: str, *, tokens: int, budget: int, fixed: int = 0) -> None:
        super().__init__(message)
        self.tokens = tokens
        self.budget = budget
        self.fixed = fixed  # what is never cut beside the message: the system prompt, the reply priming

    @property
    def room(self) -> int:
        """What the message may still grow by: negative, the tokens it is over (as ``ContextPlan.draft_room``)."""
        return self.budget - self.fixed - self.tokens


class DesktopIntegrationError(DesktopChatError):
    """The launcher, icons or metadata could not be installed into (or removed from) the desktop."""
