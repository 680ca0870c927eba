"""A real archive served by a real server, driven by a real browser.

The server is `manage.py runserver` over a fresh SQLite file set up as `make run` sets it up
(migrate, load the fixtures), so these tests see the archive as a visitor does, whichever
database the rest of the suite runs on. The browser is Debian's Chromium driven by Playwright
(its own browser download cannot work here). Where the browser or its tools are missing the
tests skip with the reason, unless ARCHIVE_BROWSER_TESTS=required (as CI sets it), where they fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ARCHIVE_CHROMIUM", "/usr/bin/chromium"))
EDITOR = ("editor", "a-long-browser-test-password")


def unavailable(reason: str):
    if os.environ.get("ARCHIVE_BROWSER_TESTS") == "required":
        pytest.fail(f"Browser tests are required here, but {reason}.", pytrace=False)
    pytest.skip(f"Browser tests skipped: {reason} (CI sets ARCHIVE_BROWSER_TESTS=required).")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def archive_server(tmp_path_factory):
    database = tmp_path_factory.mktemp("browser") / "archive.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "archive.settings",
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
        "DJANGO_SUPERUSER_PASSWORD": EDITOR[1],
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["load_archive"]):
        subprocess.run([*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(
        [*manage, "createsuperuser", "--noinput", "--username", EDITOR[0], "--email", "editor@example.org"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/robots.txt", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.terminate()
        raise RuntimeError("The archive's test server did not start")
    yield base
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (make setup-dev)")
    if not CHROMIUM.exists():
        unavailable(f"there is no Chromium at {CHROMIUM} (apt-get install chromium)")
    playwright = sync_playwright().start()
    # --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture
def page(browser, archive_server):
    context = browser.new_context(base_url=archive_server, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def audit_page(browser, archive_server):
    """A page on which axe-core can be injected: the archive's CSP rightly refuses scripts it did not serve,
    so the audit context bypasses it (the journeys run with the CSP in force)."""
    context = browser.new_context(base_url=archive_server, bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def editor_page(browser, archive_server, request):
    # Audits inject axe-core, which the CSP would refuse; journeys keep the CSP in force.
    audit = "audit" in request.keywords
    context = browser.new_context(base_url=archive_server, accept_downloads=True, bypass_csp=audit)
    page = context.new_page()
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(EDITOR[0])
    page.get_by_label("Password").fill(EDITOR[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    yield page
    context.close()
