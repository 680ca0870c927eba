"""Load the archive's natural-key fixtures, writing only what changed.

Unlike ``loaddata``, a second load of the same files writes nothing: each
object is compared with the row its natural key names and saved only when a
field or a many-to-many set differs. Everything happens in one transaction.
"""

from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.utils import timezone

TIMESTAMP_FIELDS = {"created_at", "updated_at"}


def default_fixture_paths() -> list[Path]:
    root = Path(settings.BASE_DIR) / "fixtures"
    return sorted(root.glob("*.json")) + sorted((root / "articles").glob("*.json"))


def _compared_fields(model):
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not field.generated and field.name not in TIMESTAMP_FIELDS
    ]


def _is_unchanged(deserialized) -> bool:
    instance = deserialized.object
    model = type(instance)
    existing = model._base_manager.filter(pk=instance.pk).first()
    if existing is None:
        return False
    for field in _compared_fields(model):
        if field.get_prep_value(getattr(instance, field.attname)) != field.get_prep_value(
            getattr(existing, field.attname)
        ):
            return False
    for name, pks in (deserialized.m2m_data or {}).items():
        current = set(getattr(existing, name).values_list("pk", flat=True))
        if current != {int(pk) for pk in pks}:
            return False
    return True


class Command(BaseCommand):
    help = "Load fixtures (default: every file in fixtures/), creating and updating only what changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", help="Fixture files; default: fixtures/*.json and fixtures/articles/*.json"
        )

    def handle(self, *paths, **options):
        files = [Path(path) for path in paths] or default_fixture_paths()
        if not files:
            raise CommandError("No fixture files found.")
        tally = Counter()
        try:
            with transaction.atomic():
                deferred = []
                for path in files:
                    deferred += self.load_file(path, tally)
                for path, deserialized in deferred:
                    try:
                        deserialized.save_deferred_fields()
                    except Exception as error:
                        raise CommandError(f"{path}: {deserialized.object!r}: {error}") from error
        except DatabaseError as error:
            raise CommandError(f"Nothing was written: {error}") from error
        for (label, outcome), count in sorted(tally.items()):
            self.stdout.write(f"{label}: {count} {outcome}")
        self.stdout.write(
            f"{sum(n for (_, o), n in tally.items() if o == 'created')} created, "
            f"{sum(n for (_, o), n in tally.items() if o == 'updated')} updated, "
            f"{sum(n for (_, o), n in tally.items() if o == 'unchanged')} unchanged."
        )

    def load_file(self, path: Path, tally: Counter):
        deferred = []
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{path}: cannot be read: {error}") from error
        try:
            # Objects are saved as they are read, so later objects can refer to earlier ones.
            for deserialized in serializers.deserialize("json", text, handle_forward_references=True):
                instance = deserialized.object
                label = instance._meta.label
                if instance.pk is not None and _is_unchanged(deserialized):
                    tally[(label, "unchanged")] += 1
                    continue
                outcome = "created" if instance.pk is None else "updated"
                if hasattr(instance, "created_at"):
                    now = timezone.now()
                    existing = type(instance)._base_manager.filter(pk=instance.pk).values("created_at").first()
                    instance.created_at = existing["created_at"] if existing else now
                    instance.updated_at = now
                deserialized.save()
                if deserialized.deferred_fields:
                    deferred.append((path, deserialized))
                tally[(label, outcome)] += 1
        except CommandError:
            raise
        except Exception as error:
            raise CommandError(f"{path}: {error}") from error
        return deferred
