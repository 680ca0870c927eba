"""Querysets compiled to SQL once per process, then run with new values: prepared statements.

Django compiles a queryset to SQL every time it is evaluated: it resolves each lookup, each join and
each column anew. A detail page asks the same few questions of every record (this article by its
slug, its statements, its inspections, ...), and at 100k articles compiling them was two thirds of
what an article page's queries cost; the database took 0.06 ms of each 0.5 ms. Here a query is
written as an ordinary queryset, built once with a marker in place of each value, compiled, and then
run with the values put in the markers' places. Rows become model instances (and their
``select_related`` relations) as a queryset's rows do, through the same ``from_db``, converters and
related populators, so a prepared query's objects are the queryset's objects.

On PostgreSQL the statement is also prepared on the server, once per connection (``_statement_cursor``):
planning the article list's rows query took 3 of its 5 ms at 100k articles, on every request. On
SQLite, while nothing watches Django's cursors, it is asked of the driver itself (``_sqlite_rows``).

django-prepared-queries did this for Django 1.x and has not been kept up; this is the part we need.
Only plain values (whole numbers and strings) are put in: the marker's place in the parameters is
found by equality, and a value of another type, or a build whose markers the ORM rewrote, is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

from archive.instances import init_is_listened, instance_from_db

# Markers no real slug or key equals; digits for whole-number lookups, which int() them.
INT_MARKER = 9_047_113_805_000
STR_MARKER = "\x1fprepared-marker-{}\x1f"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: tuple[int, ...]
    model: type | None  # None: rows of values (values_list), not instances
    model_columns: slice
    init_list: list[str]
    related: list[_Related]
    annotations: dict[str, int]
    converters: list
    models: frozenset  # every model a row makes an instance of
    qmark_sql: str | None = None  # on SQLite, the SQL in the sqlite3 module's own style (see _sqlite_rows)


class _Related(NamedTuple):
    """One ``select_related`` relation, read from Django's RelatedPopulator once, at compile time."""

    parent: int  # the index, in a row's instances, of the instance it hangs from (0: the row's own)
    model: type
    init_list: list[str]
    columns: slice | None  # where its values are in the row, or None: reorder picks them
    reorder: Callable | None
    pk_index: int
    local_setter: Callable
    remote_setter: Callable


def _flattened(populators, parent: int = 0, steps: list | None = None) -> list[_Related]:
    """The relations in the order RelatedPopulator.populate visits them, each after its parent."""
    steps = [] if steps is None else steps
    for populator in populators:
        steps.append(
            _Related(
                parent,
                populator.model_cls,
                populator.init_list,
                None if populator.reorder_for_init else slice(populator.cols_start, populator.cols_end),
                populator.reorder_for_init,
                populator.pk_idx,
                populator.local_setter,
                populator.remote_setter,
            )
        )
        _flattened(populator.related_populators, len(steps), steps)
    return steps


def _from_db(model, using, attnames, values):
    return model.from_db(using, attnames, values)


