"""Full-text search over statements: their words and their speaker's name.

SQLite: an FTS5 table whose external content is a view joining each statement
to its speaker, kept in step by triggers on statements and on people (a
renamed person's statements are re-indexed). PostgreSQL: a stored generated
tsvector of the words with a GIN index; speakers are matched by name apart.
"""

from django.db import migrations

SPEAKER_NAME = "(SELECT name FROM people_person WHERE id = {row}.speaker_id)"

SQLITE_FORWARD = [
    """CREATE VIEW people_statement_search AS
        SELECT s.id AS id, s.words AS words, p.name AS speaker
        FROM people_statement s JOIN people_person p ON p.id = s.speaker_id""",
    """CREATE VIRTUAL TABLE people_statement_fts USING fts5(
        words, speaker,
        content='people_statement_search', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    "INSERT INTO people_statement_fts(people_statement_fts, rank) VALUES ('rank', 'bm25(1.0, 2.0)')",
    f"""CREATE TRIGGER people_statement_fts_insert AFTER INSERT ON people_statement BEGIN
        INSERT INTO people_statement_fts(rowid, words, speaker)
        VALUES (new.id, new.words, {SPEAKER_NAME.format(row="new")});
    END""",
    f"""CREATE TRIGGER people_statement_fts_delete AFTER DELETE ON people_statement BEGIN
        INSERT INTO people_statement_fts(people_statement_fts, rowid, words, speaker)
        VALUES ('delete', old.id, old.words, {SPEAKER_NAME.format(row="old")});
    END""",
    f"""CREATE TRIGGER people_statement_fts_update AFTER UPDATE OF words, speaker_id ON people_statement BEGIN
        INSERT INTO people_statement_fts(people_statement_fts, rowid, words, speaker)
        VALUES ('delete', old.id, old.words, {SPEAKER_NAME.format(row="old")});
        INSERT INTO people_statement_fts(rowid, words, speaker)
        VALUES (new.id, new.words, {SPEAKER_NAME.format(row="new")});
    END""",
    """CREATE TRIGGER people_person_fts_rename AFTER UPDATE OF name ON people_person BEGIN
        INSERT INTO people_statement_fts(people_statement_fts, rowid, words, speaker)
        SELECT 'delete', id, words, old.name FROM people_statement WHERE speaker_id = old.id;
        INSERT INTO people_statement_fts(rowid, words, speaker)
        SELECT id, words, new.name FROM people_statement WHERE speaker_id = new.id;
    END""",
    "INSERT INTO people_statement_fts(people_statement_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS people_person_fts_rename",
    "DROP TRIGGER IF EXISTS people_statement_fts_update",
    "DROP TRIGGER IF EXISTS people_statement_fts_delete",
    "DROP TRIGGER IF EXISTS people_statement_fts_insert",
    "DROP TABLE IF EXISTS people_statement_fts",
    "DROP VIEW IF EXISTS people_statement_search",
]
POSTGRES_FORWARD = [
    """ALTER TABLE people_statement ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('english'::regconfig, coalesce(words, ''))
    ) STORED""",
    "CREATE INDEX people_statement_search_vector ON people_statement USING gin (search_vector)",
    "CREATE INDEX people_person_name_search ON people_person USING gin (to_tsvector('simple'::regconfig, name))",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS people_person_name_search",
    "DROP INDEX IF EXISTS people_statement_search_vector",
    "ALTER TABLE people_statement DROP COLUMN IF EXISTS search_vector",
]


def run(statements_by_vendor):
    def apply(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("people", "0004_stronger_date_checks")]

    operations = [
        migrations.RunPython(
            run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
