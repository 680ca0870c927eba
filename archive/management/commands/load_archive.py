"""Load the archive's natural-key fixtures: validated, all or nothing, writing only what changed.

Unlike ``loaddata``, which writes whatever a fixture says:

- every object is checked before it is written: its model and fields exist,
  each value parses, the model's full validation passes (choices, lengths,
  dates, ``clean()``, unique and check constraints), every natural-key
  reference resolves, and no natural key appears twice in a file;
- the whole load is one transaction: the first error undoes everything, and
  ``--dry-run`` always undoes it, so it checks all of the above, database
  constraints included, and writes nothing;
- an object equal to its row is left alone, so a second load of the same
  files writes nothing; a changed one is updated and reported field by field;
- a record that staff edited in the admin since it was last loaded is not
  overwritten: the load is refused, naming it, unless ``--force`` is given;
- every object written gets a history entry saying which file it came from.

An article's file is the whole record of its statements: a statement no longer
in the file is removed.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.constants import LOOKUP_SEP
from django.utils import timezone

from archive.bulk_load import BulkLoader, NeedsCarefulLoad
from archive.curation import (
    FIXTURE_CHANGE_REASON_PREFIX,
    VersionedModel,
    describe_value,
    record_history,
    versions_of,
)
from archive.fixtures import NOT_IN_FIXTURES, as_natural_key, of_another_kind
from articles.models import Article
from people.models import Statement

# The fields that make up each model's natural key, as a fixture writes them.
NATURAL_KEY_FIELDS = {
    "articles.publisher": ["slug"],
    "articles.localauthority": ["ons_code"],
    "articles.inspection": ["slug"],
    "articles.inspectionjudgement": ["inspection", "area"],
    "articles.article": ["slug"],
    "people.person": ["slug"],
    "people.role": ["person", "title", "organisation"],
    "people.statement": ["article", "position"],
}


def default_fixture_paths() -> list[Path]:
    root = Path(settings.BASE_DIR) / "fixtures"
    return sorted(root.glob("*.json")) + sorted((root / "articles").glob("*.json"))


class Refused(Exception):
    """One object cannot be loaded; the message says why."""


def check_text(name: str, value: str) -> None:
    """Text the archive can hold: no NUL (PostgreSQL refuses it, and the admin's forms never let one
    in) and no half of a UTF-16 surrogate pair (JSON can escape one; it is not a character)."""
    if "\x00" in value:
        raise Refused(f"{name}: contains a NUL character, which text in the archive cannot hold")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        surrogate = f"\\u{ord(value[error.start]):04x}"
        raise Refused(
            f"{name}: contains “{surrogate}”, half of a UTF-16 surrogate pair, which is not a character"
        ) from error


def check_reference(field, value, *, must_exist: bool) -> None:
    """A reference written as the natural key of the record it names (a list of its key's values), or for
    a many-to-many field a list of them; a reference that is part of the record's own natural key must
    name a record already in the database or written earlier in the load."""
    related = field.related_model
    label = related._meta.label
    if field.many_to_many and not isinstance(value, list):
        raise Refused(f"{field.name}: a list of {label} natural keys, not {json.dumps(value)}")
    for key in value if field.many_to_many else [value]:
        if as_natural_key(key) is None:
            raise Refused(
                f"{field.name}: a {label} is named by its natural key, a list of its key's values "
                f'(such as ["a-slug"]), not {json.dumps(key)}'
            )
        parts = len(NATURAL_KEY_FIELDS.get(related._meta.label_lower, ()))
        if len(key) != parts:
            raise Refused(f"{field.name}: a {label} natural key has {parts} part(s), not {len(key)}: {json.dumps(key)}")
        for part in key:
            if isinstance(part, str):
                check_text(field.name, part)
        if must_exist:
            try:
                related._default_manager.get_by_natural_key(*key)
            except (related.DoesNotExist, TypeError, ValueError, ValidationError) as error:
                raise Refused(
                    f"{field.name}: no {label} with natural key {json.dumps(key)} "
                    "(it must exist already or come earlier in the files loaded)"
                ) from error


class DryRunDone(Exception):
    """Raised at the end of a dry run to undo everything it wrote."""


def _compared_fields(model):
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not field.generated and field.name not in NOT_IN_FIXTURES
    ]


def raw_natural_key(entry: dict) -> list:
    """An entry's natural key read from its raw fields (a reference counts as the key it names)."""
    fields = entry.get("fields") or {}
    key = []
    for name in NATURAL_KEY_FIELDS.get(str(entry.get("model", "")).lower(), []):
        value = fields.get(name)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        key.append(value)
    return key


def describe_entry(entry) -> str:
    """ " (people.Statement ['an-article', 3])": the model and natural key of a raw entry, as far as known."""
    if not isinstance(entry, dict) or "model" not in entry:
        return ""
    try:
        label = apps.get_model(str(entry["model"]))._meta.label
    except (LookupError, ValueError):
        label = str(entry["model"])
    key = raw_natural_key(entry) if isinstance(entry.get("fields"), dict) else []
    return f" ({label} {key})" if key else f" ({label})"


def violated_constraint(model, error: IntegrityError) -> str:
    """The model's constraint a database error names, with its fields and message where it has them."""
    text = str(error)
    for constraint in model._meta.constraints:
        if re.search(rf"\b{re.escape(constraint.name)}\b", text):
            fields = ", ".join(constraint_fields(constraint))
            message = constraint.violation_error_message
            if message == constraint.default_violation_error_message:
                message = f"breaks the rule “{constraint.name}”"
            return f"{fields}: {message}" if fields else str(message)
    return f"the database refused it: {text}"


def constraint_fields(constraint) -> list[str]:
    """The fields a constraint is about: its own list, or those its condition reads (a Q says; an
    expression such as Exact(Length("ons_code"), 9) is searched for its field references)."""
    if getattr(constraint, "fields", ()):
        return list(constraint.fields)
    condition = getattr(constraint, "condition", None)
    if condition is None:
        return []
    if hasattr(condition, "referenced_base_fields"):
        return sorted(condition.referenced_base_fields)
    return sorted({part.name.split(LOOKUP_SEP)[0] for part in condition.flatten() if isinstance(part, F)})


class Loader:
    def __init__(self, command, *, force: bool):
        self.command, self.force = command, force
        self.tally = Counter()
        self.updates: list[str] = []
        self.deferred = []
        self.now = timezone.now()

    # --- one file ---------------------------------------------------------------------------------

    def load_file(self, path: Path):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read: {error}. Nothing was loaded.") from error
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{path}: malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}. Nothing was loaded."
            ) from error
        if not isinstance(entries, list):
            raise CommandError(f"{path}: a fixture is a JSON list of objects. Nothing was loaded.")
        keys_seen: dict[tuple, int] = {}
        statements_in_file: dict[str, set[int]] = defaultdict(set)
        reason = f"{FIXTURE_CHANGE_REASON_PREFIX}{path.name}"
        self.path = path
        for index, entry in enumerate(entries, start=1):
            try:
                instance = self.load_object(entry, keys_seen, index, reason)
            except Refused as error:
                raise CommandError(
                    f"{path}: object {index}{describe_entry(entry)}: {str(error).rstrip('.')}. Nothing was loaded."
                ) from error
            if isinstance(instance, Article):
                statements_in_file[instance.slug]  # noqa: B018 -- an article with no statements has none kept
            elif isinstance(instance, Statement):
                statements_in_file[instance.article.slug].add(instance.position)
        # An article's file lists all its statements: those it no longer lists are removed.
        for slug, positions in statements_in_file.items():
            stale = Statement.objects.filter(article__slug=slug).exclude(position__in=positions)
            removed, _ = stale.delete()
            self.tally[("people.Statement", "removed")] += removed

    def load_object(self, entry, keys_seen: dict, index: int, reason: str):
        model = self.model_of(entry)
        label = model._meta.label
        fields = entry.get("fields")
        if not isinstance(fields, dict):
            raise Refused("“fields” must be an object")
        if "pk" in entry:
            # Rows are found by natural key; a database id from elsewhere could name another row here.
            raise Refused("“pk” is not used: records are identified by their natural keys, so leave it out")
        key = (label, json.dumps(raw_natural_key(entry)))
        if key in keys_seen:
            raise Refused(f"the same natural key as object {keys_seen[key]} in this file")
        keys_seen[key] = index
        self.check_values(model, fields)
        self.refuse_missing_owners(model, fields)
        try:
            (deserialized,) = serializers.python.Deserializer(
                [{"model": entry["model"], "fields": fields}], handle_forward_references=True
            )
        except DeserializationError as error:
            raise Refused(f"{error}") from error
        instance = deserialized.object
        self.refuse_unresolved_required_references(deserialized)
        existing = model._base_manager.filter(pk=instance.pk).first() if instance.pk is not None else None
        instance._state.adding = existing is None  # so uniqueness is checked against other rows only
        changes = self.changes(deserialized, existing)
        if existing is not None and not changes and not deserialized.deferred_fields:
            self.tally[(label, "unchanged")] += 1
            return instance
        self.validate(instance, deserialized)
        if existing is not None:
            self.refuse_overwriting_staff_edits(existing)
        self.save(deserialized, existing, reason)
        outcome = "created" if existing is None else "updated"
        self.tally[(label, outcome)] += 1
        if existing is not None and changes:
            self.updates.append(f"  {label} {list(instance.natural_key())}: " + "; ".join(changes))
        if deserialized.deferred_fields:
            self.deferred.append((self.path, index, deserialized))
        return instance

    # --- checks -----------------------------------------------------------------------------------

    @staticmethod
    def model_of(entry):
        if not isinstance(entry, dict) or "model" not in entry:
            raise Refused("each object needs a “model” and its “fields”")
        try:
            model = apps.get_model(str(entry["model"]))
        except (LookupError, ValueError) as error:
            raise Refused(f"unknown model “{entry['model']}”") from error
        if model._meta.label_lower not in NATURAL_KEY_FIELDS:
            raise Refused(f"{model._meta.label} is not something the archive's fixtures load")
        return model

    @staticmethod
    def refuse_missing_owners(model, fields: dict):
        """A record whose natural key goes through the record it belongs to (a statement's article, a
        role's person, a judgement's inspection) must name it: Django's deserializer would build the
        key through it and fail."""
        for name in NATURAL_KEY_FIELDS[model._meta.label_lower]:
            field = model._meta.get_field(name)
            if field.is_relation and not field.null and fields.get(name) is None:
                raise Refused(f"{name}: required: the {field.related_model._meta.label} this record belongs to")

    @staticmethod
    def check_values(model, fields: dict):
        """Unknown fields, values that do not parse and references that are not natural keys, named
        before Django's deserializer sees them: it would take a bare number for a database id, and
        fail outright on a record whose natural key names a record that is not there."""
        in_natural_key = NATURAL_KEY_FIELDS[model._meta.label_lower]
        for name, value in fields.items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist as error:
                raise Refused(f"unknown field “{name}”") from error
            if name in NOT_IN_FIXTURES or getattr(field, "generated", False) or field.auto_created:
                raise Refused(f"{name}: set by the archive itself, not by a fixture")
            if value is None and field.many_to_many:
                raise Refused(f"{name}: a list, empty for none, not null")
            if value is None:
                continue
            if field.is_relation:
                # Required to build this record's natural key: it cannot wait for a later object.
                check_reference(field, value, must_exist=name in in_natural_key and not field.null)
                continue
            kind = of_another_kind(field, value)
            if kind is not None:
                raise Refused(f"{name}: {kind}, not {json.dumps(value)}")
            if isinstance(value, str):
                check_text(name, value)
            try:
                field.to_python(value)
            except ValidationError as error:
                raise Refused(f"{name}: {' '.join(error.messages)}") from error
            except OverflowError as error:  # an infinite number for an integer field, which Django lets through
                raise Refused(f"{name}: “{value}” is out of range") from error
            except (TypeError, ValueError) as error:  # a value of a type the field does not parse (a number for a date)
                raise Refused(f"{name}: {json.dumps(value)} is not a value this field takes") from error

    @staticmethod
    def refuse_unresolved_required_references(deserialized):
        # A reference to an object that does not exist yet can wait for a later object in the
        # load only if it is optional (a many-to-many link or a nullable key).
        for field, key in (deserialized.deferred_fields or {}).items():
            if not field.many_to_many and not field.null:
                model = field.related_model._meta.label
                raise Refused(
                    f"{field.name}: no {model} with natural key {list(key)} "
                    "(it must exist already or come earlier in the files loaded)"
                )

    @staticmethod
    def validate(instance, deserialized):
        """The model's full validation, as the admin applies it: fields, clean(), uniqueness.

        Check constraints are left to the database, which enforces them as the row is written
        (``violated_constraint`` names them): validating them here would cost a query each, and
        most of them restate the fields' own validation (choices, date shapes, required text).
        """
        deferred = {field.name for field in (deserialized.deferred_fields or {})}
        try:
            instance.full_clean(exclude=deferred | NOT_IN_FIXTURES, validate_constraints=False)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                details = "; ".join(
                    f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
                    for field, messages in error.message_dict.items()
                )
                raise Refused(f"{details}") from error
            raise Refused(f"{' '.join(error.messages)}") from error

    def refuse_overwriting_staff_edits(self, existing):
        """A record whose newest change was made by someone in the admin is theirs, not the fixture's."""
        if self.force:
            return
        newest = versions_of(existing).first()
        if newest is not None and newest.history_user_id is not None:
            raise Refused(
                f"changed in the admin by {newest.history_user} on "
                f"{newest.history_date:%Y-%m-%d %H:%M} since it was last loaded; loading would overwrite that "
                "edit (bring the fixture up to date, or pass --force to overwrite it)"
            )

    @staticmethod
    def changes(deserialized, existing) -> list[str]:
        """What loading this object would change in its row, field by field (nothing when new)."""
        if existing is None:
            return []
        instance = deserialized.object
        changes = []
        for field in _compared_fields(type(instance)):
            new = field.get_prep_value(getattr(instance, field.attname))
            old = field.get_prep_value(getattr(existing, field.attname))
            if new != old:
                changes.append(f"{field.name}: {describe_value(old)} → {describe_value(new)}")
        for name, pks in (deserialized.m2m_data or {}).items():
            current = set(getattr(existing, name).values_list("pk", flat=True))
            if current != {int(pk) for pk in pks}:
                changes.append(f"{name}: {len(current)} linked → {len(pks)} linked")
        return changes

    # --- writing ----------------------------------------------------------------------------------

    def save(self, deserialized, existing, reason: str):
        instance = deserialized.object
        if isinstance(instance, VersionedModel):
            instance.version = existing.version + 1 if existing is not None else 1
        if hasattr(instance, "created_at"):
            instance.created_at = existing.created_at if existing is not None else self.now
            instance.updated_at = self.now
        # A raw save sends no post_save, and its link updates would each write a history row of
        # their own: history is written once, here, with the links as saved.
        instance.skip_history_when_saving = True
        try:
            with transaction.atomic():
                deserialized.save()
        except IntegrityError as error:
            raise Refused(violated_constraint(type(instance), error)) from error
        finally:
            del instance.skip_history_when_saving
        record_history(instance, created=existing is None, reason=reason, date=self.now)
        instance._change_reason = reason  # for the row links saved later (forward references) will write

    def save_deferred(self):
        """Links to objects that came later in the load, now that every object is written."""
        for path, index, deserialized in self.deferred:
            instance = deserialized.object
            try:
                for field, value in deserialized.deferred_fields.items():
                    related = field.remote_field.model
                    for key in value if field.many_to_many else [value]:
                        try:
                            related._default_manager.get_by_natural_key(*key)
                        except related.DoesNotExist as error:
                            raise Refused(
                                f"{field.name}: no {related._meta.label} with natural key "
                                f"{list(key)} in the database or in the files loaded"
                            ) from error
                deserialized.save_deferred_fields()
            except Refused as error:
                raise CommandError(
                    f"{path}: object {index} ({instance._meta.label} {list(instance.natural_key())}): "
                    f"{str(error).rstrip('.')}. Nothing was loaded."
                ) from error


def refresh_planner_statistics(model_labels) -> None:
    """Brings the query planner's statistics up to date for the tables a load changed.

    They describe each table as it was when last analysed (by a migration, perhaps at five
    articles). With statistics that did not know the status column is unselective, SQLite drove a
    full-text search from an index on it: two seconds a query at 100k articles, not milliseconds.

    SQLite reads every row (analysis_limit=0). A sample of a thousand rows an index (tried before)
    takes rows a value as the rows it saw: one status stood for 1,001 of 100k articles, so a list
    with three filters walked the date index through a third of the archive rather than reading its
    600 rows by the facets' index and sorting them (70 ms against 20 ms a first visit), and lists of
    statements joined in the wrong order. At 100k articles and a million statements it takes 0.3 s.
    PostgreSQL's ANALYZE samples a bounded number of rows a table, and its estimates scale.
    """
    tables = sorted({apps.get_model(label)._meta.db_table for label in model_labels})
    if not tables or connection.vendor not in ("sqlite", "postgresql"):
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "PRAGMA analysis_limit=0"
            )  # the whole table (see above); the pragma lasts as long as the connection
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")


class Command(BaseCommand):
    help = "Load fixtures (default: every file in fixtures/), validated, creating and updating only what changed."

    def add_arguments(self, parser):
        parser.add_argument(
            "paths", nargs="*", help="Fixture files; default: fixtures/*.json and fixtures/articles/*.json"
        )
        parser.add_argument("--dry-run", action="store_true", help="Check everything, write nothing.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite records that staff changed in the admin since the last load.",
        )

    def handle(self, *args, paths=(), dry_run=False, force=False, verbosity=1, **options):
        files = [Path(path) for path in paths] or default_fixture_paths()
        missing = [str(path) for path in files if not path.is_file()]
        if missing:
            raise CommandError(f"No such fixture file: {', '.join(missing)}. Nothing was loaded.")
        loader = Loader(self, force=force)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        BulkLoader(loader, NATURAL_KEY_FIELDS).load(files, loader.now)
                except Exception as error:  # noqa: BLE001 -- NeedsCarefulLoad, or any oddity the batched path did not foresee
                    # Undone; object by object from the start, which names whatever is wrong
                    # (or, if nothing is, loads it all the slow way).
                    if not isinstance(error, NeedsCarefulLoad):
                        # Not a case it hands over by design: an operator should know why a load that
                        # takes seconds in batches is taking minutes.
                        self.stderr.write(
                            f"The batched load stopped ({type(error).__name__}: {error}); "
                            "loading object by object instead, which is slower."
                        )
                    loader = Loader(self, force=force)
                    for path in files:
                        loader.load_file(path)
                    loader.save_deferred()
                if dry_run:
                    raise DryRunDone
        except DryRunDone:
            pass
        except DatabaseError as error:
            raise CommandError(f"Nothing was loaded: {error}") from error
        if not dry_run:
            changed = {label for (label, outcome), count in loader.tally.items() if count and outcome != "unchanged"}
            refresh_planner_statistics(changed)
        self.report(loader, dry_run, verbosity)

    def report(self, loader, dry_run: bool, verbosity: int):
        if dry_run:
            self.stdout.write("Dry run: every object is valid; nothing was written. It would have made:")
        for (label, outcome), count in sorted(loader.tally.items()):
            if count:
                self.stdout.write(f"{label}: {count} {outcome}")
        if verbosity >= 1 and loader.updates:
            self.stdout.write("Updated, field by field:")
            for line in loader.updates:
                self.stdout.write(line)
        totals = Counter()
        for (_, outcome), count in loader.tally.items():
            totals[outcome] += count
        self.stdout.write(
            f"{totals['created']} created, {totals['updated']} updated, {totals['unchanged']} unchanged, "
            f"{totals['removed']} removed."
        )
