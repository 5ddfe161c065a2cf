"""A document's text in chunks: nothing lost, each within its size, found by the words inside it."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from desktop_chat.core.attachments.chunks import chunk_text
from desktop_chat.core.events import Event
from desktop_chat.core.storage.store import Store
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import data_dir
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.workspace import with_workspace


@given(st.text(alphabet=st.sampled_from("ab .\n"), max_size=3000), st.integers(20, 400))
def test_chunks_keep_every_word_in_order_within_their_size(text: str, size: int) -> None:
    chunks = chunk_text(text, size)
    assert all(0 < len(c.text) <= size for c in chunks)
    assert " ".join(c.text for c in chunks).split() == text.split()
    assert [c.seq for c in chunks] == list(range(len(chunks)))


def test_a_chunk_knows_the_page_it_starts_on() -> None:
    text = "[page 1]\n\nIntro words.\n\n[page 2]\n\n" + "Second page text. " * 100
    labels = [c.label for c in chunk_text(text, 300)]
    assert labels[0] == "page 1" and set(labels[1:]) == {"page 2"}


def test_words_inside_an_attachment_find_its_chunk_until_its_chat_is_deleted(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    manual = tmp_path / "manual.txt"
    manual.write_text("Chapter one.\n\nThe spare key hangs behind the blue lighthouse painting.\n\nChapter two.")

    async def job(workspace: Workspace, events: list[Event]) -> None:
        attachment = workspace.attachments.add(manual)
        sid = workspace.new_session(title="Manual").id
        async for _ in workspace.replies.send(sid, "read this", attachments=[attachment]):
            pass
        store = Store.open(data_dir(tmp_path))  # a second connection to the same file, as another process
        found = store.attachments.search_chunks("where is the lighthouse key")
        assert [c.sha256 for c in found] == [attachment.sha256] and "blue lighthouse" in found[0].text
        workspace.chats.delete_session(sid)
        assert store.attachments.search_chunks("lighthouse") == []
        store.close()

    with_workspace(tmp_path, fake_openai, job)
