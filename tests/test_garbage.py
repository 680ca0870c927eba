"""A serving process collects a request's reference cycles after its response has gone (archive/garbage.py)."""

import gc
import os
import subprocess
import sys
import weakref

import pytest
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from archive.garbage import (
    FULL_COLLECTION_EVERY,
    YOUNG_GENERATION_THRESHOLD,
    collect_between_requests,
    collect_young_garbage,
)

RECEIVER = "archive.garbage.collect_young_garbage"


@pytest.fixture
def serving_process():
    """This test process set up as archive/wsgi.py sets up a worker, thresholds included, and put back afterwards:
    the collector's thresholds before it."""
    thresholds = gc.get_threshold()
    collect_between_requests()
    yield thresholds
    request_finished.disconnect(dispatch_uid=RECEIVER)
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.fixture
def collections():
    seen = []

    def record(phase, info):
        if phase == "stop":
            seen.append((info["generation"], info["collected"]))

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)


@pytest.mark.django_db
def test_a_list_page_s_cycles_are_freed_once_its_response_is_closed_and_not_before(serving_process, collections):
    assert gc.get_freeze_count() > 0  # what the process had loaded is set aside
    environ = RequestFactory().get("/articles/", {"q": "trust"}).environ
    statuses = []
    # As Django's test client does: closing old connections would end the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
        body = b"".join(response)
        assert statuses == ["200 OK"] and b"result" in body
        # The whole page was made and sent without a collection (at Python's default threshold of 700 it
        # allocated enough to be collected on the way).
        assert collections == []
        response.close()  # what a WSGI server does once the body has gone
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    # One collection of the young generations, and it freed the page's cycles.
    assert len(collections) == 1
    generation, collected = collections[0]
    assert generation == 1 and collected > 0


class Cycle:
    def __init__(self):
        self.me = self


def test_only_the_young_generation_s_threshold_is_raised(serving_process):
    before = serving_process
    assert gc.get_threshold() == (YOUNG_GENERATION_THRESHOLD, *before[1:])
    assert before[0] < YOUNG_GENERATION_THRESHOLD


def test_what_was_still_alive_at_a_collection_is_freed_by_a_later_one(serving_process):
    """A request's objects outlive the collection made as its response closes (they are moved to the
    oldest generation); with nothing else collecting that generation, they must not pile up."""
    survivor = Cycle()
    gone = weakref.ref(survivor)
    collect_young_garbage()  # it is alive now: kept, and moved on to the old generation
    del survivor
    for _ in range(FULL_COLLECTION_EVERY + 1):
        collect_young_garbage()
    assert gone() is None


@pytest.mark.parametrize("module", ["archive.wsgi", "archive.asgi"])
def test_the_production_entry_points_set_the_process_up_to_collect_between_requests(module):
    probe = (
        f"import gc, {module}; from django.core.signals import request_finished;"
        f"print(gc.get_freeze_count() > 0, request_finished.disconnect(dispatch_uid={RECEIVER!r}),"
        "gc.get_threshold()[0])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | {
        "DJANGO_SECRET_KEY": "a-real-secret-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "archive.example.org",
        "DJANGO_DEBUG": "0",
        "ARCHIVE_WARM_LISTS": "0",  # its background thread would log to the probe's output (tests/test_warming.py)
    }
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.stdout.split() == ["True", "True", str(YOUNG_GENERATION_THRESHOLD)], result.stderr[-2000:]
