"""``UsageRepository``: one row per request (a reply, or memory upkeep) with its tokens and cost; totals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from desktop_chat.core.spending import KindTotals, PricingKind, Totals, UsageKind, UsageRecord
from desktop_chat.core.storage.db import Repository, from_db_time, to_db_time, utcnow

_COLUMNS = (
    "id, at, session_id, message_id, kind, profile, model, prompt_tokens, completion_tokens, cached_tokens,"
    " estimated, pricing, cost_usd, priced_by"
)
_SUMS = (
    "kind, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), TOTAL(cost_usd),"
    " SUM(cost_usd IS NULL), SUM(estimated), SUM(pricing = 'free')"
)


def _record(row: Sequence[Any]) -> UsageRecord:
    return UsageRecord(
        id=row[0],
        at=from_db_time(row[1]),
        session_id=row[2],
        message_id=row[3],
        kind=cast(UsageKind, row[4]),
        profile=row[5],
        model=row[6],
        prompt_tokens=row[7],
        completion_tokens=row[8],
        cached_tokens=row[9],
        estimated=bool(row[10]),
        pricing=cast(PricingKind, row[11]),
        cost_usd=row[12],
        priced_by=row[13],
    )


def _totals(rows: Iterable[Sequence[Any]]) -> Totals:
    return Totals(
        {
            cast(UsageKind, r[0]): KindTotals(
                r[1], r[2] or 0, r[3] or 0, float(r[4] or 0), r[5] or 0, r[6] or 0, r[7] or 0
            )
            for r in rows
        }
    )


class UsageRepository(Repository):
    def record(
        self,
        *,
        kind: UsageKind,
        session_id: int | None,
        message_id: int | None,
        profile: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
        cached_tokens: int = 0,
        estimated: bool,
        pricing: PricingKind,
        cost_usd: float | None,
        priced_by: str,
        at: datetime | None = None,
    ) -> UsageRecord:
        moment = at or utcnow()
        cursor = self._conn.execute(
            f"INSERT INTO usage_log({_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                to_db_time(moment),
                session_id,
                message_id,
                kind,
                profile,
                model,
                prompt_tokens,
                completion_tokens,
                cached_tokens,
                int(estimated),
                pricing,
                cost_usd,
                priced_by,
            ),
        )
        row = self._conn.execute(f"SELECT {_COLUMNS} FROM usage_log WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _record(row)

    def for_messages(self, message_ids: Sequence[int]) -> dict[int, UsageRecord]:
        """The reply record of each of ``message_ids`` that has one (the latest, should there be two)."""
        found: dict[int, UsageRecord] = {}
        ids = list(message_ids)
        for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM usage_log WHERE message_id IN ({marks}) AND kind = 'reply' ORDER BY id",
                chunk,
            ).fetchall()
            found.update((row[3], _record(row)) for row in rows)
        return found

    def for_session(self, session_id: int) -> list[UsageRecord]:
        rows = self._conn.execute(f"SELECT {_COLUMNS} FROM usage_log WHERE session_id = ? ORDER BY id", (session_id,))
        return [_record(row) for row in rows]

    def totals(
        self, *, session_id: int | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> Totals:
        """Sums by kind over a chat and/or a span of time (``since`` included, ``until`` not)."""
        where, args = self._span(session_id, since, until)
        rows = self._conn.execute(f"SELECT {_SUMS} FROM usage_log{where} GROUP BY kind", args).fetchall()
        return _totals(rows)

    def by_month(self) -> list[tuple[str, Totals]]:
        """("YYYY-MM", totals) per month, in local time, newest first."""
        rows = self._conn.execute(
            f"SELECT strftime('%Y-%m', at, 'localtime') AS month, {_SUMS} FROM usage_log"
            " GROUP BY month, kind ORDER BY month DESC"
        ).fetchall()
        return self._grouped(rows)

    def by_session(self, *, since: datetime | None = None, until: datetime | None = None) -> list[tuple[int, Totals]]:
        """(chat id, totals) per chat in a span, the most expensive first (requests of no chat left out)."""
        where, args = self._span(None, since, until)
        joiner = " AND" if where else " WHERE"
        rows = self._conn.execute(
            f"SELECT session_id, {_SUMS} FROM usage_log{where}{joiner} session_id IS NOT NULL"
            " GROUP BY session_id, kind",
            args,
        ).fetchall()
        grouped = self._grouped(rows)
        return sorted(grouped, key=lambda item: (-item[1].all.cost_usd, -item[1].all.requests, item[0]))

    @staticmethod
    def _grouped(rows: Sequence[Sequence[Any]]) -> list[Any]:
        order: list[Any] = []
        by_key: dict[Any, list[Sequence[Any]]] = {}
        for row in rows:
            if row[0] not in by_key:
                order.append(row[0])
                by_key[row[0]] = []
            by_key[row[0]].append(row[1:])
        return [(key, _totals(by_key[key])) for key in order]

    @staticmethod
    def _span(session_id: int | None, since: datetime | None, until: datetime | None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if session_id is not None:
            clauses.append("session_id = ?")
            args.append(session_id)
        if since is not None:
            clauses.append("at >= ?")
            args.append(to_db_time(since))
        if until is not None:
            clauses.append("at < ?")
            args.append(to_db_time(until))
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args
