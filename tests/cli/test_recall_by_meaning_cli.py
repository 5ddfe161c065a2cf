"""The command line finds by meaning what an import brought: `context` indexes the chat, then plans with it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import cli

SMALL_TALK = [
    "The meeting moved to Thursday afternoon.",
    "I repainted the garage door green.",
    "Traffic was awful on the bridge today.",
    "My sister is visiting in June.",
    "The printer jammed again.",
]


def test_an_imported_message_sharing_no_word_with_the_question_is_in_the_context(tmp_path: Path) -> None:
    data = tmp_path / "data"
    turns = [
        {"role": "user" if i % 2 == 0 else "assistant", "content": f"{SMALL_TALK[i % 5]} ({i})", "meta": {"n": i}}
        for i in range(60)
    ]
    turns[10] = {"role": "user", "content": "We finally adopted a golden retriever puppy, he chews everything."}
    turns[10]["meta"] = {"n": 10}
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"sessions": [{"title": "History", "messages": turns}]}), encoding="utf-8")
    imported = cli(data, "import", str(export))
    assert imported.returncode == 0, imported.stderr
    session = imported.stdout.split()[0]
    shown = cli(data, "context", session, "--draft", "Which pet did I get?", "--strategy", "recall", "--json")
    assert shown.returncode == 0, shown.stderr
    plan = json.loads(shown.stdout)
    recalled = [p for p in plan["parts"] if p["kind"] == "recalled"]
    assert recalled, plan["parts"]
    assert {"n": 10} in [m["meta"] for m in recalled[0]["messages"]]
    assert "by words only" not in recalled[0]["reason"]
    assert "[20" in recalled[0]["text"][0]  # quoted under its day's heading
