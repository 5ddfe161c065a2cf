"""Which models read images, what an image costs each, and the starter model's notice (issue 23)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from desktop_chat.core.attachments.images import openai_image_tokens
from desktop_chat.core.attachments.vision import Vision, image_tokens, reads_images
from desktop_chat.core.events import Event
from desktop_chat.core.models import PartKind
from desktop_chat.core.profiles import LOCAL_PRESET, PRESETS
from desktop_chat.core.settings import Settings
from desktop_chat.core.workspace import Workspace
from tests.helpers.documents import png_bytes
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-mini", Vision.YES),
        ("openai/gpt-4o", Vision.YES),
        ("gpt-4-turbo", Vision.YES),
        ("gpt-4.1-nano", Vision.YES),
        ("o3", Vision.YES),
        ("claude-3-5-sonnet-latest", Vision.YES),
        ("llava:13b", Vision.YES),
        ("llama3.2-vision:11b", Vision.YES),
        ("qwen2.5-vl-7b-instruct", Vision.YES),
        ("gpt-4", Vision.NO),
        ("gpt-4-0613", Vision.NO),
        ("gpt-3.5-turbo", Vision.NO),
        ("o3-mini", Vision.NO),
        ("deepseek-chat", Vision.NO),
        ("SmolLM2-135M-Instruct", Vision.NO),
        ("llama3.1:8b", Vision.NO),
        ("qwen2.5", Vision.NO),
        ("my-own-finetune", Vision.UNKNOWN),
    ],
)
def test_models_are_sorted_by_whether_they_read_images(model: str, expected: Vision) -> None:
    assert reads_images(model) is expected


def test_the_builtin_starter_model_is_text_only_whatever_its_file() -> None:
    assert reads_images("llava-v1.6", builtin=True) is Vision.NO


def test_openai_models_count_tiles_and_claude_counts_pixels() -> None:
    assert image_tokens("gpt-4o", 1024, 1024) == openai_image_tokens(1024, 1024) == 765
    assert image_tokens("claude-3-5-sonnet", 1000, 1000) == 1334  # 1,000,000 / 750, rounded up
    # Scaled to fit 1.15 megapixels first (Anthropic's ~1,600-token ceiling).
    assert 1_500 < image_tokens("claude-3-opus", 4000, 3000) <= 1_600


def test_the_starter_model_gets_a_notice_and_the_image_is_left_out(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    builtin = PRESETS[LOCAL_PRESET]
    settings = replace(Settings(active_profile=builtin.name), local_model_file=str(tmp_path / "SmolLM2-135M.gguf"))

    async def job(workspace: Workspace, events: list[Event]) -> None:
        photo = workspace.attachments.add_bytes(png_bytes(300, 200), "receipt.png")
        sid = workspace.new_session(title="Receipt").id
        plan = workspace.preview(sid, "What does the receipt say?", attachments=[photo])
        assert plan.notices == (
            "The built-in starter model does not read images: receipt.png is not sent. "
            "Choose a model that reads images to send it.",
        )
        [omitted] = [o for o in plan.omitted if o.kind is PartKind.ATTACHMENT]
        assert omitted.attachment == photo.sha256 and omitted.tokens > 0
        assert not [p for p in plan.parts if p.kind is PartKind.ATTACHMENT]

    with_workspace(tmp_path, fake_openai, job, settings=settings)
