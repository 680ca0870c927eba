"""Load and faults on loopback: `make loadtest` (LOADTEST_ARGS="--postgres URL" for PostgreSQL).

    .venv/bin/python bench/loadtest.py [--articles 5000] [--seconds 60] [--rate 40] [--postgres URL]

Against gunicorn (production settings, 2 workers) serving the synthetic archive:

1. mixed read load at a fixed rate (60 % lists and facets, 30 % detail pages, 10 % search) for --seconds,
   while a writer commits 20 times a second: errors, p50/p95/p99, "database is locked" count, and every
   acknowledged write checked present afterwards;
2. one worker killed (SIGKILL) every 10 s under load: failed requests and how long until the worker is back;
3. `kill -9` during a fixture load: nothing of it is left, and the database's integrity check passes.

It prints a table and writes it to docs/loadtest.md. Every request goes to 127.0.0.1; every loop is bounded
in count and time. Nothing here is a test: times depend on the machine, and are reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import HOST, get, percentile  # noqa: E402
from servers import free_port  # noqa: E402

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
RESULTS = BENCH / "results"
SECRET = "loadtest-" + "k" * 50
WRITES_PER_SECOND = 20
KILL_EVERY = 10.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def app_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    return env | {
        "DJANGO_SETTINGS_MODULE": "archive.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
    }


def manage(database_url: str, *args, timeout=3600, check=True, debug=True) -> subprocess.CompletedProcess:
    env = app_env(database_url) | ({"DJANGO_DEBUG": "1"} if debug else {})
    return subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *map(str, args)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
    )


# --- the archive -------------------------------------------------------------------------------------


def prepare(args) -> str:
    if args.postgres:
        import psycopg

        server, name = args.postgres.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                admin.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(args.postgres) as connection:
            filled = (
                connection.execute("SELECT to_regclass('articles_article') IS NOT NULL").fetchone()[0]
                and (
                    connection.execute(
                        "SELECT EXISTS (SELECT 1 FROM articles_article WHERE slug LIKE 'synthetic-%%')"
                    ).fetchone()[0]
                )
            )
        if not filled:
            log(f"Generating {args.articles:,} articles into {name}")
            # Started from the default (development) settings: generate_archive refuses to fill the database
            # the app itself is configured with, and writes only into the one it is given.
            manage("", "generate_archive", "--articles", args.articles, "--database-url", args.postgres)
        manage(args.postgres, "migrate", "--noinput")
        return args.postgres
    database = BENCH / f"archive-loadtest-{args.articles}.sqlite3"
    if not database.exists():
        log(f"Generating {args.articles:,} articles into {database.relative_to(ROOT)}")
        manage("", "generate_archive", "--articles", args.articles, "--output", database)
    url = f"sqlite:///{database}"
    manage(url, "migrate", "--noinput")
    return url


def sample_paths(database_url: str, seed: int) -> dict[str, list[str]]:
    """The pages the load asks for, drawn from the archive itself."""
    script = (
        "import json, django; django.setup();"
        "from articles.models import Article, Publisher; from people.models import Person, Statement;"
        "a = list(Article.objects.published().order_by('?').values_list('slug', flat=True)[:300]);"
        "p = list(Person.objects.order_by('?').values_list('slug', flat=True)[:200]);"
        "s = [f'/statements/{x}/{y}/' for x, y in Statement.objects.published().order_by('?')"
        ".values_list('article__slug', 'position')[:200]];"
        "pub = list(Publisher.objects.values_list('slug', flat=True));"
        "print(json.dumps({'articles': a, 'people': p, 'statements': s, 'publishers': pub}))"
    )
    env = app_env(database_url) | {"DJANGO_DEBUG": "1"}
    found = json.loads(
        subprocess.run([PYTHON, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    )
    rng = random.Random(seed)
    lists = ["/articles/", "/statements/", "/people/", "/inspections/", "/authorities/", "/publishers/"]
    for _ in range(200):
        publisher = rng.choice(found["publishers"])
        year = rng.randint(2006, 2025)
        lists.append(
            rng.choice(
                [
                    f"/articles/?publisher={publisher}",
                    f"/articles/?year={year}",
                    f"/articles/?publisher={publisher}&year={year}&kind=news-report",
                    f"/statements/?year={year}",
                    f"/articles/?page={rng.randint(2, 50)}",
                    f"/inspections/?judgement=good&year={year}",
                ]
            )
        )
    details = [f"/articles/{slug}/" for slug in found["articles"]]
    details += [f"/people/{slug}/" for slug in found["people"]] + found["statements"]
    words = [
        "safeguarding",
        "inspection",
        "care",
        "children",
        "ofsted",
        "council",
        "trust",
        "improvement",
        "leaders",
        "kinship",
        '"social workers"',
        "inadequ*",
        "report -trust",
    ]
    searches = [f"/articles/?q={w.replace(' ', '+')}" for w in words] + [f"/statements/?q={w}" for w in words[:6]]
    return {"list": lists, "detail": details, "search": searches}


# --- load ----------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.failures: list[str] = []
        self.failure_times: list[float] = []

    def add(self, status: int, seconds: float, failure: str = ""):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if failure or status >= 400:
                self.failures.append(failure or f"HTTP {status}")
                self.failure_times.append(time.monotonic())
            else:
                self.latencies.append(seconds)


def run_load(port: int, paths: dict, *, seconds: float, rate: float, seed: int) -> Recorder:
    """Open loop: requests start at a fixed rate whatever the latency, as real visitors arrive."""
    rng = random.Random(seed)
    recorder = Recorder()
    total = int(seconds * rate)

    def one(path):
        started = time.perf_counter()
        try:
            response = get(port, path, timeout=30)
            recorder.add(response.status, time.perf_counter() - started)
        except OSError as error:
            recorder.add(0, time.perf_counter() - started, f"{type(error).__name__}: {error}")

    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.monotonic()
        for index in range(total):
            kind = rng.choices(["list", "detail", "search"], weights=[60, 30, 10])[0]
            delay = start + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, rng.choice(paths[kind]))
    return recorder


WRITER = """
import json, sys, time, django
django.setup()
from django.db import OperationalError, transaction
from people.models import Person
rate, seconds, prefix = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
acknowledged, locked, other = [], 0, []
start = time.monotonic()
for index in range(int(rate * seconds)):
    delay = start + index / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    slug = f"{prefix}-{index}"
    try:
        with transaction.atomic():
            Person.objects.create(slug=slug, name=f"Load writer {index}", description="written under load")
        acknowledged.append(slug)
    except OperationalError as error:
        locked += "locked" in str(error)
        other.append(str(error)[:200])
