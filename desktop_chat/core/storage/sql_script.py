"""Running a migration's SQL inside the transaction it was given."""

from __future__ import annotations

import sqlite3


def run_script(conn: sqlite3.Connection, sql: str) -> None:
    # executescript() would COMMIT the migration's transaction; run statements one by
    # one, using SQLite's own notion of a complete statement (triggers hold ';' inside).
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        conn.execute(statement)
