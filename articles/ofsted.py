"""Read Ofsted's "Local authority inspection outcomes" official statistics (.ods).

The reader checks the file's shape (sheets and columns) and every cell it
uses, and merges the three sheets into one record per inspection, before
anything touches the database. Errors name the sheet, the row and the column.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from articles.models import AuthorityStatus, InspectionKind, Judgement, JudgementArea

SOURCE_TITLE = "Ofsted, “Local authority inspection outcomes as at 31 March 2025”"
SOURCE_NOTE = (
    f"{SOURCE_TITLE}, official statistics published 25 September 2025 (Open Government Licence v3.0). "
    "Sheets: {sheets}."
)

LATEST = "Inspections_as_at_31_March"
IN_YEAR = "In-year_inspections"
HISTORY = "ILACS_inspection_history"

LEADERS = "The impact of leaders on social work practice with children and families"
HELP = "The experiences and progress of children who need help and protection"
IN_CARE = "The experiences and progress of children in care"
CARE_LEAVERS = "The experiences and progress of care leavers"

COLUMNS = {
    LATEST: [
        "Web link",
        "Local authority area code",
        "Local authority name",
        "Ofsted region",
        "Inspection date",
        "Publication date",
        "Overall effectiveness",
        LEADERS,
        HELP,
        IN_CARE,
        CARE_LEAVERS,
    ],
    IN_YEAR: [
        "Web link",
        "Local authority area code",
        "Local authority name",
        "Region",
        "Inspection/Visit date",
        "Publication date",
        "Inspection/Visit type",
        "Overall effectiveness",
        LEADERS,
        HELP,
        IN_CARE,
        CARE_LEAVERS,
        "Visit Theme",
    ],
    HISTORY: [
        "Web link",
        "Local authority area code",
        "Local authority name",
        "Local authority status",
        "Ofsted region",
        "Inspection date",
        "Publication date",
        "Inspection type",
        "Overall effectiveness",
        LEADERS,
        HELP,
        IN_CARE,
        CARE_LEAVERS,
    ],
}
HEADER_ROW = 3  # each table starts at A3; rows 1–2 are a title and a note

GRADES = {
    "Outstanding": Judgement.OUTSTANDING,
    "Good": Judgement.GOOD,
    "Requires improvement to be good": Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD,
    "Inadequate": Judgement.INADEQUATE,
}
KINDS = {
    "ILACS Standard Inspection": InspectionKind.ILACS_STANDARD,
    "ILACS Short Inspection": InspectionKind.ILACS_SHORT,
    "ILACS Focused Visit": InspectionKind.ILACS_FOCUSED_VISIT,
    "LA Monitoring visit": InspectionKind.ILACS_MONITORING_VISIT,
}
STATUSES = {"Current": AuthorityStatus.CURRENT, "No longer exists": AuthorityStatus.NO_LONGER_EXISTS}
ONS_CODE = re.compile(r"^E\d{8}$", re.ASCII)
# From this date care leavers were judged apart from children in care (the file's Notes sheet).
CARE_LEAVERS_SPLIT = datetime.date(2023, 1, 1)


class OfstedFileError(Exception):
    """The file is not the statistics release the importer expects; nothing is imported."""


@dataclass
class AuthorityRecord:
    ons_code: str
    name: str
    region: str
    status: str = AuthorityStatus.CURRENT


@dataclass
class InspectionRecord:
    ons_code: str
    kind: str
    started_on: datetime.date
    published_on: datetime.date
    overall_judgement: str = ""
    theme: str = ""
    judgements: dict[str, str] = field(default_factory=dict)
    sheets: list[str] = field(default_factory=list)

    @property
    def key(self):
        return (self.ons_code, self.started_on, self.kind)

    def comparable(self):
        return (self.published_on, self.overall_judgement, self.theme, self.judgements)


@dataclass
class OfstedOutcomes:
    authorities: dict[str, AuthorityRecord]
    inspections: list[InspectionRecord]
    rows_read: dict[str, int]


class _Row:
    """One table row, read by column name, with errors that say where."""

    def __init__(self, sheet: str, number: int, header: list[str], values: list):
        self.sheet, self.number = sheet, number
        self.cells = dict(zip(header, values, strict=False))

    def error(self, column: str, problem: str) -> OfstedFileError:
        return OfstedFileError(f"sheet “{self.sheet}”, row {self.number}, column “{column}”: {problem}")

    def text(self, column: str, *, required=True) -> str:
        value = self.cells.get(column, "")
        text = "" if value is None else str(value).strip()
        if required and not text:
            raise self.error(column, "is empty")
        return text

    def date(self, column: str) -> datetime.date:
        value = self.cells.get(column)
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        raise self.error(column, f"{value!r} is not a date")

    def ons_code(self) -> str:
        code = self.text("Local authority area code")
        if not ONS_CODE.match(code):
            raise self.error("Local authority area code", f"{code!r} is not an ONS area code like E08000028")
        return code

    def choice(self, column: str, choices: dict, *, required=True):
        text = self.text(column, required=required)
        if not text:
            return ""
        if text not in choices:
            raise self.error(column, f"{text!r} is not one of: {', '.join(choices)}")
        return choices[text]

    def judgements(self, started_on: datetime.date) -> dict[str, str]:
        grades = {
            JudgementArea.IMPACT_OF_LEADERS: self.choice(LEADERS, GRADES, required=False),
            JudgementArea.HELP_AND_PROTECTION: self.choice(HELP, GRADES, required=False),
        }
        in_care = self.choice(IN_CARE, GRADES, required=False)
        leavers = self.choice(CARE_LEAVERS, GRADES, required=False)
        if started_on < CARE_LEAVERS_SPLIT:
            # Before 2023 one judgement covered children in care and care leavers together.
            if leavers:
                raise self.error(CARE_LEAVERS, "is given for an inspection before 1 January 2023")
            grades[JudgementArea.CHILDREN_IN_CARE_AND_CARE_LEAVERS] = in_care
        else:
            grades[JudgementArea.CHILDREN_IN_CARE] = in_care
            grades[JudgementArea.CARE_LEAVERS] = leavers
        return {area: grade for area, grade in grades.items() if grade}


def _read_table(workbook: CalamineWorkbook, sheet: str) -> list[_Row]:
    if sheet not in workbook.sheet_names:
        raise OfstedFileError(f"sheet “{sheet}” is missing (the file has: {', '.join(workbook.sheet_names)})")
    rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    if len(rows) < HEADER_ROW:
        raise OfstedFileError(f"sheet “{sheet}” has no table starting at row {HEADER_ROW}")
    header = [str(cell).strip() for cell in rows[HEADER_ROW - 1]]
    while header and not header[-1]:
        header.pop()
    expected = COLUMNS[sheet]
    for column in expected:
        if column not in header:
            raise OfstedFileError(f"sheet “{sheet}”: column “{column}” is missing from row {HEADER_ROW}")
    for column in header:
        if column not in expected:
            raise OfstedFileError(f"sheet “{sheet}”: column “{column}” is not one the importer knows")
    table = []
    for offset, values in enumerate(rows[HEADER_ROW:], start=HEADER_ROW + 1):
        if any(str(value).strip() for value in values if value is not None):
            table.append(_Row(sheet, offset, header, list(values)))
    if not table:
        raise OfstedFileError(f"sheet “{sheet}” has no rows")
    return table


def read_outcomes(path: str | Path) -> OfstedOutcomes:
    """Read and merge the three sheets; raise OfstedFileError on anything unexpected."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as error:
        raise OfstedFileError(f"{path}: not a readable spreadsheet ({error})") from error

    tables = {sheet: _read_table(workbook, sheet) for sheet in COLUMNS}
    authorities: dict[str, AuthorityRecord] = {}
    inspections: dict[tuple, InspectionRecord] = {}

    def authority(row: _Row, region_column: str, status=AuthorityStatus.CURRENT) -> str:
        code = row.ons_code()
        record = AuthorityRecord(code, row.text("Local authority name"), row.text(region_column), status)
        known = authorities.setdefault(code, record)
        if (known.name, known.region) != (record.name, record.region):
            raise row.error("Local authority name", f"{code} is named or placed differently elsewhere in the file")
        if record.status != AuthorityStatus.CURRENT:
            known.status = record.status
        return code

    def merge(row: _Row, record: InspectionRecord, column: str):
        known = inspections.get(record.key)
        if known is None:
            inspections[record.key] = record
        elif known.comparable() != record.comparable():
            raise row.error(column, f"disagrees with the same inspection in sheet “{known.sheets[0]}”")
        else:
            known.sheets.append(row.sheet)

    for row in tables[HISTORY]:
        code = authority(row, "Ofsted region", row.choice("Local authority status", STATUSES))
        started_on = row.date("Inspection date")
        merge(
            row,
            InspectionRecord(
                code,
                row.choice("Inspection type", KINDS),
                started_on,
                row.date("Publication date"),
                row.choice("Overall effectiveness", GRADES),
                judgements=row.judgements(started_on),
                sheets=[HISTORY],
            ),
            "Overall effectiveness",
        )

    for row in tables[IN_YEAR]:
        code = authority(row, "Region")
        kind = row.choice("Inspection/Visit type", KINDS)
        started_on = row.date("Inspection/Visit date")
        ungraded = kind in InspectionKind.ungraded()
        record = InspectionRecord(
            code,
            kind,
            started_on,
            row.date("Publication date"),
            "" if ungraded else row.choice("Overall effectiveness", GRADES),
            theme=row.text("Visit Theme", required=ungraded),
            judgements={} if ungraded else row.judgements(started_on),
            sheets=[IN_YEAR],
        )
        if ungraded and row.text("Overall effectiveness", required=False):
            raise row.error("Overall effectiveness", "is given for an ungraded visit")
        if not ungraded and record.key not in inspections:
            raise row.error("Inspection/Visit date", f"no such inspection in sheet “{HISTORY}”")
        merge(row, record, "Overall effectiveness")

    # The latest-judgements sheet names no inspection type: it is matched to the history by authority and date.
    by_date = {(r.ons_code, r.started_on): r for r in inspections.values() if r.kind not in InspectionKind.ungraded()}
    for row in tables[LATEST]:
        code = authority(row, "Ofsted region")
        started_on = row.date("Inspection date")
        known = by_date.get((code, started_on))
        if known is None:
            raise row.error("Inspection date", f"no inspection of {code} on {started_on} in sheet “{HISTORY}”")
        merge(
            row,
            InspectionRecord(
                code,
                known.kind,
                started_on,
                row.date("Publication date"),
                row.choice("Overall effectiveness", GRADES),
                judgements=row.judgements(started_on),
            ),
            "Overall effectiveness",
        )

    rows_read = {sheet: len(table) for sheet, table in tables.items()}
    ordered = sorted(inspections.values(), key=lambda r: (r.ons_code, r.started_on, r.kind))
    return OfstedOutcomes(authorities=authorities, inspections=ordered, rows_read=rows_read)
