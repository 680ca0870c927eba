"""The fast path of ``load_archive``: new records written in batches, not one query at a time.

Loading a national archive's worth of articles one object at a time costs several queries an
object (natural-key look-ups, the existing row, uniqueness, history, links) — minutes for ten
thousand articles. This path does the same work set-wise:

- files are read and checked first (models, fields, values, duplicate keys), as the careful path
  checks them;
- models are loaded in dependency order (publishers before articles, articles before their
  statements), so every reference names a record already in the database or written earlier in
  this load, and natural keys are resolved with one query per batch of keys;
- records that already exist go through the careful path's own ``load_object`` (comparison field by
  field, the staff-edit check, an update with history); new records are validated in Python with the
  model's own field validation and ``clean()``, then written in batches with their links and their
  history rows (which SQLite makes itself from the rows staged for the records: ``NewHistory``).

It never decides on its own that a load is wrong. Anything it does not handle plainly (a value that
does not parse, a reference that cannot be resolved yet, a natural key met twice, a row the
database refuses) raises ``NeedsCarefulLoad`` (and the command treats any other exception from
here the same way): the command undoes everything this path wrote and runs the careful path over
the same files, which names the file, the object and the field. The
checks both paths share are the careful path's own functions, so they accept the same files.
"""

from __future__ import annotations

import gc
import operator
import threading
from collections import defaultdict
from collections.abc import Callable
from contextlib import closing, contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path

import orjson
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import DEFAULT_DB_ALIAS, DatabaseError, DataError, connections, models, router

from archive.curation import FIXTURE_CHANGE_REASON_PREFIX, VersionedModel, history_of
from archive.fixtures import NOT_IN_FIXTURES, as_natural_key, of_another_kind
from archive.instances import init_is_listened, new_instance

# Rows per INSERT and keys per IN (…) look-up: well under SQLite's 32,766 bound variables.
BATCH = 500
# New records of one model written at a time: on SQLite the database indexes one chunk (in the
# background, ``BackgroundWrites``) while the next is built.
CHUNK = 10_000
# Copying an article costs the database about five statements' copies (its body goes into the
# full-text index: 0.7 s for 10k articles, against 0.15 s for 10k statements). In one chunk of
# 10k, the database started only once every article was built, and the first chunk of statements
# then waited half a second for it; in chunks of 2,500 it starts after the first quarter.
CHUNK_OF_MODEL = {"articles.article": 2_500}


_UNSET = object()

# What parsing a fixture's value can raise: a ValidationError; for an infinite number (JSON's
# Infinity, 1e999) given to an integer field an OverflowError; for a value of a type a field does not
# parse at all (a number for a date) a TypeError or ValueError. Django's fields let the last three through.
UNPARSABLE = (ValidationError, OverflowError, TypeError, ValueError)


class NeedsCarefulLoad(Exception):
    """This load needs the object-by-object path (which will say exactly what is wrong, if anything)."""


def load_order(labels) -> list:
    """The fixture models in an order where each comes after every model it refers to."""
    models = {label: apps.get_model(label) for label in labels}
    graph = TopologicalSorter()
    for label, model in models.items():
        related = {
            field.related_model._meta.label_lower
            for field in model._meta.get_fields()
            if (field.many_to_one or field.many_to_many) and field.concrete
        }
        graph.add(label, *sorted(related & models.keys() - {label}))
    return [models[label] for label in graph.static_order()]


class Entry:
    __slots__ = ("path", "index", "model", "fields", "instance", "links", "order")

    def __init__(self, path: Path, index: int, model, fields: dict):
        self.path, self.index, self.model, self.fields = path, index, model, fields
        self.order = 0  # its place in the whole load, files in the order given
        self.instance = None
        self.links: dict[str, list[int]] = {}