print(json.dumps({"acknowledged": acknowledged, "locked": locked, "errors": other}))
"""


def run_writer(database_url: str, seconds: float, prefix: str) -> subprocess.Popen:
    env = app_env(database_url)
    return subprocess.Popen(
        [PYTHON, "-c", WRITER, str(WRITES_PER_SECOND), str(seconds), prefix],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def count_present(database_url: str, slugs: list[str]) -> int:
    script = (
        "import json, sys, django; django.setup(); from people.models import Person;"
        "slugs = json.load(sys.stdin); print(Person.objects.filter(slug__in=slugs).count())"
    )
    result = subprocess.run(
        [PYTHON, "-c", script],
        env=app_env(database_url),
        cwd=ROOT,
        input=json.dumps(slugs),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout)


# --- the server --------------------------------------------------------------------------------------


class Gunicorn:
    def __init__(self, database_url: str, port: int):
        self.port = port
        self.log = RESULTS / f"loadtest-gunicorn-{port}.log"
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "--config",
                "python:archive.gunicorn_conf",
                "archive.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"{HOST}:{port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            env=app_env(database_url),
            cwd=ROOT,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(300):
            try:
                if get(port, "/healthz", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start; see " + str(self.log))

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def stop(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=20)


def kill_workers(server: Gunicorn, seconds: float) -> list[float]:
    """SIGKILL one worker every KILL_EVERY seconds; return how long each took to be replaced."""
    recoveries = []
    deadline = time.monotonic() + seconds
    while time.monotonic() + KILL_EVERY <= deadline:
        time.sleep(KILL_EVERY)
        before = server.workers()
        if not before:
            continue
        os.kill(before[0], signal.SIGKILL)
        killed_at = time.monotonic()
        while time.monotonic() - killed_at < 10:
            now = server.workers()
            if len(now) >= 2 and before[0] not in now:
                recoveries.append(time.monotonic() - killed_at)
                break
            time.sleep(0.02)
        else:
            recoveries.append(float("inf"))
    return recoveries


# --- kill -9 during a fixture load ---------------------------------------------------------------------


def interrupted_load(database_url: str) -> dict:
    out = RESULTS / "loadtest-fixtures"
    shutil.rmtree(out, ignore_errors=True)
    if not (out / "articles").exists():
        subprocess.run(
            [PYTHON, str(BENCH / "django_tasks.py"), "export", "300", str(out)],
            env=app_env(database_url),
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    # The exported articles already exist in this archive: load them under new slugs, so a load writes.
    files = []
    for path in sorted((out / "articles").glob("*.json"))[:300]:
        objects = json.loads(path.read_text())
        for obj in objects:
            if obj["model"] == "articles.article":
                obj["fields"]["slug"] = "killed-" + obj["fields"]["slug"]
            elif obj["model"] == "people.statement":
                obj["fields"]["article"] = ["killed-" + obj["fields"]["article"][0]]
        target = RESULTS / "loadtest-killed" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(objects))
        files.append(target)
    counts = (
        "import django; django.setup(); from articles.models import Article; from people.models import Statement;"
        "print(Article.objects.count(), Statement.objects.count())"
    )
    before = subprocess.run(
        [PYTHON, "-c", counts], env=app_env(database_url), cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    loader = subprocess.Popen(
        [PYTHON, str(ROOT / "manage.py"), "load_archive", *map(str, files)],
        env=app_env(database_url) | {"DJANGO_DEBUG": "1"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Killed once it has been writing for a while: past start-up, well inside its transaction.
    time.sleep(4.0)
    finished_first = loader.poll() is not None
    loader.kill()
    _, errors = loader.communicate()
    if finished_first and loader.returncode != 0:
        raise RuntimeError(f"The fixture load failed before it could be killed: {errors.strip()[-500:]}")
    after = subprocess.run(
        [PYTHON, "-c", counts], env=app_env(database_url), cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    integrity = "n/a"
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
    else:
        integrity = "ok (PostgreSQL: transactional, no file to check)"
    return {
        "before": before,
        "after": after,
        "unchanged": before == after,
        "integrity": integrity,
        "load finished before the kill": finished_first,
    }


# --- the run -------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=40.0, help="requests started per second")
    parser.add_argument("--postgres", metavar="URL", help="run on this PostgreSQL database instead of SQLite")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    engine = "PostgreSQL" if args.postgres else "SQLite"
    database_url = prepare(args)
    paths = sample_paths(database_url, args.seed)
    server = Gunicorn(database_url, free_port())
    rows = []
    try:
        log(f"Phase 1: {args.rate:g} requests/s for {args.seconds:g} s, with a writer at {WRITES_PER_SECOND}/s")
        prefix = f"load-writer-{int(time.time())}"
        writer = run_writer(database_url, args.seconds, prefix)
        reads = run_load(server.port, paths, seconds=args.seconds, rate=args.rate, seed=args.seed)
        written = json.loads(writer.communicate(timeout=120)[0] or "{}")
        present = count_present(database_url, written.get("acknowledged", []))
        rows += [
            ("requests", f"{sum(reads.statuses.values()):,}"),
            ("errors (status >= 400 or no answer)", str(len(reads.failures))),
            (
                "p50 / p95 / p99 (ms)",
                " / ".join(f"{percentile(reads.latencies, q) * 1000:.0f}" for q in (0.5, 0.95, 0.99))
                if reads.latencies
                else "n/a",
            ),
            ("writes acknowledged", str(len(written.get("acknowledged", [])))),
            ('"database is locked"', str(written.get("locked", "?"))),
            ("other write errors", str(len(written.get("errors", [])))),
            ("acknowledged writes present afterwards", f"{present} of {len(written.get('acknowledged', []))}"),
        ]
        log(f"Phase 2: one worker killed every {KILL_EVERY:g} s for 30 s, under {args.rate:g} requests/s")
        killer_result: list[float] = []
        killer = threading.Thread(target=lambda: killer_result.extend(kill_workers(server, 30.0)))
        killer.start()
        faulted = run_load(server.port, paths, seconds=30.0, rate=args.rate, seed=args.seed + 1)
        killer.join()
        rows += [
            ("workers killed", str(len(killer_result))),
            ("requests failed while killing", f"{len(faulted.failures)} of {sum(faulted.statuses.values()):,}"),
            ("worker back after (s, each kill)", ", ".join(f"{s:.2f}" for s in killer_result) or "n/a"),
        ]
    finally:
        server.stop()
    log("Phase 3: kill -9 during a fixture load")
    interrupted = interrupted_load(database_url)
    rows += [
        (
            "fixture load killed: rows before / after",
            f"{' '.join(interrupted['before'])} / {' '.join(interrupted['after'])}",
        ),
        ("the load was still running when killed", "no" if interrupted["load finished before the kill"] else "yes"),
        ("nothing of the killed load left", "yes" if interrupted["unchanged"] else "NO"),
        ("integrity check", interrupted["integrity"]),
    ]
    table = "\n".join(
        [
            f"| {engine}: {args.articles:,} articles | measured |",
            "|---|---|",
            *[f"| {name} | {value} |" for name, value in rows],
        ]
    )
    print("\n" + table + "\n")
    report = ROOT / "docs" / "loadtest.md"
    existing = report.read_text() if report.exists() else "# Load and fault test\n\nWritten by `make loadtest`.\n"
    marker = f"<!-- {engine} -->"
    sections = existing.split(marker)
    body = (
        f"{marker}\n\nRun on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, gunicorn 2 workers, "
        f"{args.rate:g} requests/s for {args.seconds:g} s.\n\n{table}\n{marker}"
    )
    report.write_text(
        sections[0].rstrip() + "\n\n" + body + "\n" if len(sections) < 3 else sections[0] + body + sections[2]
    )
    log(f"Wrote {report.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
