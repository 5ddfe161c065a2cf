"""Memory offline: on a capable built-in model, summaries, facts and titles run on the built-in server itself.

The fake OpenAI server stands in for the built-in model's server (the factory gives the built-in
profile a client of it, as ``LocalChatClient`` would after ``ensure()``): no llama.cpp is started.
What is tested is where each request goes and what the chat and the inspector are told.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from desktop_chat.core.bootstrap import open_workspace
from desktop_chat.core.controller import ConversationController
from desktop_chat.core.events import Finished
from desktop_chat.core.models import Strategy
from desktop_chat.core.profiles import LOCAL_PRESET, PRESETS, ProviderProfile
from desktop_chat.core.providers import OpenAIChatClient
from desktop_chat.core.providers.local.builtin import keeps_no_memory, upkeep_profile
from desktop_chat.core.settings import Settings
from tests.helpers.controller import collect, ending, with_controller
from tests.helpers.fake_openai import FakeOpenAIServer

BUILTIN = PRESETS[LOCAL_PRESET]
CAPABLE = "qwen2.5-1.5b-instruct-q4_k_m.gguf"  # the catalog marks it capable


def local_settings(tmp_path: Path, file: str, **overrides: object) -> Settings:
    base = Settings(
        active_profile=BUILTIN.name,
        default_strategy=Strategy.SUMMARY,
        summary_trigger=2,
        summary_keep_last=0,
        read_timeout=5.0,
        local_model_file=str(tmp_path / file),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def run_two_turns(tmp_path: Path, local: FakeOpenAIServer, settings: Settings) -> tuple[Strategy, list[str], str]:
    def factory(profile: ProviderProfile, _settings: Settings) -> OpenAIChatClient:
        assert profile.is_builtin, "no other profile is asked for anything"
        return OpenAIChatClient(local.base_url, "", read_timeout=5.0, max_retries=0)

    async def job(c: ConversationController) -> tuple[Strategy, list[str], str]:
        session = c.new_session()
        for text in ("My name is Ada and I live in Porto.", "I like green tea."):
            assert isinstance(ending(await collect(c.send(session.id, text))), Finished)
            await c.wait_for_upkeep(10)
        plan = c.plan(session.id)
        summary = c.store.summaries.get(session.id)
        return plan.strategy, [o.reason for o in plan.omitted], summary.text if summary else ""

    return with_controller(tmp_path, local, job, settings=settings, factory=factory)


def test_a_capable_catalog_model_keeps_memory_on_the_builtin_server(tmp_path: Path) -> None:
    settings = local_settings(tmp_path, CAPABLE)
    assert not keeps_no_memory(BUILTIN, settings)
    keeper = upkeep_profile(BUILTIN, settings)
    assert keeper is not None and keeper.is_builtin and keeper.upkeep_model == Path(CAPABLE).stem
    with FakeOpenAIServer() as local:
        local.reply("Hello Ada.")
        local.reply("Ada in Porto")  # the title, after the first reply
        local.reply("Noted.")
        local.reply("Ada lives in Porto and likes green tea.")  # the summary, after the second
        strategy, reasons, summary = run_two_turns(tmp_path, local, settings)
        bodies = [r.body for r in local.chat_requests]
    assert strategy is Strategy.SUMMARY and not any("upkeep is off" in r for r in reasons)
    assert summary == "Ada lives in Porto and likes green tea."
    # Replies, the title and the summary all went to the built-in server, under the file's name.
    assert len(bodies) == 4 and {b["model"] for b in bodies} == {Path(CAPABLE).stem}
    assert any("title" in str(b["messages"]).lower() for b in bodies)


def test_a_file_the_user_marked_keeps_memory_and_an_unmarked_one_does_not(tmp_path: Path) -> None:
    unmarked = local_settings(tmp_path, "my-own-model.gguf")
    assert keeps_no_memory(BUILTIN, unmarked) and upkeep_profile(BUILTIN, unmarked) is None
    marked = replace(unmarked, local_memory_models=("my-own-model.gguf",))
    assert not keeps_no_memory(BUILTIN, marked)

    with FakeOpenAIServer() as local:
        for text in ("Hello Ada.", "Noted."):
            local.reply(text)
        strategy, reasons, summary = run_two_turns(tmp_path / "unmarked", local, unmarked)
        requests = len(local.chat_requests)
    assert strategy is Strategy.RECALL and summary == ""
    assert any("my-own-model" in r and "not marked able to keep memory" in r for r in reasons)
    assert requests == 2  # the replies only: no title, summary or fact request

    with FakeOpenAIServer() as local:
        local.reply("Hello Ada.")
        local.reply("Ada in Porto")
        local.reply("Noted.")
        local.reply("Ada likes green tea.")
        strategy, _, summary = run_two_turns(tmp_path / "marked", local, marked)
    assert strategy is Strategy.SUMMARY and summary == "Ada likes green tea."


def test_the_inspector_names_the_builtin_model_that_keeps_the_chats_memory(tmp_path: Path) -> None:
    workspace = open_workspace(tmp_path / "data")
    try:
        workspace.config.set_setting("active_profile", BUILTIN.name)
        session = workspace.chats.new_session()
        assert workspace.costs.upkeep_model(session.id) is None  # the starter model keeps none
        folder = workspace.local.models_folder
        folder.mkdir(parents=True)
        (folder / CAPABLE).write_bytes(b"GGUF")
        workspace.config.set_setting("local_model_file", str(folder / CAPABLE))
        assert workspace.costs.upkeep_model(session.id) == Path(CAPABLE).stem
        workspace.config.set_setting("local_model_file", str(folder / "other.gguf"))
        assert workspace.costs.upkeep_model(session.id) is None
        workspace.local.mark_keeps_memory("other.gguf", True)
        assert workspace.costs.upkeep_model(session.id) == "other"
        assert workspace.settings.local_memory_models == ("other.gguf",)
        # The catalog shows each model's word and this computer's room.
        rows = {r.entry.id: r for r in workspace.local.catalog()}
        assert rows["qwen2.5-1.5b-instruct"].path == folder / CAPABLE and rows["qwen2.5-1.5b-instruct"].keeps_memory
        assert rows["qwen2.5-7b-instruct"].path is None and rows["qwen2.5-7b-instruct"].fit.reason
    finally:
        workspace.close()
