"""The unfiltered lists are counted in the background (archive/warming.py), never served stale."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from archive.models import ArchiveRevision
from archive.warming import REWARM_SECONDS, WARMED_LISTS, ListWarmer, warm_lists
from articles.models import ArticleKind
from people.models import StatementKind
from tests.factories import ArticleFactory, PersonFactory, StatementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pages_made_afresh(settings):
    settings.ARCHIVE_PAGE_CACHE = False  # every visit makes its page: what it queries is what it computes


def queries_of(path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(path)
    assert response.status_code == 200
    return len(queries)


# The home page's totals are warmed with any lists; warm_lists([]) warms them alone.
@pytest.mark.parametrize(("name", "lists"), [("home", []), *((name, [name]) for name in WARMED_LISTS)])
def test_a_warmed_page_counts_nothing_for_its_first_visitor(name, lists):
    path = reverse(name)
    first_visit = queries_of(path)
    later_visit = queries_of(path)  # the first visit kept the counts (and a list's page keys)
    assert later_visit < first_visit
    cache.clear()
    took = warm_lists(lists)
    assert {"home", *lists} <= set(took)
    assert queries_of(path) == later_visit


WARMED_STATES = [
    (name, state) for name in WARMED_LISTS for state in resolve(reverse(name)).func.view_class.warmed_states()
]


def test_each_kind_of_article_and_of_statement_is_warmed():
    assert {(name, tuple(state.items())) for name, state in WARMED_STATES} == {
        *(("articles:article_list", (("kind", kind),)) for kind in ArticleKind.values),
        *(("people:statement_list", (("kind", kind),)) for kind in StatementKind.values),
    }


@pytest.mark.parametrize(("name", "state"), WARMED_STATES)
def test_a_warmed_filtered_state_counts_nothing_for_its_first_visitor(name, state):
    path = f"{reverse(name)}?{urlencode(state)}"
    first_visit = queries_of(path)
    later_visit = queries_of(path)
    assert later_visit < first_visit
    cache.clear()
    took = warm_lists([name])
    assert set(took) == {"home", name, f"{name}?{urlencode(state)}"} | {
        f"{name}?{urlencode(other)}" for other_name, other in WARMED_STATES if other_name == name
    }
    assert queries_of(path) == later_visit


def test_warming_after_a_write_counts_the_write():
    warm_lists()
    before = Client().get("/statements/?format=json").json()
    article = ArticleFactory()
    speaker = PersonFactory()
    StatementFactory(article=article, speaker=speaker, words="A statement made after the warm.")
    warm_lists()
    with CaptureQueriesContext(connection) as warmed_visit:
        after = Client().get("/statements/?format=json").json()
    assert after["count"] == before["count"] + 1
    assert {option["value"]: option["count"] for option in after["facets"]["speaker"]}[speaker.slug] == 1
    with CaptureQueriesContext(connection) as repeat_visit:
        Client().get("/statements/?format=json")
    assert len(warmed_visit) == len(repeat_visit)  # served from what the second warm kept


def test_a_warm_kept_for_one_revision_is_not_read_at_another():
    revision = ArchiveRevision.current()
    warm_lists(["articles:article_list"], revision=revision)
    ArticleFactory()  # the revision moves on: what was warmed is no visitor's any more
    assert ArchiveRevision.current() != revision
    path = reverse("articles:article_list")
    first_visit = queries_of(path)
    assert queries_of(path) < first_visit


class Revisions:
    """The archive revision a warmer reads at each poll, the warms it made, and a clock it reads."""

    def __init__(self, *numbers):
        self.numbers = list(numbers)
        self.warms = []
        self.now = 0.0

    def warm(self, revision) -> dict:
        self.warms.append(revision)
        return {"articles:article_list": 0.01}

    def warmer(self) -> ListWarmer:
        return ListWarmer(warm=self.warm, read_revision=lambda: self.numbers.pop(0), clock=lambda: self.now)


def test_the_warmer_warms_at_start_then_once_a_new_revision_has_held_for_a_poll():
    revisions = Revisions(5, 5, 6, 7, 7, 7, 8, 8)
    warmer = revisions.warmer()
    polls = [warmer.poll() for _ in range(8)]
    # 5 at once; 6 is still moving (7 comes next); 7 once it has held; 8 once it has held.
    assert polls == [True, False, False, False, True, False, False, True]
    assert revisions.warms == [5, 7, 8]


def test_the_same_revision_is_warmed_again_when_its_warm_is_old():
    # What the cache dropped since (expired, culled for room) is put back.
    revisions = Revisions(5, 5, 5)
    warmer = revisions.warmer()
    assert warmer.poll() is True
    revisions.now = REWARM_SECONDS - 1
    assert warmer.poll() is False
    cache.delete("archive:warming:5")  # the first warm's claim has run out
    revisions.now = REWARM_SECONDS + 1
    assert warmer.poll() is True
    assert revisions.warms == [5, 5]


def test_a_revision_claimed_by_another_process_is_left_to_it():
    # Two warmers sharing one cache, as two workers share Redis: only the first warms revision 3.
    first, second = Revisions(3, 3), Revisions(3, 3)
    assert first.warmer().poll() is True
    assert second.warmer().poll() is False
    assert (first.warms, second.warms) == ([3], [])


def test_a_failed_warm_is_retried_and_logged_once_with_its_traceback(caplog):
    attempts = []

    def warm(revision):
        attempts.append(revision)
        if len(attempts) <= 2:
            raise ConnectionError("the database is away")
        return {}

    warmer = ListWarmer(warm=warm, read_revision=lambda: 4)
    assert warmer.poll_safely() is False
    assert warmer.poll_safely() is False
    assert warmer.poll_safely() is True  # the failed warms gave up their claims
    assert attempts == [4, 4, 4] and warmer.warmed == 4
    records = [(record.levelname, record.getMessage(), bool(record.exc_info)) for record in caplog.records]
    assert records == [
        ("ERROR", "Warming the lists failed; trying again, less and less often", True),
        ("WARNING", "Warming the lists still fails: ConnectionError: the database is away", False),
        ("INFO", "warmed", False),
        ("WARNING", "Warming the lists works again", False),
    ]


def production_env(tmp_path) -> dict:
    """A serving process's environment: production settings, on an empty database file of its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARCHIVE_"))} | {
        "DJANGO_SECRET_KEY": "a-real-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
    }


