"""generate_archive: it writes only where no real archive can be, and what it writes has the promised shape.

The command is run as users run it (``manage.py generate_archive`` in a process of its own, with DATABASE_URL
naming the database the settings use), into files under a temporary folder. The archives it generates are
made once for the module and shared.
"""

import datetime
import json
import os
import sqlite3
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import dj_database_url
import pytest

from archive.management.commands.generate_archive import CHILD_MARKER, MARKER_TABLE, is_synthetic_archive

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
ARTICLES, SEED = 200, 1
# The command's defaults, which its docstring promises as "~50 publishers, ~5,000 people and bodies, ~10
# statements an article, over 20 years".
PUBLISHERS, PEOPLE, STATEMENTS_PER_ARTICLE, YEARS = 50, 5_000, 10, 20
# The tables holding what the command generates, compared between runs (times of writing aside).
GENERATED_TABLES = [
    "articles_publisher",
    "people_person",
    "people_role",
    "articles_article",
    "people_statement",
    "articles_article_inspections",
    "articles_article_authors",
    "articles_article_people_mentioned",
]
WRITE_TIMES = {"created_at", "updated_at"}
LEFT_FROM_EARLIER_RUN = "Left from an earlier run"


def generate_archive(*arguments, settings_database: str) -> subprocess.CompletedProcess:
    """``manage.py generate_archive`` with the settings using ``settings_database`` (a DATABASE_URL)."""
    env = {**os.environ, "DATABASE_URL": settings_database, "DJANGO_DEBUG": "1"}
    env.pop(CHILD_MARKER, None)
    env.pop("REDIS_URL", None)  # the suite's shared cache is no business of a generated archive
    return subprocess.run(
        [sys.executable, "manage.py", "generate_archive", *map(str, arguments)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def generated_ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]


def refused(result: subprocess.CompletedProcess, *naming: str) -> str:
    """The command's refusal: a CommandError naming what it refused, no traceback, a failing exit status."""
    assert result.returncode != 0, result.stdout[-2000:]
    assert "CommandError: " in result.stderr, result.stderr[-4000:]
    assert "Traceback" not in result.stderr, result.stderr[-4000:]
    for name in naming:
        assert name in result.stderr
    return result.stderr


def rows(path: Path, sql: str, parameters=()) -> list:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as database:
        found = database.execute(sql, parameters).fetchall()
    database.close()
    return found


def count(path: Path, sql: str, parameters=()) -> int:
    return rows(path, sql, parameters)[0][0]


def generated_content(path: Path) -> dict[str, list]:
    """Every generated table's rows, in full but for when they were written."""
    content = {}
    for table in GENERATED_TABLES:
        columns = [column for (_, column, *_) in rows(path, f"PRAGMA table_info({table})") if column not in WRITE_TIMES]
        content[table] = rows(path, f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
    return content


def fixture_slugs(model: str) -> set[str]:
    """The slugs of every record of ``model`` in the real fixtures load_archive loads."""
    return {
        record["fields"]["slug"]
        for fixture in FIXTURES.glob("*.json")
        for record in json.loads(fixture.read_text())
        if record["model"] == model
    }


# The smallest archive worth generating: for the tests of where it is written, not of its shape.
TINY = ("--articles", 5, "--people", 100, "--publishers", 5)


def copy_sqlite(source: Path, target: Path, *, then: str | None = None) -> None:
    """A copy of a SQLite archive, with one statement run on the copy (``then``) if given."""
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
        if then:
            copy.execute(then)
    origin.close()
    copy.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Two runs with the same seed: the first into a new file, the second over an altered copy of the first."""
    folder = tmp_path_factory.mktemp("generated")
    settings_database = f"sqlite:///{folder / 'real.sqlite3'}"
    first, second = folder / "first.sqlite3", folder / "second.sqlite3"
    generated_ok(
        generate_archive("--articles", ARTICLES, "--seed", SEED, "--output", first, settings_database=settings_database)
    )
    copy_sqlite(first, second)
    with sqlite3.connect(second) as database:
        database.execute("UPDATE articles_article SET headline = ?", [LEFT_FROM_EARLIER_RUN])
    database.close()
    replaced = generate_archive(
        "--articles", ARTICLES, "--seed", SEED, "--output", second, settings_database=settings_database
    )
    return {"first": first, "second": second, "replaced": replaced}


@pytest.fixture
def synthetic_articles(generated):
    return rows(
        generated["first"],
        "SELECT id, published_on, publisher_id, body FROM articles_article WHERE slug GLOB 'synthetic-[0-9]*'",
    )


# --- where it refuses to write ------------------------------------------------------------------------------


def test_an_unrelated_file_is_refused_and_left_byte_for_byte(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"Notes from the inspection visit\n\x00\xff")
    result = generate_archive(
        "--articles", 5, "--output", notes, settings_database=f"sqlite:///{tmp_path / 'real.sqlite3'}"
    )
    message = refused(result, str(notes), "--replace")
    assert "nothing was changed" in message
    assert notes.read_bytes() == b"Notes from the inspection visit\n\x00\xff"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]


def test_a_sqlite_archive_not_made_by_the_command_is_refused(generated, tmp_path):
    """A real archive the settings do not name (a backup, another copy): an archive, but without the marker."""
    backup = tmp_path / "archive-backup.sqlite3"
    copy_sqlite(generated["first"], backup, then=f"DROP TABLE {MARKER_TABLE}")
    before = backup.read_bytes()
    refused(
        generate_archive(
            "--articles", 5, "--output", backup, settings_database=f"sqlite:///{tmp_path / 'real.sqlite3'}"
        ),
        str(backup),
    )
    assert backup.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["archive-backup.sqlite3"]


def test_the_configured_database_is_refused_even_with_replace(generated, tmp_path):
    real = tmp_path / "real.sqlite3"
    copy_sqlite(generated["first"], real)  # even one that looks synthetic: the settings use it
    before = real.read_bytes()
    for arguments in (["--output", real], ["--output", real, "--replace"], ["--output", tmp_path / "." / real.name]):
        refused(generate_archive("--articles", 5, *arguments, settings_database=f"sqlite:///{real}"), str(real))
    assert real.read_bytes() == before


def test_leftover_sqlite_logs_are_refused_without_the_file(tmp_path):
    """A leftover write-ahead log would be replayed into the new file: whose is it? Not the command's to delete."""
    output = tmp_path / "archive.sqlite3"
    log = tmp_path / "archive.sqlite3-wal"
    log.write_bytes(b"someone's log")
    refused(
        generate_archive(
            "--articles", 5, "--output", output, settings_database=f"sqlite:///{tmp_path / 'real.sqlite3'}"
        ),
        str(log),
    )
    assert log.read_bytes() == b"someone's log"
    assert not output.exists()


def test_replace_overwrites_another_file_when_asked(tmp_path):
    output = tmp_path / "scratch.sqlite3"
    output.write_text("not a database")
    generated_ok(
        generate_archive(
            *TINY,
            "--output",
            output,
            "--replace",
            settings_database=f"sqlite:///{tmp_path / 'real.sqlite3'}",
        )
    )
    assert is_synthetic_archive(output)
    assert count(output, "SELECT count(*) FROM articles_article WHERE slug GLOB 'synthetic-[0-9]*'") == 5


def test_a_previous_synthetic_output_is_replaced(generated):
    generated_ok(generated["replaced"])
    second = generated["second"]
    assert count(second, "SELECT count(*) FROM articles_article WHERE headline = ?", [LEFT_FROM_EARLIER_RUN]) == 0
    assert count(second, "SELECT count(*) FROM articles_article WHERE slug GLOB 'synthetic-[0-9]*'") == ARTICLES


def test_an_archive_generated_before_the_marker_is_recognised_by_the_benchmarks_record(generated, tmp_path):
    """Files bench/run_bench.py generated before the marker existed: <file>.meta.json says what was asked for."""
    legacy = tmp_path / "archive-legacy.sqlite3"
    copy_sqlite(generated["first"], legacy, then=f"DROP TABLE {MARKER_TABLE}")
    assert not is_synthetic_archive(legacy)
    meta = Path(f"{legacy}.meta.json")
    meta.write_text(json.dumps({"articles": ARTICLES + 1, "seed": SEED}))
    assert not is_synthetic_archive(legacy), "a record that disagrees with the file's content"
    meta.write_text(json.dumps({"articles": ARTICLES, "seed": SEED}))
    assert is_synthetic_archive(legacy)
    assert sorted(path.name for path in tmp_path.iterdir()) == [legacy.name, meta.name], "reading it wrote nothing"


def test_a_non_postgresql_database_url_is_refused(tmp_path):
    real = tmp_path / "real.sqlite3"
    real.write_bytes(b"")
    message = refused(
        generate_archive("--articles", 5, "--database-url", f"sqlite:///{real}", settings_database=f"sqlite:///{real}"),
        "--output",
    )
    assert "PostgreSQL" in message
    assert real.read_bytes() == b""


def test_the_configured_postgresql_database_is_refused():
    """Refused before any connection: no server need answer, and none is asked (the name does not exist)."""
    settings_database = "postgres://postgres@127.0.0.1:5432/fix_gen_settings_use_this"
    for same in (settings_database, "postgresql://postgres@localhost/fix_gen_settings_use_this"):
        message = refused(
            generate_archive("--articles", 5, "--database-url", same, settings_database=settings_database),
            "fix_gen_settings_use_this",
        )
        assert "the database the settings use" in message


# --- what it generates --------------------------------------------------------------------------------------


def test_it_marks_what_it_generated(generated):
    assert rows(generated["first"], f"SELECT made_by, articles, seed, finished IS NOT NULL FROM {MARKER_TABLE}") == [
        ("generate_archive", ARTICLES, SEED, 1)
    ]
    assert is_synthetic_archive(generated["first"])


def test_the_benchmark_reads_what_a_file_was_generated_with(generated, tmp_path):
    """bench/run_bench.py --reuse trusts the file's own record: an unfinished generation is not reused."""
    sys.path.insert(0, str(ROOT / "bench"))
    import run_bench

    assert run_bench.generated_with(generated["first"]) == {"articles": ARTICLES, "seed": SEED}
    unfinished, older = tmp_path / "unfinished.sqlite3", tmp_path / "older.sqlite3"
    for copy, change in (
        (unfinished, f"UPDATE {MARKER_TABLE} SET finished = NULL"),
        (older, f"DROP TABLE {MARKER_TABLE}"),
    ):
        copy_sqlite(generated["first"], copy, then=change)
    assert run_bench.generated_with(unfinished) == {}
    assert run_bench.generated_with(older) is None


def test_it_generates_the_articles_asked_for_beside_the_real_ones(generated, synthetic_articles):
    assert sorted(slug for (slug,) in rows(generated["first"], "SELECT slug FROM articles_article")) == sorted(
        fixture_slugs_of_articles() | {f"synthetic-{number}" for number in range(ARTICLES)}
    )
    assert len(synthetic_articles) == ARTICLES


def fixture_slugs_of_articles() -> set[str]:
    return {
        record["fields"]["slug"]
        for fixture in (FIXTURES / "articles").glob("*.json")
        for record in json.loads(fixture.read_text())
        if record["model"] == "articles.article"
    }


def test_every_real_authority_and_inspection_is_there(generated):
    for model, table in (
        ("articles.localauthority", "articles_localauthority"),
        ("articles.inspection", "articles_inspection"),
    ):
        expected = fixture_slugs(model)
        assert expected, f"the fixtures hold no {model}"
        assert {slug for (slug,) in rows(generated["first"], f"SELECT slug FROM {table}")} == expected


def test_about_ten_statements_an_article(generated, synthetic_articles):
    per_article = Counter(article for (article,) in rows(generated["first"], "SELECT article_id FROM people_statement"))
    counts = [per_article[article] for (article, *_) in synthetic_articles]
    assert STATEMENTS_PER_ARTICLE * 0.85 <= statistics.mean(counts) <= STATEMENTS_PER_ARTICLE * 1.15
    assert sum(1 for number in counts if number) > 0.9 * ARTICLES


def test_publishers_and_people_are_there_and_a_few_publishers_carry_most_articles(generated, synthetic_articles):
    first = generated["first"]
    generated_publishers = dict(
        rows(first, "SELECT id, slug FROM articles_publisher WHERE slug GLOB 'publisher-[0-9]*'")
    )
    assert len(generated_publishers) == PUBLISHERS
    people = count(first, "SELECT count(*) FROM people_person WHERE slug GLOB 'person-[0-9]*'")
    bodies = count(first, "SELECT count(*) FROM people_person WHERE slug GLOB 'organisation-[0-9]*'")
    assert people + bodies == PEOPLE and people > bodies > 0
    assert count(first, "SELECT count(*) FROM people_role") >= people
    by_publisher = Counter(publisher for (_, _, publisher, _) in synthetic_articles)
    assert set(by_publisher) <= set(generated_publishers)
    assert sum(articles for _, articles in by_publisher.most_common(5)) > ARTICLES / 2
    speakers = count(
        first,
        "SELECT count(DISTINCT speaker_id) FROM people_statement "
        "WHERE article_id IN (SELECT id FROM articles_article WHERE slug GLOB 'synthetic-[0-9]*')",
    )
    assert speakers > 100, "statements are spread over many speakers, not one"


def test_articles_have_what_real_ones_have_around_their_body(generated, synthetic_articles):
    first = generated["first"]
    synthetic = "SELECT id FROM articles_article WHERE slug GLOB 'synthetic-[0-9]*'"
    with_standfirst = count(
        first, f"SELECT count(*) FROM articles_article WHERE id IN ({synthetic}) AND standfirst != ''"
    )
    assert 0.4 * ARTICLES <= with_standfirst <= 0.8 * ARTICLES
    authors = Counter(
        a for (a,) in rows(first, f"SELECT article_id FROM articles_article_authors WHERE article_id IN ({synthetic})")
    )
    assert 0.75 * ARTICLES <= len(authors) <= 0.95 * ARTICLES and max(authors.values()) == 2
    mentioned = count(
        first,
        f"SELECT count(DISTINCT article_id) FROM articles_article_people_mentioned WHERE article_id IN ({synthetic})",
    )
    assert 0.6 * ARTICLES <= mentioned <= 0.9 * ARTICLES


def test_statements_are_about_inspections_their_article_covers(generated):
    first = generated["first"]
    about = rows(first, "SELECT article_id, responds_to_id FROM people_statement WHERE responds_to_id IS NOT NULL")
    covered = set(rows(first, "SELECT article_id, inspection_id FROM articles_article_inspections"))
    assert len(about) > STATEMENTS_PER_ARTICLE * ARTICLES * 0.1
    assert set(about) <= covered


def test_the_text_is_two_fifths_the_commonest_words(synthetic_articles):
    words = [word for (_, _, _, body) in synthetic_articles for word in body.lower().replace(".", " ").split()]
    common = sum(word in {"the", "of", "and", "to", "a", "in"} for word in words) / len(words)
    assert 0.05 < common < 0.15  # six of the thirty at two fifths: 8 %


def test_articles_span_twenty_years_up_to_this_one(synthetic_articles):
    years = {int(published_on[:4]) for (_, published_on, _, _) in synthetic_articles}
    assert len(years) == YEARS
    assert max(years) - min(years) == YEARS - 1
    assert max(years) <= datetime.date.today().year


def test_the_same_seed_generates_the_same_archive(generated):
    generated_ok(generated["replaced"])
    first = generated_content(generated["first"])
    assert all(first.values()), "every generated table has rows"
    assert generated_content(generated["second"]) == first


def test_search_finds_generated_words(generated, synthetic_articles):
    first = generated["first"]
    for term, share in (("kinship", 0.02), ("safeguarding", 0.30)):
        with_term = {article for (article, _, _, body) in synthetic_articles if f" {term} " in body}
        assert 0 < len(with_term) <= 3 * share * ARTICLES
        found = {
            article
            for (article,) in rows(
                first, "SELECT rowid FROM articles_article_fts WHERE articles_article_fts MATCH ?", [term]
            )
        }
        assert found & {article for (article, *_) in synthetic_articles} == with_term
    statements = dict(
        rows(
            first,
            "SELECT id, words FROM people_statement "
            "WHERE article_id IN (SELECT id FROM articles_article WHERE slug GLOB 'synthetic-[0-9]*')",
        )
    )
    with_word = {statement for statement, words in statements.items() if "caseloads" in words.lower().split()}
    assert with_word
    found = {
        statement
        for (statement,) in rows(
            first, "SELECT rowid FROM people_statement_fts WHERE people_statement_fts MATCH 'caseloads'"
        )
    }
    assert with_word == found & statements.keys()


# --- PostgreSQL ---------------------------------------------------------------------------------------------


def postgres_settings_database() -> str:
    """The suite's own DATABASE_URL when it names PostgreSQL (as in `make test-postgres`); else the test is skipped."""
    url = os.environ.get("DATABASE_URL", "")
    if not url or dj_database_url.parse(url)["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the suite runs on SQLite: DATABASE_URL names no PostgreSQL server to try")
    return url


@pytest.fixture
def scratch_postgres():
    """An empty PostgreSQL database of the test's own beside the suite's, dropped after."""
    import psycopg

    settings_database = postgres_settings_database()
    parsed = dj_database_url.parse(settings_database)
    name = f"{parsed['NAME']}_generate_archive_scratch"
    server = settings_database.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield settings_database, f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_postgresql_database_holding_tables_is_refused(scratch_postgres):
    import psycopg

    settings_database, scratch = scratch_postgres
    with psycopg.connect(scratch, autocommit=True) as database:
        database.execute("CREATE SCHEMA archive")
        database.execute("CREATE TABLE archive.articles_article (id integer, headline text)")
        database.execute("INSERT INTO archive.articles_article VALUES (1, 'A real article')")
    refused(
        generate_archive("--articles", 5, "--database-url", scratch, settings_database=settings_database),
        scratch.rsplit("/", 1)[1],
        "not empty",
    )
    with psycopg.connect(scratch) as database:
        tables = database.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
        articles = database.execute("SELECT id, headline FROM archive.articles_article").fetchall()
    assert tables == [("archive", "articles_article")]
    assert articles == [(1, "A real article")]


def test_an_empty_postgresql_database_is_filled_and_marked(scratch_postgres):
    import psycopg

    settings_database, scratch = scratch_postgres
    generated_ok(
        generate_archive(
            *TINY,
            "--database-url",
            scratch,
            settings_database=settings_database,
        )
    )
    with psycopg.connect(scratch) as database:
        marker = database.execute(f"SELECT made_by, articles, finished IS NOT NULL FROM {MARKER_TABLE}").fetchall()
        generated_articles = database.execute(
            "SELECT count(*) FROM articles_article WHERE slug LIKE 'synthetic-%%'"
        ).fetchone()[0]
    assert marker == [("generate_archive", 5, True)]
    assert generated_articles == 5
    # Filled, it is refused as any database holding tables is.
    refused(
        generate_archive("--articles", 5, "--database-url", scratch, settings_database=settings_database), "not empty"
    )
