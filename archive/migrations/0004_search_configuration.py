"""PostgreSQL: a text search configuration that indexes words as SQLite's FTS5 tokenizer does.

FTS5 here is 'porter unicode61 remove_diacritics 2': every word is kept, accents are folded and
words are stemmed by Porter's algorithm. PostgreSQL's built-in 'english' configuration leaves
stop words out ("the", "other", "over"), keeps accents and stems by Porter's later "English"
(Porter2) algorithm, which conflates other forms ("news" and "new" are one stem to Porter, two to
Porter2). So: Snowball's Porter stemmer with no stop-word list, behind the unaccent dictionary.
Every token type the 'english' configuration indexes goes through both (numbers as well: "2010s"
is "2010" to FTS5's Porter stemmer too).

unaccent is a trusted extension from PostgreSQL 13, so the database's owner may create it. The
configuration is named in archive.search.PG_CONFIG. Reversed, the configuration and dictionary
go but the extension stays: it may have been there before, and something else may use it.
SQLite: nothing to do.
"""

from django.db import migrations

from archive.migration_helpers import sql_by_vendor

TOKEN_TYPES = (
    "asciiword, word, numword, asciihword, hword, numhword, hword_asciipart, hword_part, hword_numpart, "
    "email, url, host, url_path, file, version, sfloat, float, int, uint"
)
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH DICTIONARY archive_search_stem (TEMPLATE = pg_catalog.snowball, LANGUAGE = porter)",
    "CREATE TEXT SEARCH CONFIGURATION archive_search (PARSER = pg_catalog.default)",
    f"ALTER TEXT SEARCH CONFIGURATION archive_search ADD MAPPING FOR {TOKEN_TYPES} WITH unaccent, archive_search_stem",
]
POSTGRES_BACKWARD = [
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS archive_search",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS archive_search_stem",
]


class Migration(migrations.Migration):
    dependencies = [("archive", "0003_editorial_groups")]

    operations = [
        migrations.RunPython(
            sql_by_vendor({"postgresql": POSTGRES_FORWARD}), sql_by_vendor({"postgresql": POSTGRES_BACKWARD})
        ),
    ]
