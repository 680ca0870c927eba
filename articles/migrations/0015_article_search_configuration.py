"""PostgreSQL: the articles' search vector rebuilt with the archive's own configuration.

The configuration (archive/migrations/0004_search_configuration) keeps stop words and folds
accents, as SQLite's FTS5 index does. The text is also split the way FTS5's unicode61 tokenizer
splits it, on every run of punctuation, spaces and control characters: PostgreSQL's parser reads
"2016-17" as 2016 and -17, and "ofsted.gov.uk" as one host name, so the words a search is read as
(archive.search.parse) did not match. [:punct:] rather than "not [:alnum:]": in a database whose
character type is C, [:alnum:] is ASCII only and would cut every accented word in two, where
these classes are ASCII only too and leave other characters to the parser. regexp_replace is
immutable, so it may be part of a generated column.

A generated column's expression cannot be changed before PostgreSQL 17: the column is dropped
(with its index) and added again, which rewrites the table once; then the index is built and the
table analysed. At 100k articles this took about a minute (53-70 s), the table locked throughout.
SQLite: nothing to do (FTS5 already indexes this way).
"""

from django.db import migrations

from archive.migration_helpers import sql_by_vendor

SEPARATORS = "[[:punct:][:space:][:cntrl:]]+"


def article_vector(config, split):
    def document(column):
        text = f"coalesce({column}, '')"
        if split:
            text = f"regexp_replace({text}, '{SEPARATORS}', ' ', 'g')"
        return f"to_tsvector('{config}'::regconfig, {text})"

    return f"""ALTER TABLE articles_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight({document("headline")}, 'A')
        || setweight({document("standfirst")}, 'B')
        || setweight({document("body")}, 'C')
    ) STORED"""


def rebuild(config, split):
    return [
        "ALTER TABLE articles_article DROP COLUMN search_vector",
        article_vector(config, split),
        "CREATE INDEX articles_article_search_vector ON articles_article USING gin (search_vector)",
        # The new column has no statistics, and a rewrite counts as no change to autovacuum.
        "ANALYZE articles_article",
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0014_facet_index_by_kind"),
        ("archive", "0004_search_configuration"),
    ]

    operations = [
        migrations.RunPython(
            sql_by_vendor({"postgresql": rebuild("archive_search", split=True)}),
            # As 0006_article_search_index made it.
            sql_by_vendor({"postgresql": rebuild("english", split=False)}),
        ),
    ]
