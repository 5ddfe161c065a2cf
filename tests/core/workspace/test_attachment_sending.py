"""Attachments sent within the budget, as the server receives them through the real openai SDK (issue 23)."""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_chat.core.attachments.images import openai_image_tokens
from desktop_chat.core.events import Event, Started
from desktop_chat.core.models import Attachment, ContextPlan, PartKind, Strategy
from desktop_chat.core.settings import Settings
from desktop_chat.core.workspace import Workspace
from tests.helpers.controller import settings_for
from tests.helpers.documents import docx_bytes, pdf_bytes, png_bytes
from tests.helpers.fake_openai import FakeOpenAIServer, Fault
from tests.helpers.long_document import FACTS, manual
from tests.helpers.workspace import with_workspace

NOTES = "The boat is called Marigold. Its mooring is at pier 7, next to the harbour master's office.\n"


def big_window(server: FakeOpenAIServer, **overrides: Any) -> Settings:
    """The test profile with a 128,000-token window: the budget is the request cap (16,000)."""
    settings = settings_for(server, **overrides)
    return replace(settings, profiles=(replace(settings.profiles[0], context_window=128_000),))


async def send(workspace: Workspace, session_id: int, text: str, *files: Attachment, **kw: Any) -> ContextPlan:
    plan: ContextPlan | None = None
    async for event in workspace.replies.send(session_id, text, attachments=files, **kw):
        if isinstance(event, Started):
            plan = event.plan
    assert plan is not None
    return plan


def sent_messages(server: FakeOpenAIServer) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = server.chat_requests[-1].body["messages"]
    return messages


def attachment_parts(plan: ContextPlan) -> list[Any]:
    return [p for p in plan.parts if p.kind is PartKind.ATTACHMENT]


