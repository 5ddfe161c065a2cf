"""Full-text search finds a chat by words inside its attached files: the workspace, the command line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from desktop_chat.core.events import Event
from desktop_chat.core.models import Attachment, Role, TextPart
from desktop_chat.core.storage.attachment_search import RANK_UP_TO
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.cli import cli
from tests.helpers.controller import data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace

REPORT = (
    "Harbour survey, spring.\n\n"
    "The north pier needs new timber before winter.\n\n"
    "The old lighthouse lamp was replaced with an LED array in March."
)


async def send(workspace: Workspace, session_id: int, text: str, *attachments: Attachment) -> None:
    async for _ in workspace.replies.send(session_id, text, attachments=attachments):
        pass


def chats_with_a_report(tmp_path: Path, fake_openai: FakeOpenAIServer) -> dict[str, int]:
    report = tmp_path / "report.txt"
    report.write_text(REPORT)
    other = tmp_path / "other.txt"
    other.write_text("Nothing about harbours here, only lamps for the kitchen.")

    async def job(workspace: Workspace, events: list[Event]) -> dict[str, int]:
        survey = workspace.new_session(title="Survey").id
        kitchen = workspace.new_session(title="Kitchen").id
        attached = workspace.attachments.add(report)
        await send(workspace, survey, "Summarise this", attached)
        await send(workspace, survey, "And once more", attached)  # sent twice in one chat: still one hit
        await send(workspace, kitchen, "Which lamp?", workspace.attachments.add(other))
        return {"survey": survey, "kitchen": kitchen}

    return with_workspace(tmp_path, fake_openai, job)


def test_a_chat_is_found_by_words_inside_its_attachment(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    chats = chats_with_a_report(tmp_path, fake_openai)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        (hit,) = workspace.chats.search("lighthouse")
        assert hit.session_id == chats["survey"] and hit.session_title == "Survey"
        assert hit.snippet.startswith("report.txt: ") and "[lighthouse]" in hit.snippet
        first = workspace.chats.messages(chats["survey"])[0]
        assert hit.message_id == first.id  # where the file was first attached
        (both,) = workspace.chats.search("lighthouse lamp")  # every word, in one passage
        assert both.session_id == chats["survey"]
        assert {h.session_id for h in workspace.chats.search("lamp")} == set(chats.values())
        assert workspace.chats.search("lighthouse kitchen") == []  # not every word in one file or message
        workspace.chats.delete_session(chats["survey"])
        assert workspace.chats.search("lighthouse") == []

    with_workspace(tmp_path, fake_openai, job)


def test_the_search_command_lists_the_chat_and_says_it_is_in_the_attachment(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    chats = chats_with_a_report(tmp_path, fake_openai)
    found = cli(data_dir(tmp_path), "search", "timber")
    assert found.returncode == 0, found.stderr
    (line,) = found.stdout.strip().splitlines()
    assert line.split()[0] == str(chats["survey"])
    assert "Survey" in line and "report.txt: " in line and "[timber]" in line
    as_json = cli(data_dir(tmp_path), "search", "timber", "--json")
    (hit,) = json.loads(as_json.stdout)
    assert hit["session_id"] == chats["survey"] and hit["snippet"].startswith("report.txt: ")


def test_a_word_in_hundreds_of_passages_lists_the_newest_files_first(store: Store) -> None:
    """Past RANK_UP_TO matching chunks ranking stops (it costs and tells little): each file still shows once."""
    paragraph = "The harbour wall needs repair before the storms of the coming winter season. " * 14
    shas = []
    for name in ("old survey.txt", "new survey.txt"):
        text = "\n\n".join(f"{paragraph} Section {name} {i}." for i in range(RANK_UP_TO // 2 + 10))
        attachment = Attachment(hashlib.sha256(text.encode()).hexdigest(), name, "text/plain", len(text), text)
        store.attachments.add(attachment)
        sid = store.sessions.create(name).id
        store.messages.append(sid, Role.USER, "see", parts=(TextPart("see"), attachment.part()))
        shas.append(attachment.sha256)
    assert len(store.attachments.search_chunks("harbour", limit=10_000)) > RANK_UP_TO
    hits = store.sessions.search("harbour")
    assert [h.snippet.split(":")[0] for h in hits] == ["new survey.txt", "old survey.txt"]
    assert all("[harbour]" in h.snippet for h in hits)
