"""The public lists kept warm: their counts found in the background, not by the visitor who asks first.

A list's counts and page keys are kept per archive revision (archive/facets.py), and every write to
the archive raises the revision. So the first visitor after a write, and the first to reach a newly
started process (gunicorn replaces a worker every few thousand requests, and each keeps its own
cache unless the cache is Redis), waits while they are counted: over 100,000 articles and a million
statements, about a second for the statements list and most of one for the articles.

A serving process (archive/wsgi.py, archive/asgi.py) therefore runs one background thread, the
warmer. Every ``ARCHIVE_WARM_POLL_SECONDS`` it reads the revision (one single-row query); when it
starts, and whenever the revision has moved and then held for one poll (an editor saving several
records in a row is warmed once, not once per save), it computes each unfiltered list's counts and
first page exactly as a visitor's request would, under the same cache keys, rendering nothing.
Nothing it keeps can be stale: its entries are keyed by the revision it read, like a request's.

With a cache that processes share (Redis), the first process to see a revision claims it and the
others leave it to that one. A visitor who comes before the warmer has finished is served as before:
the page computes what it needs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest
from django.urls import resolve, reverse

from archive.context_processors import NAVIGATION_LISTS

logger = logging.getLogger(__name__)

# The lists a visitor reaches from every page's header, by URL name.
WARMED_LISTS = NAVIGATION_LISTS
# How long a claim to warm a revision stands (a shared cache): longer than any warm takes.
CLAIM_SECONDS = 300
# The longest wait between tries while warming fails (the database away).
MAX_RETRY_SECONDS = 60


def current_revision() -> int:
    from archive.models import ArchiveRevision  # models: imported once the apps are loaded

    return ArchiveRevision.current()


def visitor_request(path: str) -> HttpRequest:
    """A visitor's request for ``path``, as a view reads it: no parameters, nobody signed in."""
    from django.contrib.auth.models import AnonymousUser  # models: imported once the apps are loaded

    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.user = AnonymousUser()
    return request


def warm_lists(names=WARMED_LISTS) -> dict[str, float]:
    """The archive's totals (the home page's) and each list's unfiltered first page, computed and kept
    at the current revision: seconds each took."""
    from archive.pages import archive_totals

    started = time.perf_counter()
    archive_totals(visitor_request(reverse("home")))
    took = {"home": time.perf_counter() - started}
    for name in names:
        path = reverse(name)
        request = visitor_request(path)
        view = resolve(path).func.view_class()
        view.setup(request)
        started = time.perf_counter()
        view.warm(request)
        took[name] = time.perf_counter() - started
    return took


class ListWarmer:
    """Decides, poll by poll, when to warm: at the first poll, then once the revision has moved and settled."""

    def __init__(
        self,
        warm: Callable[[], dict[str, float]] = warm_lists,
        read_revision: Callable[[], int] = current_revision,
    ):
        self.warm = warm
        self.read_revision = read_revision
        self.warmed: int | None = None  # the revision last warmed (or left to another process)
        self.seen: int | None = None  # the revision read at the last poll

    def poll(self) -> bool:
        """One look at the revision, and a warm if it is due: whether this poll warmed."""
        revision = self.read_revision()
        settled = revision == self.seen
        self.seen = revision
        if revision == self.warmed or (self.warmed is not None and not settled):
            return False
        claim = f"archive:warming:{revision}"
        # cache.add is atomic in a shared cache: one process warms a revision for all. In a
        # per-process cache every process claims it, and warms its own.
        if not cache.add(claim, os.getpid(), timeout=CLAIM_SECONDS):
            self.warmed = revision
            return False
        started = time.perf_counter()
        try:
            took = self.warm()
        except BaseException:
            cache.delete(claim)  # tried again at a later poll, by this process or another
            raise
        self.warmed = revision
        logger.info(
            "warmed",
            extra={
                "event": {
                    "event": "lists warmed",
                    "revision": revision,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "lists_ms": {name: round(seconds * 1000, 1) for name, seconds in took.items()},
                }
            },
        )
        return True

    def poll_safely(self) -> bool:
        """``poll()``, with a failure logged rather than raised: False if it failed."""
        try:
            self.poll()
        except Exception:
            # A database that is away (a restore, a restart): tried again, less and less often.
            logger.exception("Warming the lists failed")
            connections.close_all()  # this thread's connections only: Django's are per thread
            return False
        return True

    def run_forever(self, poll_seconds: float) -> None:
        delay = poll_seconds
        while True:
            delay = poll_seconds if self.poll_safely() else min(delay * 2, MAX_RETRY_SECONDS)
            time.sleep(delay)


_started_in: int | None = None  # the process the warmer thread runs in


def start_warming() -> None:
    """Start this process's warmer thread, if the settings want one and it has none yet.

    Called by the serving entry points. A server that imports the application before forking its
    workers (gunicorn --preload) gets one thread in each worker too: threads do not survive a fork,
    so each child starts its own.
    """
    global _started_in
    if not settings.ARCHIVE_WARM_LISTS or _started_in == os.getpid():
        return
    _started_in = os.getpid()
    thread = threading.Thread(
        target=ListWarmer().run_forever,
        args=(settings.ARCHIVE_WARM_POLL_SECONDS,),
        name="archive-list-warmer",
        daemon=True,
    )
    thread.start()


os.register_at_fork(after_in_child=lambda: _started_in is not None and start_warming())