def test_a_document_that_fits_goes_whole_right_before_the_message(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    (tmp_path / "boat.txt").write_text(NOTES)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        notes = workspace.attachments.add(tmp_path / "boat.txt")
        sid = workspace.new_session(title="Boat").id
        preview = workspace.preview(sid, "What is the boat called?", attachments=[notes])
        plan = await send(workspace, sid, "What is the boat called?", notes)
        [part] = attachment_parts(plan)
        assert part.attachment == notes.sha256 and part.reason == f"whole: {part.tokens:,} tokens"
        assert part.tokens == workspace.attachments.tokens(notes, sid)
        received = sent_messages(fake_openai)
        assert received[-2] == {"role": "user", "content": f"boat.txt (attached):\n\n{NOTES}"}
        assert received[-1] == {"role": "user", "content": "What is the boat called?"}
        assert received == plan.request_messages() == preview.request_messages()
        assert plan.total_tokens <= plan.budget and not plan.notices

    with_workspace(tmp_path, fake_openai, job)


def test_an_image_arrives_as_a_data_url_part_counted_by_openai_tiles(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    image = png_bytes(1024, 1024)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        photo = workspace.attachments.add_bytes(image, "photo.png")
        sid = workspace.new_session(title="Photo").id
        plan = await send(workspace, sid, "What is in this picture?", photo, model="gpt-4o-mini")
        [part] = attachment_parts(plan)
        label = "photo.png (attached image, 1024x1024 px)"
        assert part.tokens == workspace.attachments.tokens(photo, sid)
        received = sent_messages(fake_openai)
        assert received[-2] == {
            "role": "user",
            "content": [
                {"type": "text", "text": label},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64," + base64.b64encode(image).decode(), "detail": "auto"},
                },
            ],
        }
        assert received[-1]["content"] == "What is in this picture?"
        shown = plan.request_messages()[-2]["content"][1]["image_url"]["url"]
        assert shown == f"data:image/png;base64,… ({len(image):,} bytes)"
        assert openai_image_tokens(1024, 1024) < part.tokens < openai_image_tokens(1024, 1024) + 30
        assert "OpenAI's tile rule" in part.reason and not plan.notices

    with_workspace(tmp_path, fake_openai, job)


def test_a_text_only_model_gets_a_notice_and_an_omission_never_a_silent_drop(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    async def job(workspace: Workspace, events: list[Event]) -> None:
        photo = workspace.attachments.add_bytes(png_bytes(640, 480), "chart.png")
        sid = workspace.new_session(title="Chart").id
        preview = workspace.preview(sid, "Read the chart", attachments=[photo], model="gpt-3.5-turbo")
        assert preview.notices == (
            "gpt-3.5-turbo does not read images: chart.png is not sent. Choose a model that reads images to send it.",
        )
        [omitted] = [o for o in preview.omitted if o.kind is PartKind.ATTACHMENT]
        assert omitted.attachment == photo.sha256 and "does not read images" in omitted.reason and omitted.tokens > 0
        plan = await send(workspace, sid, "Read the chart", photo, model="gpt-3.5-turbo")
        assert plan.notices == preview.notices and not attachment_parts(plan)
        assert all(isinstance(m["content"], str) for m in sent_messages(fake_openai))
        # A model nobody knows: the image is sent, and the plan says it may not be read.
        unknown = workspace.preview(sid, "Read the chart", attachments=[photo], model="my-local-model")
        assert len(attachment_parts(unknown)) == 1 and "not known to read images" in unknown.notices[0]

    with_workspace(tmp_path, fake_openai, job)


def test_a_200000_token_document_is_answered_within_the_budget_by_the_excerpt_holding_the_answer(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    (tmp_path / "manual.txt").write_text(manual(200_000))
    needle = FACTS[0]

    async def job(workspace: Workspace, events: list[Event]) -> None:
        doc = workspace.attachments.add(tmp_path / "manual.txt")
        sid = workspace.new_session(title="Manual").id
        assert workspace.attachments.tokens(doc, sid) > 180_000
        plan = await send(workspace, sid, needle.question, doc)
        [part] = attachment_parts(plan)
        assert plan.total_tokens <= plan.budget == 16_000
        assert part.reason.startswith(tuple(f"{k} of " for k in range(1, 200)))
        assert "that match 'keep spare boathouse key'" in part.reason, part.reason
        received = sent_messages(fake_openai)
        assert needle.sentence in received[-2]["content"] and received[-1]["content"] == needle.question
        [omitted] = [o for o in plan.omitted if o.kind is PartKind.ATTACHMENT]
        assert (
            omitted.attachment == doc.sha256 and omitted.tokens == workspace.attachments.tokens(doc, sid) - part.tokens
        )
        # A generic question picks out no part: the beginning and excerpts spread through it, said so.
        generic = workspace.preview(sid, "Summarise this document please", attachments=[doc])
        [spread] = attachment_parts(generic)
        assert "its beginning and excerpts spread evenly" in spread.reason
        assert "Section 1\n" in spread.messages[0].content and generic.total_tokens <= generic.budget

    with_workspace(tmp_path, fake_openai, job, settings=big_window(fake_openai))


def test_later_turns_name_the_file_and_recall_its_matching_chunk_instead_of_resending_it(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    (tmp_path / "manual.txt").write_text(manual(30_000))

    async def job(workspace: Workspace, events: list[Event]) -> None:
        doc = workspace.attachments.add(tmp_path / "manual.txt")
        sid = workspace.new_session(title="Manual", strategy=Strategy.HYBRID).id
        await send(workspace, sid, "Please read this manual, I will ask about it.", doc)
        plan = await send(workspace, sid, "Which payment terms were agreed with Harrowgate Linen?")
        received = sent_messages(fake_openai)
        text = "\n".join(m["content"] for m in received)
        assert "Please read this manual, I will ask about it.\n[attached: manual.txt]" in text
        assert "Section 1\n" not in text, "the whole file is not sent again"
        [recalled] = attachment_parts(plan)
        assert recalled.reason.startswith("recalled from manual.txt (part ") and recalled.attachment == doc.sha256
        assert FACTS[2].sentence in recalled.messages[0].content
        assert received[-2]["content"] == recalled.messages[0].content
        assert plan.total_tokens <= plan.budget

    with_workspace(tmp_path, fake_openai, job, settings=big_window(fake_openai, max_request_tokens=4_000))


def test_a_retry_sends_the_file_as_the_first_time_and_the_reply_plan_records_it(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    (tmp_path / "boat.txt").write_text(NOTES)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        notes = workspace.attachments.add(tmp_path / "boat.txt")
        sid = workspace.new_session(title="Boat").id
        fake_openai.fail(Fault.SERVER_ERROR, times=4)
        await send(workspace, sid, "Where is the mooring?", notes)
        first = sent_messages(fake_openai)
        plan: ContextPlan | None = None
        async for event in workspace.replies.retry(sid):
            plan = event.plan if isinstance(event, Started) else plan
        assert plan is not None and sent_messages(fake_openai) == first
        assert first[-2]["content"].endswith(NOTES)
        reply = workspace.chats.messages(sid)[-1]
        stored = workspace.replies.reply_plan(reply.id)
        assert stored is not None
        [record] = [p for p in stored.parts if p.kind is PartKind.ATTACHMENT]
        assert record.attachment == notes.sha256 and record.reason.startswith("whole: ") and record.count == 1

    with_workspace(tmp_path, fake_openai, job)


def test_the_budget_holds_with_files_at_every_size(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    (tmp_path / "manual.txt").write_text(manual(20_000))
    (tmp_path / "boat.txt").write_text(NOTES * 40)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        files = [workspace.attachments.add(tmp_path / n) for n in ("manual.txt", "boat.txt")]
        files.append(workspace.attachments.add_bytes(png_bytes(2048, 4096), "scan.png"))
        sid = workspace.new_session(title="Sizes").id
        for turn in range(3):
            await send(workspace, sid, f"Turn {turn}: where is the boat moored?")
        for strategy in Strategy:
            for budget in (300, 900, 2_000, 5_000, 12_000, 30_000):
                plan = workspace.preview(
                    sid, "Where is the spare key?", strategy, attachments=files, budget=budget, model="gpt-4o"
                )
                assert plan.total_tokens <= plan.budget == budget, (strategy, budget)
                left_out = {o.attachment for o in plan.omitted if o.attachment}
                sent = {p.attachment for p in attachment_parts(plan)}
                assert {f.sha256 for f in files} <= left_out | sent, "every file is sent, left out with why, or both"

    with_workspace(tmp_path, fake_openai, job)


def test_a_pdf_and_a_docx_arrive_as_their_text_with_the_pdf_pages_marked(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    (tmp_path / "invoice.pdf").write_bytes(pdf_bytes(["Invoice 2291 from Harbour Supplies", "Total due: 1,240 EUR"]))
    (tmp_path / "letter.docx").write_bytes(docx_bytes(["Dear Alex,", "The meeting moves to Thursday at 10."]))

    async def job(workspace: Workspace, events: list[Event]) -> None:
        pdf = workspace.attachments.add(tmp_path / "invoice.pdf")
        letter = workspace.attachments.add(tmp_path / "letter.docx")
        sid = workspace.new_session(title="Papers").id
        plan = await send(workspace, sid, "What is the total, and when is the meeting?", pdf, letter)
        received = sent_messages(fake_openai)
        first, second, question = received[-3:]
        assert first["role"] == second["role"] == question["role"] == "user"
        assert first["content"].startswith("invoice.pdf (attached, 2 pages):\n\n")
        assert "Invoice 2291 from Harbour Supplies" in first["content"]
        assert "[page 2]\nTotal due: 1,240 EUR" in first["content"]
        assert second["content"].startswith("letter.docx (attached")
        assert "Dear Alex,\n\nThe meeting moves to Thursday at 10." in second["content"]
        assert question["content"] == "What is the total, and when is the meeting?"
        assert [p.attachment for p in attachment_parts(plan)] == [pdf.sha256, letter.sha256]

    with_workspace(tmp_path, fake_openai, job)


def test_a_long_pdf_sends_the_matching_page_labelled_with_its_number(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    pages = [manual(700, facts=(), seed=page) for page in range(30)]
    pages[11] += "\nThe courier collects returned crates from loading bay C every Wednesday."
    (tmp_path / "handbook.pdf").write_bytes(pdf_bytes(pages))

    async def job(workspace: Workspace, events: list[Event]) -> None:
        handbook = workspace.attachments.add(tmp_path / "handbook.pdf")
        sid = workspace.new_session(title="Handbook").id
        plan = workspace.preview(sid, "Which loading bay does the courier use?", attachments=[handbook], budget=3_000)
        [part] = attachment_parts(plan)
        assert "[handbook.pdf, page 12]\n" in part.messages[0].content
        assert "loading bay C" in part.messages[0].content and "1 that matches" in part.reason
        assert plan.total_tokens <= plan.budget

    with_workspace(tmp_path, fake_openai, job)


def test_an_edited_message_keeps_its_file_and_sends_it_again(tmp_path: Path, fake_openai: FakeOpenAIServer) -> None:
    (tmp_path / "boat.txt").write_text(NOTES)

    async def job(workspace: Workspace, events: list[Event]) -> None:
        notes = workspace.attachments.add(tmp_path / "boat.txt")
        sid = workspace.new_session(title="Boat").id
        await send(workspace, sid, "Where is the moring?", notes)
        first = workspace.chats.messages(sid)[0]
        async for _ in workspace.replies.edit_and_resend(sid, first.id, "Where is the mooring?"):
            pass
        edited = workspace.chats.messages(sid)[0]
        assert edited.id != first.id and edited.content == "Where is the mooring?"
        assert [a.sha256 for a in workspace.attachments.of_message(edited.id)] == [notes.sha256]
        received = sent_messages(fake_openai)
        assert received[-2]["content"].endswith(NOTES) and received[-1]["content"] == "Where is the mooring?"

    with_workspace(tmp_path, fake_openai, job)
