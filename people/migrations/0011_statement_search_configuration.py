"""PostgreSQL: the statements' search vector and the speakers' name index rebuilt with the
archive's own configuration, split as FTS5 splits (see articles 0015_article_search_configuration).

Speakers' names were matched with the 'simple' configuration (every word, unstemmed, accents
kept); in SQLite's index a name is one more column, stemmed and folded like the words, and now
it is so on PostgreSQL too. The expression indexed here is the one StatementQuerySet asks
(archive.search.pg_document), which PostgreSQL must see unchanged to use the index.
At a million statements the rebuild took about a minute (56-84 s), the tables locked throughout.
SQLite: nothing to do.
"""

from django.db import migrations

from archive.migration_helpers import sql_by_vendor

SEPARATORS = "[[:punct:][:space:][:cntrl:]]+"


def document(config, text, split):
    if split:
        text = f"regexp_replace({text}, '{SEPARATORS}', ' ', 'g')"
    return f"to_tsvector('{config}'::regconfig, {text})"


def rebuild(words_config, name_config, split):
    return [
        "DROP INDEX IF EXISTS people_person_name_search",
        "ALTER TABLE people_statement DROP COLUMN search_vector",
        f"""ALTER TABLE people_statement ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
            {document(words_config, "coalesce(words, '')", split)}
        ) STORED""",
        "CREATE INDEX people_statement_search_vector ON people_statement USING gin (search_vector)",
        f"CREATE INDEX people_person_name_search ON people_person USING gin ({document(name_config, 'name', split)})",
        # The new column and index expression have no statistics, and a rewrite counts as no
        # change to autovacuum.
        "ANALYZE people_statement",
        "ANALYZE people_person",
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0010_statement_position_smallint_max"),
        ("archive", "0004_search_configuration"),
    ]

    operations = [
        migrations.RunPython(
            sql_by_vendor({"postgresql": rebuild("archive_search", "archive_search", split=True)}),
            # As 0005_statement_search_index made them.
            sql_by_vendor({"postgresql": rebuild("english", "simple", split=False)}),
        ),
    ]
