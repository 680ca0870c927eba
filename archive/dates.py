"""Dates known only to the year, the month or the day.

Sources often give "April 2013" or just "2016". Storing such a date as a full
``date`` would invent a day, so the archive stores the ISO 8601 string at the
precision the source supports ("2013", "2013-04", "2013-04-05"). Those strings
sort chronologically as text, and the year is always the first four
characters, which lets a generated column hold it as an integer for facets.
"""

from __future__ import annotations

import calendar
import datetime
import logging
import re
from dataclasses import dataclass
from functools import lru_cache, total_ordering

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast, Length, Substr
from django.db.models.lookups import Exact, GreaterThanOrEqual, In, LessThanOrEqual

logger = logging.getLogger(__name__)

# The archive is in English whatever the server's locale; calendar.month_name would also format
# the name anew (strftime) on every read, a hundred times for a person page.
MONTH_NAMES = (
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$", re.ASCII)


class Precision(models.TextChoices):
    YEAR = "year", "Year"
    MONTH = "month", "Month"
    DAY = "day", "Day"


@total_ordering
@dataclass(frozen=True)
class PartialDate:
    """A calendar date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self):
        if not 1000 <= self.year <= 9999:
            raise ValueError("year must have four digits")
        if self.month is None and self.day is not None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError("month must be 1 to 12")
        if self.day is not None:
            try:
                datetime.date(self.year, self.month, self.day)
            except ValueError as error:
                raise ValueError(f"{self.year:04d}-{self.month:02d}-{self.day:02d} is not a date: {error}") from error

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read "YYYY", "YYYY-MM" or "YYYY-MM-DD"; raise ValueError otherwise."""
        match = _PARTIAL_DATE.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValueError(f"{text!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(part) if part else None for part in match.groups())
        return cls(year, month, day)

    @classmethod
    def from_date(cls, value: datetime.date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> datetime.date:
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return datetime.date(self.year, month, day)

    def isoformat(self) -> str:
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text

    def __str__(self) -> str:
        # "5 July 2022", "July 2022" or "2022": never a day the source did not give.
        if self.day is not None:
            return f"{self.day} {MONTH_NAMES[self.month]} {self.year}"
        if self.month is not None:
            return f"{MONTH_NAMES[self.month]} {self.year}"
        return str(self.year)

    def __lt__(self, other):
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.isoformat() < other.isoformat()


@lru_cache(maxsize=8192)
def _parse_stored(text: str) -> PartialDate:
    """A stored date, read once per process: dates repeat across rows (a list page reads hundreds)
    and a PartialDate is immutable, so rows can share one."""
    return PartialDate.parse(text)


def validate_partial_date(value):
    if isinstance(value, PartialDate):
        return
    try:
        PartialDate.parse(value)
    except (TypeError, ValueError) as error:
        raise ValidationError(str(error), code="invalid_partial_date") from error


class PartialDateFormField(forms.CharField):
    def __init__(self, **kwargs):
        # The parsed value is a PartialDate, which has no length: the pattern bounds the text instead.
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("maxlength", "10")
        self.widget.attrs.setdefault("placeholder", "YYYY, YYYY-MM or YYYY-MM-DD")
        self.widget.attrs.setdefault("pattern", r"\d{4}(-\d{2}(-\d{2})?)?")

    def prepare_value(self, value):
        return value.isoformat() if isinstance(value, PartialDate) else value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return PartialDate.parse(value)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid_partial_date") from error


class PartialDateField(models.CharField):
    """A date stored at the precision its source gives, as an ISO 8601 string."""

    description = "Date known to the year, month or day (YYYY, YYYY-MM or YYYY-MM-DD)"

    def __init__(self, *args, **kwargs):
        kwargs["max_length"] = 10
        kwargs.setdefault("null", True)  # NULL means the source gives no date
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)
        self.validators.append(validate_partial_date)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        del kwargs["max_length"]
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        try:
            return _parse_stored(value)
        except ValueError:
            # Only a write that bypassed the model (raw SQL) can store this; one bad row must
            # not take down every page that shows it, so it reads as unknown and is logged.
            logger.warning("Unreadable partial date %r in %s", value, self.model._meta.label)
            return None

    def to_python(self, value):
        if value is None or isinstance(value, PartialDate):
            return value
        if isinstance(value, datetime.date):
            return PartialDate.from_date(value)
        if value == "":
            return None
        try:
            return PartialDate.parse(value)
        except ValueError as error:
            raise ValidationError(str(error), code="invalid_partial_date") from error

    def get_prep_value(self, value):
        value = self.to_python(value)
        return None if value is None else value.isoformat()

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return None if value is None else self.to_python(value).isoformat()

    def run_validators(self, value):
        # The validators of CharField (max length) work on the stored text.
        super().run_validators(self.get_prep_value(value))

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PartialDateFormField, **kwargs})


# The first migrations' constraints test the stored text's length as ``started_on__length__in``.
PartialDateField.register_lookup(Length)


def partial_date_year(field_name: str):
    """Expression for the year of a PartialDateField: its first four characters."""
    return Cast(Substr(field_name, 1, 4), models.IntegerField())


def partial_date_span_of_years(field_name: str, years) -> Q:
    """Dates from the first of these years to the end of the last, as a range of the stored text
    ("YYYY" to "YYYY-12-31": a year's dates in every shape lie between), which an index on the date
    reads in date order. Beside ``year IN years`` it selects the same rows: it only bounds them."""
    return Q(**{f"{field_name}__gte": f"{min(years):04d}", f"{field_name}__lte": f"{max(years):04d}-12-31"})


def _part(field_name: str, start: int, length: int):
    return Substr(field_name, start, length, output_field=models.CharField())


def partial_date_shape(field_name: str) -> Q:
    """A CheckConstraint condition the database can test with built-in string functions only
    (no regex, so other tools can still write to the file): "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    with a four-digit year, a month 01–12 and a day 01–31. Whether the day exists in its
    month is left to the model's validation."""
    months = [f"{month:02d}" for month in range(1, 13)]
    days = [f"{day:02d}" for day in range(1, 32)]
    year = Q(GreaterThanOrEqual(_part(field_name, 1, 4), "1000")) & Q(LessThanOrEqual(_part(field_name, 1, 4), "9999"))
    month = Q(Exact(_part(field_name, 5, 1), "-")) & Q(In(_part(field_name, 6, 2), months))
    day = Q(Exact(_part(field_name, 8, 1), "-")) & Q(In(_part(field_name, 9, 2), days))
    length = Length(field_name)
    return Q(**{f"{field_name}__isnull": True}) | (
        year & (Q(Exact(length, 4)) | (Q(Exact(length, 7)) & month) | (Q(Exact(length, 10)) & month & day))
    )


def partial_date_not_before(later: str, earlier: str) -> Q:
    """``later`` is not before ``earlier``, compared at the coarser of their precisions:
    a role ending "2018" may have started "2018-05"."""
    return (
        Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__isnull": True})
        | Q(GreaterThanOrEqual(models.F(later), Substr(earlier, 1, Length(later), output_field=models.CharField())))
    )
