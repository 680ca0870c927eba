"""The parts of the benchmark that need the app's own Django: run in a subprocess.

    python bench/django_tasks.py capture PAGES.json OUT.json
    python bench/django_tasks.py export N OUT_DIR
    python bench/django_tasks.py pragmas

run_bench.py sets the environment first (DJANGO_SETTINGS_MODULE, DATABASE_URL,
DJANGO_DEBUG=0, a secret, allowed hosts) so Django is configured exactly as
under gunicorn, and each task runs in a process of its own so nothing it
imports or caches leaks into the measurements.

capture: requests each page in-process with django.test.Client and records
the SQL it issues (params inlined by Django, valid SQLite), for the SQL floor
and the queries-per-page figure.

export: writes natural-key JSON fixtures for N synthetic articles, one file
per article holding the article and its statements (the shape of
fixtures/articles/), plus one file of the publishers and people they refer to.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import resolve  # noqa: E402


def facet_count(path: str) -> int | None:
    """How many facets the view behind ``path`` counts (None for a page that is not a faceted list)."""
    view_class = getattr(resolve(path.split("?", 1)[0]).func, "view_class", None)
    filterset_class = getattr(view_class, "filterset_class", None)
    if filterset_class is None:
        return None
    from archive.facets import FacetFilter

    return sum(isinstance(f, FacetFilter) for f in filterset_class.base_filters.values())


def capture(pages_file: str, out_file: str) -> None:
    pages = json.loads(Path(pages_file).read_text())
    client = Client(HTTP_HOST="127.0.0.1")
    results = {}
    for page in pages:
        path = page["path"]
        client.get(path)  # a first request warms Django's caches, as the servers' warmup does
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        # The same page made from scratch: every count and page key computed, as after a write.
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            client.get(path)
        entry = {
            "status": response.status_code,
            "bytes": len(response.content),
            "queries": [query["sql"] for query in captured.captured_queries],
            "queries_cold": [query["sql"] for query in cold.captured_queries],
            "facets": facet_count(path),
        }
        if entry["facets"] is not None:
            # The list's result count, to check that Datasette's equivalent page counts the same rows.
            as_json = client.get(path + ("&" if "?" in path else "?") + "format=json")
            if as_json.status_code == 200:
                entry["count"] = as_json.json().get("count")
        results[page["key"]] = entry
    Path(out_file).write_text(json.dumps(results, indent=1))


def export(count: int, out_dir: str) -> None:
    from django.db.models import Prefetch

    from archive.fixtures import fixture_text
    from articles.models import Article, Publisher
    from people.models import Person, Statement

    out = Path(out_dir)
    (out / "articles").mkdir(parents=True, exist_ok=True)
    articles = list(
        Article.objects.filter(slug__startswith="synthetic-")
        .order_by("pk")
        .prefetch_related(
            Prefetch("statements", queryset=Statement.objects.select_related("article", "speaker", "responds_to")),
            "inspections",
            "authors",
            "people_mentioned",
            "publisher",
        )[:count]
    )
    publisher_ids, person_ids = set(), set()
    for number, article in enumerate(articles):
        statements = sorted(article.statements.all(), key=lambda statement: statement.position)
        publisher_ids.add(article.publisher_id)
        person_ids.update(statement.speaker_id for statement in statements)
        person_ids.update(person.pk for person in article.authors.all())
        person_ids.update(person.pk for person in article.people_mentioned.all())
        # The archive's own fixture format: no versions, timestamps or generated columns.
        text = fixture_text([article, *statements])
        (out / "articles" / f"{number:05d}-{article.slug}.json").write_text(text, encoding="utf-8")
    # Referenced objects go in one file that is loaded (untimed) before the articles. The
    # inspections articles link to are the real ones every archive loads from fixtures/.
    referenced = [*Publisher.objects.filter(pk__in=publisher_ids), *Person.objects.filter(pk__in=person_ids)]
    text = fixture_text(referenced)
    (out / "referenced.json").write_text(text, encoding="utf-8")
    statements = sum(len(article.statements.all()) for article in articles)
    summary = {"articles": len(articles), "statements": statements, "referenced": len(referenced)}
    (out / "summary.json").write_text(json.dumps(summary))


def pragmas() -> None:
    """Prints the statements Django runs on each new SQLite connection (its init_command), as JSON."""
    init_command = connection.settings_dict.get("OPTIONS", {}).get("init_command", "")
    print(json.dumps([part.strip() for part in init_command.split(";") if part.strip()]))


if __name__ == "__main__":
    task, *arguments = sys.argv[1:]
    if task == "capture":
        capture(*arguments)
    elif task == "pragmas":
        pragmas()
    elif task == "export":
        export(int(arguments[0]), arguments[1])
    else:
        sys.exit(f"unknown task {task!r}")
