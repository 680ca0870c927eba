"""Triggers that raise ArchiveRevision.number on every insert, update and delete of archive data."""

from django.db import migrations

TABLES = [
    "articles_publisher",
    "articles_localauthority",
    "articles_inspection",
    "articles_inspectionjudgement",
    "articles_article",
    "articles_article_inspections",
    "articles_article_authors",
    "articles_article_people_mentioned",
    "people_person",
    "people_role",
    "people_statement",
]
BUMP = "UPDATE archive_archiverevision SET number = number + 1 WHERE id = 1"


def sqlite_forward():
    # SQLite has only row-level triggers: a bulk load raises the number once a row.
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            yield f"CREATE TRIGGER {table}_revision_{event.lower()} AFTER {event} ON {table} BEGIN {BUMP}; END"


def sqlite_backward():
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            yield f"DROP TRIGGER IF EXISTS {table}_revision_{event}"


def postgresql_forward():
    yield f"""CREATE OR REPLACE FUNCTION archive_bump_revision() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {BUMP}; RETURN NULL; END $$"""
    for table in TABLES:
        # Statement-level: one increment per statement, however many rows it writes.
        yield (
            f"CREATE TRIGGER {table}_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION archive_bump_revision()"
        )


def postgresql_backward():
    for table in TABLES:
        yield f"DROP TRIGGER IF EXISTS {table}_revision ON {table}"
    yield "DROP FUNCTION IF EXISTS archive_bump_revision()"


def forward(apps, schema_editor):
    schema_editor.execute("INSERT INTO archive_archiverevision (id, number) VALUES (1, 0)")
    statements = {"sqlite": sqlite_forward, "postgresql": postgresql_forward}.get(schema_editor.connection.vendor)
    for statement in statements() if statements else []:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    statements = {"sqlite": sqlite_backward, "postgresql": postgresql_backward}.get(schema_editor.connection.vendor)
    for statement in statements() if statements else []:
        schema_editor.execute(statement)
    schema_editor.execute("DELETE FROM archive_archiverevision")


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0001_archive_revision"),
        ("articles", "0007_article_search_index_model"),
        ("people", "0006_statement_search_index_model"),
    ]

    operations = [migrations.RunPython(forward, backward)]