class BulkLoader:
    """Loads what the careful ``Loader`` would, with that loader doing the updates (see the module)."""

    def __init__(self, loader, natural_key_fields: dict):
        self.loader = loader
        self.natural_key_fields = natural_key_fields
        self.pks: dict[tuple, int] = {}  # (model label, natural key) → pk, for rows known to exist
        self.absent: set[tuple] = set()  # (model label, natural key) looked up and not found
        self.created: dict[tuple, Entry] = {}  # (model label, natural key) → entry of a record written in this load
        self.new_pks: dict[str, set[int]] = defaultdict(set)  # model label → keys of the records written in this load
        self.models: dict[str, type] = {}
        self.fields_allowed: dict[type, set[str]] = {}
        self.layouts: dict[type, tuple] = {}
        self.checks: dict[type, list] = {}
        self.field_table: dict[type, dict] = {}
        self.natural_key_parts: dict[type, list] = {}

    # --- reading ----------------------------------------------------------------------------------

    def read(self, paths) -> dict:
        """Every file's entries, grouped by model; any oddity sends the load down the careful path."""
        grouped = defaultdict(list)
        article_files: dict[str, Path] = {}
        self.statement_positions: dict[Path, dict[str, set[int]]] = {}
        position = None  # a statement's position field, to parse positions with
        order = 0
        for path in (path if isinstance(path, Path) else Path(path) for path in paths):
            try:
                # orjson reads the bytes as UTF-8 and parses them in half the time of json.loads over
                # str. It is stricter than json (no NaN or Infinity, no lone surrogate escapes, no
                # number past 64 bits as an int): what it refuses or reads as a float of a whole
                # number, the careful path reads with json, and names or refuses.
                entries = orjson.loads(path.read_bytes())
            except (OSError, orjson.JSONDecodeError) as error:
                raise NeedsCarefulLoad from error
            if not isinstance(entries, list):
                raise NeedsCarefulLoad
            positions: dict[str, set[int]] = defaultdict(set)
            for index, raw in enumerate(entries, start=1):
                entry = self.checked(path, index, raw)
                entry.order = order = order + 1
                label = entry.model._meta.label_lower
                if label in ("articles.article", "people.statement"):
                    slug = (
                        entry.fields.get("slug")
                        if label == "articles.article"
                        else _single(entry.fields.get("article"))
                    )
                    if not isinstance(slug, str) or article_files.setdefault(slug, path) is not path:
                        # One article's record spread over several files: the careful path decides
                        # which file's statements stand.
                        raise NeedsCarefulLoad
                    if label == "articles.article":
                        positions[slug]  # noqa: B018 -- an article listed with no statements keeps none
                    else:
                        position = position or entry.model._meta.get_field("position")
                        try:
                            positions[slug].add(position.to_python(entry.fields["position"]))
                        except (KeyError, *UNPARSABLE) as error:  # the careful path names it
                            raise NeedsCarefulLoad from error
                grouped[label].append(entry)
            self.statement_positions[path] = positions
        return grouped

    def checked(self, path, index, raw) -> Entry:
        if not isinstance(raw, dict) or "pk" in raw or not isinstance(raw.get("fields"), dict):
            raise NeedsCarefulLoad
        if not isinstance(raw.get("model"), str):
            raise NeedsCarefulLoad
        model = self.models.get(raw["model"])
        if model is None:
            try:
                model = self.loader.model_of(raw)
            except Exception as error:  # the careful path names it  # noqa: BLE001
                raise NeedsCarefulLoad from error
            self.models[raw["model"]] = model
        # Each value is parsed when its record is built (or by the careful path, for an update).
        if not raw["fields"].keys() <= self.loadable_fields(model):
            raise NeedsCarefulLoad
        return Entry(path, index, model, raw["fields"])

    def fields_by_name(self, model) -> dict:
        """Each field a fixture may set, by name: (field, related model's label or None, many-to-many)."""
        if model not in self.field_table:
            self.field_table[model] = {
                name: (
                    field,
                    field.related_model._meta.label_lower if field.is_relation else None,
                    field.many_to_many,
                )
                for name in self.loadable_fields(model)
                for field in [model._meta.get_field(name)]
            }
        return self.field_table[model]

    def loadable_fields(self, model) -> set[str]:
        """The fields a fixture may set, as ``Loader.check_values`` allows them."""
        if model not in self.fields_allowed:
            self.fields_allowed[model] = {
                field.name
                for field in model._meta.get_fields()
                if field.concrete
                and not field.auto_created
                and not getattr(field, "generated", False)
                and field.name not in NOT_IN_FIXTURES
            }
        return self.fields_allowed[model]

    # --- natural keys -----------------------------------------------------------------------------

    def key_of(self, model, values: dict) -> tuple:
        """An entry's natural key with each reference in it resolved to the referenced row's pk (the
        look-ups done in ``look_up``): None for a row not found, or for no reference at all."""
        key = []
        for name, related_label, to_python in self.key_parts(model):
            value = values.get(name)
            if related_label is None:
                try:
                    key.append(to_python(value))
                except UNPARSABLE as error:
                    raise NeedsCarefulLoad from error
            elif value is None:
                key.append(None)
            else:
                related_key = as_natural_key(value)
                if related_key is None:
                    raise NeedsCarefulLoad  # a reference written as a raw id: the careful path decides
                key.append(self.pks.get((related_label, related_key)))
        return tuple(key)

    def key_parts(self, model) -> list[tuple]:
        """Each field of the model's natural key: its name, the label of the model it refers to (or
        None), and how its value is parsed."""
        if model not in self.natural_key_parts:
            self.natural_key_parts[model] = [
                (name, field.related_model._meta.label_lower if field.is_relation else None, field.to_python)
                for name in self.natural_key_fields[model._meta.label_lower]
                for field in [model._meta.get_field(name)]
            ]
        return self.natural_key_parts[model]

    def look_up(self, model, keys) -> None:
        """Finds which of these natural keys (references resolved) name existing rows, in batches."""
        label = model._meta.label_lower
        wanted = {key for key in keys if (label, key) not in self.pks and (label, key) not in self.absent}
        if not wanted:
            return
        names = self.natural_key_fields[label]
        first = model._meta.get_field(names[0])
        if first.is_relation:
            # A statement of an article new in this load (a role of a new person…) is new too.
            written = self.new_pks[first.related_model._meta.label_lower]
            self.absent.update((label, key) for key in wanted if key[0] in written)
            wanted = {key for key in wanted if key[0] not in written}
        attnames = [model._meta.get_field(name).attname for name in names]
        # Rows are fetched by the key's first part (a slug, or the parent row of a statement, a role
        # or a judgement) and matched on the whole key.
        # In a stable order whatever their types (a slug given as a number is looked up, and not found).
        firsts = sorted({key[0] for key in wanted if key[0] is not None}, key=lambda part: (type(part).__name__, part))
        found = {}
        for start in range(0, len(firsts), BATCH):
            rows = model._base_manager.filter(**{f"{attnames[0]}__in": firsts[start : start + BATCH]}).values_list(
                *attnames, "pk"
            )
            for *key, pk in rows:
                found[tuple(key)] = pk
        for key in wanted:
            if key in found:
                self.pks[(label, key)] = found[key]
            else:
                self.absent.add((label, key))

    def references(self, model, entries) -> dict:
        """Every row these entries refer to, as natural keys by model (``look_up`` finds them)."""
        wanted = defaultdict(set)
        table = self.fields_by_name(model)
        relations = [(name, field, many) for name, (field, label, many) in table.items() if label is not None]
        for entry in entries:
            fields = entry.fields
            for name, field, many in relations:
                value = fields.get(name)
                if value is None:
                    continue
                references = value if many else [value]
                if not isinstance(references, list):
                    raise NeedsCarefulLoad
                keys = wanted[field.related_model]
                for reference in references:
                    key = as_natural_key(reference)
                    if key is None:
                        raise NeedsCarefulLoad
                    keys.add(key)
        for related in wanted:
            # The models fixtures refer to are named by plain values (a slug, an ONS code), never by
            # a key that itself holds a reference.
            names = self.natural_key_fields.get(related._meta.label_lower, ())
            if not names or any(related._meta.get_field(name).is_relation for name in names):
                raise NeedsCarefulLoad
        return wanted

    # --- writing ----------------------------------------------------------------------------------

    def load(self, paths, now) -> None:
        # A load holds every record it reads until it has written them all: hundreds of thousands
        # of objects, none of them garbage, which the cyclic collector would otherwise walk again
        # and again as they are made (a fifth of a 10k-article load). It runs again once the load
        # has let go of them (``release``): its first collection walks every object made since it
        # stopped, and all of them still held was a tenth of a 10k-article load.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.load_in_batches(paths, now)
        finally:
            self.release()
            if collecting:
                gc.enable()

    def load_in_batches(self, paths, now) -> None:
        try:
            with background_writes():
                grouped = self.read(paths)
                order = [model for model in load_order(self.natural_key_fields) if grouped[model._meta.label_lower]]
                wanted = {model: self.references(model, grouped[model._meta.label_lower]) for model in order}
                # The rows this load refers to but does not write are looked up now, before the first
                # write: once writes are under way (on SQLite, in the background), a query waits for
                # them. A model's own keys, and references to a model this load also writes, are
                # looked up in its turn (none needed for the children of records new in this load).
                for references in wanted.values():
                    for related, keys in references.items():
                        if related not in order:
                            self.look_up(related, keys)
                know_highest_keys(order)
                for model in order:
                    for related, keys in wanted[model].items():
                        if related in order:  # written earlier in this load, or already there
                            self.look_up(related, keys)
                    self.load_model(model, grouped[model._meta.label_lower], now)
                self.remove_statements_no_longer_listed()
        except (UnicodeEncodeError, DataError) as error:
            # A value the database will not take, even to look a record up by: text with half of a
            # surrogate pair, or on PostgreSQL a NUL. The careful path names it (``check_text``)
            # before it is ever written or looked up.
            raise NeedsCarefulLoad from error

    def release(self) -> None:
        """Lets go of the records read and written, and what it knew of them: freed as they are dropped."""
        self.pks, self.absent, self.created = {}, set(), {}
        self.new_pks = defaultdict(set)
        self.statement_positions = {}

    def load_model(self, model, entries, now) -> None:
        """Writes the new records of one model (their references already looked up), updates the rest."""
        label = model._meta.label_lower
        keys = [self.key_of(model, entry.fields) for entry in entries]
        if len(set(keys)) < len(keys):
            # A record twice in one load: the careful path reports it (in one file) or applies the
            # later file's version as an update (in two).
            raise NeedsCarefulLoad
        self.look_up(model, keys)
        chunk = CHUNK_OF_MODEL.get(label, CHUNK)
        new = []
        for entry, key in zip(entries, keys, strict=True):
            if (label, key) in self.pks:
                self.update(entry)
            else:
                entry.instance = self.build(model, entry, now)
                new.append((entry, key))
                if len(new) == chunk:
                    self.create(model, new, now)
                    new = []
        if new:
            self.create(model, new, now)

    def update(self, entry: Entry) -> None:
        """An existing record: the careful path compares, checks for staff edits, updates with history."""
        loader = self.loader
        loader.path = entry.path
        reason = f"{FIXTURE_CHANGE_REASON_PREFIX}{entry.path.name}"
        try:
            raw = {"model": entry.model._meta.label_lower, "fields": entry.fields}
            loader.load_object(raw, {}, entry.index, reason)
        except Exception as error:  # noqa: BLE001 -- the careful path, run again from the start, names it
            raise NeedsCarefulLoad from error
        if loader.deferred:
            raise NeedsCarefulLoad

    def build(self, model, entry: Entry, now):
        """A new record from its entry, validated as the careful path validates it, without queries."""
        fields, position, template, special, attnames = self.layout(model)
        values = list(template)
        references, cached = set(), []
        table = self.fields_by_name(model)
        for name, value in entry.fields.items():
            field, related_label, many = table[name]
            if many:
                if not isinstance(value, list):
                    raise NeedsCarefulLoad  # a list, empty for none: the careful path refuses anything else
                pks = [self.pks.get((related_label, as_natural_key(reference))) for reference in value]
                if None in pks:
                    raise NeedsCarefulLoad  # a link to something not loaded yet, or a raw id
                entry.links[name] = pks
                continue
            if related_label is None:
                values[position[name]] = value  # parsed by clean_fields below
                continue
            references.add(name)
            if value is None:
                if not field.null:
                    raise NeedsCarefulLoad
                values[position[name]] = None
                continue
            related_key = as_natural_key(value)
            if related_key is None:
                raise NeedsCarefulLoad  # a reference written as a raw id: the careful path decides
            created = self.created.get((related_label, related_key))
            if created is not None:
                if not field.null and created.order > entry.order:
                    # A required reference to a record later in the load: the careful path, which loads
                    # in the files' order, refuses it (it must exist already or come earlier).
                    raise NeedsCarefulLoad
                values[position[name]] = created.instance.pk
                cached.append((field, created.instance))  # so clean() can read it (a statement's article body)
            else:
                pk = self.pks.get((related_label, related_key))
                if pk is None:
                    raise NeedsCarefulLoad  # a forward or missing reference
                values[position[name]] = pk
        for index, field in special:
            if values[index] is _UNSET:
                if field.name in references or (field.is_relation and not field.null):
                    raise NeedsCarefulLoad
                values[index] = field.get_default()
        instance = _new_instance(model, attnames, values)
        for field, related in cached:
            field.set_cached_value(instance, related)
        if isinstance(instance, VersionedModel):
            instance.version = 1
        if hasattr(instance, "created_at"):
            instance.created_at = instance.updated_at = now
        try:
            # References were resolved above (checking them in clean_fields costs a query each);
            # uniqueness and check constraints are the database's, as on the careful path. This is
            # full_clean without those: each field's own validation, then the model's clean().
            self.clean_fields(model, instance, references)
            instance.clean()
        except UNPARSABLE as error:
            raise NeedsCarefulLoad from error
        return instance

    def clean_fields(self, model, instance, references) -> None:
        """``Model.clean_fields`` without ``references`` (resolved already) and the bookkeeping fields
        (``NOT_IN_FIXTURES``, set by the load), with the common case of each plain field checked inline.

        A text, number or yes/no value already of its field's type needs no parsing: what
        ``Field.clean`` would do to it is check the choices, emptiness and the field's validators,
        done here directly (a length limit without a call). Anything else, a value of another
        type or a field of another kind, goes through the field's own ``clean``. It is the same
        validation as ``full_clean``'s, at a fraction of the cost over a hundred thousand records.
        """
        values = instance.__dict__  # a new instance holds every concrete field's value by attname
        for check in self.field_checks(model):
            field, attname, is_reference, plain_type, choices, length, low, high, validators = check
            if is_reference and field.name in references:
                continue
            raw = values[attname]
            if type(raw) is plain_type:
                if plain_type is str and "\x00" in raw:
                    raise ValidationError(f"{field.name}: a NUL character")  # as the careful path's check_text
                # Of the values of a plain type, only "" is empty (``Field.empty_values``).
                if raw == "":
                    if field.blank or not field.editable:
                        continue  # as clean_fields: a blank value that may be blank is not validated
                    raise ValidationError(f"{field.name}: required")
                if choices is not None and field.editable and raw not in choices:
                    raise ValidationError(f"{field.name}: not one of the choices")
                if length is not None and len(raw) > length:
                    raise ValidationError(f"{field.name}: too long")
                if (low is not None and raw < low) or (high is not None and raw > high):
                    raise ValidationError(f"{field.name}: out of range")
                for validator in validators:
                    validator(raw)
            elif raw is not None and of_another_kind(field, raw) is not None:
                raise ValidationError(f"{field.name}: a value of another kind")  # as the careful path's check_values
            elif not (field.blank and raw in field.empty_values):
                setattr(instance, attname, field.clean(raw, instance))
            elif raw is not None:
                # Not validated, as clean_fields leaves it; but the careful path parses every value first
                # (an empty list is no date), and so must it parse to be written.
                field.to_python(raw)

    def field_checks(self, model) -> list[tuple]:
        """Per field the load validates: the field, its attname, whether it is a reference, its plain
        Python type (or None), its choices, its length limit, its lower and upper bounds, and the
        validators left to run."""
        if model not in self.checks:
            checks = []
            for field in model._meta.concrete_fields:
                if field.generated or field.name in NOT_IN_FIXTURES:
                    continue  # computed by the database, as clean_fields skips it; or set by the load
                plain_type = PLAIN_TYPES.get(type(field))
                choices = None
                if field.choices is not None:
                    keys = [key for key, _ in field.flatchoices]
                    if plain_type is not None and all(type(key) is plain_type for key in keys):
                        choices = frozenset(keys)
                    else:
                        plain_type = None  # choices of another shape: the field's own check
                # Length limits on text and bounds on numbers are compared inline; other validators run.
                inlined = {str: (MaxLengthValidator,), int: (MinValueValidator, MaxValueValidator)}.get(plain_type, ())
                inline = [v for v in field.validators if type(v) in inlined and type(v.limit_value) is int]
                others = [v for v in field.validators if v not in inline]

                def limits(kind, inline=inline):
                    return [v.limit_value for v in inline if type(v) is kind]

                length = min(limits(MaxLengthValidator), default=None)
                low = max(limits(MinValueValidator), default=None)
                high = min(limits(MaxValueValidator), default=None)
                checks.append((field, field.attname, field.is_relation, plain_type, choices, length, low, high, others))
            self.checks[model] = checks
        return self.checks[model]

    def layout(self, model) -> tuple:
        """The model's concrete fields in order; each one's position by name; a new row's values
        before its entry's are put in (each field's default, where it is the same for every row);
        the fields whose value is decided per row when the entry has none (references and
        defaults computed per row); and the attribute names, or None when ``__init__`` must run."""
        if model not in self.layouts:
            fields = list(model._meta.concrete_fields)
            template, special = [], []
            for index, field in enumerate(fields):
                if field.generated:
                    template.append(None)
                elif field.is_relation or callable(field.default):
                    template.append(_UNSET)
                    special.append((index, field))
                else:
                    template.append(field.get_default())
            listened = init_is_listened(model)
            attnames = None if listened else [field.attname for field in fields]
            self.layouts[model] = (
                fields,
                {field.name: index for index, field in enumerate(fields)},
                template,
                special,
                attnames,
            )
        return self.layouts[model]

    def create(self, model, new, now) -> None:
        label = model._meta.label_lower
        instances = [entry.instance for entry, _ in new]
        self.check_limited_references(model, instances)
        try:
            # The record's rows, history, links and history of links are staged, then (on SQLite) copied
            # into their tables together, in the background.
            with written_together():
                history = NewHistory(model, new, now)
                insert_rows(model, instances, history)
                links = {}
                for name in {name for entry, _ in new for name in entry.links}:
                    pairs = [
                        (entry.instance.pk, pk) for entry, _ in new for pk in sorted(set(entry.links.get(name, [])))
                    ]
                    links[name] = insert_links(model, name, pairs)
                history.record_links(model, links)
        except DatabaseError as error:  # a constraint: the careful path names the object and the rule
            raise NeedsCarefulLoad from error
        for entry, key in new:
            self.pks[(label, key)] = entry.instance.pk
            self.absent.discard((label, key))
            self.created[(label, key)] = entry
            self.new_pks[label].add(entry.instance.pk)
        self.loader.tally[(model._meta.label, "created")] += len(instances)

    def check_limited_references(self, model, instances) -> None:
        """Django's check of a reference also applies its field's ``limit_choices_to`` (a role's
        organisation must be a person of the kind organisation), which ``clean_fields`` leaves out with
        the references it resolved: here, one query per such field and chunk, as ``ForeignKey.validate``
        filters. A reference outside the choices goes to the careful path, which names it."""
        for field in model._meta.concrete_fields:
            if not field.many_to_one or not field.get_limit_choices_to():
                continue
            wanted = sorted({getattr(instance, field.attname) for instance in instances} - {None})
            target = field.remote_field.field_name
            allowed = set()
            for start in range(0, len(wanted), BATCH):
                allowed.update(
                    field.remote_field.model._base_manager.complex_filter(field.get_limit_choices_to())
                    .filter(**{f"{target}__in": wanted[start : start + BATCH]})
                    .values_list(target, flat=True)
                )
            if allowed != set(wanted):
                raise NeedsCarefulLoad

    def remove_statements_no_longer_listed(self) -> None:
        """As the careful path: an existing article's file lists all its statements."""
        from people.models import Statement

        for positions in self.statement_positions.values():
            for slug, kept in positions.items():
                if ("articles.article", (slug,)) in self.created:
                    continue  # new in this load: its only statements are the file's
                removed, _ = Statement.objects.filter(article__slug=slug).exclude(position__in=kept).delete()
                self.loader.tally[("people.Statement", "removed")] += removed


