"""Keyset ("seek") pagination: the next or previous page found from where the last one ended.

A page found by OFFSET makes the database walk past every row before it: page 2,500 of the
article list skips 50,000 rows, which PostgreSQL does row by row (about 200 ms at 100k articles).
The Next and Previous links therefore carry a cursor, the sort values and key of the row the
page they leave ends (or starts) with, and the page they lead to is found by seeking past that row
on the list's index: the same cost at page 2 and page 25,000. Page numbers stay in the links, so a
page still says where it is, and a page asked for by number alone (a typed or shared address, the
First and Last links) is found by offset, as before.

A cursor is not trusted: it is parsed against the list's own ordering (the same number of values,
each a value its column could hold) and anything else is ignored, so the page is found by its
number. A forged cursor can only seek to another place in the same public list.

Only orderings of plain columns that end in a unique key qualify (the article list by date or
headline, statements by date or speaker, inspections by date). Relevance, a computed count or an
ordering without a unique tie-breaker is paged by offset.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache, reduce

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, OrderBy, Q
from django.db.models.constants import LOOKUP_SEP

from archive.facets import reject_control_characters

# Keyset pagination pays off from a modest depth; an address this long is not a cursor.
MAX_CURSOR_LENGTH = 1000
# The widest integer either database compares (SQLite's INTEGER, PostgreSQL's bigint).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Term:
    """One column of an ordering: its lookup path, its direction, and where NULLs go."""

    path: str
    descending: bool
    nulls_last: bool
    # Whether the column can be NULL: a column that cannot is ordered without NULLS FIRST/LAST,
    # which SQLite would otherwise honour with a sort instead of reading its index.
    nullable: bool = True

    def reversed(self) -> Term:
        return Term(self.path, not self.descending, not self.nulls_last, self.nullable)


def _expanded(
    model, spec, prefix: str = "", descending: bool = False, depth: int = 0, through_null: bool = False
) -> list[Term] | None:
    """One ``order_by`` item as plain-column terms, a relation expanded into its model's ordering."""
    if isinstance(spec, str):
        if spec == "?" or LOOKUP_SEP + LOOKUP_SEP in spec:
            return None
        flip = spec.startswith("-")
        name, nulls_last = spec.lstrip("-"), None
    elif isinstance(spec, OrderBy) and isinstance(spec.expression, F):
        flip, name = spec.descending, spec.expression.name
        nulls_last = True if spec.nulls_last else (False if spec.nulls_first else None)
    elif isinstance(spec, F):
        flip, name, nulls_last = False, spec.name, None
    else:
        return None  # relevance, an annotation, a raw expression: paged by offset
    descending = descending != flip
    owner, parts = model, name.split(LOOKUP_SEP)
    for index, part in enumerate(parts):
        if part == "pk":
            part = owner._meta.pk.name
        try:
            field = owner._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        last = index == len(parts) - 1
        if field.is_relation and not (field.many_to_one or field.one_to_one) or not field.concrete:
            return None
        if last and field.is_relation:
            # Ordering by a relation orders by the related model's own ordering, as Django does.
            related = field.related_model
            if depth > 2 or not related._meta.ordering:
                path = prefix + LOOKUP_SEP.join([*parts[:index], part, related._meta.pk.name])
                nullable = through_null or field.null
                return [Term(path, descending, _nulls_last(nulls_last, descending), nullable)]
            terms = []
            for item in related._meta.ordering:
                expanded = _expanded(
                    related,
                    item,
                    prefix + LOOKUP_SEP.join([*parts[:index], part]) + LOOKUP_SEP,
                    descending,
                    depth + 1,
                    through_null or field.null,
                )
                if expanded is None:
                    return None
                terms += expanded
            return terms
        if last:
            path = prefix + LOOKUP_SEP.join([*parts[:index], part])
            return [Term(path, descending, _nulls_last(nulls_last, descending), through_null or field.null)]
        if not field.is_relation:
            return None  # a transform (…__year): not a column
        owner = field.related_model
        # A column reached through a relation that may be missing can be NULL too.
        through_null = through_null or field.null
    return None


def _nulls_last(chosen: bool | None, descending: bool) -> bool:
    # Unless told, NULLs sort as the largest value (PostgreSQL; the lists always say so explicitly).
    return chosen if chosen is not None else not descending


def ordering_terms(queryset) -> list[Term] | None:
    """The queryset's ordering as plain columns ending in a unique key, or None when it is not one."""
    query = queryset.query
    if query.extra_order_by or query.combinator:
        return None
    specs = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
    terms: list[Term] = []
    for spec in specs:
        expanded = _expanded(queryset.model, spec)
        if expanded is None:
            return None
        terms += expanded
    if not terms or not _unique(queryset.model, [term.path for term in terms]):
        return None
    return terms


def _unique(model, paths: list[str]) -> bool:
    """Whether the ordered columns include a unique key of the listed model (so the order is total)."""
    local = {path.removesuffix(LOOKUP_SEP + "id") for path in paths} | set(paths)
    pk = model._meta.pk.name
    if pk in local or "pk" in local:
        return True
    keys = [constraint.fields for constraint in model._meta.constraints if getattr(constraint, "fields", ())]
    keys += [tuple(fields) for fields in model._meta.unique_together]
    return any(set(fields) <= local for fields in keys)


@lru_cache(maxsize=256)
def _column(model, path: str):
    """The field a lookup path ends at."""
    *relations, last = path.split(LOOKUP_SEP)
    for name in relations:
        model = model._meta.get_field(name).related_model
    return model._meta.get_field(last)


