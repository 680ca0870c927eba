"""The archive's fixture format: natural keys, and only what is the record.

Generated columns are computed by the database, and versions and timestamps
are the archive's own bookkeeping of edits: none of them is data a fixture
carries. One writer for every command that produces fixtures (the Ofsted
import, the export) keeps their files alike and byte-stable.
"""

import json

from django.core import serializers
from django.db import models

NOT_IN_FIXTURES = {"version", "created_at", "updated_at"}


def as_natural_key(value) -> tuple | None:
    """A reference as the natural key it is written as (a list of text or whole numbers), or None when it is
    not one: a raw database id, a bare string, an empty list, a part of another type. Both load paths read
    references through this, so that they refuse the same ones."""
    if isinstance(value, list):
        if len(value) == 1 and type(value[0]) is str:
            return (value[0],)  # a slug or code: nearly every reference
        if value and all(type(part) in (str, int) for part in value):
            return tuple(value)
    return None


def of_another_kind(field, value) -> str | None:
    """What ``field`` takes, when ``value`` is not of that kind. Django's fields would store str(value) of
    anything in a text field, and int(1.5) in an integer field: a fixture's mistake kept as if it were the
    source's."""
    if isinstance(field, models.CharField | models.TextField) and not isinstance(value, str):
        return "text"
    if isinstance(field, models.IntegerField) and isinstance(value, bool | float):
        return "a whole number"
    return None


def fixture_data(objects) -> list[dict]:
    """Objects as fixture entries: natural keys, no pk, no generated or bookkeeping fields."""
    data = json.loads(
        serializers.serialize("json", objects, use_natural_foreign_keys=True, use_natural_primary_keys=True)
    )
    skipped = {}
    for obj, entry in zip(objects, data, strict=True):
        model = type(obj)
        if model not in skipped:
            skipped[model] = NOT_IN_FIXTURES | {f.name for f in model._meta.concrete_fields if f.generated}
        entry.pop("pk", None)
        for name in skipped[model]:
            entry["fields"].pop(name, None)
    return data


def fixture_text(objects) -> str:
    return json.dumps(fixture_data(objects), indent=1, ensure_ascii=False) + "\n"