class NewHistory:
    """The history rows of the records one batch creates: one each, as ``curation.record_history``
    writes it, and the history of their links.

    On SQLite the rows are made by the database from the records' rows staged for their own
    INSERT (``write_rows``): a hundred thousand rows are not built and bound a second time in
    Python, which was a sixth of a 10k-article load. Elsewhere they are written from the records.
    """

    COLUMNS = ("history_id", "history_change_reason", "history_date", "history_type", "history_user_id")
    REASON = "bulk_load_history_change_reason"  # the staged column that carries each row's reason

    def __init__(self, model, new, now):
        self.model = history_of(model).model
        columns = [field for field in self.model._meta.concrete_fields if not field.generated]
        tracked_names = {field.attname for field in self.model.tracked_fields}
        if {field.attname for field in columns} != tracked_names | set(self.COLUMNS):
            raise NeedsCarefulLoad  # a history table with other columns: the careful path writes it
        by_name = {field.attname: field for field in columns}
        # The record's own values first, then the history's: the columns in that order.
        self.tracked = [field for field in columns if field.attname in tracked_names]
        self.fields = self.tracked + [by_name[name] for name in self.COLUMNS]
        self.ids = allocate_ids(self.model, len(new))
        self.reasons = [f"{FIXTURE_CHANGE_REASON_PREFIX}{entry.path.name}" for entry, _ in new]
        self.instances = [entry.instance for entry, _ in new]
        self.now = now

    def rows(self) -> list[list]:
        values_of = _values_getter([field.attname for field in self.tracked])
        return [
            [*values_of(instance), history_id, reason, self.now, "+", None]
            for instance, history_id, reason in zip(self.instances, self.ids, self.reasons, strict=True)
        ]

    def copied_from_staging(self, record_fields, connection) -> StagedCopy:
        """The rows as one INSERT … SELECT over the records' staged rows (SQLite)."""
        quote = connection.ops.quote_name
        staged = {field.attname: quote(field.column) for field in record_fields}
        if any(field.attname not in staged for field in self.tracked):
            raise NeedsCarefulLoad
        columns = ", ".join(quote(field.column) for field in self.fields)
        # Tracked values as the records' own fields prepared them (the history's are copies of
        # those fields); ids in the staged rows' order, which is the records' order.
        values = [staged[field.attname] for field in self.tracked] + [
            "rowid + %s",  # allocate_ids gives SQLite a run of consecutive ids
            quote(self.REASON),
            "%s",
            "%s",
            "NULL",
        ]
        date = self.model._meta.get_field("history_date").get_db_prep_save(self.now, connection)
        table = quote(self.model._meta.db_table)

        def statement(staging: str) -> tuple[str, list]:
            sql = f"INSERT INTO {table} ({columns}) SELECT {', '.join(values)} FROM {staging} ORDER BY rowid"
            return sql, [self.ids[0] - 1, date, "+"]

        return StagedCopy(column=self.REASON, values=self.reasons, statement=statement)

    def record_links(self, model, links: dict) -> None:
        """Each record's links as its history row's links, as simple-history keeps them: the link's
        own values, the record's history row and a key of its own (``links`` as ``insert_links``
        gives them, by field name)."""
        history_of_record = {instance.pk: pk for instance, pk in zip(self.instances, self.ids, strict=True)}
        for name, (link_fields, rows) in links.items():
            if not rows:
                continue
            link_history = _link_history_model(self.model, name)
            source, _ = _through_columns(model, name)
            position = {field.attname: index for index, field in enumerate(link_fields)}
            fields = [field for field in link_history._meta.concrete_fields if not field.generated]
            own_key, of_record = link_history._meta.pk.attname, "history_id"
            if {field.attname for field in fields} != position.keys() | {own_key, of_record}:
                raise NeedsCarefulLoad  # a history of links with other columns: the careful path writes it
            # Each column takes the link's value at a position, or (None) one of the history's own.
            columns = [
                (field.attname, None if field.attname in (own_key, of_record) else position[field.attname])
                for field in fields
            ]
            by_record = position[source]
            history_rows = []
            for row, history_key in zip(rows, allocate_ids(link_history, len(rows)), strict=True):
                own = {own_key: history_key, of_record: history_of_record[row[by_record]]}
                history_rows.append([own[attname] if index is None else row[index] for attname, index in columns])
            write_rows(link_history, fields, history_rows)