def value_of(row, path: str):
    """A row's value of one ordering column as the database stores and compares it.

    A related row's value is read through the relations the page's rows were loaded with.
    """
    parts = path.split(LOOKUP_SEP)
    if len(parts) == 2 and parts[1] in ("id", "pk"):
        return getattr(row, f"{parts[0]}_id")  # the key the row itself holds: no related row needed
    value = row
    for part in parts:
        value = getattr(value, part, None)
        if value is None:
            return None
    # A partial date is stored as text ("2019-05") but shown as words: compare the stored text.
    return _column(type(row), path).get_prep_value(value)


def fingerprint(terms: list[Term]) -> str:
    """Which ordering a cursor belongs to: one made for another sort is not used for this one."""
    spelled = ",".join(f"{term.path}:{term.descending:d}{term.nulls_last:d}" for term in terms)
    return hashlib.blake2b(spelled.encode(), digest_size=3).hexdigest()


def encode(row, terms: list[Term]) -> str:
    """The cursor of one row: its values of the ordering's columns, URL-safe."""
    values = [fingerprint(terms), *(_plain(value_of(row, term.path)) for term in terms)]
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _plain(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # a date or decimal, compared in the database as the same text it stores


def decode(token: str | None, terms: list[Term], model) -> list | None:
    """A cursor's values, or None when it is missing or is not one of this ordering's cursors.

    The fingerprint is no secret (anyone can copy one from a Next link), so each value must also be
    one its column could hold, as the column stores it: text where a date is ("abc", "2019-02-30"),
    a number for a key that overflows the database's integer, or half of a surrogate pair would
    otherwise reach the query and fail there.
    """
    if not token or len(token) > MAX_CURSOR_LENGTH or not token.isascii():
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(values, list) or len(values) != len(terms) + 1 or values[0] != fingerprint(terms):
        return None
    stored = []
    for term, value in zip(terms, values[1:], strict=True):
        if isinstance(value, bool) or not (value is None or isinstance(value, int | float | str)):
            return None
        if value is None:
            if not term.nullable:
                return None
            stored.append(None)
            continue
        if isinstance(value, str):
            try:
                reject_control_characters(value)  # NUL or half a surrogate pair would fail in the query
            except ValidationError:
                return None
        column = _column(model, term.path)
        try:
            prepared = column.get_prep_value(column.to_python(value))
        except (ValidationError, TypeError, ValueError, OverflowError):
            return None
        if prepared is None or (isinstance(prepared, int) and not INT64_MIN <= prepared <= INT64_MAX):
            return None
        stored.append(prepared)
    return stored


def _order(term: Term, *, with_nulls: bool = True):
    expression = F(term.path)
    if not with_nulls or not term.nullable:
        # No NULL in this part of the list: a plain direction, which any index on the column serves.
        return expression.desc() if term.descending else expression.asc()
    nulls = {"nulls_last": True} if term.nulls_last else {"nulls_first": True}
    return expression.desc(**nulls) if term.descending else expression.asc(**nulls)


def ordering(terms: list[Term], *, backwards: bool = False) -> list:
    """``order_by`` arguments for the terms' order, or its exact reverse."""
    if backwards:
        terms = [term.reversed() for term in terms]
    return [_order(term) for term in terms]


def _after(terms: list[Term], values: list) -> Q | None:
    """Rows strictly after the cursor's values in these columns' order, lexicographically (None: none)."""
    alternatives = []
    for index, (term, value) in enumerate(zip(terms, values, strict=True)):
        if value is None:
            # NULLs last: nothing is after a NULL in this column; NULLs first: every value is.
            after = None if term.nulls_last else Q(**{f"{term.path}__isnull": False})
        else:
            after = Q(**{f"{term.path}__{'lt' if term.descending else 'gt'}": value})
            if term.nulls_last:
                after |= Q(**{f"{term.path}__isnull": True})
        if after is None:
            continue
        same = [
            Q(**{f"{earlier.path}__isnull": True}) if earlier_value is None else Q(**{earlier.path: earlier_value})
            for earlier, earlier_value in zip(terms[:index], values[:index], strict=True)
        ]
        alternatives.append(reduce(lambda left, right: left & right, [*same, after]))
    return reduce(lambda left, right: left | right, alternatives) if alternatives else None


def seek(queryset, terms: list[Term], values: list, *, backwards: bool = False) -> list:
    """The rows after the cursor, in the list's order, as consecutive parts (read them in turn).

    Backwards (for a Previous link), the rows before it, nearest first. The leading column splits
    the rows into those where it has a value and those where it is NULL: each part then has a
    plain range on that column (``published_on <= '2019-05'``), which the database answers by
    starting at the cursor in the column's index, where an OR with ``IS NULL`` would make it
    filter the list from its start.
    """
    if backwards:
        terms = [term.reversed() for term in terms]
    (first, *rest), (value, *rest_values) = terms, values
    null, not_null = Q(**{f"{first.path}__isnull": True}), Q(**{f"{first.path}__isnull": False})
    rest_after = _after(rest, rest_values) if rest else None
    rest_order = [_order(term) for term in rest]
    parts = []
    if value is None:
        if rest_after is not None:
            parts.append(queryset.filter(null & rest_after).order_by(*rest_order))
        if not first.nulls_last:
            parts.append(queryset.filter(not_null).order_by(_order(first, with_nulls=False), *rest_order))
        return parts
    op = "lt" if first.descending else "gt"
    beyond = Q(**{f"{first.path}__{op}": value})
    if rest_after is not None:
        beyond |= Q(**{first.path: value}) & rest_after
    bound = Q(**{f"{first.path}__{op}e": value})
    parts.append(queryset.filter(bound & beyond).order_by(_order(first, with_nulls=False), *rest_order))
    if first.nulls_last:
        parts.append(queryset.filter(null).order_by(*rest_order))
    return parts
