"""Session titles: a few words from the upkeep model, or the first words of the user's message."""

from __future__ import annotations

import asyncio
import logging
import re

from desktop_chat.core.errors import DesktopChatError
from desktop_chat.core.models import ChatMessage, Role
from desktop_chat.core.providers import ChatClient

log = logging.getLogger(__name__)

MAX_TITLE_CHARS = 60
MAX_TITLE_WORDS = 8
FALLBACK_WORDS = 6
_EXCERPT_CHARS = 1500
_WRAPPING = "*#_`\"' \u201c\u201d\u2018\u2019"  # the title needs the gist, not the whole exchange

TITLE_PROMPT = (
    "Write a title of 3-6 words for the conversation below. "
    "Reply with the title only: no quotes, no trailing punctuation, no explanation."
)


def _shorten(text: str, words: int) -> str:
    kept = " ".join(text.split()[:words])
    if len(kept) > MAX_TITLE_CHARS:
        kept = kept[: MAX_TITLE_CHARS - 1].rstrip() + "…"
    return kept


def fallback_title(user_text: str) -> str:
    """The first words of the user's message: always available, never empty for real input."""
    return _shorten(user_text, FALLBACK_WORDS) or "Untitled chat"


def clean_title(answer: str) -> str:
    """The model's answer as a title: first line, no "Title:", quotes, markdown or final full stop."""
    lines = [line for line in answer.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    text = re.sub(r"^(?:title\s*:\s*)", "", lines[0].strip(), flags=re.IGNORECASE)
    # Quotes, markdown and a final full stop come wrapped in any order ('"Title".', '**"Title"**').
    previous = None
    while text != previous:
        previous = text
        text = text.strip().strip(_WRAPPING).rstrip(".!:;,")
    return _shorten(text, MAX_TITLE_WORDS)


async def make_title(
    client: ChatClient, model: str, user_text: str, reply_text: str, *, seconds: float = 20.0
) -> tuple[str, bool]:
    """A title for an exchange and whether the model made it (False: the fallback was used)."""
    exchange = f"User: {user_text[:_EXCERPT_CHARS]}\n\nAssistant: {reply_text[:_EXCERPT_CHARS]}"
    try:
        completion = await asyncio.wait_for(
            client.complete(
                [ChatMessage(Role.SYSTEM, TITLE_PROMPT), ChatMessage(Role.USER, exchange)],
                model=model,
                max_tokens=24,
                temperature=0.2,
            ),
            seconds,
        )
    except (DesktopChatError, TimeoutError) as exc:
        # A title is a nicety: never let it fail the exchange; the user's words will do.
        log.info("title generation failed, using the first words: %s", exc or type(exc).__name__)
        return fallback_title(user_text), False
    title = clean_title(completion.text)
    if not title:
        return fallback_title(user_text), False
    return title, True