@dataclass
class StagedCopy:
    """More rows made from rows staged for an INSERT, before the staging table goes (``write_rows``)."""

    column: str  # one more staged column, for the copy only
    values: list  # its value on each staged row, in order
    statement: Callable[[str], tuple[str, list]]  # the staging table's name → (SQL, parameters)


# Fields whose Python values the database drivers take as they are (str, int, bool, None): for
# these exact classes ``get_db_prep_save`` changes nothing, and skipping it halves the cost of a row.
PLAIN_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.ForeignKey,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SlugField,
    models.TextField,
    models.URLField,
)


# The Python type a value of these exact field classes has once parsed: a value already of it is
# checked by ``BulkLoader.clean_fields`` without parsing.
PLAIN_TYPES = {
    models.CharField: str,
    models.SlugField: str,
    models.TextField: str,
    models.URLField: str,
    models.IntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BigIntegerField: int,
    models.BooleanField: bool,
}


def know_highest_keys(models) -> None:
    """Asks, before the load writes, each table these models' new records go in for its highest key
    (``BackgroundWrites.highest_key``): their records, history, links and history of links."""
    writes = _background.get()
    if writes is None:
        return
    tables = []
    for model in models:
        history = history_of(model).model
        tables += [model, history]
        for field in model._meta.many_to_many:
            tables.append(field.remote_field.through)
            # Links whose history is not kept: a load that has them is handed to the careful path.
            with suppress(NeedsCarefulLoad):
                tables.append(_link_history_model(history, field.name))
    for table in tables:
        if connections[router.db_for_write(table)] is writes.connection:
            writes.highest_key(table._meta.db_table, table._meta.pk.column)


