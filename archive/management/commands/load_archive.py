"""Load the archive's natural-key fixtures, writing only what changed.

Unlike ``loaddata``, a second load of the same files writes nothing: each
object is compared with the row its natural key names and saved only when a
field or a many-to-many set differs. Every object is validated as the admin
would validate it before it is saved. An article's file is the whole record of
its statements: a statement no longer in the file is removed. Everything
happens in one transaction, so a bad file writes nothing.
"""

import json
from collections import Counter
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from articles.models import Article
from people.models import Statement

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
    if deserialized.deferred_fields:
        return False  # it refers to objects not saved yet: those links must still be written
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


def diagnose(text: str, index: int) -> str | None:
    """Name the model and field that object ``index`` (0-based) of a fixture fails on, where possible."""
    try:
        obj = json.loads(text)[index]
        model = apps.get_model(obj["model"])
    except (ValueError, LookupError, KeyError, IndexError, TypeError):
        return None
    for name, value in obj.get("fields", {}).items():
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return f"{model._meta.label}: unknown field “{name}”"
        if field.is_relation or value is None:
            continue
        try:
            field.to_python(value)
        except ValidationError as error:
            return f"{model._meta.label}: {name}: {' '.join(error.messages)}"
    return None


class Command(BaseCommand):
    help = "Load fixtures (default: every file in fixtures/), creating and updating only what changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", help="Fixture files; default: fixtures/*.json and fixtures/articles/*.json"
        )

    def handle(self, *args, paths=(), **options):
        files = [Path(path) for path in paths] or default_fixture_paths()
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise CommandError(f"No such fixture file: {', '.join(missing)}. Nothing was loaded.")
        tally = Counter()
        try:
            with transaction.atomic():
                deferred = []
                for path in files:
                    deferred += self.load_file(path, tally)
                for path, index, deserialized in deferred:
                    try:
                        deserialized.save_deferred_fields()
                    except Exception as error:
                        raise CommandError(self.where(path, index, deserialized.object, error)) from error
        except DatabaseError as error:
            raise CommandError(f"Nothing was loaded: {error}") from error
        for (label, outcome), count in sorted(tally.items()):
            self.stdout.write(f"{label}: {count} {outcome}")
        totals = Counter()
        for (_, outcome), count in tally.items():
            totals[outcome] += count
        self.stdout.write(
            f"{totals['created']} created, {totals['updated']} updated, {totals['unchanged']} unchanged, "
            f"{totals['removed']} removed."
        )

    @staticmethod
    def where(path, index, instance, error) -> str:
        key = getattr(instance, "natural_key", lambda: ())()
        return f"{path}: object {index} ({instance._meta.label} {list(key)}): {error}. Nothing was loaded."

    def load_file(self, path: Path, tally: Counter):
        deferred = []
        statements_in_file: dict[int, set[int]] = {}
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read: {error}. Nothing was loaded.") from error
        index = 0
        try:
            # Objects are saved as they are read, so later objects can refer to earlier ones.
            for index, deserialized in enumerate(
                serializers.deserialize("json", text, handle_forward_references=True), start=1
            ):
                instance = deserialized.object
                label = instance._meta.label
                if isinstance(instance, Article):
                    statements_in_file.setdefault(instance.slug, set())
                self.refuse_unresolved_required_references(deserialized)
                if instance.pk is not None and _is_unchanged(deserialized):
                    tally[(label, "unchanged")] += 1
                else:
                    outcome = "created" if instance.pk is None else "updated"
                    self.validate(instance, deserialized)
                    if hasattr(instance, "created_at"):
                        now = timezone.now()
                        existing = type(instance)._base_manager.filter(pk=instance.pk).values("created_at").first()
                        instance.created_at = existing["created_at"] if existing else now
                        instance.updated_at = now
                    deserialized.save()
                    if deserialized.deferred_fields:
                        deferred.append((path, index, deserialized))
                    tally[(label, outcome)] += 1
                if isinstance(instance, Statement):
                    statements_in_file.setdefault(instance.article.slug, set()).add(instance.position)
        except CommandError:
            raise
        except ValidationError as error:
            raise CommandError(self.where(path, index, deserialized.object, "; ".join(error.messages))) from error
        except DeserializationError as error:
            # Raised while reading object index + 1: malformed JSON, an unknown model or field, a bad value.
            detail = diagnose(text, index) or str(error)
            raise CommandError(f"{path}: object {index + 1}: {detail}. Nothing was loaded.") from error
        except Exception as error:
            raise CommandError(f"{path}: object {index}: {error}. Nothing was loaded.") from error
        # An article's file lists all its statements: those it no longer lists are removed.
        for slug, positions in statements_in_file.items():
            stale = Statement.objects.filter(article__slug=slug).exclude(position__in=positions)
            removed, _ = stale.delete()
            tally[("people.Statement", "removed")] += removed
        return deferred

    @staticmethod
    def refuse_unresolved_required_references(deserialized):
        # A reference to an object that does not exist yet can wait for a later object in the
        # load only if it is optional (a many-to-many link or a nullable key).
        for field, key in (deserialized.deferred_fields or {}).items():
            if not field.many_to_many and not field.null:
                model = field.related_model._meta.label
                raise ValidationError(
                    f"{field.name}: no {model} with natural key {list(key)} "
                    "(it must exist already or come earlier in the files loaded)"
                )

    @staticmethod
    def validate(instance, deserialized):
        """The model's own validation (fields, choices, clean()), as the admin applies it."""
        deferred = {field.name for field in (deserialized.deferred_fields or {})}
        exclude = deferred | TIMESTAMP_FIELDS
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
                raise ValidationError(details) from error
            raise
