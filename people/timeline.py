"""A compact, server-drawn timeline of a person's roles and statements.

One bar per role across the years it was held (open-ended where a date is
unknown) and one mark per statement on a row of its own, coloured and shaped
by the judgement of the inspection it responded to. The page's role table and
statement list say the same in text; the chart's description says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.dates import PartialDate
from articles.charts import COLOURS, ROWS, SHAPES

WIDTH, LEFT, RIGHT, TOP, ROW_HEIGHT, AXIS_GAP = 760, 190, 20, 12, 26, 28


def _position(date: PartialDate | None, *, end: bool = False) -> float | None:
    """A partial date as a fractional year: the middle of its month or year, or its end for an end date."""
    if date is None:
        return None
    if date.month is None:
        return date.year + (1.0 if end else 0.5)
    if date.day is None:
        return date.year + (date.month - (0.0 if end else 0.5)) / 12
    return date.year + (date.month - 1) / 12 + date.day / 365


def _grade_row(judgement: str) -> int:
    for index, (_, values) in enumerate(ROWS):
        if judgement in values:
            return index
    return len(ROWS) - 1


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
    colour: str
    shape: str


def build_person_timeline(roles, statements) -> dict | None:
    role_dates = [(role, _position(role.started_on), _position(role.ended_on, end=True)) for role in roles]
    dated = [(statement, _position(statement.article.published_on)) for statement in statements]
    dated = [(statement, x) for statement, x in dated if x is not None]
    years = [x for _, start, end in role_dates for x in (start, end) if x is not None] + [x for _, x in dated]
    if not years:
        return None
    first, last = int(min(years)), int(max(years)) + 1
    span = max(last - first, 1)
    plot_right = WIDTH - RIGHT

    def scale(value: float) -> float:
        return round(LEFT + (value - first) / span * (plot_right - LEFT), 1)

    bars = []
    for index, (role, start, end) in enumerate(role_dates):
        y = TOP + index * ROW_HEIGHT + ROW_HEIGHT / 2
        where = f", {role.organisation.name}" if role.organisation else ""
        bars.append(
            Bar(
                label=f"{role.title}{where} ({role.period})",
                x1=scale(start if start is not None else first),
                x2=scale(end if end is not None else last),
                y=y,
                open_start=start is None,
                open_end=end is None,
            )
        )
    statement_y = TOP + len(bars) * ROW_HEIGHT + ROW_HEIGHT / 2
    marks = []
    for statement, x in dated:
        judgement = statement.responds_to.overall_judgement if statement.responds_to else None
        row = _grade_row(judgement) if judgement is not None else len(ROWS) - 1
        about = ""
        if statement.responds_to:
            found = statement.responds_to.get_overall_judgement_display() or "not graded"
            about = f"; about {statement.responds_to}, judged {found}"
        marks.append(
            Mark(
                label=f"{statement.article.published_on}: “{statement.words[:80]}”{about}",
                x=scale(x),
                y=statement_y,
                colour=COLOURS[row] if statement.responds_to else "#777777",
                shape=SHAPES[row] if statement.responds_to else "ring",
            )
        )
    axis_y = statement_y + ROW_HEIGHT / 2 + 4
    step = 1 if span <= 12 else 2 if span <= 24 else 5
    ticks = [(year, scale(year)) for year in range(first, last + 1, step)]
    return {
        "width": WIDTH,
        "height": axis_y + AXIS_GAP,
        "left": LEFT,
        "right": plot_right,
        "bars": bars,
        "marks": marks,
        "statement_y": statement_y,
        "axis_y": axis_y,
        "ticks": ticks,
    }
