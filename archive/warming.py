"""The public lists kept warm: their counts found in the background, not by the visitor who asks first.

A list's counts and page keys are kept per archive revision (archive/facets.py), and every write to
the archive raises the revision. So the first visitor after a write, and the first to reach a newly
started process (gunicorn replaces a worker every few thousand requests, and each keeps its own
cache unless the cache is Redis), waits while they are counted: over 100,000 articles and a million
statements, about a second for the statements list and most of one for the articles.

A serving process therefore runs one background thread, the warmer. A gunicorn worker starts it as
soon as it is ready (archive/gunicorn_conf.py); under any server, a process starts it with the first
request it serves (archive/wsgi.py and archive/asgi.py ask for that). Never at import: a server that
imports the application and then forks its workers (gunicorn --preload) would fork while the thread
held locks (the log stream's, the cache's, the import system's), and a worker could wait on one for ever.

Every ``ARCHIVE_WARM_POLL_SECONDS`` the warmer reads the revision (one single-row query). When it
starts, and whenever the revision has moved and then held for one poll (saves less than a poll apart
are warmed once, not once each), it computes each unfiltered list's counts and the keys of its first
page, the same for the few filtered states a list names (``FacetedListView.warmed_facets``: each kind
of article, each kind of statement, which narrow a list least and so take longest to count, up to a
second), and the home page's totals, exactly as a visitor's request would, under the same cache keys,
rendering nothing. Nothing it keeps can be stale: its entries are keyed by the revision it read, like
a request's. It warms the same revision again every ``REWARM_SECONDS``, which costs a few cache reads
while its entries are there and puts back any the cache has dropped (expired, or culled for room).

With a cache that processes share (Redis), the first process to see a revision claims it and the
others leave it to that one; without one, every process warms its own. A visitor who comes before
the warm has finished is served as before: the page computes what it needs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_started
from django.db import close_old_connections, connections
from django.http import HttpRequest, QueryDict
from django.urls import resolve, reverse

from archive.context_processors import NAVIGATION_LISTS

logger = logging.getLogger(__name__)

# The lists a visitor reaches from every page's header, by URL name.
WARMED_LISTS = NAVIGATION_LISTS
# How long a claim to warm a revision stands in a shared cache: longer than a warm takes. A process
# that dies warming holds the others off this long, until their next warm of the same revision.
CLAIM_SECONDS = 120
# How often a revision already warmed is warmed again (its entries dropped by the cache come back).
REWARM_SECONDS = 600
# The longest wait between tries while warming fails (the database away).
MAX_RETRY_SECONDS = 60


def current_revision() -> int:
    from archive.models import ArchiveRevision  # models: imported once the apps are loaded

    return ArchiveRevision.current()


def visitor_request(path: str, revision: int | None = None, query: dict[str, str] | None = None) -> HttpRequest:
    """A visitor's request for ``path`` with the parameters ``query`` (none by default), as a view reads
    it: nobody signed in.

    Given a revision, the request reads the archive at it (``ArchiveRevision.of_request``) rather than
    reading the number again, so that a warm keeps everything under the revision it was made for.
    """
    from django.contrib.auth.models import AnonymousUser  # models: imported once the apps are loaded

    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.GET = QueryDict(urlencode(query or {}))
    request.user = AnonymousUser()
    if revision is not None:
        request.archive_revision = revision
    return request


def warm_lists(names=WARMED_LISTS, revision: int | None = None) -> dict[str, float]:
    """The archive's totals (the home page's), each list's unfiltered first page and the first page of
    each state its view warms as well (``FacetedListView.warmed_states``: one kind of statement…),
    computed and kept at ``revision`` (by default the current one): seconds each took, by list name,
    or by name and query for a filtered state ("people:statement_list?kind=direct")."""
    from archive.pages import archive_totals

    started = time.perf_counter()
    archive_totals(visitor_request(reverse("home"), revision))
    took = {"home": time.perf_counter() - started}
    for name in names:
        path = reverse(name)
        view_function = resolve(path).func
        for query in [{}, *view_function.view_class.warmed_states()]:
            request = visitor_request(path, revision, query)
            view = view_function.view_class(**view_function.view_initkwargs)
            view.setup(request)
            started = time.perf_counter()
            view.warm(request)
            took[f"{name}?{urlencode(query)}" if query else name] = time.perf_counter() - started
    return took


class ListWarmer:
    """Decides, poll by poll, when to warm: at the first poll, once the revision has moved and settled,
    and again when a warm is REWARM_SECONDS old."""

    def __init__(
        self,
        warm: Callable[[int], dict[str, float]] = lambda revision: warm_lists(revision=revision),
        read_revision: Callable[[], int] = current_revision,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.warm = warm
        self.read_revision = read_revision
        self.clock = clock
        self.warmed: int | None = None  # the revision last warmed (or left to another process)
        self.warmed_at = 0.0  # when, by the clock
        self.seen: int | None = None  # the revision read at the last poll
        self.failing = False  # the last poll failed

    def poll(self) -> bool:
        """One look at the revision, and a warm if it is due: whether this poll warmed."""
        revision = self.read_revision()
        settled = revision == self.seen
        self.seen = revision
        if revision == self.warmed:
            if self.clock() - self.warmed_at < REWARM_SECONDS:
                return False
        elif self.warmed is not None and not settled:
            return False
        claim = f"archive:warming:{revision}"
        # cache.add is atomic in a shared cache: one process warms a revision for all. In a
        # per-process cache every process claims it, and warms its own.
        if not cache.add(claim, os.getpid(), timeout=CLAIM_SECONDS):
            self.warmed, self.warmed_at = revision, self.clock()
            return False
        started = time.perf_counter()
        try:
            took = self.warm(revision)
        except BaseException:
            cache.delete(claim)  # tried again at a later poll, by this process or one yet to see the revision
            raise
        self.warmed, self.warmed_at = revision, self.clock()
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
        """``poll()``, with a failure logged rather than raised: False if it failed.

        The first failure in a row is logged with its traceback, the next ones in a line each, and
        the recovery once: a database away for an hour is not a traceback a minute.
        """
        try:
            self.poll()
        except Exception as error:
            if self.failing:
                logger.warning("Warming the lists still fails: %s: %s", type(error).__name__, error)
            else:
                logger.exception("Warming the lists failed; trying again, less and less often")
            self.failing = True
            return False
        if self.failing:
            logger.warning("Warming the lists works again")
            self.failing = False
        return True

    def run_forever(self, poll_seconds: float) -> None:
        delay = poll_seconds
        while True:
            # As around a request: a connection older than CONN_MAX_AGE is replaced, and one the
            # database has dropped (a restart) is found out before it is used.
            close_old_connections()
            if self.poll_safely():
                delay = poll_seconds
            else:
                connections.close_all()  # this thread's connections only: Django's are per thread
                delay = min(delay * 2, MAX_RETRY_SECONDS)
            time.sleep(delay)


_started_in: int | None = None  # the process the warmer thread was started in
_starting = threading.Lock()


def start_warming(**kwargs) -> None:
    """Start this process's warmer thread, if the settings want one and it has none yet."""
    global _started_in
    if _started_in == os.getpid() or not settings.ARCHIVE_WARM_LISTS:
        return
    with _starting:
        if _started_in == os.getpid():
            return
        _started_in = os.getpid()
    thread = threading.Thread(
        target=ListWarmer().run_forever,
        args=(settings.ARCHIVE_WARM_POLL_SECONDS,),
        name="archive-list-warmer",
        daemon=True,
    )
    thread.start()


def warm_when_serving() -> None:
    """Start the warmer with the first request this process serves (a process forked after this
    call, a gunicorn worker, starts its own with its own first request)."""
    request_started.connect(start_warming, dispatch_uid="archive.warming.start_warming")
