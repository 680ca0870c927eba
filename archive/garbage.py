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
WSGI server does once it has sent the body.

For that to hold, a request must not reach the collector's own threshold, which counts allocations
less deallocations since the last collection: at Python's 700 the youngest generation was still
collected inside 198 list pages in 200 (at 100k articles), and every tenth collection after a
response left the old generation due, so the next of them, mid-request, walked it (4 ms).
``YOUNG_GENERATION_THRESHOLD`` leaves room for a page's allocations; a request that allocates far
more than a page (an export) is still collected as it goes. Under gunicorn at 100k articles (2
workers, 400 requests a page, three runs at each threshold, alternating), four list pages' p95 fell
from 6.7-10.1 ms to 5.5-9.5 (0.3-1.8 ms less), their p99 by 1.2-2.0 ms and their medians by 0.1-0.5
ms.

A request's own objects are still alive when its response closes, so a young collection moves them
to the old generation, where they become garbage a moment later. The collector's thresholds would
collect that generation only from inside a request that allocates some 50,000 objects more than it
frees, which no page does (even at Python's 700, workers serving kept pages, which allocate little,
grew by 70 MB in a benchmark run). So every ``FULL_COLLECTION_EVERY`` young collections the old
generation is collected too, also after a response (a few ms: what the process loaded at start-up
is frozen, out of its sight).
"""

import gc

from django.core.signals import request_finished

FULL_COLLECTION_EVERY = 100
YOUNG_GENERATION_THRESHOLD = 50_000


def collect_young_garbage(**kwargs) -> None:
    """The cycles left by the requests answered so far; now and then the old generation's too."""
    # The third count is how many times the young generations were collected since the old one was.
    gc.collect(2 if gc.get_count()[2] >= FULL_COLLECTION_EVERY else 1)


def collect_between_requests() -> None:
    """Set aside what the process has loaded so far, and collect after each response from now on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, *gc.get_threshold()[1:])
    request_finished.connect(collect_young_garbage, dispatch_uid="archive.garbage.collect_young_garbage")
