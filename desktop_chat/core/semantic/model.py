"""The local text-embedding model: WordLlama's static token vectors, shipped inside its pip wheel.

Why this model (docs/memory.md, *Semantic recall*): it is the candidate that
ships its weights in the wheel (nothing is downloaded at run time, ever), loads
in ~0.2 s, embeds ~20,000 messages a second on two cores with numpy alone (no
torch, no ONNX runtime), and is MIT-licensed. A message's vector is the mean of
its tokens' vectors, unit length, so a dot product is a cosine.

Only the wheel's two data files are used, found without importing ``wordllama``
itself: its loader would try Hugging Face for the tokenizer first.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_chat.core.errors import DesktopChatError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from tokenizers import Tokenizer

MODEL_NAME = "wordllama-l2-supercat-256"
DIMENSIONS = 256
# Longer texts are embedded from their beginning: a mean over a pasted page says little more, and
# tokenising megabytes would hold the worker for seconds.
MAX_CHARACTERS = 4_000
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"


class EmbeddingsUnavailable(DesktopChatError):
    """The embedding model's files are missing; recall goes on by words alone."""


def model_folder() -> Path:
    """Where the wheel put the model's files; in the PyInstaller bundle, its copy of them (build.spec)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if isinstance(bundle, str):
        return Path(bundle) / "wordllama"
    spec = importlib.util.find_spec("wordllama")
    if spec is None or spec.origin is None:
        raise EmbeddingsUnavailable(
            "The embedding model (the wordllama package) is not installed: recall finds messages by their words only;"
            " reinstall Desktop Chat to get it back."
        )
    return Path(spec.origin).parent


class Embedder:
    """Text in, unit vectors out; thread-safe (the tables are read-only, the tokenizer is reentrant)."""

    name = MODEL_NAME

    def __init__(self, table: NDArray[np.float16], tokenizer: Tokenizer) -> None:
        self._table = table
        self._tokenizer = tokenizer

    @classmethod
    def load(cls) -> Embedder:
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = model_folder()
        try:
            table = load_file(str(folder / _WEIGHTS))["embedding.weight"]
            tokenizer = Tokenizer.from_file(str(folder / _TOKENIZER))
        except Exception as exc:  # safetensors and tokenizers raise error types of their own
            raise EmbeddingsUnavailable(
                f"The embedding model in {folder} could not be read ({exc}): recall finds messages by their words"
                " only; reinstall Desktop Chat to repair it."
            ) from exc
        tokenizer.no_padding()
        tokenizer.no_truncation()
        return cls(np.ascontiguousarray(table[:, :DIMENSIONS]), tokenizer)

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One unit row per text (a text with no tokens gets a zero row, which matches nothing)."""
        import numpy as np

        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch([t[:MAX_CHARACTERS] for t in texts], add_special_tokens=False)
        size = self._table.shape[0]
        for row, encoding in enumerate(encodings):
            ids = [i for i in encoding.ids if 0 <= i < size]
            if ids:
                out[row] = self._table[ids].astype(np.float32).mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out /= norms
        return out


class _Shared:
    lock = threading.Lock()
    embedder: Embedder | None = None


def shared_embedder() -> Embedder:
    """The process's one embedder, loaded on first use (~0.2 s: call it off the GUI thread)."""
    with _Shared.lock:
        if _Shared.embedder is None:
            _Shared.embedder = Embedder.load()
        return _Shared.embedder


def loaded_embedder() -> Embedder | None:
    """The embedder if something already loaded it; never loads (the planner runs on the GUI thread)."""
    return _Shared.embedder