class PreparedQuery:
    """A queryset, compiled once per database, run as ``prepared(*values)`` → list of instances
    (or of tuples, for a ``values_list`` queryset: its rows in its columns' order).

    ``build`` takes one argument per value and returns the queryset; it is called once per
    database with markers (``kinds`` says which are whole numbers and which strings), never with
    real values, so it must not branch on them.
    """

    def __init__(self, build: Callable[..., QuerySet], *kinds: type):
        if any(kind not in (int, str) for kind in kinds):
            raise TypeError("A prepared query takes whole numbers and strings only.")
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, _Compiled] = {}

    def markers(self) -> list:
        return [
            INT_MARKER + index if kind is int else STR_MARKER.format(index) for index, kind in enumerate(self.kinds)
        ]

    def compile(self, using: str) -> _Compiled:
        markers = self.markers()
        queryset = self.build(*markers)
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable):
            raise TypeError(f"{self.build.__qualname__}: a prepared query yields model instances or tuples")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        params = tuple(params)
        # As Django's SQLite cursor turns each query's %s into ?, once here rather than on every run.
        qmark_sql = (
            FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%") if compiler.connection.vendor == "sqlite" else None
        )
        positions = []
        for marker in markers:
            found = [index for index, param in enumerate(params) if type(param) is type(marker) and param == marker]
            if len(found) != 1:
                raise ValueError(f"{self.build.__qualname__}: each value must reach the SQL once, unchanged")
            positions.append(found[0])
        klass_info, select = compiler.klass_info, compiler.select
        converters = list(compiler.get_converters([column[0] for column in select[: compiler.col_count]]).items())
        if queryset._iterable_class is ValuesListIterable:
            query = queryset.query
            columns = [*query.extra_select, *query.values_select, *query.annotation_select]
            named = [*queryset._fields, *(name for name in query.annotation_select if name not in queryset._fields)]
            if named != columns:
                # ValuesListIterable would reorder the columns; rows here come as the SQL gives them.
                raise TypeError(f"{self.build.__qualname__}: name the values_list columns in the order selected")
            return _Compiled(
                sql=sql,
                params=params,
                positions=tuple(positions),
                model=None,
                model_columns=slice(None),
                init_list=[],
                related=[],
                annotations={},
                converters=converters,
                models=frozenset(),
                qmark_sql=qmark_sql,
            )
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        related = _flattened(get_related_populators(klass_info, select, using))
        return _Compiled(
            sql=sql,
            params=params,
            positions=tuple(positions),
            model=klass_info["model"],
            model_columns=slice(first, last),
            init_list=[column[0].target.attname for column in select[first:last]],
            related=related,
            annotations=dict(compiler.annotation_col_map or {}),
            converters=converters,
            models=frozenset({klass_info["model"], *(step.model for step in related)}),
            qmark_sql=qmark_sql,
        )

    def __call__(self, *values, using: str = DEFAULT_DB_ALIAS) -> list:
        if len(values) != len(self.kinds) or any(
            type(value) is not kind for value, kind in zip(values, self.kinds, strict=True)
        ):
            raise TypeError(f"{self.build.__qualname__} takes {', '.join(kind.__name__ for kind in self.kinds)}")
        compiled = self._compiled.get(using)
        if compiled is None:
            compiled = self._compiled[using] = self.compile(using)
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = value
        connection = connections[using]
        if compiled.qmark_sql is not None and not connection.queries_logged and not connection.execute_wrappers:
            rows = _sqlite_rows(connection, compiled.qmark_sql, params)
        else:
            with _statement_cursor(connection) as cursor:
                cursor.execute(compiled.sql, params)
                rows = cursor.fetchall()
        if compiled.model is None:
            return [tuple(_converted(row, compiled.converters, connection)) for row in rows]
        # Instances are made as from_db makes them, without Model.__init__ unless something listens
        # for it (archive/instances.py); asked per call, as a receiver may be connected at any time.
        make = _from_db if any(init_is_listened(model) for model in compiled.models) else instance_from_db
        objects = []
        for row in rows:
            if compiled.converters:
                row = _converted(row, compiled.converters, connection)
            obj = make(compiled.model, using, compiled.init_list, row[compiled.model_columns])
            if compiled.related:
                # As RelatedPopulator.populate does: each relation set on its parent, and nothing
                # made below a relation that is NULL.
                instances = [obj]
                for step in compiled.related:
                    parent = instances[step.parent]
                    related = None
                    if parent is not None:
                        related_values = row[step.columns] if step.reorder is None else step.reorder(row)
                        if related_values[step.pk_index] is not None:
                            related = make(step.model, using, step.init_list, related_values)
                            step.remote_setter(related, parent)
                        step.local_setter(parent, related)
                    instances.append(related)
            for name, position in compiled.annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects


def _converted(row, converters, connection):
    """A row's values as SQLCompiler.apply_converters makes them, with this thread's connection."""
    if not converters:
        return row
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for converter in functions:
            value = converter(value, expression, connection)
        row[position] = value
    return row


def _sqlite_rows(connection, sql: str, params: list) -> list:
    """The rows of a query in qmark style, asked of the sqlite3 connection itself.

    Django's cursor converts the SQL's placeholders (a regular expression over it) and passes the
    query through its wrappers on every run; the database's own part of a detail page's query
    was a third of what asking it through Django cost. A prepared query's SQL is converted once,
    and while nothing watches Django's cursors (``_statement_cursor`` is used while queries are
    logged, or an execute wrapper is installed), the query is asked here, with Django's checks of
    the connection and its errors wrapped as Django's cursor wraps them.
    """
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    connection.validate_no_broken_transaction()
    with connection.wrap_database_errors:
        return connection.connection.execute(sql, params).fetchall()


@cache
def _preparing_cursor_class():
    """Django's psycopg cursor that binds values on the server, with every statement prepared.

    Django's own cursors bind values into the SQL text on the client, so PostgreSQL sees a new
    statement and plans it afresh each time. This one sends the SQL with $1, $2 … in the values'
    places and has psycopg prepare it at once: the server keeps the statement, and a plan once it
    has settled on a generic one, for the life of the connection (persistent: CONN_MAX_AGE). A
    pooler in transaction mode would need its prepared-statement support for this.
    """
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor


@contextmanager
def _statement_cursor(connection):
    """A cursor for a prepared query; on PostgreSQL, one that keeps the statement prepared on the server.

    Made by Django (``connection.cursor()``) with the connection's cursor class swapped for the
    moment, so it is wrapped as any cursor is and reads times as Django's do. While queries are
    logged (DEBUG, or a test counting them) the usual cursor runs the query instead: psycopg cannot
    say what SQL a prepared statement ran, which Django's log records.
    """
    if connection.vendor != "postgresql" or connection.queries_logged:
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.ensure_connection()
    raw = connection.connection
    usual = raw.cursor_factory
    raw.cursor_factory = _preparing_cursor_class()
    try:
        cursor = connection.cursor()
    finally:
        raw.cursor_factory = usual
    with cursor:
        yield cursor
