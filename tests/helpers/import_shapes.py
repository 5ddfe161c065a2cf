"""Exports in each vendor's shape, written by the tests (shapes researched from real exports' documentation)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

T0 = 1714640000.0  # 2024-05-02 08:53:20 UTC


def node(node_id: str, parent: str | None, children: list[str], message: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": node_id, "parent": parent, "children": children, "message": message}


def message(
    node_id: str,
    role: str,
    parts: list[Any],
    at: float | None,
    *,
    content_type: str = "text",
    recipient: str = "all",
    metadata: dict[str, Any] | None = None,
    name: str | None = None,
    **content: Any,
) -> dict[str, Any]:
    return {
        "id": node_id,
        "author": {"role": role, "name": name, "metadata": {}},
        "create_time": at,
        "update_time": None,
        "content": {"content_type": content_type, "parts": parts, **content},
        "status": "finished_successfully",
        "end_turn": True,
        "weight": 1.0,
        "metadata": metadata or {},
        "recipient": recipient,
    }


def chatgpt_branched() -> dict[str, Any]:
    """A trip chat: a regenerated answer and an edited question; the current node ends the edited branch.

    root -> sys (hidden) -> ci (custom instructions, hidden) -> u1 -> a1_old (regenerated away)
    u1 -> a1 -> u2_old -> a2_old (edited away)
    a1 -> u2 (image, file) -> th (thoughts) -> a2 -> py (code to python) -> out (its output) -> a3
    """
    m: dict[str, Any] = {}
    m["root"] = node("root", None, ["sys"], None)
    m["sys"] = node(
        "sys",
        "root",
        ["ci"],
        message("sys", "system", [""], None, metadata={"is_visually_hidden_from_conversation": True}),
    )
    m["ci"] = node(
        "ci",
        "sys",
        ["u1"],
        message(
            "ci",
            "system",
            [""],
            T0,
            metadata={
                "is_user_system_message": True,
                "user_context_message_data": {
                    "about_user_message": "I live in Porto and work as a nurse.",
                    "about_model_message": "Answer briefly, in metric units.",
                },
            },
        ),
    )
    m["u1"] = node("u1", "ci", ["a1_old", "a1"], message("u1", "user", ["Plan a weekend in Lisbon"], T0 + 10))
    m["a1_old"] = node("a1_old", "u1", [], message("a1_old", "assistant", ["Old answer: go to Sintra"], T0 + 20))
    m["a1"] = node(
        "a1",
        "u1",
        ["u2_old", "u2"],
        message("a1", "assistant", ["Start in Alfama, then Belém"], T0 + 30, metadata={"model_slug": "gpt-4o"}),
    )
    m["u2_old"] = node("u2_old", "a1", ["a2_old"], message("u2_old", "user", ["What about trams?"], T0 + 40))
    m["a2_old"] = node("a2_old", "u2_old", [], message("a2_old", "assistant", ["Tram 28 is famous"], T0 + 50))
    m["u2"] = node(
        "u2",
        "a1",
        ["th"],
        message(
            "u2",
            "user",
            [
                {"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-abc.png", "width": 10},
                "What is this building?",
            ],
            T0 + 60,
            content_type="multimodal_text",
            metadata={"attachments": [{"id": "file-xyz", "name": "itinerary.pdf"}]},
        ),
    )
    m["th"] = node("th", "u2", ["a2"], message("th", "assistant", [], T0 + 61, content_type="thoughts", thoughts=[]))
    m["a2"] = node("a2", "th", ["py"], message("a2", "assistant", ["That is the Jerónimos Monastery"], T0 + 70))
    m["py"] = node(
        "py",
        "a2",
        ["out"],
        message("py", "assistant", [], T0 + 80, content_type="code", recipient="python", text="print(1 + 1)"),
    )
    m["out"] = node(
        "out",
        "py",
        ["a3"],
        message("out", "tool", [], T0 + 81, content_type="execution_output", name="python", text="2"),
    )
    m["a3"] = node("a3", "out", [], message("a3", "assistant", ["The sum is 2"], T0 + 90))
    return {
        "id": "conv-trip",
        "conversation_id": "conv-trip",
        "title": "Lisbon weekend",
        "create_time": T0,
        "update_time": T0 + 90,
        "current_node": "a3",
        "mapping": m,
        "is_archived": False,
    }


def chatgpt_memories() -> dict[str, Any]:
    """A later chat in which the model saw the saved memories and saved one more."""
    m: dict[str, Any] = {}
    m["root"] = node("root", None, ["ctx"], None)
    m["ctx"] = node(
        "ctx",
        "root",
        ["u"],
        message(
            "ctx",
            "assistant",
            [],
            T0 + 1000,
            content_type="model_editable_context",
            model_set_context="1. [2024-04-01]. Prefers metric units.\n\n2. [2024-04-20]. Has a dog named Pixel.",
        ),
    )
    m["u"] = node("u", "ctx", ["bio"], message("u", "user", ["Remember that I am vegetarian"], T0 + 1010))
    m["bio"] = node(
        "bio",
        "u",
        ["tool"],
        message("bio", "assistant", ["Is vegetarian."], T0 + 1020, recipient="bio"),
    )
    m["tool"] = node(
        "tool", "bio", ["a"], message("tool", "tool", ["Model set context updated."], T0 + 1021, name="bio")
    )
    m["a"] = node("a", "tool", [], message("a", "assistant", ["Noted: vegetarian."], T0 + 1030))
    return {
        "id": "conv-food",
        "title": "Food",
        "create_time": T0 + 1000,
        "update_time": T0 + 1030,
        "current_node": "a",
        "mapping": m,
    }


def chatgpt_linear(index: int, turns: int = 2) -> dict[str, Any]:
    m: dict[str, Any] = {"root": node("root", None, ["m0"], None)}
    for i in range(turns):
        role = "user" if i % 2 == 0 else "assistant"
        nxt = [f"m{i + 1}"] if i + 1 < turns else []
        parent = f"m{i - 1}" if i else "root"
        m[f"m{i}"] = node(f"m{i}", parent, nxt, message(f"m{i}", role, [f"chat {index} line {i}"], T0 + index + i))
    return {
        "id": f"conv-{index}",
        "title": f"Chat {index}",
        "create_time": T0 + index,
        "update_time": T0 + index + turns,
        "current_node": f"m{turns - 1}",
        "mapping": m,
    }


def claude_conversation() -> dict[str, Any]:
    """Content blocks (text, thinking, tool use), an attachment, and an edited question (parent links)."""
    root = "00000000-0000-4000-8000-000000000000"
    return {
        "uuid": "c-budget",
        "name": "Budget review",
        "created_at": "2024-07-01T09:00:00.000000Z",
        "updated_at": "2024-07-01T09:10:00.000000Z",
        "account": {"uuid": "acct"},
        "chat_messages": [
            {
                "uuid": "h1",
                "sender": "human",
                "text": "Review my Q3 budget",
                "content": [{"type": "text", "text": "Review my Q3 budget"}],
                "created_at": "2024-07-01T09:00:00.000000Z",
                "attachments": [{"file_name": "q3.csv", "file_size": 10, "file_type": "text/csv"}],
                "files": [],
                "parent_message_uuid": root,
            },
            {
                "uuid": "a1",
                "sender": "assistant",
                "text": "",
                "content": [
                    {"type": "thinking", "thinking": "hidden reasoning"},
                    {"type": "tool_use", "name": "analysis", "input": {}},
                    {"type": "text", "text": "Rent dominates the spending"},
                ],
                "created_at": "2024-07-01T09:01:00.000000Z",
                "parent_message_uuid": "h1",
            },
            {
                "uuid": "h2_old",
                "sender": "human",
                "text": "Cut rent?",
                "content": [{"type": "text", "text": "Cut rent?"}],
                "created_at": "2024-07-01T09:02:00.000000Z",
                "parent_message_uuid": "a1",
            },
            {
                "uuid": "h2",
                "sender": "human",
                "text": "How do I cut groceries?",
                "content": [{"type": "text", "text": "How do I cut groceries?"}],
                "created_at": "2024-07-01T09:05:00.000000Z",
                "parent_message_uuid": "a1",
            },
            {
                "uuid": "a2",
                "sender": "assistant",
                "text": "Plan weekly menus",
                "content": [{"type": "text", "text": "Plan weekly menus"}],
                "created_at": "2024-07-01T09:06:00.000000Z",
                "parent_message_uuid": "h2",
            },
        ],
    }


def claude_linear_text_only() -> dict[str, Any]:
    """An older export: ``text`` only, no content blocks, no parent links."""
    return {
        "uuid": "c-old",
        "name": "Sourdough",
        "created_at": "2023-03-01T10:00:00Z",
        "updated_at": "2023-03-01T10:05:00Z",
        "chat_messages": [
            {
                "uuid": "x1",
                "sender": "human",
                "text": "My starter smells of acetone",
                "created_at": "2023-03-01T10:00:00Z",
            },
            {"uuid": "x2", "sender": "assistant", "text": "Feed it more often", "created_at": "2023-03-01T10:01:00Z"},
        ],
    }


CLAUDE_SIDE = {
    "users.json": [{"uuid": "acct", "full_name": "Rita Alves", "email_address": "rita@example.com"}],
    "memories.json": [
        {
            "conversations_memory": (
                "**Work context**\n\nRita is a nurse in Porto.\n\n**Personal**\n\n- Runs every Sunday"
            ),
            "project_memories": {"p1": "Budget work uses euros."},
            "account_uuid": "acct",
        }
    ],
    "projects.json": [{"uuid": "p1", "name": "Household", "prompt_template": "Always show totals in euros."}],
}


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_zip(path: Path, files: dict[str, Any]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data if isinstance(data, str | bytes) else json.dumps(data))
    return path


def chatgpt_zip(path: Path, conversations: list[dict[str, Any]]) -> Path:
    return write_zip(
        path,
        {
            "conversations.json": conversations,
            "user.json": {"id": "user-1", "email": "rita@example.com"},
            "message_feedback.json": [],
            "chat.html": "<html></html>",
        },
    )


# The smallest document in the app's own JSON format: two chats, one with a message's meta.
MINIMAL = {
    "sessions": [
        {
            "title": "Trip to Lisbon",
            "messages": [
                {"role": "user", "content": "I fly to Lisbon on 3 May", "meta": {"ext": "a1"}},
                {"role": "assistant", "content": "Lovely. Pastéis de nata await."},
            ],
        },
        {"title": "Budget", "messages": [{"role": "user", "content": "Q3 budget is 4,000 euros"}]},
    ]
}


# --- attachments: what each export says about the files a user uploaded ----------------------------------

LEASE_TEXT = "Clause 4: the tenant keeps the lighthouse lamp lit.\n\nClause 5: rent is due monthly."


def claude_with_attachments() -> dict[str, Any]:
    """An upload whose text Claude kept (``extracted_content``), one without text, and an image (``files``)."""
    return {
        "uuid": "c-lease",
        "name": "Lease questions",
        "created_at": "2024-08-01T09:00:00Z",
        "updated_at": "2024-08-01T09:02:00Z",
        "chat_messages": [
            {
                "uuid": "l1",
                "sender": "human",
                "text": "What does clause 4 say?",
                "content": [{"type": "text", "text": "What does clause 4 say?"}],
                "created_at": "2024-08-01T09:00:00Z",
                "attachments": [
                    {"file_name": "lease.pdf", "file_size": 48211, "file_type": "pdf", "extracted_content": LEASE_TEXT},
                    {"file_name": "empty.docx", "file_size": 900, "file_type": "docx", "extracted_content": ""},
                ],
                "files": [{"file_name": "floorplan.png"}],
            },
            {
                "uuid": "l2",
                "sender": "assistant",
                "text": "The tenant keeps the lamp lit.",
                "created_at": "2024-08-01T09:01:00Z",
            },
            {  # an upload and no words: the turn is the file
                "uuid": "l3",
                "sender": "human",
                "text": "",
                "content": [],
                "created_at": "2024-08-01T09:02:00Z",
                "attachments": [{"file_name": "lease.pdf", "file_size": 48211, "extracted_content": LEASE_TEXT}],
                "files": [],
            },
        ],
    }


def chatgpt_with_uploads() -> dict[str, Any]:
    """A photo (an image pointer whose id the upload list names) and a PDF, as ChatGPT's export records them."""
    m: dict[str, Any] = {"root": node("root", None, ["u"], None)}
    uploads = [
        {"id": "file-Ph0to", "name": "IMG_0042.jpeg", "size": 183022, "mimeType": "image/jpeg", "width": 800},
        {"id": "file-Rep0rt", "name": "report.pdf", "size": 52311, "mimeType": "application/pdf"},
    ]
    m["u"] = node(
        "u",
        "root",
        ["a"],
        message(
            "u",
            "user",
            [
                {"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-Ph0to", "width": 800},
                "Does the photo match the report?",
            ],
            T0 + 2000,
            content_type="multimodal_text",
            metadata={"attachments": uploads},
        ),
    )
    m["a"] = node("a", "u", [], message("a", "assistant", ["Yes, page 2 shows it."], T0 + 2010))
    return {
        "id": "conv-uploads",
        "title": "Uploads",
        "create_time": T0 + 2000,
        "update_time": T0 + 2010,
        "current_node": "a",
        "mapping": m,
    }
