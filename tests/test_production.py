"""Production behaviour: headers scored as the Mozilla Observatory scores them, health, logs, throttling, Redis."""

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

SEED = "/articles/sandwells-childrens-services-to-be-transferred-to-a-trust/"
PAGES = ["/", "/articles/", "/articles/?q=trust&publisher=localgov", SEED, "/people/simon-hackett/", "/admin/login/"]


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def observatory_score(response, *, http_redirect) -> tuple[int, list[str]]:
    """The Mozilla HTTP Observatory's scoring rules (tests, penalties and bonuses) for one response."""
    score, notes = 100, []
    csp = response.headers.get("Content-Security-Policy")
    if not csp:
        score, notes = score - 25, [*notes, "csp-not-implemented"]
    else:
        rules = csp_directives(csp)
        scripts = rules.get("script-src", rules.get("default-src", []))
        styles = rules.get("style-src", rules.get("default-src", []))
        if "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts or "*" in scripts:
            score, notes = score - 20, [*notes, "csp-implemented-with-unsafe"]
        elif "'unsafe-inline'" in styles:
            notes.append("csp-implemented-with-unsafe-inline-in-style-src-only")
        elif rules.get("default-src") == ["'none'"]:
            notes.append("csp-implemented-with-no-unsafe-default-src-none (+10)")
        else:
            notes.append("csp-implemented-with-no-unsafe (+5)")
    cookies = list(response.cookies.values())
    if cookies and all(c["secure"] and c["samesite"] and (c["httponly"] or c.key == "csrftoken") for c in cookies):
        notes.append("cookies-secure-with-httponly-sessions-and-samesite (+5)")
    elif cookies and not all(c["secure"] for c in cookies):
        score, notes = score - 20, [*notes, "cookies-without-secure-flag"]
    if not http_redirect:
        score, notes = score - 20, [*notes, "redirection-missing"]
    referrer = response.headers.get("Referrer-Policy", "")
    if referrer in {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}:
        notes.append("referrer-policy-private (+5)")
    elif referrer in {"origin", "origin-when-cross-origin", "unsafe-url"}:
        score, notes = score - 5, [*notes, "referrer-policy-unsafe"]
    hsts = response.headers.get("Strict-Transport-Security", "")
    max_age = next((int(p.split("=")[1]) for p in hsts.split(";") if p.strip().startswith("max-age")), 0)
    if max_age < 15768000:
        score, notes = score - 20, [*notes, "hsts-missing-or-short"]
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        score, notes = score - 5, [*notes, "x-content-type-options-not-implemented"]
    frame_ancestors = csp and csp_directives(csp).get("frame-ancestors")
    if frame_ancestors in (["'none'"], ["'self'"]):
        notes.append("x-frame-options-implemented-via-csp (+5)")
    elif response.headers.get("X-Frame-Options", "").upper() not in {"DENY", "SAMEORIGIN"}:
        score, notes = score - 20, [*notes, "x-frame-options-not-implemented"]
    # Bonuses count only once the score without them is at least 90, as the Observatory rules say.
    if score >= 90:
        score += sum(int(note.split("(+")[1].rstrip(")")) for note in notes if "(+" in note)
    return score, notes


