"""The unfiltered lists are counted in the background (archive/warming.py), never served stale."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from archive.warming import WARMED_LISTS, ListWarmer, warm_lists
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
    assert set(took) == {"home", *lists}
    assert queries_of(path) == later_visit


def test_warming_after_a_write_counts_the_write():
    warm_lists()
    before = Client().get("/statements/?format=json").json()
    article = ArticleFactory()
    speaker = PersonFactory()
    StatementFactory(article=article, speaker=speaker, words="A statement made after the warm.")
    warm_lists()
    with CaptureQueriesContext(connection) as queries:
        after = Client().get("/statements/?format=json").json()
    assert after["count"] == before["count"] + 1
    assert {option["value"]: option["count"] for option in after["facets"]["speaker"]}[speaker.slug] == 1
    assert len(queries) == queries_of("/statements/")  # served from what the second warm kept


class Revisions:
    """The archive revision a warmer reads at each poll, and the warms it made."""

    def __init__(self, *numbers):
        self.numbers = list(numbers)
        self.warmed_at = []

    def read(self) -> int:
        return self.numbers.pop(0)

    def warm(self) -> dict:
        self.warmed_at.append(self.current)
        return {"articles:article_list": 0.01}

    def warmer(self) -> ListWarmer:
        def read():
            self.current = self.read()
            return self.current

        return ListWarmer(warm=self.warm, read_revision=read)


def test_the_warmer_warms_at_start_then_once_a_new_revision_has_held_for_a_poll():
    revisions = Revisions(5, 5, 6, 7, 7, 7, 8, 8)
    warmer = revisions.warmer()
    polls = [warmer.poll() for _ in range(8)]
    # 5 at once; 6 is still moving (7 comes next); 7 once it has held; 8 once it has held.
    assert polls == [True, False, False, False, True, False, False, True]
    assert revisions.warmed_at == [5, 7, 8]


def test_a_revision_claimed_by_another_process_is_left_to_it():
    # Two warmers sharing one cache, as two workers share Redis: only the first warms revision 3.
    first, second = Revisions(3, 3), Revisions(3, 3)
    assert first.warmer().poll() is True
    assert second.warmer().poll() is False
    assert (first.warmed_at, second.warmed_at) == ([3], [])


def test_a_failed_warm_is_logged_and_tried_again(caplog):
    attempts = []

    def warm():
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("the database is away")
        return {}

    warmer = ListWarmer(warm=warm, read_revision=lambda: 4)
    assert warmer.poll_safely() is False
    assert "Warming the lists failed" in caplog.text
    assert warmer.poll_safely() is True  # the failed warm's claim was given up
    assert len(attempts) == 2 and warmer.warmed == 4


PROBE = """
import os, threading, archive.wsgi
def running():
    return any(thread.name == "archive-list-warmer" for thread in threading.enumerate())
print("warmer:", running(), flush=True)
child = os.fork()
if child == 0:
    print("warmer in a forked worker:", running(), flush=True)
    os._exit(0)
os.waitpid(child, 0)
"""


@pytest.mark.parametrize("warm", ["1", "0"])
def test_a_serving_process_and_its_forked_workers_run_the_warmer_unless_it_is_turned_off(warm, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ARCHIVE_"))} | {
        "DJANGO_SECRET_KEY": "a-real-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "archive.example.org",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'archive.sqlite3'}",
        "ARCHIVE_WARM_LISTS": warm,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("warmer")]
    running = str(warm == "1")
    assert lines == [f"warmer: {running}", f"warmer in a forked worker: {running}"], result.stderr[-2000:]
