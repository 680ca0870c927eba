"""Benchmark the archive against Datasette and against its own SQL, on a synthetic archive.

    .venv/bin/python bench/run_bench.py [--articles 100000] [--seed 42] [--reuse]
                                        [--requests 40] [--postgres URL]

One run: generates (or, with --reuse, reuses) bench/archive-<N>.sqlite3,
captures the SQL each app page issues, replays it as the SQL floor, serves
the app with gunicorn and the same file with Datasette (default settings, and
with _nosuggest=1), measures each page's latency and throughput, times
loading 10k articles from fixtures, then prints a table and writes
docs/benchmarks.md (and the raw figures to bench/results/).

The app is measured on PostgreSQL too with --postgres URL, or when the run
starts with DATABASE_URL naming a PostgreSQL database: then not in that
database (it may be the real archive) but in archive_bench_<N> on the same
server (bench_postgres_url), created and filled if missing.

Every server it starts listens on 127.0.0.1 (ports 8300-8399) and is stopped
before it exits. Datasette lives in bench/.venv-datasette, installed from
requirements-bench.txt when missing, so its dependencies never meet the app's.
"""

import argparse
import contextlib
import datetime
import json
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import loadgen  # noqa: E402
import report  # noqa: E402
from pages import FACET_PAGES, build_pages, build_states, read_facts, with_param  # noqa: E402
from servers import Server, free_port, stop_all  # noqa: E402

ROOT = BENCH.parent
APP_BIN = ROOT / ".venv" / "bin"
APP_PYTHON = APP_BIN / "python" if (APP_BIN / "python").exists() else Path(sys.executable)
DATASETTE_VENV = BENCH / ".venv-datasette"
REQUIREMENTS = ROOT / "requirements-bench.txt"
RESULTS = BENCH / "results"
DOC = ROOT / "docs" / "benchmarks.md"
WARMUP = 3
CLIENTS = 4
WORKERS = 2  # gunicorn's, for every app server
LOAD_ARTICLES = 10_000


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def size_label(articles: int) -> str:
    return f"{articles // 1000}k" if articles % 1000 == 0 else str(articles)


def app_env(database_url: str, *, debug: bool = False, page_cache: bool = False, warm: bool = False) -> dict:
    """The production settings (DEBUG off) that gunicorn runs with, against one database.

    The whole-page cache (archive/page_cache.py) is off unless asked for: with it, every timed request
    of a page after the first is the same kept page, and the figures would say what the cache costs,
    not what the page does. The run measures the app both ways (``app`` and ``app_cached``).

    The background warming of the unfiltered lists (archive/warming.py) is off unless asked for: a
    page's first request is timed as the cost of making it from scratch, and a warm racing it would
    make that figure say neither. ``measure_warming`` times first visits with it on and off.
    """
    return {
        **os.environ,
        "ARCHIVE_PAGE_CACHE": "1" if page_cache else "0",
        "ARCHIVE_WARM_LISTS": "1" if warm else "0",
        "DJANGO_SETTINGS_MODULE": "archive.settings",
        "DJANGO_DEBUG": "1" if debug else "0",
        # Not a secret: the benchmark's servers only ever answer on the loopback.
        "DJANGO_SECRET_KEY": f"bench-{secrets.token_hex(16)}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on the loopback, as behind a TLS-terminating proxy: no redirect to HTTPS.
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
    }


