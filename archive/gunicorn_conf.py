"""gunicorn's settings for the archive: `gunicorn --config python:archive.gunicorn_conf archive.wsgi:application`.

Only what the command line cannot say: a hook. The rest (workers, timeouts, the address) is given on
the command line, as `make serve` gives it.
"""

import gc

# Allocations between two collections of the youngest generation (Python's default is 700). Every page leaves a
# few hundred objects in reference cycles (Django's request, form and template context, django-filter's filterset
# and its filters) that hold the page's rows and facet options. At 700, a collection ran mid-request, found them
# still alive and moved them to an older generation, which was then traversed every ten collections: a pause of
# one to two milliseconds in one request in ten or so. With room for a few pages' allocations, most of them have
# died before the collection. Measured at 100k articles under gunicorn (2 workers, 400 requests a page, three runs
# of each): the list pages' p95 fell by 0.6-1.1 ms (9-15 %) and their p99 by 1.4-1.9 ms; medians did not move.
YOUNG_GENERATION_THRESHOLD = 50_000


def post_worker_init(worker):
    """Each worker tunes its garbage collector and starts warming the lists, as soon as it has loaded the archive.

    The serving entry points start the warmer with a process's first request, which is safe under any
    server; a worker that waited for its first request would leave that visitor to count a list whose
    counts it has not kept yet. Here the worker is ready, and no fork follows (with --preload the
    application is loaded before the fork, and the warmer must not run in the process that forks).
    """
    from archive.warming import start_warming

    # What is loaded by now (Django, the apps, their models and middleware) lives as long as the
    # worker: frozen, the collector no longer traverses it in each full collection.
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, older, oldest)
    start_warming()
