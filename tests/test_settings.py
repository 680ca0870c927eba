"""Production settings refuse to start unsafely."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def start(env_overrides, code="import archive.settings"):
    """A new Python process running ``code`` with the settings' environment: none of ours, these overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )


def test_refuses_to_start_without_a_secret_when_debug_is_off():
    result = start({"DJANGO_DEBUG": "0"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_refuses_the_development_secret_when_debug_is_off():
    result = start({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "django-insecure-development-only-never-in-production"})
    assert result.returncode != 0
    assert "development default" in result.stderr


REAL = {"DJANGO_SECRET_KEY": "a-real-secret-" + "x" * 40, "DJANGO_ALLOWED_HOSTS": "archive.example.org"}


def test_starts_with_a_real_secret_and_allowed_hosts():
    assert start(REAL).returncode == 0


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_refuses_a_warming_poll_that_is_not_a_positive_number_of_seconds(value):
    result = start(REAL | {"ARCHIVE_WARM_POLL_SECONDS": value})
    assert result.returncode != 0
    assert "ARCHIVE_WARM_POLL_SECONDS" in result.stderr


def test_refuses_to_start_without_allowed_hosts_when_debug_is_off():
    result = start({"DJANGO_SECRET_KEY": REAL["DJANGO_SECRET_KEY"]})
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_the_production_entry_points_refuse_debug():
    for module in ("archive.wsgi", "archive.asgi"):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | REAL | {"DJANGO_DEBUG": "1"}
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}"], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
        )
        assert result.returncode != 0 and "DEBUG" in result.stderr, module


def test_check_deploy_reports_no_issues_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | REAL | {"DJANGO_DEBUG": "0"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_whitenoise_sits_directly_after_security_middleware():
    middleware = settings.MIDDLEWARE
    assert middleware[middleware.index("django.middleware.security.SecurityMiddleware") + 1] == (
        "whitenoise.middleware.WhiteNoiseMiddleware"
    )


def test_sqlite_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    import sqlite3

    path = tmp_path / "archive.sqlite3"
    env = {**REAL, "DATABASE_URL": f"sqlite:///{path}"}
    probe = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='archive.settings'; django.setup();"
        "from django.db import connection; c = connection.cursor();"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA synchronous').fetchone()[0],"
        " connection.transaction_mode)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}, **env},
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["wal", "1", "IMMEDIATE"], result.stderr
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept in the file


def test_manage_py_is_for_development_and_wsgi_stays_strict():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    run = {"cwd": settings.BASE_DIR, "env": env, "capture_output": True, "text": True}
    assert subprocess.run([sys.executable, "manage.py", "check"], **run).returncode == 0
    strict = subprocess.run([sys.executable, "manage.py", "check"], **{**run, "env": {**env, "DJANGO_DEBUG": "0"}})
    assert strict.returncode != 0 and "DJANGO_SECRET_KEY" in strict.stderr
    wsgi = subprocess.run([sys.executable, "-c", "import archive.wsgi"], **run)
    assert wsgi.returncode != 0 and "DJANGO_SECRET_KEY" in wsgi.stderr


PERSISTENCE_PROBE = """
import django
django.setup()
from django.core.signals import request_finished, request_started
from django.db import connection

def a_request():
    request_started.send(sender=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    request_finished.send(sender=None)
    return id(connection.connection)

print(a_request() == a_request() and connection.connection is not None)
"""


def test_a_serving_process_keeps_its_database_connection_between_requests(tmp_path):
    """Persistent connections (CONN_MAX_AGE), as the issue asks: without them Django closes the connection
    at the end of every request, and the next one opens (and on SQLite sets its pragmas) again."""
    probe = {"DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}", "DJANGO_SETTINGS_MODULE": "archive.settings"}
    result = start(REAL | probe, code=PERSISTENCE_PROBE)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
