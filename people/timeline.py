"""A compact, server-drawn timeline of a person's roles and statements.

One bar per role across the years it was held (open-ended where a date is unknown), and the
person's statements counted by year, on one row per finding of the inspection they responded to
(a row for those not about an inspection): a mark per year and row, larger for more statements,
coloured as the authority chart colours the grades. Every published statement is counted, not only
those the page lists, so a prolific speaker's chart covers their whole record; a statement whose
article's date is not known even to the year cannot be placed, and the caption says how many.
The same counts are in a table under the chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from archive.dates import PartialDate
from articles.charts import COLOURS, ROWS
from articles.models import Judgement

WIDTH, LEFT, RIGHT, TOP, ROW_HEIGHT, AXIS_GAP = 760, 190, 20, 12, 26, 28
# The statement rows: the authority chart's grade rows, then the statements not about an inspection.
NOT_ABOUT_AN_INSPECTION = len(ROWS)
STATEMENT_ROWS = [label for label, _ in ROWS] + ["Not about an inspection"]
UNGRADED = len(ROWS) - 1
NO_INSPECTION_COLOUR = "#767676"  # 4.5:1 on white, above the 3:1 that graphics need
JUDGEMENT_LABELS = dict(Judgement.choices)


def _position(date: PartialDate | None, *, end: bool = False) -> float | None:
    """A partial date as a fractional year: the middle of its month or year, or its end for an end date."""
    if date is None:
        return None
    if date.month is None:
        return date.year + (1.0 if end else 0.5)
    if date.day is None:
        return date.year + (date.month - (0.0 if end else 0.5)) / 12
    return date.year + (date.month - 1) / 12 + date.day / 365


def statement_row(judgement: str | None) -> int:
    """The row of a statement about an inspection with this overall judgement (None: not about one)."""
    if judgement is None:
        return NOT_ABOUT_AN_INSPECTION
    for index, (_, values) in enumerate(ROWS):
        if judgement in values:
            return index
    return UNGRADED


def _statements(count: int) -> str:
    return f"{count} statement" if count == 1 else f"{count} statements"


def _about(judgement: str | None, count: int) -> str:
    if judgement is None:
        return "not about an inspection"
    article = "an " if count == 1 else ""
    if not judgement:
        return f"about {article}ungraded visit{'' if count == 1 else 's'}"
    grade = JUDGEMENT_LABELS.get(judgement, judgement)
    return f"about {article}inspection{'' if count == 1 else 's'} judged {grade}"


@dataclass
class Bar:
    label: str
    x1: float
    x2: float
    y: float
    open_start: bool
    open_end: bool


@dataclass
class Mark:
    label: str
    x: float
    y: float
    radius: float
    colour: str
    hollow: bool


def build_person_timeline(roles, statement_counts) -> dict | None:
    """The chart's geometry from the person's roles and their statements counted by year and finding.

    ``statement_counts`` is rows of (year or None, the overall judgement of the inspection the
    statements answered, or None when they answered none, number of statements).
    """
    role_dates = [(role, _position(role.started_on), _position(role.ended_on, end=True)) for role in roles]
    by_place: dict[tuple[int, int], dict[str | None, int]] = {}
    undated = 0
    for year, judgement, count in statement_counts:
        if year is None:
            undated += count
            continue
        found = by_place.setdefault((year, statement_row(judgement)), {})
        found[judgement] = found.get(judgement, 0) + count
    years = [x for _, start, end in role_dates for x in (start, end) if x is not None]
    years += [year + 0.5 for year, _ in by_place]
    if not years:
        return None
    first, last = int(min(years)), int(max(years)) + 1
    span = max(last - first, 1)
    plot_right = WIDTH - RIGHT

    def scale(value: float) -> float:
        return round(LEFT + (value - first) / span * (plot_right - LEFT), 1)

    def row_y(index: int) -> float:
        return TOP + index * ROW_HEIGHT + ROW_HEIGHT / 2

    bars = []
    for index, (role, start, end) in enumerate(role_dates):
        where = f", {role.organisation.name}" if role.organisation else ""
        bars.append(
            Bar(
                label=f"{role.title}{where} ({role.period})",
                x1=scale(start if start is not None else first),
                x2=scale(end if end is not None else last),
                y=row_y(index),
                open_start=start is None,
                open_end=end is None,
            )
        )
    present = sorted({row for _, row in by_place})
    y_of = {row: row_y(len(bars) + place) for place, row in enumerate(present)}
    rows = [(STATEMENT_ROWS[row], y) for row, y in y_of.items()]
    marks = []
    for (year, row), counts in sorted(by_place.items()):
        total = sum(counts.values())
        parts = [f"{_statements(count)} {_about(judgement, count)}" for judgement, count in counts.items()]
        marks.append(
            Mark(
                label=f"{year}: {'; '.join(parts)}",
                x=scale(year + 0.5),
                y=y_of[row],
                # Area grows with the count, up to a row's height for the busiest years.
                radius=round(min(4 + 1.5 * math.sqrt(total), ROW_HEIGHT / 2 - 1), 1),
                colour=NO_INSPECTION_COLOUR if row == NOT_ABOUT_AN_INSPECTION else COLOURS[row],
                hollow=row == UNGRADED,  # as the authority chart draws ungraded visits
            )
        )
    axis_y = TOP + (len(bars) + len(rows)) * ROW_HEIGHT + 4
    step = 1 if span <= 12 else 2 if span <= 24 else 5
    ticks = [(year, scale(year)) for year in range(first, last + 1, step)]
    table_years = sorted({year for year, _ in by_place})
    table = [(year, [sum(by_place.get((year, row), {}).values()) for row in present]) for year in table_years]
    return {
        "width": WIDTH,
        "height": axis_y + AXIS_GAP,
        "left": LEFT,
        "right": plot_right,
        "bars": bars,
        "rows": rows,
        "marks": marks,
        "axis_y": axis_y,
        "ticks": ticks,
        "undated": undated,
        "table_columns": [STATEMENT_ROWS[row] for row in present],
        "table": table,
    }
