"""Which PostgreSQL database `make bench` measures: never the one DATABASE_URL names, which may be the real archive."""

import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run_bench  # noqa: E402


def makefile_default(variable: str) -> str:
    match = re.search(rf"^{variable} \?= (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"the Makefile sets no default {variable}"
    return match.group(1)


def chosen(monkeypatch, *, database_url: str | None, postgres: str | None = None, articles: int = 100_000):
    if database_url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", database_url)
    return run_bench.choose_postgres(types.SimpleNamespace(postgres=postgres, articles=articles))


def test_the_derived_database_is_the_one_make_bench_postgres_uses():
    """Started with DATABASE_URL naming the usual local archive, a run measures what `make bench-postgres` does."""
    derived = run_bench.bench_postgres_url("postgres://postgres@127.0.0.1:5432/archive", 100_000)
    assert derived == makefile_default("BENCH_POSTGRES_URL")


def test_only_the_database_name_changes():
    url = "postgresql://bench:s%40cret@localhost:5433/archive?sslmode=disable&application_name=archive"
    assert run_bench.bench_postgres_url(url, 5_000) == (
        "postgresql://bench:s%40cret@localhost:5433/archive_bench_5k?sslmode=disable&application_name=archive"
    )
    assert run_bench.bench_postgres_url("postgres://postgres@127.0.0.1/archive", 2_500).endswith("/archive_bench_2500")


@pytest.mark.parametrize("database_url", [None, "", "sqlite:///db.sqlite3", "sqlite:////srv/archive/db.sqlite3"])
def test_no_postgresql_side_without_a_postgresql_database_url(monkeypatch, database_url):
    assert run_bench.bench_postgres_url(database_url, 100_000) is None
    assert chosen(monkeypatch, database_url=database_url) is None


@pytest.mark.parametrize(
    "database_url",
    [
        "postgres://postgres@127.0.0.1:5432/archive",
        "postgresql://archive:secret@localhost/archive",
        "postgres://postgres@127.0.0.1:5432/archive_bench_5k",
    ],
)
def test_the_run_never_measures_database_urls_own_database(monkeypatch, database_url):
    url = chosen(monkeypatch, database_url=database_url, articles=100_000)
    assert url is not None
    assert run_bench.postgres_database(url) != run_bench.postgres_database(database_url)
    assert run_bench.postgres_database(url)[:2] == run_bench.postgres_database(database_url)[:2], "the same server"


def test_a_database_url_already_naming_the_bench_database_is_refused(monkeypatch):
    with pytest.raises(SystemExit, match="DATABASE_URL names"):
        chosen(monkeypatch, database_url="postgres://postgres@127.0.0.1:5432/archive_bench_5k", articles=5_000)


def test_postgres_overrides_the_derived_database_but_not_to_database_urls_own(monkeypatch):
    database_url = "postgres://postgres@127.0.0.1:5432/archive"
    other = "postgres://postgres@127.0.0.1:5432/fix_gen_bench_elsewhere"
    assert chosen(monkeypatch, database_url=database_url, postgres=other) == other
    assert chosen(monkeypatch, database_url=None, postgres=other) == other
    # The same database however the loopback is spelt.
    with pytest.raises(SystemExit, match="DATABASE_URL names"):
        chosen(monkeypatch, database_url=database_url, postgres="postgresql://postgres@localhost/archive")


def test_the_runs_output_names_the_database_without_its_password(monkeypatch, capsys):
    url = chosen(monkeypatch, database_url="postgres://archive:hunter2@127.0.0.1/archive", articles=100_000)
    output = capsys.readouterr().out
    assert "archive_bench_100k" in output
    assert "hunter2" not in output
    assert "hunter2" in url, "the run itself still connects with it"