PROBE = """
import os, threading, archive.wsgi
from django.core.signals import request_started
def running():
    return any(thread.name == "archive-list-warmer" for thread in threading.enumerate())
print("warmer at import:", running(), flush=True)
child = os.fork()  # as gunicorn --preload forks its workers from the process that imported the app
if child == 0:
    request_started.send(sender=None)  # the worker's first request
    print("warmer in a forked worker serving:", running(), flush=True)
    os._exit(0)
os.waitpid(child, 0)
"""


@pytest.mark.parametrize("warm", ["1", "0"])
def test_a_serving_process_starts_the_warmer_with_its_first_request_unless_turned_off(warm, tmp_path):
    env = production_env(tmp_path) | {"ARCHIVE_WARM_LISTS": warm}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("warmer")]
    assert lines == [
        "warmer at import: False",
        f"warmer in a forked worker serving: {warm == '1'}",
    ], result.stderr[-2000:]


def test_each_gunicorn_worker_starts_warming_before_any_request(tmp_path):
    """`make serve`'s gunicorn config starts the warmer in each worker once it is ready (post_worker_init).

    The database here is an empty file, so each worker's first warm fails: its logged failure shows
    that the worker's warmer ran, though no request came.
    """
    env = production_env(tmp_path)
    with socket.socket() as probe:  # a free port on the loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                Path(sys.executable).parent / "gunicorn",
                *("--config", "python:archive.gunicorn_conf", "archive.wsgi:application"),
                *("--workers", "2", "--bind", f"127.0.0.1:{port}"),
            ],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count("Warming the lists failed") < 2 and time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()[-2000:]
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(30)
    assert log.read_text().count("Warming the lists failed") == 2, log.read_text()[-2000:]
    assert '"logger": "archive.requests"' not in log.read_text()  # no request was served