def allocate_ids(model, count: int) -> list[int]:
    """``count`` new primary keys for ``model``'s table, never one a deleted row has had.

    Called inside the load's transaction, which holds the write lock on SQLite (transactions there
    begin IMMEDIATE) and takes values from the sequence on PostgreSQL, so no other writer can take
    the same keys. While SQLite's writes go on in the background, keys are counted on from the
    highest the table had (``BackgroundWrites.take_keys``): asking the table would wait for them.
    """
    connection = connections[router.db_for_write(model)]
    table, column = model._meta.db_table, model._meta.pk.column
    writes = _background.get()
    if connection.vendor == "sqlite":
        if writes is not None and writes.connection is connection:
            highest = writes.take_keys(table, column, count)
        else:
            highest = _highest_sqlite_key(connection, table, column)
        return list(range(highest + 1, highest + 1 + count))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
            )
            return [pk for (pk,) in cursor.fetchall()]
    raise NeedsCarefulLoad  # another database: the careful path's ordinary saves


def _highest_sqlite_key(connection, table: str, column: str) -> int:
    """The highest key an AUTOINCREMENT table has given, remembered in sqlite_sequence even once deleted."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
            f"coalesce((SELECT max({quote(column)}) FROM {quote(table)}), 0))",
            [table],
        )
        (highest,) = cursor.fetchone()
    return highest


def insert_rows(model, instances, history: NewHistory | None = None) -> None:
    """Writes new records, keys assigned here (see ``write_rows``), and their history rows if given."""
    if not instances:
        return
    connection = connections[router.db_for_write(model)]
    for instance, pk in zip(instances, allocate_ids(model, len(instances)), strict=True):
        instance.pk = pk
        instance._state.adding, instance._state.db = False, connection.alias
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    values_of = _values_getter([field.attname for field in fields])
    rows = [values_of(instance) for instance in instances]
    if history is None:
        write_rows(model, fields, rows)
    elif connection.vendor == "sqlite":
        write_rows(model, fields, rows, copy=history.copied_from_staging(fields, connection))
    else:
        write_rows(model, fields, rows)
        write_rows(history.model, history.fields, history.rows())


def insert_links(model, name: str, pairs: list[tuple[int, int]]) -> tuple[list, list[list]]:
    """Writes new links of a many-to-many field, (this side's pk, the other side's pk) each, keys
    assigned here; gives the link table's fields and the rows written, for their history."""
    if not pairs:
        return [], []
    through = model._meta.get_field(name).remote_field.through
    source, target = _through_columns(model, name)
    own_key = through._meta.pk.attname
    by_attname = {field.attname: field for field in through._meta.concrete_fields if not field.generated}
    if by_attname.keys() != {own_key, source, target}:
        raise NeedsCarefulLoad  # a link table with more than its two sides: the careful path decides
    fields = [by_attname[own_key], by_attname[source], by_attname[target]]
    rows = [[pk, this, other] for pk, (this, other) in zip(allocate_ids(through, len(pairs)), pairs, strict=True)]
    write_rows(through, fields, [list(row) for row in rows])  # copies: write_rows may prepare values in place
    return fields, rows


