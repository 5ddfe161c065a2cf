"""`send --attach` and `context --draft --attach` as a user runs them: real processes, the fake server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_chat.core.storage.store import Store
from tests.helpers.cli import cli, configure_cli, one_line
from tests.helpers.documents import encrypted_pdf_bytes, pdf_bytes, png_bytes, scanned_pdf_bytes
from tests.helpers.fake_openai import FakeOpenAIServer
from tests.helpers.long_document import FACTS, manual


def test_send_attaches_a_pdf_and_an_image_and_the_server_receives_both(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    data = tmp_path / "data"
    configure_cli(data, fake_openai)
    (tmp_path / "invoice.pdf").write_bytes(pdf_bytes(["Invoice 77", "Total due: 930 EUR"]))
    (tmp_path / "stamp.png").write_bytes(png_bytes(64, 32))
    result = cli(
        data,
        *("send", "--new", "What is the total?", "--model", "gpt-4o-mini"),
        *("--attach", str(tmp_path / "invoice.pdf"), "--attach", str(tmp_path / "stamp.png")),
    )
    assert result.returncode == 0, result.stderr
    request = fake_openai.chat_requests[0]  # the reply's (the title's and upkeep's may follow)
    pdf, image, question = request.body["messages"][-3:]
    assert pdf["content"].startswith("invoice.pdf (attached, 2 pages)") and "Total due: 930 EUR" in pdf["content"]
    assert image["content"][0] == {"type": "text", "text": "stamp.png (attached image, 64x32 px)"}
    assert image["content"][1]["image_url"]["url"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert question == {"role": "user", "content": "What is the total?"}


def test_context_with_an_attachment_lists_its_part_and_json_names_the_file(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    data = tmp_path / "data"
    configure_cli(data, fake_openai)
    (tmp_path / "manual.txt").write_text(manual(20_000))
    chat = cli(data, "send", "--new", "Hello")
    assert chat.returncode == 0, chat.stderr
    asked = len(fake_openai.chat_requests)
    question = FACTS[3].question
    args = ("context", "1", "--draft", question, "--attach", str(tmp_path / "manual.txt"), "--model", "gpt-4o")
    text = cli(data, *args, "--budget", "3000")
    assert text.returncode == 0, text.stderr
    [line] = [line for line in text.stdout.splitlines() if line.strip().startswith("attachment")]
    assert "excerpts" in line and "that match" in line
    assert "left out attachment:" in text.stdout
    shown = cli(data, *args, "--budget", "3000", "--json")
    plan = json.loads(shown.stdout)
    [part] = [p for p in plan["parts"] if p["kind"] == "attachment"]
    assert len(part["attachment"]) == 64 and FACTS[3].sentence in part["text"][0]
    assert plan["total_tokens"] <= 3000 and plan["notices"] == []
    assert plan["request"][-2]["content"] == part["text"][0]
    image = tmp_path / "chart.png"
    image.write_bytes(png_bytes(800, 600))
    notice = cli(data, "context", "1", "--draft", "see", "--attach", str(image), "--model", "gpt-3.5-turbo", "--json")
    assert json.loads(notice.stdout)["notices"][0].startswith("gpt-3.5-turbo does not read images: chart.png")
    assert len(fake_openai.chat_requests) == asked, "context plans; it sends nothing"


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("scan.pdf", scanned_pdf_bytes(), "scanned"),
        ("locked.pdf", encrypted_pdf_bytes("secret", "pw"), "password"),
        ("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50, "damaged"),
        ("mystery.bin", bytes(range(256)) * 8, ""),
        ("huge.txt", b"words " * 400_000, "limit"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_line_and_no_request_is_sent(
    tmp_path: Path, fake_openai: FakeOpenAIServer, name: str, content: bytes, says: str
) -> None:
    data = tmp_path / "data"
    configure_cli(data, fake_openai)
    assert cli(data, "config", "set", "attachment_max_mb", "1").returncode == 0
    (tmp_path / name).write_bytes(content)
    result = cli(data, "send", "--new", "Read this", "--attach", str(tmp_path / name))
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert name in line and says in line, line
    assert fake_openai.chat_requests == []
    store = Store.open(data)
    try:
        assert store.sessions.list_by_activity() == [], "no chat was started for a message that was not sent"
    finally:
        store.close()
