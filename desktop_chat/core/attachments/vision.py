"""Which models read images, and what an image costs each.

Decided by the model's name (the part after any "provider/" prefix, lower case), first match wins:

* **text-only** (``TEXT_ONLY``): an image is left out of the request, with a notice in the plan
  and an omission saying why. The built-in starter model is text-only whatever its name.
* **reads images** (``VISION``): the image goes as an ``image_url`` part.
* **unknown** (any other name: most local models): the image is sent, and the plan says so in a
  notice ("not known to read images: sent as is"). Leaving it out would be a silent guess the
  other way; a server that cannot take it answers with an error the chat shows on the reply.

Costs: OpenAI's models by OpenAI's tile formula (``images.openai_image_tokens``, "auto" counted
as "high", the most it can cost); Anthropic's Claude by its documented rule (the image scaled to
fit 1,568 px on its long side and 1.15 megapixels, then width x height / 750 tokens); any other
model by the OpenAI formula too, as an estimate (local vision models each count differently).
"""

from __future__ import annotations

import math
from enum import StrEnum

from desktop_chat.core.attachments.images import openai_image_tokens


class Vision(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


# Checked before VISION: "gpt-4" alone is text-only, "gpt-4o" and "gpt-4-turbo" read images.
TEXT_ONLY = (
    "gpt-3.5",
    "gpt-4-0314",
    "gpt-4-0613",
    "gpt-4-32k",
    "o1-mini",
    "o3-mini",
    "text-",
    "davinci",
    "babbage",
    "deepseek-chat",
    "deepseek-reasoner",
    "deepseek-r1",
    "deepseek-v3",
    "smollm",
    "tinyllama",
    "phi-2",
    "phi-3-mini",
    "phi-3-medium",
    "qwen2.5-coder",
    "codellama",
    "mistral-7b",
    "mixtral",
    "llama-2",
    "llama2",
    "llama-3.1",
    "llama3.1",
    "llama-3.3",
    "llama3.3",
    "gemma-2",
    "gemma2",
)
_EXACT_TEXT_ONLY = frozenset({"gpt-4", "llama3", "mistral", "qwen2.5", "phi3"})
VISION = (
    "gpt-4o",
    "chatgpt-4o",
    "gpt-4.1",
    "gpt-4.5",
    "gpt-4-turbo",
    "gpt-4-vision",
    "gpt-5",
    "o1",
    "o3",
    "o4",
    "claude-3",
    "claude-sonnet-4",
    "claude-opus-4",
    "claude-haiku-4",
    "gemini",
    "llava",
    "bakllava",
    "moondream",
    "pixtral",
    "llama3.2-vision",
    "llama-3.2-11b-vision",
    "llama-3.2-90b-vision",
    "llama-4",
    "qwen-vl",
    "qwen2-vl",
    "qwen2.5-vl",
    "qwen2.5vl",
    "gemma3",
    "gemma-3",
    "minicpm-v",
    "internvl",
    "grok-2-vision",
)


def _name(model: str) -> str:
    return model.strip().lower().rsplit("/", 1)[-1]


def reads_images(model: str, *, builtin: bool = False) -> Vision:
    """Whether ``model`` reads images (``builtin``: the app's own starter model, text-only)."""
    name = _name(model)
    if builtin or name in _EXACT_TEXT_ONLY or name.startswith(TEXT_ONLY):
        return Vision.NO
    if name.startswith(VISION):
        return Vision.YES
    return Vision.UNKNOWN


def _is_openai(name: str) -> bool:
    return name.startswith(("gpt-", "chatgpt-", "o1", "o3", "o4"))


def image_tokens(model: str, width: int, height: int) -> int:
    """What one image of ``width`` x ``height`` pixels costs ``model`` (the rules above)."""
    name = _name(model)
    if name.startswith("claude"):
        scale = min(1.0, 1568 / max(width, height), math.sqrt(1_150_000 / (width * height)))
        return max(1, math.ceil(round(width * scale) * round(height * scale) / 750))
    return openai_image_tokens(width, height)


def counted_how(model: str) -> str:
    """The rule ``image_tokens`` used, in a few words (for a reason)."""
    name = _name(model)
    if name.startswith("claude"):
        return "Anthropic's rule"
    return "OpenAI's tile rule" if _is_openai(name) else "OpenAI's tile rule, an estimate for this model"
