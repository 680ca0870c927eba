"""The archive's fixture format: natural keys, and only what is the record.

Generated columns are computed by the database, and versions and timestamps
are the archive's own bookkeeping of edits: none of them is data a fixture
carries. One writer for every command that produces fixtures (the Ofsted
import, the export) keeps their files alike and byte-stable.
"""

import json

from django.core import serializers

NOT_IN_FIXTURES = {"version", "created_at", "updated_at"}


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
