"""make backup / restore, end to end: a restored archive serves the very same pages, on SQLite and PostgreSQL."""

import os
import sqlite3
import subprocess
import sys

from django.conf import settings

PAGES = [
    "/",
    "/articles/",
    "/articles/?q=trust&publisher=localgov",
    "/articles/sandwells-childrens-services-to-be-transferred-to-a-trust/",
    "/statements/?format=json",
    "/people/simon-hackett/",
    "/authorities/sandwell/",
    "/inspections/?format=json",
]
RENDER = (
    "import django, os, sys, hashlib; os.environ['DJANGO_SETTINGS_MODULE'] = 'archive.settings'; django.setup();"
    "from django.test import Client; c = Client(HTTP_HOST='localhost');"
    "[print(url, r.status_code, hashlib.sha256(r.content).hexdigest()) for url in sys.argv[1:] for r in [c.get(url)]]"
)


def environment(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return env | {"DJANGO_DEBUG": "1", "DATABASE_URL": database_url}


def manage(database_url, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "manage.py", *map(str, args)],
        cwd=settings.BASE_DIR,
        env=environment(database_url),
        capture_output=True,
        text=True,
        check=True,
        **kwargs,
    )


def render(database_url) -> str:
    output = subprocess.run(
        [sys.executable, "-c", RENDER, *PAGES],
        cwd=settings.BASE_DIR,
        env=environment(database_url),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The pages' digests, without the request log that shares standard output (a JSON line a request).
    return "\n".join(line for line in output.splitlines() if line.startswith("/"))


def round_trip(original_url, restored_url, backup_path):
    manage(original_url, "migrate", "--noinput")
    manage(original_url, "load_archive")
    before = render(original_url)
    assert before.count(" 200 ") == len(PAGES)
    manage(original_url, "backup_archive", backup_path)
    manage(restored_url, "restore_archive", backup_path, "--yes")
    assert render(restored_url) == before


def test_sqlite_backup_restores_to_identical_pages(tmp_path):
    original = f"sqlite:///{tmp_path / 'original.sqlite3'}"
    restored = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    round_trip(original, restored, tmp_path / "backup.sqlite3")


def test_postgresql_backup_restores_to_identical_pages(tmp_path):
    import psycopg

    server = "postgresql://postgres@127.0.0.1:5432"
    names = ["archive_backup_original", "archive_backup_restored"]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
    try:
        round_trip(f"{server}/{names[0]}", f"{server}/{names[1]}", tmp_path / "backup.dump")
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            for name in names:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def revision_of(path) -> int:
    with sqlite3.connect(path) as connection:
        (number,) = connection.execute("SELECT number FROM archive_archiverevision WHERE id = 1").fetchone()
    connection.close()
    return number


def test_a_restored_archive_never_reuses_a_revision_number(tmp_path):
    # Caches are keyed by the revision: a number given to changes made after the backup, served again
    # once they are gone, would bring back their pages and counts.
    database = tmp_path / "archive.sqlite3"
    url = f"sqlite:///{database}"
    manage(url, "migrate", "--noinput")
    manage(url, "load_archive")
    manage(url, "backup_archive", tmp_path / "backup.sqlite3")
    backed_up = revision_of(database)
    with sqlite3.connect(database) as connection:  # changes after the backup
        connection.execute("UPDATE articles_publisher SET name = name || ' (renamed)'")
    connection.close()
    changed = revision_of(database)
    assert changed > backed_up
    manage(url, "restore_archive", tmp_path / "backup.sqlite3", "--yes")
    assert revision_of(database) > changed
    with sqlite3.connect(database) as connection:
        assert not connection.execute("SELECT 1 FROM articles_publisher WHERE name LIKE '% (renamed)'").fetchall()
    connection.close()


def test_a_backup_never_overwrites_a_file(tmp_path):
    target = tmp_path / "exists.sqlite3"
    target.write_text("keep me")
    result = subprocess.run(
        [sys.executable, "manage.py", "backup_archive", str(target)],
        cwd=settings.BASE_DIR,
        env=environment(f"sqlite:///{tmp_path / 'db.sqlite3'}"),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "exists" in result.stderr
    assert target.read_text() == "keep me"
