"""The built-in profile without a model running: settings, file checks, and the starter model's memory policy.

The replies come from the fake OpenAI server through the real SDK (the controller gets one
shared client); what is tested is what the core decides for a chat on the built-in profile.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import pytest

from desktop_chat.core.controller import ConversationController
from desktop_chat.core.errors import LocalModelError, NotAllowed, SettingsError
from desktop_chat.core.events import Failed, Finished
from desktop_chat.core.models import PartKind, Role, Strategy
from desktop_chat.core.profiles import LOCAL_PRESET, PRESETS, ProviderProfile
from desktop_chat.core.providers import OpenAIChatClient
from desktop_chat.core.providers.local.builtin import (
    LocalModels,
    builtin_model_name,
    keeps_no_memory,
    uses_starter_model,
)
from desktop_chat.core.providers.local.files import check_gguf, list_model_files
from desktop_chat.core.services import SecretAccess, client_factory
from desktop_chat.core.settings import Settings, validate
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.cli import cli
from tests.helpers.controller import collect, ending, with_controller
from tests.helpers.fake_openai import FakeOpenAIServer

BUILTIN = PRESETS[LOCAL_PRESET]


def builtin_settings(**overrides: object) -> Settings:
    base = Settings(active_profile=BUILTIN.name, default_strategy=Strategy.HYBRID, read_timeout=5.0)
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_fresh_settings_list_the_builtin_profile_but_do_not_activate_it() -> None:
    settings = Settings()
    assert [p.name for p in settings.profiles] == ["OpenAI", "Local (built-in)"]
    assert settings.active_profile == "OpenAI"
    assert settings.profile("local") == BUILTIN
    assert not BUILTIN.needs_key
    assert settings.local_threads == 1 and settings.local_model_file is None


def test_local_names_the_builtin_model_also_in_an_older_data_folder() -> None:
    older = Settings(profiles=(PRESETS["openai"],))
    assert older.profile("local").is_builtin
    assert older.profile("Local (built-in)").is_builtin
    with pytest.raises(SettingsError):
        older.profile("nope")


def test_local_settings_are_validated() -> None:
    assert validate("local_threads", 2) == 2
    assert validate("local_model_file", " /m/x.gguf ") == "/m/x.gguf"
    for key, bad in (("local_threads", 0), ("local_context_size", 100), ("local_model_file", "")):
        with pytest.raises(SettingsError, match=key):
            validate(key, bad)


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: d / "missing.gguf", "Local model file not found"),
        (lambda d: d, "is not a file"),
        (lambda d: _write(d / "notes.gguf", b"hello, not a model"), "is not a GGUF model"),
    ],
)
def test_an_unusable_model_file_is_one_clear_line(tmp_path: Path, make: object, says: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(LocalModelError) as caught:
        check_gguf(path)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_bogus_model_path_fails_the_reply_in_one_line_and_starts_nothing(tmp_path: Path) -> None:
    """Through the real factory and workspace: the file is checked before any child process is spent."""
    store = Store.open(tmp_path / "data")
    local = LocalModels()
    store.settings.save(builtin_settings(local_model_file=str(tmp_path / "nowhere" / "model.gguf")))
    workspace = Workspace(store, client_factory(SecretAccess(), local=local), secrets=SecretAccess(), local=local)

    async def go() -> Failed | Finished:
        try:
            session = workspace.new_session()
            end = ending(await collect(workspace.send(session.id, "hello")))
            assert not isinstance(end, Finished)
            return end  # type: ignore[return-value]
        finally:
            await workspace.aclose()

    try:
        end = asyncio.run(go())
    finally:
        store.close()
    assert isinstance(end, Failed)
    assert "Local model file not found" in end.message and "\n" not in end.message
    assert local.pid is None


def test_the_starter_models_chat_runs_no_upkeep_and_says_why(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    fake_openai.reply("Hello there.")
    fake_openai.reply("The user's response is a perfect example of")  # what SmolLM2-135M makes of a title request

    async def job(c: ConversationController) -> tuple[Strategy, list[str], str]:
        session = c.new_session()
        events = await collect(c.send(session.id, "My name is Ada and I live in Porto."))
        assert isinstance(ending(events), Finished)
        await c.wait_for_upkeep(5)
        plan = c.plan(session.id)
        reasons = [o.reason for o in plan.omitted if o.kind is PartKind.SUMMARY]
        return plan.strategy, reasons, c.store.sessions.get(session.id).title

    def factory(_profile: ProviderProfile, _settings: Settings) -> OpenAIChatClient:
        # The fake server stands in for the built-in model's (no llama.cpp needed to count the requests).
        return OpenAIChatClient(fake_openai.base_url, "", read_timeout=5.0, max_retries=0)

    strategy, reasons, title = with_controller(tmp_path, fake_openai, job, settings=builtin_settings(), factory=factory)
    assert strategy is Strategy.RECALL
    assert len(reasons) == 1 and "starter model" in reasons[0] and "'hybrid'" in reasons[0]
    # The reply only: no title, summary or fact extraction request reached the starter model; the chat
    # is named by the user's first words.
    assert len(fake_openai.chat_requests) == 1
    assert title == "My name is Ada and I"


def test_another_model_file_keeps_memory_once_the_catalog_or_the_user_says_it_can(tmp_path: Path) -> None:
    other = builtin_settings(local_model_file=str(tmp_path / "qwen.gguf"))
    assert not uses_starter_model(BUILTIN, other)
    assert uses_starter_model(BUILTIN, builtin_settings())
    assert not uses_starter_model(PRESETS["openai"], builtin_settings())
    # Memory needs a capable model: an unknown file is not one until the user marks it (issue 26).
    assert keeps_no_memory(BUILTIN, other)
    assert not keeps_no_memory(BUILTIN, replace(other, local_memory_models=("qwen.gguf",)))
    catalogued = builtin_settings(local_model_file=str(tmp_path / "Llama-3.2-3B-Instruct-Q4_K_M.gguf"))
    assert not keeps_no_memory(BUILTIN, catalogued)
    assert not keeps_no_memory(PRESETS["openai"], builtin_settings())


def test_gguf_files_in_the_models_folder_are_listed_with_sizes(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    _write(folder / "b.gguf", b"GGUF" + b"x" * 96)
    _write(folder / "notes.txt", b"not listed")
    listed = {path.name: size for path, size in list_model_files(tmp_path)}
    assert listed["b.gguf"] == 100
    assert "notes.txt" not in listed


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_models_of_the_builtin_profile_lists_files_with_sizes_and_starts_no_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "models").mkdir(parents=True)
    _write(data / "models" / "mine.gguf", b"GGUF" + b"\0" * 1_999_996)
    listed = cli(data, "models", "--profile", "local", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {Path(r["path"]).name: r for r in json.loads(listed.stdout)}
    assert rows["mine.gguf"]["bytes"] == 2_000_000 and not rows["mine.gguf"]["in_use"]
    assert "starting the built-in model" not in listed.stderr


def test_checking_the_builtin_profile_checks_its_model_file_and_calls_no_server(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data")
    workspace = Workspace(store, client_factory(SecretAccess()), secrets=SecretAccess())

    async def go() -> tuple[bool, str, bool, str]:
        good = await workspace.test_connection(BUILTIN)
        workspace.set_setting("local_model_file", str(_write(tmp_path / "x.gguf", b"not a model")))
        bad = await workspace.test_connection(BUILTIN)
        return good.ok, good.message, bad.ok, bad.message

    try:
        good_ok, good, bad_ok, bad = asyncio.run(go())
    finally:
        store.close()
    assert good_ok and "SmolLM2-135M-Instruct.Q4_1.gguf" in good
    assert not bad_ok and "is not a GGUF model" in bad


def test_a_changed_model_file_applies_to_the_next_reply(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data")
    local = LocalModels()
    store.settings.save(builtin_settings(local_model_file=str(tmp_path / "first.gguf")))
    workspace = Workspace(store, client_factory(SecretAccess(), local=local), secrets=SecretAccess(), local=local)

    async def go() -> list[str]:
        messages = []
        try:
            session = workspace.new_session()
            for name in ("first", "second"):
                workspace.set_setting("local_model_file", str(tmp_path / f"{name}.gguf"))
                await asyncio.sleep(0)  # the clients built for the old settings are closed in a task
                end = ending(await collect(workspace.send(session.id, "hello")))
                assert isinstance(end, Failed)
                messages.append(end.message)
            return messages
        finally:
            await workspace.aclose()

    try:
        first, second = asyncio.run(go())
    finally:
        store.close()
    assert "first.gguf" in first and "second.gguf" in second


def test_summarise_now_on_the_starter_model_is_refused_in_one_line(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data")
    store.settings.save(builtin_settings())
    local = LocalModels()
    workspace = Workspace(store, client_factory(SecretAccess(), local=local), secrets=SecretAccess(), local=local)

    async def go() -> str:
        try:
            await workspace.summarise_now(workspace.new_session().id)
        except NotAllowed as exc:
            return str(exc)
        finally:
            await workspace.aclose()
        return ""

    try:
        message = asyncio.run(go())
    finally:
        store.close()
    assert "starter model" in message and "\n" not in message
    assert local.pid is None  # no server was started for it


def test_a_named_upkeep_profile_keeps_the_starter_models_memory(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    """The starter model's chat keeps its strategy; its summary is written by the other profile's server.

    A second fake server stands in for the built-in model's (no llama.cpp is started): the
    factory gives the built-in profile a client of it, as LocalChatClient would after ensure().
    """
    helper = ProviderProfile(
        name="Helper", base_url=fake_openai.base_url, default_model="fake-gpt", summary_model="fake-mini"
    )
    settings = builtin_settings(
        profiles=(BUILTIN, helper),
        default_strategy=Strategy.SUMMARY,
        summary_trigger=2,
        summary_keep_last=0,
        local_upkeep_profile="Helper",
    )
    fake_openai.reply("Meeting Ada")  # the title, after the first reply
    fake_openai.reply("Ada lives in Porto and likes tea.")  # the summary, after the second
    with FakeOpenAIServer() as local:
        for text in ("Hello Ada.", "Noted."):
            local.reply(text)

        def factory(profile: ProviderProfile, _settings: Settings) -> OpenAIChatClient:
            server = local if profile.is_builtin else fake_openai
            return OpenAIChatClient(server.base_url, "", read_timeout=5.0, max_retries=0)

        store = Store.open(tmp_path / "data")

        async def go() -> tuple[Strategy, list[str], str | None]:
            controller = ConversationController(store, factory, settings)
            try:
                session = controller.new_session()
                for text in ("My name is Ada.", "I live in Porto and like tea."):
                    assert isinstance(ending(await collect(controller.send(session.id, text))), Finished)
                    await controller.wait_for_upkeep(10)
                plan = controller.plan(session.id)
                summary = store.summaries.get(session.id)
                return plan.strategy, [o.reason for o in plan.omitted], summary.model if summary else None
            finally:
                await controller.aclose()

        try:
            strategy, reasons, summary_model = asyncio.run(go())
        finally:
            store.close()
        local_models = [r.body["model"] for r in local.chat_requests]
    assert strategy is Strategy.SUMMARY and not any("starter model" in r for r in reasons)
    assert summary_model == "fake-mini"
    assert [r.body["model"] for r in fake_openai.chat_requests] == ["fake-mini"] * 2  # the title and the summary
    # The two replies (no upkeep and no title on the starter), under the name its server answers with.
    assert local_models == [builtin_model_name(settings)] * 2


def test_the_upkeep_profile_setting_names_another_profile_or_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data")
    try:
        assert store.settings.set("local_upkeep_profile", "OpenAI").starter_upkeep() == PRESETS["openai"]
        for bad in ("Nope", BUILTIN.name):
            with pytest.raises(SettingsError, match="must be empty or the name of another provider profile"):
                store.settings.set("local_upkeep_profile", bad)
        assert store.settings.set("local_upkeep_profile", "").local_upkeep_profile is None
    finally:
        store.close()
    # A profile removed since is no upkeep profile: the starter model's chats keep no memory again.
    assert builtin_settings(local_upkeep_profile="Gone").starter_upkeep() is None


def test_summarise_now_on_the_starter_model_uses_the_named_upkeep_profile(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    helper = ProviderProfile(
        name="Helper",
        base_url=fake_openai.base_url,
        default_model="fake-gpt",
        summary_model="fake-mini",
        needs_key=False,
    )
    store = Store.open(tmp_path / "data")
    store.settings.save(
        builtin_settings(profiles=(BUILTIN, helper), local_upkeep_profile="Helper", summary_keep_last=0)
    )
    local = LocalModels()
    workspace = Workspace(store, client_factory(SecretAccess(), local=local), secrets=SecretAccess(), local=local)
    fake_openai.reply("Ada lives in Porto.")

    async def go() -> tuple[str, tuple[str, ...]]:
        try:
            session = workspace.new_session()
            for i, text in enumerate(("I am Ada.", "Hello Ada.", "I live in Porto.", "Noted.")):
                store.messages.append(session.id, Role.USER if i % 2 == 0 else Role.ASSISTANT, text)
            report = await workspace.summarise_now(session.id)
            return report.results["summary"].status, workspace.upkeep_jobs(session.id)
        finally:
            await workspace.aclose()

    try:
        status, jobs = asyncio.run(go())
    finally:
        store.close()
    assert status == "done" and jobs
    assert [r.body["model"] for r in fake_openai.chat_requests] == ["fake-mini"]
    assert local.pid is None  # the built-in model's server was never started for it


def test_the_upkeep_profile_follows_a_rename_and_is_unset_by_a_removal(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "data")
    workspace = Workspace(store, client_factory(SecretAccess()), secrets=SecretAccess())
    try:
        workspace.add_profile(PRESETS["ollama"])
        workspace.set_setting("local_upkeep_profile", "Ollama")
        workspace.update_profile("Ollama", replace(PRESETS["ollama"], name="Home"))
        assert workspace.settings.local_upkeep_profile == "Home"
        workspace.remove_profile("Home")
        assert workspace.settings.local_upkeep_profile is None
    finally:
        asyncio.run(workspace.aclose())
        store.close()
