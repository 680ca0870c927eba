"""Keep SQLite's hand-made views and triggers across Django's table rebuilds.

SQLite cannot alter most of a table in place, so Django rebuilds it (create a
copy, move the rows, drop the old table, rename the copy). Dropping a table
drops its triggers, and renaming one fails while a view refers to it; the
archive's full-text indexes and revision counter live in exactly such views and
triggers. A migration whose operations rebuild tables wraps them in
``keeping_views_and_triggers``: every view and trigger is set aside in a
temporary table first and recreated, unchanged, afterwards.

``sql_by_vendor`` runs raw SQL that differs by engine (a search index is an FTS5
table on SQLite, a generated column on PostgreSQL) as one migration operation.
"""

from django.db import migrations

SAVED = "archive_saved_schema_objects"


def _set_aside(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS temp.{SAVED}")
        cursor.execute(
            f"CREATE TEMP TABLE {SAVED} AS SELECT type, name, sql FROM sqlite_master "
            "WHERE type IN ('view', 'trigger') AND sql IS NOT NULL"
        )
        cursor.execute(f"SELECT type, name FROM temp.{SAVED}")
        for kind, name in cursor.fetchall():
            cursor.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')


def _restore(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        # Views first: triggers may read them.
        cursor.execute(f"SELECT sql FROM temp.{SAVED} ORDER BY type = 'trigger', rowid")
        for (sql,) in cursor.fetchall():
            cursor.execute(sql)
        cursor.execute(f"DROP TABLE temp.{SAVED}")


def keeping_views_and_triggers(operations: list) -> list:
    return [
        migrations.RunPython(_set_aside, _restore, elidable=False),
        *operations,
        migrations.RunPython(_restore, _set_aside, elidable=False),
    ]


def sql_by_vendor(statements_by_vendor: dict[str, list[str]]):
    """A RunPython function that executes the statements listed for the database's vendor, in order."""

    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply
