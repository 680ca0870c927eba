"""A server-drawn SVG timeline of an authority's inspections.

Each grade has its own row, shape and colour, so the chart reads in colour,
for colour-blind readers (a blue–red scale, no red/green pair) and in
greyscale (rows and shapes carry the grade without colour). Ungraded visits
sit on a row of their own as hollow circles.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

from articles.models import Judgement

# Rows top to bottom; older wordings share the row of their equivalent grade.
ROWS = [
    ("Outstanding", [Judgement.OUTSTANDING]),
    ("Good", [Judgement.GOOD]),
    (
        "Requires improvement",
        [Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD, Judgement.REQUIRES_IMPROVEMENT, Judgement.ADEQUATE],
    ),
    ("Inadequate", [Judgement.INADEQUATE]),
    ("Visit (not graded)", [""]),
]
SHAPES = {0: "star", 1: "circle", 2: "square", 3: "triangle", 4: "ring"}
# ColorBrewer RdYlBu endpoints and midpoints: distinguishable with the common colour-vision deficiencies.
COLOURS = {0: "#2c7bb6", 1: "#abd9e9", 2: "#fdae61", 3: "#d7191c", 4: "#ffffff"}

WIDTH, LEFT, RIGHT, TOP, ROW_HEIGHT, BOTTOM = 760, 170, 20, 20, 36, 40


@dataclass
class Point:
    x: float
    y: float
    row: int
    shape: str
    colour: str
    label: str
    url: str

    @property
    def star_points(self) -> str:
        points = []
        for i in range(10):
            radius = 9 if i % 2 == 0 else 4
            angle = math.pi / 2 + i * math.pi / 5
            points.append(f"{self.x + radius * math.cos(angle):.1f},{self.y - radius * math.sin(angle):.1f}")
        return " ".join(points)

    @property
    def triangle_points(self) -> str:
        return f"{self.x:.1f},{self.y - 8:.1f} {self.x - 8:.1f},{self.y + 7:.1f} {self.x + 8:.1f},{self.y + 7:.1f}"


@dataclass
class Timeline:
    width: int
    height: int
    rows: list[tuple[str, float, str, str]]  # label, y, shape, colour
    ticks: list[tuple[int, float]]
    points: list[Point]
    plot_left: int
    plot_right: int
    axis_y: float


def _row_of(judgement: str) -> int:
    for index, (_, grades) in enumerate(ROWS):
        if judgement in grades:
            return index
    return len(ROWS) - 1


def build_timeline(inspections) -> Timeline | None:
    dated = [i for i in inspections if i.started_on]
    if not dated:
        return None
    first = min(i.started_on.first_day for i in dated)
    last = max(i.started_on.last_day for i in dated)
    start = datetime.date(first.year, 1, 1)
    end = datetime.date(max(last.year + 1, first.year + 2), 1, 1)
    span = (end - start).days
    plot_right = WIDTH - RIGHT

    def x_of(day: datetime.date) -> float:
        return LEFT + (day - start).days / span * (plot_right - LEFT)

    def y_of(row: int) -> float:
        return TOP + ROW_HEIGHT * row + ROW_HEIGHT / 2

    points = []
    for inspection in dated:
        row = _row_of(inspection.overall_judgement)
        # A date known only to the month or year is placed at the middle of that period.
        known = inspection.started_on
        middle = known.first_day + (known.last_day - known.first_day) / 2
        grade = inspection.get_overall_judgement_display() or "not graded"
        points.append(
            Point(
                x=round(x_of(middle), 1),
                y=y_of(row),
                row=row,
                shape=SHAPES[row],
                colour=COLOURS[row],
                label=f"{inspection.get_kind_display()}, {known}: {grade}",
                url=inspection.get_absolute_url(),
            )
        )
    step = 1 if end.year - start.year <= 12 else 2
    ticks = [(year, round(x_of(datetime.date(year, 1, 1)), 1)) for year in range(start.year, end.year + 1, step)]
    height = TOP + ROW_HEIGHT * len(ROWS) + BOTTOM
    rows = [(label, y_of(index), SHAPES[index], COLOURS[index]) for index, (label, _) in enumerate(ROWS)]
    return Timeline(
        width=WIDTH,
        height=height,
        rows=rows,
        ticks=ticks,
        points=points,
        plot_left=LEFT,
        plot_right=plot_right,
        axis_y=TOP + ROW_HEIGHT * len(ROWS),
    )
