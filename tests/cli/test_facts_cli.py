"""`desktop-chat facts ...` against a real data folder: output, stored effects, exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from desktop_chat.cli import run
from desktop_chat.core.models import Fact, FactOrigin, FactStatus, Role
from desktop_chat.core.storage.store import Store
from tests.helpers.cli import cli_in_process, one_line

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def cli(data: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    def call(*argv: str) -> tuple[int, str, str]:
        return cli_in_process(capsys, data, "facts", *argv)

    return call


def stored(data: Path, fact_id: int) -> Fact:
    store = Store.open(data)
    try:
        return store.facts.get(fact_id)
    finally:
        store.close()


def with_store(data: Path, change: Callable[[Store], Any]) -> Any:
    store = Store.open(data)
    try:
        return change(store)
    finally:
        store.close()


def test_add_then_list(cli: Cli, data: Path) -> None:
    code, out, _ = cli("add", "Favourite Colour", "green")
    assert code == 0 and "favourite_colour = green" in out

    code, out, _ = cli("list", "--json")
    assert code == 0
    [fact] = json.loads(out)
    assert (fact["key"], fact["value"], fact["status"], fact["origin"]) == (
        "favourite_colour",
        "green",
        "active",
        "user",
    )


def test_list_shows_where_an_extracted_fact_came_from(cli: Cli, data: Path) -> None:
    def seed(store: Store) -> None:
        session = store.sessions.create("s")
        message = store.messages.append(session.id, Role.USER, "Call me Ada, please.")
        store.facts.add(
            "name",
            "Ada",
            origin=FactOrigin.EXTRACTED,
            source_message_id=message.id,
            source_quote="Call me Ada",
            actor="extractor",
        )

    with_store(data, seed)
    code, out, _ = cli("list")
    assert code == 0
    assert "name = Ada" in out and "from message 1" in out and '"Call me Ada"' in out


def test_adding_a_new_value_supersedes_and_history_keeps_both(cli: Cli, data: Path) -> None:
    cli("add", "city", "Berlin")
    code, out, _ = cli("add", "city", "Paris")
    assert code == 0

    _, out, _ = cli("list", "--json")
    assert [f["value"] for f in json.loads(out)] == ["Paris"]
    _, out, _ = cli("list", "--all-statuses", "--json")
    assert [(f["value"], f["status"], f["superseded_by"]) for f in json.loads(out)] == [
        ("Berlin", "superseded", 2),
        ("Paris", "active", None),
    ]
    code, out, _ = cli("history", "1")
    assert code == 0 and "created" in out and "superseded" in out

    code, out, _ = cli("add", "City", "paris")  # same value again: nothing new
    assert code == 0 and "Already remembered as fact 2" in out


def test_edit_marks_the_fact_as_the_users(cli: Cli, data: Path) -> None:
    cli("add", "job", "baker")
    code, out, _ = cli("edit", "1", "--value", "pastry chef")
    assert code == 0 and "job = pastry chef" in out
    fact = stored(data, 1)
    assert fact.value == "pastry chef" and fact.edited_by_user

    code, _, err = cli("edit", "1")
    assert code == 2 and "facts edit ID VALUE" in one_line(err)

    # The value may be given like `facts add` takes it: positionally.
    code, out, _ = cli("edit", "1", "cake artist")
    assert code == 0 and "job = cake artist" in out
    assert stored(data, 1).value == "cake artist"


def test_rm_is_a_soft_delete(cli: Cli, data: Path) -> None:
    cli("add", "pet", "cat")
    code, _, _ = cli("rm", "1")
    assert code == 0
    assert stored(data, 1).status is FactStatus.DELETED
    _, out, _ = cli("list", "--json")
    assert json.loads(out) == []
    _, out, _ = cli("history", "1", "--json")
    assert [e["action"] for e in json.loads(out)["events"]] == ["created", "deleted"]


def test_pin_and_unpin(cli: Cli, data: Path) -> None:
    cli("add", "name", "Ada")
    code, out, _ = cli("pin", "1")
    assert code == 0 and "★" in out and stored(data, 1).pinned
    code, _, _ = cli("unpin", "1")
    assert code == 0 and not stored(data, 1).pinned


def test_approve_and_reject_pending_facts(cli: Cli, data: Path) -> None:
    def seed(store: Store) -> None:
        store.facts.add("city", "Berlin")
        store.facts.add("city", "Paris", status=FactStatus.PENDING, origin=FactOrigin.EXTRACTED, actor="extractor")
        store.facts.add("dog", "Rex", status=FactStatus.PENDING, origin=FactOrigin.EXTRACTED, actor="extractor")

    with_store(data, seed)

    code, _, _ = cli("approve", "2")
    assert code == 0
    assert stored(data, 2).status is FactStatus.ACTIVE
    assert (stored(data, 1).status, stored(data, 1).superseded_by) == (FactStatus.SUPERSEDED, 2)

    code, _, _ = cli("reject", "3")
    assert code == 0 and stored(data, 3).status is FactStatus.REJECTED

    code, _, err = cli("approve", "2")
    assert code == 1 and "only pending or rejected" in one_line(err)


@pytest.mark.parametrize(
    "argv",
    [("edit", "42", "--value", "x"), ("rm", "42"), ("pin", "42"), ("approve", "42"), ("history", "42")],
    ids=lambda a: a[0],
)
def test_an_unknown_fact_is_one_line_and_exit_1(cli: Cli, argv: tuple[str, ...]) -> None:
    code, out, err = cli(*argv)
    assert code == 1 and out == ""
    assert "There is no fact 42" in one_line(err)


def test_errors_for_bad_input(cli: Cli, data: Path) -> None:
    code, _, err = cli("list", "--session", "7")
    assert code == 1 and "no chat 7" in one_line(err)

    code, _, err = cli("add", "city", "   ")
    assert code == 1 and "non-empty" in one_line(err)

    cli("add", "pet", "cat")
    cli("rm", "1")
    code, _, err = cli("pin", "1")
    assert code == 1 and "is deleted" in one_line(err)

    with pytest.raises(SystemExit) as exit_info:
        run(["--data-dir", str(data), "facts", "rm", "abc"])
    assert exit_info.value.code == 2


def test_session_facts_are_listed_with_that_session(cli: Cli, data: Path) -> None:
    session_id = with_store(data, lambda store: store.sessions.create("s").id)
    cli("add", "language", "Python")
    code, _, _ = cli("add", "project", "compiler", "--session", str(session_id))
    assert code == 0

    _, out, _ = cli("list", "--session", str(session_id), "--json")
    assert sorted((f["key"], f["scope"]) for f in json.loads(out)) == [
        ("language", None),
        ("project", session_id),
    ]