def write_rows(model, fields, rows, copy: StagedCopy | None = None) -> None:
    """Inserts rows of Python values (one per field, keys included) with one prepared INSERT.

    ``bulk_create`` compiles each batch's SQL and prepares every value through several layers,
    which costs more than the database's own work for a hundred thousand rows. On SQLite the rows
    go first into a temporary table and then into the real one with a single INSERT … SELECT:
    one statement per row would make the full-text index's triggers flush their pending terms
    at every statement (FTS5 does at each statement's savepoint), three times the cost. A ``copy``
    (SQLite only) makes more rows from the staged ones before the staging table is dropped.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    prepare = [(index, field.get_db_prep_save) for index, field in enumerate(fields) if type(field) not in PLAIN_FIELDS]
    for index, prepare_value in prepare:
        # Most such values are the load's one timestamp (created, updated, history date) or a
        # handful of dates: each distinct value is prepared once.
        prepared: dict = {}
        for row in rows:
            value = row[index]
            try:
                row[index] = prepared[value]
            except KeyError:
                row[index] = prepared[value] = prepare_value(value, connection)
            except TypeError:  # a value that cannot be a dictionary key
                row[index] = prepare_value(value, connection)
    if connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", rows)
        return
    staging = quote(f"bulk_load_{model._meta.db_table}")
    staged, shape = columns, columns
    if copy is not None:
        staged, shape = f"{columns}, {quote(copy.column)}", f"{columns}, NULL AS {quote(copy.column)}"
        placeholders += ", %s"
        for row, value in zip(rows, copy.values, strict=True):
            row.append(value)
    # Into the table (its indexes, its full-text index), then its history: the database's own work,
    # in the background when the load allows it.
    statements = [(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {staging}", [])]
    if copy is not None:
        statements.append(copy.statement(staging))
    job = StagedWrite(
        create=f"CREATE TEMP TABLE {staging} AS SELECT {shape} FROM {table} WHERE 0",
        stage=f"INSERT INTO {staging} ({staged}) VALUES ({placeholders})",
        rows=rows,
        statements=statements,
        drop=f"DROP TABLE {staging}",
    )
    writes = _background.get()
    if writes is None or writes.connection is not connection or connection.queries_logged:
        # Logged queries run here as usual, to be logged.
        with connection.cursor() as cursor:
            job.run(cursor)
    else:
        writes.submit(job)


@dataclass
class StagedWrite:
    """Rows put in a table through a temporary one (see ``write_rows``), and what is made from them.

    Run on a Django cursor, or on one of the sqlite3 connection's own (``placeholder="?"``).
    """

    create: str  # the staging table
    stage: str  # one row into it
    rows: list
    statements: list[tuple[str, list]]  # from the staging table into the real ones
    drop: str

    def run(self, cursor, placeholder: str = "%s") -> None:
        self.put_in_staging(cursor, placeholder)
        self.copy_from_staging(cursor, placeholder)

    def put_in_staging(self, cursor, placeholder: str = "%s") -> None:
        cursor.execute(self.create)
        try:
            cursor.executemany(self.stage.replace("%s", placeholder), self.rows)
        except BaseException:
            cursor.execute(self.drop)
            raise
        self.rows = []  # in the staging table now: not held while the next chunk is built

    def copy_from_staging(self, cursor, placeholder: str = "%s") -> None:
        try:
            for statement, params in self.statements:
                # The SQL is ours, with no "%" but its placeholders.
                cursor.execute(statement.replace("%s", placeholder), params)
        finally:
            cursor.execute(self.drop)


class BackgroundWrites:
    """SQLite's part of writing new records, run on a second thread while the load goes on in Python.

    Once a chunk's rows are staged, the INSERT … SELECT that puts them in the table is the database's
    work alone (indexes, full-text index, triggers) and takes the GIL only to start: on a second core
    it runs while the load builds the next chunk. (Staging stays on the load's thread: binding rows
    there takes the GIL at every row, and the two threads would take turns at it.) It uses the load's
    own connection, so it is inside the load's transaction. Nothing else touches that connection
    meanwhile: every query Django runs on it first waits for the write to finish (``background_writes``
    installs the wait as an execute wrapper), and so does the end of the load, before its transaction
    commits or rolls back. A write that fails is raised at that wait, as ``NeedsCarefulLoad``.

    Whatever must use the connection while a write runs waits for it, so the load asks for nothing
    it can know beforehand: new keys are counted on from each table's highest (``allocate_ids``),
    asked of the table once and then kept. A statement other than a SELECT run through Django (an
    update on the careful path, a removal) forgets them, and the next chunk asks again.
    """

    def __init__(self, connection):
        self.connection = connection
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.keys_given: dict[str, int] = {}
        self.held: list[StagedWrite] | None = None

    def submit(self, job: StagedWrite) -> None:
        self.wait()
        with self.own_cursor() as cursor:
            job.put_in_staging(cursor, placeholder="?")
        if self.held is None:  # outside a ``together`` block: the copy starts at once
            self.start([job])
        else:
            self.held.append(job)

    @contextmanager
    def own_cursor(self):
        """A cursor of the sqlite3 connection itself, not Django's: staging is the load's business, not a
        query that waits for the writes or forgets the keys. Its errors are Django's, as a Django cursor's."""
        with self.connection.wrap_database_errors, closing(self.connection.connection.cursor()) as cursor:
            yield cursor

    @contextmanager
    def together(self):
        """Writes submitted in the block start together at its end, so that staging the later ones
        (a record's links after the record) does not wait for the earlier ones' copies."""
        self.held = []
        try:
            yield
        except BaseException:
            if self.held:
                # Not started: their staging tables are dropped here (nothing else runs on the
                # connection since they were staged).
                with self.own_cursor() as cursor:
                    for job in self.held:
                        cursor.execute(job.drop)
            raise
        else:
            if self.held:
                self.start(self.held)
        finally:
            self.held = None

    def start(self, jobs: list[StagedWrite]) -> None:
        raw = self.connection.connection  # Django opens SQLite connections with check_same_thread=False

        def run():
            with closing(raw.cursor()) as cursor:
                for job in jobs:
                    try:
                        if self.error is None:
                            job.copy_from_staging(cursor, placeholder="?")
                        else:
                            cursor.execute(job.drop)
                    except BaseException as error:  # noqa: BLE001 -- raised in the load's thread, at the wait
                        self.error = self.error or error

        self.thread = threading.Thread(target=run, name="bulk-load-write")
        self.thread.start()

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()
            self.thread = None
        if self.error is not None:
            error, self.error = self.error, None
            raise NeedsCarefulLoad from error

    def highest_key(self, table: str, column: str) -> int:
        if table not in self.keys_given:
            self.keys_given[table] = _highest_sqlite_key(self.connection, table, column)
        return self.keys_given[table]

    def take_keys(self, table: str, column: str, count: int) -> int:
        """The table's highest key so far; the ``count`` after it are taken."""
        highest = self.highest_key(table, column)
        self.keys_given[table] = highest + count
        return highest

    def __call__(self, execute, sql, params, many, context):
        self.wait()
        if sql.lstrip()[:6].upper() != "SELECT":
            self.keys_given.clear()
        return execute(sql, params, many, context)


_background: ContextVar[BackgroundWrites | None] = ContextVar("bulk_load_background", default=None)


@contextmanager
def written_together():
    """The block's background writes start together at its end (``BackgroundWrites.together``)."""
    writes = _background.get()
    if writes is None:
        yield
    else:
        with writes.together():
            yield


@contextmanager
def background_writes(using: str = DEFAULT_DB_ALIAS):
    """Lets ``write_rows`` leave SQLite's share of a write on this connection to a second thread, for
    the block's duration (a write on another connection runs as usual)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        yield
        return
    writes = BackgroundWrites(connection)
    token = _background.set(writes)
    try:
        with connection.execute_wrapper(writes):
            try:
                yield
            finally:
                writes.wait()
    finally:
        _background.reset(token)


def _values_getter(attnames: list[str]):
    """A function giving an object's values of these attributes, as a list (attrgetter, in C)."""
    getter = operator.attrgetter(*attnames)
    if len(attnames) == 1:
        return lambda instance: [getter(instance)]
    return lambda instance: list(getter(instance))


def _new_instance(model, attnames, values):
    """``model(*values)``; ``attnames`` is None when something listens for pre_init or post_init,
    and then ``__init__`` runs (archive/instances.py)."""
    if attnames is None:
        return model(*values)
    return new_instance(model, attnames, values)


def _link_history_model(history, name):
    """The table simple-history keeps a record's links of one many-to-many field in."""
    for field in getattr(history, "_history_m2m_fields", []):
        if field.name == name:
            return getattr(history(), name).model
    raise NeedsCarefulLoad  # links this model's history does not keep: the careful path decides


def _single(value):
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _through_columns(model, name) -> tuple[str, str]:
    """The link table's columns for this side and the other side of a many-to-many field, as attnames."""
    field = model._meta.get_field(name)
    return field.m2m_column_name(), field.m2m_reverse_name()
