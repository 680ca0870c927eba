"""gunicorn's settings for the archive: `gunicorn --config python:archive.gunicorn_conf archive.wsgi:application`.

Only what the command line cannot say: a hook. The rest (workers, timeouts, the address) is given on
the command line, as `make serve` gives it.
"""


def post_worker_init(worker):
    """Each worker starts warming the lists (archive/warming.py) as soon as it has loaded the archive.

    The serving entry points start the warmer with a process's first request, which is safe under any
    server; a worker that waited for its first request would leave that visitor to count a list whose
    counts it has not kept yet. Here the worker is ready, and no fork follows (with --preload the
    application is loaded before the fork, and the warmer must not run in the process that forks).
    """
    from archive.warming import start_warming

    start_warming()