def grade(score: int) -> str:
    for bound, letter in ((100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+")):
        if score >= bound:
            return letter
    return "F"


# The settings that change with DEBUG (archive/settings.py), as production has them.
DEBUG_DEPENDENT = (
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)


@pytest.fixture(scope="module")
def production_settings():
    """Those settings read in a process with production's environment: this one's follow whatever
    environment the tests run in (with DJANGO_DEBUG=1, no HSTS at all)."""
    from tests.test_settings import REAL, start

    result = start(
        REAL | {"DJANGO_DEBUG": "0"},
        f"import json, archive.settings as s; print(json.dumps({{n: getattr(s, n) for n in {DEBUG_DEPENDENT}}}))",
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("url", PAGES)
def test_headers_score_a_plus(url, production_settings, settings):
    for name, value in production_settings.items():
        setattr(settings, name, value)
    plain = Client().get(url)
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    response = Client().get(url, secure=True)
    assert response.status_code == 200
    score, notes = observatory_score(response, http_redirect=True)
    assert grade(score) == "A+", (score, notes)
    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"] and csp["frame-ancestors"] == ["'none'"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains; preload"


def test_the_scorer_fails_a_weak_configuration():
    from django.http import HttpResponse

    weak = HttpResponse("x")
    weak["Content-Security-Policy"] = "script-src 'self' 'unsafe-inline'"
    score, _ = observatory_score(weak, http_redirect=False)
    assert grade(score) == "F"


def test_staff_sessions_are_short_strict_and_end_with_the_browser(settings):
    assert settings.SESSION_COOKIE_AGE <= 4 * 3600 and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_SAMESITE == "Strict" and settings.SESSION_COOKIE_HTTPONLY


def test_healthz_reports_the_database():
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json()["database"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_says_503_when_the_database_is_unreachable(monkeypatch):
    from django.db import OperationalError
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "OperationalError"


def test_each_request_is_logged_as_one_structured_line(caplog):
    with caplog.at_level(logging.INFO, logger="archive.requests"):
        response = Client().get("/articles/", {"q": "trust"})
    (record,) = [r for r in caplog.records if r.name == "archive.requests"]
    assert record.event["path"] == "/articles/" and record.event["status"] == 200
    assert record.event["query"] == "q=trust" and record.event["request_id"] == response["X-Request-ID"]
    from archive.observability import JsonLineFormatter

    line = json.loads(JsonLineFormatter().format(record))
    assert line["method"] == "GET" and line["duration_ms"] >= 0


def test_the_request_log_is_written_to_standard_output_not_standard_error(tmp_path):
    """As the README says: the JSON log on standard output, none of it on standard error."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    probe = (
        # Whatever it answers on a database without tables, the request is logged.
        "import django; django.setup(); from django.test import Client; Client().get('/healthz', {'probe': 'stdout'})"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARCHIVE_"))} | {
        "DJANGO_SETTINGS_MODULE": "archive.settings",
        "DJANGO_SECRET_KEY": "a-real-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(text) for text in result.stdout.splitlines() if text.startswith("{")]
    (line,) = [line for line in lines if line["logger"] == "archive.requests"]
    assert line["path"] == "/healthz" and line["query"] == "probe=stdout"
    assert "archive.requests" not in result.stderr


def test_admin_login_is_throttled_after_five_failures():
    get_user_model().objects.create_superuser("target", "t@example.org", "the-right-password-123")
    client = Client()
    for _ in range(4):
        response = client.post("/admin/login/", {"username": "target", "password": "wrong-guess"})
        assert response.status_code == 200 and "Please enter the correct username" in response.content.decode()
    assert client.post("/admin/login/", {"username": "target", "password": "wrong-guess"}).status_code == 429
    locked = client.post("/admin/login/", {"username": "target", "password": "the-right-password-123"})
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked out by these failures.
    get_user_model().objects.create_superuser("other", "o@example.org", "another-right-password")
    assert (
        Client().post("/admin/login/", {"username": "other", "password": "another-right-password"}).status_code == 302
    )


def test_redis_is_the_cache_when_redis_url_is_set():
    """With REDIS_URL, every process shares one cache in Redis (this machine runs one on 6379)."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    probe = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'archive.settings'; django.setup();"
        "from django.core.cache import caches; cache = caches['default']; cache.set('archive-probe', {'n': 1}, 5);"
        "print(type(cache).__name__, cache.get('archive-probe'))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {"DJANGO_DEBUG": "1", "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "RedisCache {'n': 1}", result.stderr[-2000:]
    without = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=settings.BASE_DIR,
        env={**env, "REDIS_URL": ""},
        capture_output=True,
        text=True,
    )
    assert without.stdout.strip() == "LocMemCache {'n': 1}"
