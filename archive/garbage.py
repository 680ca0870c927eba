"""When a serving process runs Python's cycle collector: after a response has gone, not during a request.

Every page leaves a few hundred objects in reference cycles that only the cycle collector frees:
Django's RequestContext and its ContextDicts, a request and its message storage, a form and its
bound fields, a FilterSet and its filters, and with them all the page held (a list's facet options,
its rows). Left to its allocation thresholds, the collector ran inside about one request in seven,
freeing several requests' cycles at once (2.5 ms on the benchmark's 2-core machine), and now and then
walked every object the process had loaded (25-40 ms): a list page's p95 was the pages it fell on.

So a serving process (archive/wsgi.py, archive/asgi.py) sets the objects it started with aside
(``gc.freeze``: modules, classes, settings live as long as the process, and a full collection no
longer walks them), and collects the young generations when Django closes each response, which a
WSGI server does once it has sent the body. The thresholds stay as they are: a request that makes
more cycles than usual is still collected as it goes.

A request's own objects are still alive when its response closes, so a young collection moves them
to the old generation, where they become garbage a moment later. The collector's thresholds would
collect that generation only from inside a request that allocates more than a few hundred objects,
which a page served from the page cache never does: its workers grew by 70 MB in a benchmark run.
So every ``FULL_COLLECTION_EVERY`` young collections the old generation is collected too, also
after a response (a few ms: what the process loaded at start-up is frozen, out of its sight).
"""

import gc

from django.core.signals import request_finished

FULL_COLLECTION_EVERY = 100


def collect_young_garbage(**kwargs) -> None:
    """The cycles left by the requests answered so far; now and then the old generation's too."""
    # The third count is how many times the young generations were collected since the old one was.
    gc.collect(2 if gc.get_count()[2] >= FULL_COLLECTION_EVERY else 1)


def collect_between_requests() -> None:
    """Set aside what the process has loaded so far, and collect after each response from now on."""
    gc.collect()
    gc.freeze()
    request_finished.connect(collect_young_garbage, dispatch_uid="archive.garbage.collect_young_garbage")
