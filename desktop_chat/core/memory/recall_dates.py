"""Dates named in a question ("on 27 March 2022", "in May", "last week"), as a time range to favour.

Relative dates are read against ``now`` (when the user asks). A date without a
year, or a month alone, is the most recent one not after ``now``. The words of
the date are taken out of the query: "27", "March" and "last" would otherwise
be searched for as words.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10}

_M = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_D = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_Y = r"(?P<year>(?:19|20)\d\d)"
# Most specific first: the first pattern that matches wins.
_PATTERNS = [
    ("iso", re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mnum>[01]?\d)-(?P<day>[0-3]?\d)\b")),
    ("dmy", re.compile(rf"\b{_D}(?:\s+of)?\s+{_M}\.?,?(?:\s+{_Y})?\b", re.I)),
    ("mdy", re.compile(rf"\b{_M}\.?\s+{_D}(?:,?\s+{_Y})?\b", re.I)),
    ("my", re.compile(rf"\b(?:in\s+|during\s+|of\s+)?{_M}(?:\s+(?:of\s+)?{_Y})?\b", re.I)),
    ("rel", re.compile(r"\b(?P<which>last|this|past|previous)\s+(?P<unit>week|month|year|weekend)\b", re.I)),
    (
        "ago",
        re.compile(r"\b(?P<n>\d+|an?|one|two|three|four|five|six|ten)\s+(?P<unit>day|week|month|year)s?\s+ago\b", re.I),
    ),
    ("day", re.compile(r"\b(?P<word>yesterday|today|tonight)\b", re.I)),
    ("wday", re.compile(r"\b(?:last|on)\s+(?P<wday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)),
    ("season", re.compile(r"\b(?P<which>last|this)\s+(?P<season>spring|summer|autumn|fall|winter)\b", re.I)),
    ("year", re.compile(rf"\b(?:in|during)\s+{_Y}\b", re.I)),
]


@dataclass(frozen=True, slots=True)
class DateRange:
    """Messages written from ``since`` up to (not including) ``until`` are favoured."""

    since: datetime
    until: datetime
    text: str  # the words in the query that named it


def _day(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def _month_range(year: int, month: int) -> tuple[datetime, datetime]:
    start = _day(year, month, 1)
    return start, start + timedelta(days=monthrange(year, month)[1])


def _latest_year(now: datetime, month: int, day: int = 1) -> int:
    """The year that puts month/day at or before ``now``."""
    return now.year if (month, day) <= (now.month, now.day) else now.year - 1


def _resolve(kind: str, m: re.Match[str], now: datetime) -> tuple[datetime, datetime] | None:  # noqa: PLR0911, PLR0912
    g = m.groupdict()
    today = _day(now.year, now.month, now.day)
    if kind in ("iso", "dmy", "mdy"):
        month = int(g["mnum"]) if kind == "iso" else _MONTHS[g["month"].lower().rstrip(".")]
        day = int(g["day"])
        if not 1 <= month <= 12 or not 1 <= day <= 31:
            return None
        year = int(g["year"]) if g.get("year") else _latest_year(now, month, day)
        try:
            start = _day(year, month, day)
        except ValueError:
            return None
        return start, start + timedelta(days=1)
    if kind == "my":
        month = _MONTHS[g["month"].lower()]
        if g["month"].lower() == "may" and not g.get("year") and not m.group(0).lower().startswith(("in", "during")):
            return None  # "may" alone is a verb far more often than a month
        year = int(g["year"]) if g.get("year") else _latest_year(now, month)
        return _month_range(year, month)
    if kind == "rel":
        which, unit = g["which"].lower(), g["unit"].lower()
        if unit in ("week", "weekend"):
            monday = today - timedelta(days=today.weekday())
            start = monday - timedelta(days=7) if which != "this" else monday
            # "last week" is loose in speech: the last calendar week and the days since.
            return (start, today + timedelta(days=1)) if which != "this" else (start, start + timedelta(days=7))
        if unit == "month":
            if which == "this":
                return _month_range(now.year, now.month)
            year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
            return _month_range(year, month)
        year = now.year if which == "this" else now.year - 1
        return _day(year, 1, 1), _day(year + 1, 1, 1)
    if kind == "ago":
        raw = g["n"].lower()
        n = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        span = _UNITS[g["unit"].lower()]
        centre = today - timedelta(days=n * span)
        slack = timedelta(days=max(1, span // 2))
        return centre - slack, centre + slack + timedelta(days=1)
    if kind == "day":
        start = today - timedelta(days=1) if g["word"].lower() == "yesterday" else today
        return start, start + timedelta(days=1)
    if kind == "wday":
        back = (today.weekday() - _WEEKDAYS.index(g["wday"].lower())) % 7 or 7
        start = today - timedelta(days=back)
        return start, start + timedelta(days=1)
    if kind == "season":
        first = _SEASONS[g["season"].lower()]
        year = now.year if first <= now.month else now.year - 1
        if g["which"].lower() == "last" and first <= now.month < first + 3:
            year -= 1  # "last summer" said in summer is the previous one
        start = _day(year, first, 1)
        end_month = first + 3
        end = _day(year + 1, end_month - 12, 1) if end_month > 12 else _day(year, end_month, 1)
        return start, end
    if kind == "year":
        year = int(g["year"])
        return _day(year, 1, 1), _day(year + 1, 1, 1)
    return None


def find_date(text: str, now: datetime | None = None) -> DateRange | None:
    """The first date the text names, as a range of time; None when it names none."""
    moment = now or datetime.now(UTC)
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            resolved = _resolve(kind, match, moment)
            if resolved is not None:
                return DateRange(resolved[0], resolved[1], match.group(0))
    return None


def without_date(text: str, found: DateRange | None) -> str:
    """The query with the date's words taken out."""
    return text.replace(found.text, " ") if found else text