def run(argv: list, *, env: dict | None = None, timeout: float = 3600, quiet: bool = False) -> str:
    result = subprocess.run(
        [str(part) for part in argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"Failed ({result.returncode}): {' '.join(map(str, argv))}")
    if not quiet and result.stdout.strip():
        print(result.stdout.strip()[-2000:])
    return result.stdout


def manage(*arguments, env: dict, timeout: float = 3600, quiet: bool = True) -> str:
    return run([APP_PYTHON, "manage.py", *arguments], env=env, timeout=timeout, quiet=quiet)


def has_unapplied_migrations(env: dict) -> bool:
    result = subprocess.run(
        [APP_PYTHON, "manage.py", "migrate", "--check"], cwd=ROOT, env=env, capture_output=True, timeout=300
    )
    return result.returncode != 0


# --- the synthetic archives ------------------------------------------------------------------------


def generated_with(database: Path) -> dict | None:
    """What generate_archive recorded in the file (its synthetic_archive table): the articles and seed of a
    finished generation, {} for one that never finished, None for a file made before it kept the record."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        try:
            record = connection.execute("SELECT articles, seed, finished FROM synthetic_archive").fetchone()
        except sqlite3.OperationalError:  # no such table
            return None
    if not record or record[2] is None:
        return {}
    return {"articles": record[0], "seed": record[1]}


def prepare_sqlite(args) -> Path:
    database = BENCH / f"archive-{size_label(args.articles)}.sqlite3"
    meta = Path(f"{database}.meta.json")  # what it was generated with (git-ignored with the file)
    wanted = {"articles": args.articles, "seed": args.seed}
    reusable = False
    if args.reuse and database.exists():
        # The file's own record first: a generation that failed half-way, or one run by hand into this file,
        # is not what meta.json (written after a finished generation here) says.
        recorded = generated_with(database)
        if recorded is None:
            reusable = not meta.exists() or json.loads(meta.read_text()) == wanted
        else:
            reusable = recorded == wanted
    env = app_env(f"sqlite:///{database}", debug=True)
    if reusable:
        log(f"Reusing {database.relative_to(ROOT)}")
        if has_unapplied_migrations(env):
            # The app gained migrations since the file was generated (e.g. a search index): apply them
            # rather than regenerate; they run on the synthetic file only.
            log("Applying the app's newer migrations to it")
            manage("migrate", "--noinput", env=env)
            # generate_archive ends with ANALYZE; indexes the migrations added have no statistics yet,
            # and without them SQLite's planner can pick very different plans than on a fresh file.
            with sqlite3.connect(database) as connection:
                connection.execute("ANALYZE")
            connection.close()
    else:
        log(f"Generating {args.articles:,} articles (seed {args.seed}) into {database.relative_to(ROOT)}")
        started = time.monotonic()
        manage(
            "generate_archive",
            "--articles",
            args.articles,
            "--seed",
            args.seed,
            "--output",
            database,
            env={**os.environ, "DJANGO_DEBUG": "1"},
            timeout=7200,
        )
        meta.write_text(json.dumps(wanted))
        log(f"Generated in {time.monotonic() - started:.0f} s")
    return database


POSTGRES_SCHEMES = ("postgres", "postgresql")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def bench_postgres_url(database_url: str | None, articles: int) -> str | None:
    """The PostgreSQL database a run measures when DATABASE_URL names one, or None if it names none.

    Never DATABASE_URL's own database, which may be the real archive: ``archive_bench_<N>`` on the same server,
    with the same user and options (the name the Makefile's BENCH_POSTGRES_URL gives it).
    """
    parts = urlsplit(database_url or "")
    if parts.scheme not in POSTGRES_SCHEMES:
        return None
    return urlunsplit(parts._replace(path=f"/archive_bench_{size_label(articles)}"))


def postgres_database(url: str | None) -> tuple[str, int, str] | None:
    """The server, port and database a postgres:// URL names (the loopback's names counted as one), or None."""
    parts = urlsplit(url or "")
    if parts.scheme not in POSTGRES_SCHEMES:
        return None
    try:
        port = parts.port or 5432
    except ValueError:
        return None
    host = (parts.hostname or "localhost").lower()
    return ("loopback" if host in LOOPBACK_HOSTS else host, port, unquote(parts.path.lstrip("/")))


def without_password(url: str) -> str:
    """A URL fit for the run's output: any password in it replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def choose_postgres(args) -> str | None:
    """The PostgreSQL database this run measures, if any: --postgres, else one derived from DATABASE_URL.

    Whichever it is, it must not be DATABASE_URL's own database: the run fills, migrates and vacuums the
    database it measures, and DATABASE_URL may name the real archive.
    """
    configured = os.environ.get("DATABASE_URL", "")
    url = args.postgres
    if not url:
        url = bench_postgres_url(configured, args.articles)
        if url:
            log(
                f"DATABASE_URL names a PostgreSQL database: the app is measured on PostgreSQL too, in "
                f"{without_password(url)}, a database of its own on the same server, never DATABASE_URL's "
                "(--postgres URL names another)"
            )
    if url and postgres_database(url) == postgres_database(configured):
        raise SystemExit(
            f"{without_password(url)} is the database DATABASE_URL names, which may be the real archive: the "
            "benchmark fills and migrates the database it measures. Name another with --postgres URL."
        )
    return url


def prepare_postgres(args) -> str:
    """Fill the PostgreSQL database chosen for the run (created if missing), or reuse it."""
    import psycopg  # the app's own driver, in the app's virtualenv

    url = args.postgres
    parts = urlsplit(url)
    if parts.hostname not in LOOPBACK_HOSTS:
        raise SystemExit(
            f"The PostgreSQL benchmark database ({without_password(url)}) must be on a server on the loopback "
            "(127.0.0.1): name one with --postgres URL, or unset DATABASE_URL to measure SQLite only."
        )
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            log(f"Creating PostgreSQL database {name}")
            connection.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
        synthetic = (
            tables
            and connection.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'articles_article'"
            ).fetchone()[0]
        )
        if synthetic:
            synthetic = connection.execute(
                "SELECT count(*) FROM articles_article WHERE slug LIKE 'synthetic-%%'"
            ).fetchone()[0]
    env = app_env(url, debug=True)
    if tables and not (args.reuse and synthetic):
        raise SystemExit(
            f"PostgreSQL database {name} is not empty: name an empty (or missing) one, "
            "or pass --reuse to benchmark the synthetic archive it already holds."
        )
    if tables:
        log(f"Reusing PostgreSQL database {name} ({synthetic:,} synthetic articles)")
        if synthetic != args.articles:
            raise SystemExit(
                f"PostgreSQL database {name} holds {synthetic:,} synthetic articles, not {args.articles:,}: "
                "name another database for this size."
            )
        if has_unapplied_migrations(env):
            log("Applying the app's newer migrations to it")
            manage("migrate", "--noinput", env=env)
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute("ANALYZE")  # fresh statistics, as after generate_archive
    else:
        log(f"Generating {args.articles:,} articles (seed {args.seed}) into PostgreSQL database {name}")
        started = time.monotonic()
        manage(
            "generate_archive",
            "--articles",
            args.articles,
            "--seed",
            args.seed,
            "--database-url",
            url,
            env={**os.environ, "DJANGO_DEBUG": "1"},
            timeout=7200,
        )
        log(f"Generated in {time.monotonic() - started:.0f} s")
    # What autovacuum does on a production server (it may be off on a bench machine, as on this one):
    # without it no page is marked all-visible, so PostgreSQL cannot answer counts from the covering
    # indexes alone. Quick when there is nothing to do; before anything is timed.
    log("Vacuuming it (VACUUM (ANALYZE)) before anything is timed")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM (ANALYZE)")
    return url


def data_sizes(database: Path) -> dict:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:

        def count(sql):
            return connection.execute(sql).fetchone()[0]

        return {
            "articles": count("SELECT count(*) FROM articles_article"),
            "published articles": count("SELECT count(*) FROM articles_article WHERE status = 'published'"),
            "statements": count("SELECT count(*) FROM people_statement"),
            "people and bodies": count("SELECT count(*) FROM people_person"),
            "publishers": count("SELECT count(*) FROM articles_publisher"),
            "local authorities": count("SELECT count(*) FROM articles_localauthority"),
            "inspections": count("SELECT count(*) FROM articles_inspection"),
            "article-inspection links": count("SELECT count(*) FROM articles_article_inspections"),
            "file size (MB)": round(database.stat().st_size / 1e6, 1),
        }


# --- measuring --------------------------------------------------------------------------------------


def capture_sql(pages, env: dict) -> dict:
    """The queries each app page issues, from the app itself (see django_tasks.capture)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    pages_file, out_file = RESULTS / "pages.json", RESULTS / "captured.json"
    pages_file.write_text(json.dumps([{"key": page.key, "path": page.app} for page in pages]))
    # quiet: its output is the request log of the pages it made; what it found is in the file.
    run([APP_PYTHON, BENCH / "django_tasks.py", "capture", pages_file, out_file], env=env, timeout=1800, quiet=True)
    return json.loads(out_file.read_text())


def checkpoint(database: Path) -> None:
    """Moves everything in the write-ahead log into the file itself.

    The app's settings put the file in WAL mode, and Datasette's -i (immutable) reads the main file
    only, ignoring the log: without this it could miss the last writes (e.g. migrations just applied).
    """
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def app_pragmas(env: dict) -> list[str]:
    """The PRAGMA statements the app runs on each new SQLite connection (Django's init_command)."""
    output = run([APP_PYTHON, BENCH / "django_tasks.py", "pragmas"], env=env, quiet=True)
    return [statement for statement in json.loads(output) if statement.upper().startswith("PRAGMA")]


def sql_floor(database: Path, captured: dict, requests: int, budget: float, pragmas: list[str]) -> dict:
    """Replays each page's queries, in order, on one read-only connection kept open (as the app's is).

    The connection is set up as the app's are: the same pragmas (page cache, memory-mapped reads,
    temp store; those that would write are refused by the read-only connection and skipped) and the
    SQL functions Django registers. Like the latency runs, a page stops early (fewer samples) once
    ``budget`` seconds have gone.
    """
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, check_same_thread=False)
    for pragma in pragmas:
        with contextlib.suppress(sqlite3.Error):
            connection.execute(pragma).fetchall()
    try:
        from django.db.backends.sqlite3._functions import register

        register(connection)
    except ImportError:
        pass
    floors = {}
    for key, entry in captured.items():
        queries = entry["queries"]
        samples = []
        deadline = time.monotonic() + budget
        try:
            for number in range(WARMUP + requests):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                for sql in queries:
                    connection.execute(sql).fetchall()
                if number >= WARMUP:
                    samples.append(time.perf_counter() - started)
        except sqlite3.Error as error:
            floors[key] = {"error": str(error)}
            continue
        floors[key] = {
            "median": statistics.median(samples),
            "p95": loadgen.percentile(samples, 0.95),
            "n": len(samples),
            "queries": len(queries),
            **cold_floor(connection, entry.get("queries_cold") or [], budget),
        }
    connection.close()
    return floors


COLD_RUNS = 5


def cold_floor(connection, queries: list[str], budget: float) -> dict:
    """The page's queries when nothing is cached (its counts and page keys too), replayed a few times.

    They are what the page costs the database when made from scratch, as after any write: the floor
    of the app's *first* request. The grouped counts take up to seconds at 100k, so a few runs.
    """
    if not queries:
        return {}
    samples = []
    deadline = time.monotonic() + budget
    try:
        for _ in range(1 + COLD_RUNS):
            if samples and time.monotonic() > deadline:
                break
            started = time.perf_counter()
            for sql in queries:
                connection.execute(sql).fetchall()
            samples.append(time.perf_counter() - started)
    except sqlite3.Error as error:
        return {"cold_error": str(error)}
    timed = samples[1:] or samples  # the first run warms the file's pages, as the app's warm-up does
    return {"cold_median": statistics.median(timed), "cold_queries": len(queries), "cold_n": len(timed)}


def latency_entry(path: str, latency: loadgen.Latency) -> dict:
    return {
        "path": path,
        "median": latency.median,
        "p95": latency.p95,
        "first": latency.first,
        "n": len(latency.samples),
        "status": latency.status,
        "bytes": latency.bytes,
        "errors": latency.errors,
    }


def add_throughput(entry: dict, port: int, path: str, args) -> None:
    result = loadgen.measure_throughput(port, path, CLIENTS, args.duration)
    entry.update(rps=result.per_second, tput_errors=result.errors, tput_completed=result.completed)


def log_entry(name: str, key: str, entry: dict) -> None:
    log(
        f"  {name:<22} {key:<20} "
        f"median {entry['median'] * 1000:8.1f} ms  p95 {entry['p95'] * 1000:8.1f} ms  n {entry['n']}"
        + (f"  {entry['rps']:7.1f} req/s" if "rps" in entry else "")
        + (f"  ({entry['errors']} errors, last status {entry['status']})" if entry["errors"] else "")
    )


def measure(server: Server, paths: dict[str, str], args, *, throughput: bool = True, suffix: str = "") -> dict:
    """One server's pages, each timed alone, then its throughput."""
    figures = {}
    for key, path in paths.items():
        if path is None:
            continue
        latency = loadgen.measure_latency(server.port, path, args.requests, WARMUP, budget=args.latency_budget)
        entry = latency_entry(path, latency)
        if throughput and latency.samples:
            add_throughput(entry, server.port, path, args)
        figures[key] = entry
        log_entry(server.name, key + suffix, entry)
    return figures


def measure_side_by_side(contestants: dict[str, tuple[Server, dict]], keys: list[str], args) -> dict[str, dict]:
    """Several servers' pages, each page's requests interleaved between them (see
    ``loadgen.measure_latency_side_by_side``); then each one's throughput on that page in turn,
    straight after, so that all of a page's figures come from the same few minutes."""
    figures = {name: {} for name in contestants}
    for key in keys:
        targets = {name: (server.port, paths[key]) for name, (server, paths) in contestants.items() if paths.get(key)}
        latencies = loadgen.measure_latency_side_by_side(
            targets, args.requests, WARMUP, args.latency_budget, run=args.run
        )
        for name, latency in latencies.items():
            port, path = targets[name]
            entry = latency_entry(path, latency)
            if latency.samples:
                add_throughput(entry, port, path, args)
            figures[name][key] = entry
            log_entry(name, key, entry)
    return figures


# What each contestant answers cheaply: asked untimed before each first visit (``loadgen.measure_first_visits``).
APP_CHEAP, DATASETTE_CHEAP = "/healthz", "/-/versions.json"


def measure_states(contestants: dict[str, tuple[Server, str, Callable]], states, args) -> dict[str, dict]:
    """First visits to distinct filter states (``pages.build_states``), the contestants taking turns.

    ``contestants`` maps a name to its server, its cheap address and a function from a ``States`` to
    its addresses for them.
    """
    figures = {name: {} for name in contestants}
    for state in states:
        targets = {
            name: (server.port, paths_of(state), cheap) for name, (server, cheap, paths_of) in contestants.items()
        }
        latencies = loadgen.measure_first_visits(targets, args.latency_budget)
        for name, latency in latencies.items():
            entry = latency_entry(targets[name][1][0], latency)
            figures[name][state.key] = entry
            log_entry(name, f"{state.key} (first visits)", entry)
    return figures


def gunicorn(name: str, database_url: str, port: int, *, page_cache: bool = False, warm: bool = False) -> Server:
    return Server(
        name,
        [
            APP_BIN / "gunicorn",
            *("--config", "python:archive.gunicorn_conf"),  # as `make serve` runs it
            "archive.wsgi:application",
            *("--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}"),
        ],
        port=port,
        env=app_env(database_url, page_cache=page_cache, warm=warm),
        cwd=ROOT,
        log=RESULTS / f"{name}.log",
        ready_path="/articles/synthetic-123/",
    )


def json_paths(pages) -> dict[str, str]:
    return {page.key: with_param(page.app, "format=json") for page in pages if page.list_page}


def record_memory(figures: dict, server: Server) -> None:
    """Peak resident memory of the master and each worker, and their own (anonymous) memory."""
    memory = server.memory()
    anonymous = server.memory("RssAnon")
    master = server.process.pid
    figures["memory_kib"] = {"master": memory.pop(master, None), "workers": list(memory.values())}
    anonymous.pop(master, None)
    figures["anon_kib"] = list(anonymous.values())


def start_app(name: str, database_url: str, *, page_cache: bool = False) -> Server:
    server = gunicorn(name, database_url, free_port(), page_cache=page_cache)
    log(f"Starting {name} (gunicorn, 2 workers) on 127.0.0.1:{server.port}")
    server.start()
    return server


def measure_app(name: str, database_url: str, pages, args, *, page_cache: bool = False, states=()) -> dict:
    """The app alone: the variants no target compares with Datasette (the page cache, PostgreSQL)."""
    server = start_app(name, database_url, page_cache=page_cache)
    try:
        figures = {"pages": measure(server, {page.key: page.app for page in pages}, args)}
        if states:
            figures["states"] = measure_states({name: (server, APP_CHEAP, lambda state: state.app)}, states, args)[name]
        record_memory(figures, server)
    finally:
        server.stop()
    return figures


def measure_app_beside_datasette(database: Path, pages, states, facts, captured: dict, args) -> tuple[dict, dict]:
    """The app on SQLite and Datasette on the same file, running together, their requests interleaved."""
    app_server = start_app("app-sqlite", f"sqlite:///{database}")
    try:
        datasette_server, datasette = start_datasette(database, facts)
        try:
            datasette["checks"] = datasette_checks(datasette_server.port, pages, captured)
            paths = {page.key: page.datasette for page in pages}
            nosuggest = {key: with_param(path, "_nosuggest=1") for key, path in paths.items() if path}
            measured = measure_side_by_side(
                {
                    "app-sqlite": (app_server, {page.key: page.app for page in pages}),
                    "datasette": (datasette_server, paths),
                    "datasette _nosuggest=1": (datasette_server, nosuggest),
                },
                [page.key for page in pages],
                args,
            )
            datasette["default"] = measured["datasette"]
            datasette["nosuggest"] = measured["datasette _nosuggest=1"]
            first_visits = measure_states(
                {
                    "app-sqlite": (app_server, APP_CHEAP, lambda state: state.app),
                    "datasette _nosuggest=1": (
                        datasette_server,
                        DATASETTE_CHEAP,
                        lambda state: [with_param(path, "_nosuggest=1") for path in state.datasette],
                    ),
                },
                states,
                args,
            )
            datasette["states_nosuggest"] = first_visits["datasette _nosuggest=1"]
            datasette["memory_kib"] = datasette_server.memory()
            datasette["anon_kib"] = list(datasette_server.memory("RssAnon").values())
        finally:
            datasette_server.stop()
        app = {"pages": measured["app-sqlite"], "states": first_visits["app-sqlite"]}
        if not args.no_json:
            app["json"] = measure(app_server, json_paths(pages), args, throughput=False, suffix=" (json)")
        record_memory(app, app_server)
    finally:
        app_server.stop()
    return app, datasette


# --- Datasette --------------------------------------------------------------------------------------


def pinned_datasette() -> str:
    for line in REQUIREMENTS.read_text().splitlines():
        if line.strip().lower().startswith("datasette=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit(f"{REQUIREMENTS} pins no datasette version")


def ensure_datasette() -> Path:
    executable = DATASETTE_VENV / "bin" / "datasette"
    wanted = pinned_datasette()
    if executable.exists():
        version = subprocess.run([executable, "--version"], capture_output=True, text=True).stdout.split()[-1:]
        if version == [wanted]:
            return executable
    log(f"Installing datasette {wanted} into {DATASETTE_VENV.relative_to(ROOT)}")
    if DATASETTE_VENV.exists():
        shutil.rmtree(DATASETTE_VENV)
    base_python = getattr(sys, "_base_executable", sys.executable)
    run([base_python, "-m", "venv", DATASETTE_VENV], quiet=True)
    run([DATASETTE_VENV / "bin" / "pip", "install", "--quiet", "-r", REQUIREMENTS], quiet=True, timeout=900)
    return executable


def start_datasette(database: Path, facts) -> tuple[Server, dict]:
    """Datasette serving the file as published (immutable), and what it was started as."""
    executable = ensure_datasette()
    checkpoint(database)
    version = run([executable, "--version"], quiet=True).split()[-1]
    argv = [executable, "serve", "-i", database, "--host", "127.0.0.1"]
    if facts.fts_table:
        # Datasette finds an FTS table by itself only when its content= names the table in double
        # quotes or brackets; the app's migration uses single quotes, so name it in metadata.
        metadata = RESULTS / f"datasette-metadata-{database.stem}.json"
        table = {"fts_table": facts.fts_table, "fts_pk": "id"}
        metadata.write_text(json.dumps({"databases": {database.stem: {"tables": {"articles_article": table}}}}))
        argv += ["--metadata", metadata]
    port = free_port()
    argv += ["--port", str(port)]
    server = Server(
        "datasette", argv, port=port, env=dict(os.environ), cwd=ROOT, log=RESULTS / "datasette.log", ready_path="/"
    )
    log(f"Starting Datasette {version} on 127.0.0.1:{port}")
    server.start()
    return server, {
        "version": version,
        "argv": " ".join(str(part) if part != database else "FILE" for part in argv[1:]).replace(str(ROOT), "."),
    }


def datasette_checks(port: int, pages, captured: dict) -> dict:
    """Datasette's own account of each list page: rows counted, facets shown, timed out, suggested."""
    checks = {}
    for page in pages:
        if not page.datasette or not page.list_page:
            continue
        path, _, query = page.datasette.partition("?")
        try:
            response = loadgen.get(port, f"{path}.json?{query}")
            data = json.loads(response.body) if response.status == 200 else {}
            # Only the HTML page says which facets ran past facet_time_limit_ms (the JSON omits them).
            html = loadgen.get(port, page.datasette).body.decode("utf-8", "replace")
        except (OSError, ValueError) as error:
            checks[page.key] = {"error": str(error)}
            continue
        timed_out = re.search(r'class="facets-timed-out">These facets timed out: ([^<]*)<', html)
        checks[page.key] = {
            "status": response.status,
            "count": data.get("filtered_table_rows_count"),
            "app_count": captured.get(page.key, {}).get("count"),
            "facets_requested": sorted(parse_qs(query).get("_facet", [])),
            "facets": sorted((data.get("facet_results") or {}).keys()),
            "facets_timed_out": [name.strip() for name in timed_out.group(1).split(",")] if timed_out else [],
            "suggested_facets": len(data.get("suggested_facets") or []),
        }
    return checks


def remove_sqlite(path: Path) -> None:
    """A SQLite database file and the files SQLite keeps beside it, if there."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- loading fixtures -------------------------------------------------------------------------------

# The load is timed this many times (the median is judged): one run's time varies by a tenth on a
# shared machine.
LOAD_RUNS = 3


def time_fixture_load(database: Path, articles: int) -> dict:
    """Exports ``articles`` synthetic articles as natural-key fixtures, then times load_archive on them,
    LOAD_RUNS times, each into its own copy of the same fresh archive: the median, and each run."""
    count = min(LOAD_ARTICLES, articles)
    out = RESULTS / f"fixtures-{size_label(count)}"
    if out.exists():
        shutil.rmtree(out)
    log(f"Exporting {count:,} articles with their statements as fixtures")
    run([APP_PYTHON, BENCH / "django_tasks.py", "export", count, out], env=app_env(f"sqlite:///{database}"))
    summary = json.loads((out / "summary.json").read_text())
    fresh = RESULTS / f"load-{size_label(count)}-fresh.sqlite3"
    remove_sqlite(fresh)
    # Untimed: a fresh migrated archive with the real fixtures (authorities, inspections) and the
    # publishers and people the articles refer to.
    env = app_env(f"sqlite:///{fresh}")
    manage("migrate", "--noinput", env=env)
    manage("load_archive", env=env)
    manage("load_archive", out / "referenced.json", env=env)
    files = sorted((out / "articles").glob("*.json"))
    target = RESULTS / f"load-{size_label(count)}.sqlite3"
    runs, loaded = [], []
    for run_number in range(1, LOAD_RUNS + 1):
        remove_sqlite(target)
        with sqlite3.connect(fresh) as source, sqlite3.connect(target) as copy:
            source.backup(copy)  # the file whole, its WAL included
        env = app_env(f"sqlite:///{target}")
        log(
            f"Timing load_archive of {len(files):,} article files ({summary['statements']:,} statements), "
            f"run {run_number} of {LOAD_RUNS}"
        )
        started = time.monotonic()
        manage("load_archive", *files, env=env, timeout=3600)
        runs.append(time.monotonic() - started)
        with sqlite3.connect(target) as connection:
            loaded.append(
                connection.execute("SELECT count(*) FROM articles_article WHERE slug LIKE 'synthetic-%'").fetchone()[0]
            )
        log(f"Loaded {loaded[-1]:,} articles in {runs[-1]:.1f} s")
    remove_sqlite(fresh)
    return {**summary, "files": len(files), "seconds": statistics.median(runs), "runs": runs, "loaded": min(loaded)}


# --- first visits, with the lists warmed in the background or not -----------------------------------

# What archive/warming.py keeps warm (the home page's totals, its WARMED_LISTS), by the report's labels.
WARMED_PATHS = {
    "home": "/",
    "articles": "/articles/",
    "statements": "/statements/",
    # The warmer warms each kind as well (FacetedListView.warmed_facets): the slowest first visits.
    "articles, one kind": "/articles/?kind=opinion",
    "statements, one kind": "/statements/?kind=reported",
    "people": "/people/",
    "inspections": "/inspections/",
    "authorities": "/authorities/",
    "publishers": "/publishers/",
}
WARM_WAIT_SECONDS = 120.0
# A write to the archive as an editor's save makes one: one row changed, the revision raised by the triggers.
A_WRITE = "UPDATE articles_article SET headline = headline WHERE id = (SELECT MIN(id) FROM articles_article)"


def warmed_revisions(log_text: str) -> list[int]:
    """The revisions whose lists a server's processes logged as warmed, once per process and warm."""
    revisions = []
    for line in log_text.splitlines():
        if '"lists warmed"' not in line:
            continue
        with contextlib.suppress(ValueError, KeyError):
            revisions.append(int(json.loads(line)["revision"]))
    return revisions


def revision_of(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        return connection.execute("SELECT number FROM archive_archiverevision WHERE id = 1").fetchone()[0]


def first_visits(server: Server) -> dict[str, float]:
    """One request to each warmed list, in turn: milliseconds each."""
    figures = {}
    for label, path in WARMED_PATHS.items():
        response = loadgen.get(server.port, path)
        if response.status != 200:
            raise SystemExit(f"{server.name}: {path} answered {response.status}")
        figures[label] = response.seconds * 1000
    return figures


def measure_warming(database: Path) -> dict:
    """The first visit to each warmed list after the server starts and after a write, warming on and off.

    The app as deployed (its page cache on, which a new revision empties of use), on a copy of the
    archive, since the write changes it. With warming on, the visits wait until both workers have
    logged the warm of the revision (the time that took is recorded); with it off, they wait as long
    after the same event, so both are visited at the same moment after it.
    """
    copy = RESULTS / "warming.sqlite3"
    remove_sqlite(copy)
    shutil.copyfile(database, copy)
    waited: dict[str, float] = {}
    figures: dict = {"waited_s": waited}
    try:
        for warm in (True, False):
            mode = "on" if warm else "off"
            name = f"app-sqlite warming {mode}"
            server = gunicorn(name, f"sqlite:///{copy}", free_port(), page_cache=True, warm=warm)
            log(f"Starting {name}: first visits after the start and after a write")
            started = time.monotonic()
            server.start()
            try:
                for event in ("start", "write"):
                    if event == "write":
                        with sqlite3.connect(copy) as connection:
                            connection.execute(A_WRITE)
                        started = time.monotonic()
                    revision = revision_of(copy)
                    if warm:
                        deadline = started + WARM_WAIT_SECONDS
                        while warmed_revisions(server.log.read_text()).count(revision) < WORKERS:
                            if time.monotonic() > deadline:
                                raise SystemExit(f"{name}: revision {revision} not warmed in {WARM_WAIT_SECONDS:.0f} s")
                            time.sleep(0.1)
                        waited[event] = time.monotonic() - started
                    else:
                        time.sleep(max(0.0, started + waited[event] - time.monotonic()))
                    figures[f"{event}_{mode}"] = first_visits(server)
            finally:
                server.stop()
    finally:
        remove_sqlite(copy)
    return figures


# --- the machine ------------------------------------------------------------------------------------


def machine(args) -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = next(
        (line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")),
        "0",
    )
    versions = run(
        [
            APP_PYTHON,
            "-c",
            "import importlib.metadata as m, platform, sqlite3; "
            "print(platform.python_version(), sqlite3.sqlite_version, m.version('Django'), m.version('gunicorn'))",
        ],
        quiet=True,
    ).split()
    info = {
        "cores (nproc)": len(os.sched_getaffinity(0)),
        "CPU": cpu,
        "RAM (GiB)": round(int(memory) / 2**20, 1),
        "kernel": os.uname().release,
        "Python": versions[0],
        "SQLite": versions[1],
        "Django": versions[2],
        "gunicorn": versions[3],
        # How fast this machine runs Python, to compare runs across machines of the same name: the
        # 2-core machines that runs have been taken on have differed fivefold by it.
        "a 10M-iteration Python loop (s)": python_loop_seconds(),
    }
    if args.postgres:
        import psycopg

        with psycopg.connect(args.postgres) as connection:
            info["PostgreSQL"] = connection.execute("SHOW server_version").fetchone()[0]
    return info


def python_loop_seconds() -> float:
    """The best of three 10-million-iteration empty loops in the app's Python, in seconds."""
    code = (
        "import time\nbest = None\nfor _ in range(3):\n    started = time.perf_counter()\n"
        "    for _ in range(10_000_000): pass\n    took = time.perf_counter() - started\n"
        "    best = took if best is None else min(best, took)\nprint(best)"
    )
    return round(float(run([APP_PYTHON, "-c", code], quiet=True)), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reuse", action="store_true", help="reuse the generated archive(s) if present")
    parser.add_argument("--requests", type=int, default=40, help="timed sequential requests per page (after 3 warm)")
    parser.add_argument(
        "--run",
        type=int,
        default=loadgen.RUN,
        help="side by side, timed requests in a row per contestant, each run after an untimed one",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of the 4-client throughput run")
    parser.add_argument("--latency-budget", type=float, default=300.0, help="most seconds one page's latency run takes")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run the app on this PostgreSQL database (default, when DATABASE_URL names PostgreSQL: "
        "archive_bench_<N> on its server, never DATABASE_URL's own database)",
    )
    parser.add_argument("--skip-load", action="store_true", help="skip timing the 10k-article fixture load")
    parser.add_argument("--no-json", action="store_true", help="skip the app's &format=json variants")
    parser.add_argument("--doc", type=Path, default=DOC, help="where to write the report (default docs/benchmarks.md)")
    parser.add_argument("--render", type=Path, metavar="RUN.json", help="only rewrite the report from a run's figures")
    parser.add_argument("--floor-only", type=Path, metavar="RUN.json", help="re-measure a run's SQL floor, then report")
    args = parser.parse_args()
    if args.floor_only:
        # Re-measures only the SQL floor of an earlier run (same file, same captured queries).
        results = json.loads(args.floor_only.read_text())
        database = BENCH / f"archive-{size_label(int(results['args']['articles']))}.sqlite3"
        checkpoint(database)
        log(f"Replaying the captured SQL on {database.relative_to(ROOT)}")
        results["floor_pragmas"] = pragmas = app_pragmas(app_env(f"sqlite:///{database}"))
        results["floor"] = sql_floor(database, results["captured"], args.requests, args.latency_budget, pragmas)
        args.floor_only.write_text(json.dumps(results, indent=1, default=str))
        args.render = args.floor_only
    if args.render:
        text, markdown = report.render(json.loads(args.render.read_text()), FACET_PAGES)
        print(text)
        args.doc.write_text(markdown)
        return
    args.postgres = choose_postgres(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = datetime.datetime.now().astimezone()

    database = prepare_sqlite(args)
    checkpoint(database)
    postgres_url = prepare_postgres(args) if args.postgres else None
    log("Collecting static files")
    manage("collectstatic", "--noinput", env=app_env(f"sqlite:///{database}"))

    facts = read_facts(database)
    pages = build_pages(database.stem, facts)
    states = build_states(database, facts)
    results = {
        "started": started.isoformat(timespec="seconds"),
        "args": {key: str(value) for key, value in vars(args).items()},
        "machine": machine(args),
        "data": data_sizes(database),
        "facts": vars(facts),
        "pages": [vars(page) for page in pages],
        "states": [vars(state) for state in states],
    }
    log("Capturing each page's SQL from the app")
    results["captured"] = captured = capture_sql(pages, app_env(f"sqlite:///{database}"))
    log("Replaying it as the SQL floor")
    results["floor_pragmas"] = pragmas = app_pragmas(app_env(f"sqlite:///{database}"))
    results["floor"] = sql_floor(database, captured, args.requests, args.latency_budget, pragmas)
    results["app"], results["datasette"] = measure_app_beside_datasette(database, pages, states, facts, captured, args)
    # As deployed: repeat visits to a page at the same archive revision are served whole.
    results["app_cached"] = measure_app("app-sqlite page cache", f"sqlite:///{database}", pages, args, page_cache=True)
    if postgres_url:
        log("Capturing each page's SQL on PostgreSQL")
        results["captured_pg"] = capture_sql(pages, app_env(postgres_url))
        results["app_pg"] = measure_app("app-postgres", postgres_url, pages, args, states=states)
    results["warming"] = measure_warming(database)
    if not args.skip_load:
        results["load"] = time_fixture_load(database, args.articles)
    results["finished"] = datetime.datetime.now().astimezone().isoformat(timespec="seconds")

    stamp = started.strftime("%Y%m%d-%H%M%S")
    raw = RESULTS / f"run-{size_label(args.articles)}-{stamp}.json"
    raw.write_text(json.dumps(results, indent=1, default=str))
    text, markdown = report.render(results, FACET_PAGES)
    print(text)
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    args.doc.write_text(markdown)
    log(f"Wrote {args.doc} and {raw.relative_to(ROOT)}")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
