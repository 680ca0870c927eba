"""Turns one run's figures into the printed table and docs/benchmarks.md."""

import math

# (page key, limit on the app's p95 in seconds, what the target says)
P95_TARGETS = [
    ("list", 0.020, "article list unfiltered p95 <= 20 ms"),
    ("filter1", 0.015, "one filter p95 <= 15 ms"),
    ("filter3", 0.015, "three filters p95 <= 15 ms"),
    ("search_rare", 0.030, "search, rare term p95 <= 30 ms"),
    ("search_common", 0.130, "search, common term p95 <= 130 ms"),
    ("statements", 0.040, "statement list p95 <= 40 ms"),
]
PG_TARGETS = [("search_rare", 0.040, "PostgreSQL: search, rare term p95 <= 40 ms")]
PG_FACET_LIMIT = 0.025
LOAD_LIMIT = 5.0


def ms(seconds) -> str:
    return "-" if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)) else f"{seconds * 1000:.1f}"


def ratio(value) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1f}x"


def divide(a, b):
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def verdict(ok) -> str:
    return "n/a" if ok is None else ("pass" if ok else "MISS")


def table(headers: list[str], rows: list[list]) -> tuple[str, str]:
    """The same table as aligned text and as Markdown."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [
        max(len(headers[i]), *(len(row[i]) for row in cells)) if cells else len(headers[i]) for i in range(len(headers))
    ]
    text = "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [headers, ["-" * width for width in widths], *cells]
    )
    markdown = "\n".join(
        ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in cells]
    )
    return text, markdown


def figure(results: dict, *path):
    node = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def targets(results: dict, facet_pages) -> list[list]:
    rows = []
    app = figure(results, "app", "pages") or {}
    floor = results.get("floor", {})
    captured = results.get("captured", {})
    default = figure(results, "datasette", "default") or {}
    nosuggest = figure(results, "datasette", "nosuggest") or {}

    def p95(figures, key):
        return figure(figures, key, "p95")

    for key, limit, text in P95_TARGETS:
        value = p95(app, key)
        rows.append([text, f"{ms(value)} ms", verdict(None if value is None else value <= limit)])
    floor_ratio = divide(p95(app, "list"), figure(floor, "list", "p95"))
    # What the app's stack costs with no page to make: its health check (one query) over the list's floor.
    stack = divide(p95(app, "healthz"), figure(floor, "list", "p95"))
    rows.append(
        [
            "article list unfiltered p95 <= 2x its SQL floor's p95",
            ratio(floor_ratio) + ("" if stack is None else f" (the health check alone: {ratio(stack)})"),
            verdict(None if floor_ratio is None else floor_ratio <= 2),
        ]
    )
    scratch_ratio = divide(figure(app, "list", "first"), figure(floor, "list", "cold_median"))
    rows.append(
        [
            "the same, made from scratch: the first request <= 2x the SQL floor of the queries it makes",
            ratio(scratch_ratio),
            verdict(None if scratch_ratio is None else scratch_ratio <= 2),
        ]
    )
    for key in facet_pages:
        speedup = divide(figure(default, key, "median"), figure(app, key, "median"))
        rows.append(
            [f">= 10x faster than Datasette default: {key}", ratio(speedup), verdict(speedup and speedup >= 10)]
        )
    for key in ("search_rare", "search_common"):
        speedup = divide(figure(default, key, "median"), figure(app, key, "median"))
        ok = None if speedup is None else speedup >= 3
        rows.append([f">= 3x faster than Datasette default: {key}", ratio(speedup), verdict(ok)])
    # The pages Datasette has an equivalent of (a page it cannot answer still counts, as n/a).
    no_equivalent = {page["key"] for page in results.get("pages", []) if not page.get("datasette")}
    compared = [key for key in app if key not in no_equivalent]
    for key in compared:
        speedup = divide(figure(nosuggest, key, "median"), figure(app, key, "median"))
        ok = None if speedup is None else speedup >= 1.3
        rows.append([f">= 1.3x faster than Datasette _nosuggest: {key}", ratio(speedup), verdict(ok)])
    for key in compared:
        more = divide(figure(app, key, "rps"), figure(nosuggest, key, "rps"))
        ok = None if more is None else more >= 2
        rows.append([f">= 2x Datasette _nosuggest's throughput: {key}", ratio(more), verdict(ok)])
    for page in results.get("pages", []):
        entry = captured.get(page["key"], {})
        if page["list_page"] and entry.get("facets") is not None:
            # Judged on the page made from scratch too (its counts and keys not yet kept), which asks most.
            warm, limit = len(entry["queries"]), 3 + entry["facets"]
            cold = results.get("floor", {}).get(page["key"], {}).get("cold_queries")
            most = max(warm, cold if isinstance(cold, int) else 0)
            measured = f"{warm} kept, {cold} from scratch" if isinstance(cold, int) else f"{warm}"
            rows.append(
                [f"SQL queries <= 3 + facets: {page['key']}", f"{measured} (limit {limit})", verdict(most <= limit)]
            )
    deep = divide(p95(app, "deep"), p95(app, "list"))
    rows.append(["deep page p95 <= 1.5x page 1's", ratio(deep), verdict(None if deep is None else deep <= 1.5)])
    load = figure(results, "load", "seconds")
    rows.append(
        [
            f"load {figure(results, 'load', 'loaded') or 10_000:,} articles from fixtures <= 5 s",
            "-" if load is None else f"{load:.1f} s",
            verdict(None if load is None else load <= LOAD_LIMIT),
        ]
    )
    pg = figure(results, "app_pg", "pages")
    if pg is not None:
        for key in facet_pages:
            value = p95(pg, key)
            ok = None if value is None else value <= PG_FACET_LIMIT
            rows.append([f"PostgreSQL: facet page p95 <= 25 ms: {key}", f"{ms(value)} ms", verdict(ok)])
        for key, limit, text in PG_TARGETS:
            value = p95(pg, key)
            rows.append([text, f"{ms(value)} ms", verdict(None if value is None else value <= limit)])
    return rows


# The pages whose first request computes its own counts (each has a filter state of its own).
FROM_SCRATCH_PAGES = ("list", "filter1", "filter3", "search_rare", "search_common", "statements")


def ratio_rows(results: dict) -> list[list]:
    app = figure(results, "app", "pages") or {}
    cached = figure(results, "app_cached", "pages") or {}
    default = figure(results, "datasette", "default") or {}
    nosuggest = figure(results, "datasette", "nosuggest") or {}
    floor = results.get("floor", {})
    rows = []
    for page in results.get("pages", []):
        key = page["key"]
        rows.append(
            [
                key,
                ratio(divide(figure(default, key, "median"), figure(app, key, "median"))),
                ratio(divide(figure(nosuggest, key, "median"), figure(app, key, "median"))),
                ratio(divide(figure(app, key, "p95"), figure(floor, key, "p95"))),
                # Only where the first request meets the counts cold: not a detail page (no counts; its
                # first request is the worker's first) nor the deep page (the list's counts are kept).
                ratio(divide(figure(app, key, "first"), figure(floor, key, "cold_median")))
                if key in FROM_SCRATCH_PAGES
                else "-",
                ratio(divide(figure(app, key, "rps"), figure(default, key, "rps"))),
                ratio(divide(figure(app, key, "rps"), figure(nosuggest, key, "rps"))),
                ratio(divide(figure(nosuggest, key, "median"), figure(cached, key, "median"))),
                ratio(divide(figure(cached, key, "rps"), figure(nosuggest, key, "rps"))),
            ]
        )
    return rows


def latency_rows(results: dict, figures: dict | None, with_queries: str | None = None) -> list[list]:
    rows = []
    for page in results.get("pages", []):
        entry = (figures or {}).get(page["key"])
        if entry is None:
            continue
        row = [
            page["key"],
            ms(entry.get("median")),
            ms(entry.get("p95")),
            ms(entry.get("first")),
            "-" if entry.get("rps") is None else f"{entry['rps']:.1f}",
            entry.get("n", "-"),
            f"{entry.get('bytes', 0) / 1024:.0f}",
            entry.get("errors", 0) + entry.get("tput_errors", 0),
        ]
        if with_queries:
            captured = results.get(with_queries, {}).get(page["key"], {})
            row.append(len(captured.get("queries", [])) if captured else "-")
        rows.append(row)
    return rows


def render(results: dict, facet_pages) -> tuple[str, str]:
    args = results["args"]
    pages = results.get("pages", [])
    datasette = results.get("datasette", {})
    text_parts, md = [], []

    md.append("# Benchmarks\n")
    md.append(
        "Written by `bench/run_bench.py` (`make bench`); every figure below comes from one run on "
        f"{results['started'][:10]}, on the machine described under [Machine](#machine). "
        "Re-run it rather than edit this file.\n"
    )
    md.append(
        f"Synthetic archive: {args['articles']} articles, seed {args['seed']} "
        f"(`manage.py generate_archive`); {args['requests']} timed requests a page after 3 warm-up ones; "
        f"throughput with 4 concurrent clients for {float(args['duration']):g} s a page.\n"
    )

    headers = [
        "page",
        "DS default / app",
        "DS _nosuggest / app",
        "app p95 / SQL floor p95",
        "app first / its SQL floor from scratch",
        "app / DS default req/s",
        "app / DS _nosuggest req/s",
        "DS _nosuggest / app, page cache",
        "app, page cache / DS _nosuggest req/s",
    ]
    text, markdown = table(headers, ratio_rows(results))
    md += [
        "## Ratios\n",
        "DS … / app: Datasette's median latency over the app's (above 1: the app is faster). "
        "app p95 / SQL floor p95: how many times its own SQL's p95 the app's page takes. "
        "app first / its SQL floor from scratch: the page's first request, which computes its counts and page "
        "keys, over the same queries replayed with sqlite3 (below 2: the app adds less than the database's own work). "
        "req/s: the app's throughput over Datasette's (above 1: the app serves more). "
        "The app's pages are made afresh for every request (its whole-page cache off); the last two columns are "
        "the app as deployed, whose repeat visits to a page at the same archive revision are served whole "
        "(see [Caches](#method)). The targets below are judged on the pages made afresh.\n",
        markdown,
        "",
    ]
    text_parts += ["RATIOS", text, ""]

    text, markdown = table(["target", "measured", "verdict"], targets(results, facet_pages))
    md += ["## Targets\n", markdown, ""]
    text_parts += ["TARGETS", text, ""]

    md.append("## Absolute figures\n")
    md.append(
        "Latency in ms; first = the page's first (warm-up) request, against cold caches; req/s with 4 clients; "
        "n = timed requests; KiB = response size; errors over both runs.\n"
    )
    md.append("Pages:\n")
    md += [f"- `{page['key']}`: {page['label']} — app `{page['app']}`" for page in pages]
    md.append("")
    contestants = [
        ("App on SQLite (gunicorn, 2 workers), each page made afresh", figure(results, "app", "pages"), "captured"),
        (
            "App on SQLite as deployed: whole-page cache on (a kept page costs 1 SQL query)",
            figure(results, "app_cached", "pages"),
            None,
        ),
        (f"Datasette {datasette.get('version', '')}, default settings", datasette.get("default"), None),
        ("Datasette, `_nosuggest=1`", datasette.get("nosuggest"), None),
        ("App on PostgreSQL (gunicorn, 2 workers)", figure(results, "app_pg", "pages"), "captured_pg"),
    ]
    for title, figures, queries in contestants:
        if not figures:
            continue
        headers = ["page", "median", "p95", "first", "req/s", "n", "KiB", "errors"] + (
            ["SQL queries"] if queries else []
        )
        text, markdown = table(headers, latency_rows(results, figures, queries))
        md += [f"### {title}\n", markdown, ""]
        text_parts += [title.upper(), text, ""]

    floor_rows = []
    for page in pages:
        entry = results.get("floor", {}).get(page["key"], {})
        captured = results.get("captured", {}).get(page["key"], {})
        floor_rows.append(
            [
                page["key"],
                len(captured.get("queries", [])),
                captured.get("facets") if captured.get("facets") is not None else "-",
                ms(entry.get("median")),
                ms(entry.get("p95")),
                entry.get("cold_queries", "-"),
                ms(entry.get("cold_median")),
                entry.get("error", "") or entry.get("cold_error", ""),
            ]
        )
    headers = [
        "page",
        "SQL queries",
        "facets",
        "floor median",
        "floor p95",
        "queries from scratch",
        "floor from scratch, median",
        "error",
    ]
    text, markdown = table(headers, floor_rows)
    md += ["### SQL floor (the app's own queries replayed with sqlite3)\n", markdown, ""]
    text_parts += ["SQL FLOOR", text, ""]

    states = states_section(results)
    if states:
        section, text = states
        md += [section, ""]
        text_parts += ["FIRST VISITS TO DISTINCT FILTER STATES", text, ""]

    json_figures = figure(results, "app", "json")
    if json_figures:
        rows = [
            [key, ms(entry.get("median")), ms(entry.get("p95")), entry.get("n"), f"{entry.get('bytes', 0) / 1024:.0f}"]
            for key, entry in json_figures.items()
        ]
        _, markdown = table(["page", "median", "p95", "n", "KiB"], rows)
        md += ["### The app's `&format=json` variants (SQLite, latency only)\n", markdown, ""]

    def mib(values) -> str:
        return ", ".join(f"{kib / 1024:.0f}" for kib in values) if values else "-"

    memory_rows = []
    for name, node in (
        ("app on SQLite", results.get("app")),
        ("app on SQLite, page cache", results.get("app_cached")),
        ("app on PostgreSQL", results.get("app_pg")),
    ):
        memory = (node or {}).get("memory_kib")
        if memory:
            memory_rows.append([f"{name}: each gunicorn worker", mib(memory["workers"]), mib(node.get("anon_kib"))])
            if memory.get("master"):
                memory_rows.append([f"{name}: gunicorn master", mib([memory["master"]]), "-"])
    if datasette.get("memory_kib"):
        memory_rows.append(
            ["Datasette (one process)", mib(datasette["memory_kib"].values()), mib(datasette.get("anon_kib"))]
        )
    if memory_rows:
        text, markdown = table(["process", "peak RSS (VmHWM), MiB", "RssAnon after the run, MiB"], memory_rows)
        md += [
            "### Memory after the run\n",
            "VmHWM counts pages of the database file a process has memory-mapped (the app's SQLite settings map up "
            "to 256 MB: `mmap_size`), which are the kernel's page cache, shared between workers; RssAnon is the "
            "process's own memory.\n",
            markdown,
            "",
        ]
        text_parts += ["MEMORY", text, ""]

    load = results.get("load")
    if load:
        md += [
            "### Loading fixtures\n",
            f"`manage.py load_archive` of {load['files']:,} article files ({load['articles']:,} articles, "
            f"{load['statements']:,} statements) into a fresh migrated SQLite archive took "
            f"**{load['seconds']:.1f} s** (target 5 s: {verdict(load['seconds'] <= LOAD_LIMIT)})"
            + (
                f", the median of {len(load['runs'])} runs, each into its own copy of the same archive "
                f"({', '.join(f'{run:.1f}' for run in load['runs'])} s)"
                if load.get("runs")
                else ""
            )
            + f"; {load['loaded']:,} articles were in the database afterwards.\n",
        ]
        text_parts += [f"LOAD: {load['articles']:,} articles in {load['seconds']:.1f} s", ""]

    warming = results.get("warming")
    if warming:
        md += [warming_section(warming), ""]
        text_parts += [
            "FIRST VISITS (ms, warming off / on): "
            + ", ".join(
                f"{event} {label} {warming[f'{event}_off'][label]:.0f}/{warming[f'{event}_on'][label]:.0f}"
                for event in ("start", "write")
                for label in warming[f"{event}_on"]
            ),
            "",
        ]

    checks = datasette.get("checks") or {}
    if checks:
        rows = [
            [
                key,
                check.get("app_count", "-"),
                check.get("count", "-"),
                ", ".join(check.get("facets_requested", [])) or "-",
                ", ".join(check.get("facets", [])) or "none",
                ", ".join(check.get("facets_timed_out", [])) or "none",
                check.get("suggested_facets", "-"),
            ]
            for key, check in checks.items()
        ]
        _, markdown = table(
            [
                "page",
                "app's count",
                "Datasette's count",
                "facets asked of Datasette",
                "facets it showed",
                "facets it gave up on",
                "facets suggested",
            ],
            rows,
        )
        md += [
            "### Are the pages equivalent?\n",
            "Rows counted by each side (from the app's `format=json` and Datasette's `.json`), the facets "
            "Datasette was asked for, those it showed and those it gave up on (past its `facet_time_limit_ms` of "
            "200 ms: a page that drops a facet does less work than the app's), and how many facets it suggested "
            "(default variant). Datasette answers 400 instead of a page when a query runs past its "
            "`sql_time_limit_ms` (1 s); those answers are counted as errors above.\n",
            markdown,
            "",
        ]

    md.append("## Machine\n")
    _, markdown = table(
        ["", ""],
        [[key, value] for key, value in results["machine"].items()] + [["Datasette", datasette.get("version", "-")]],
    )
    md += [markdown, "", f"Run from {results['started']} to {results.get('finished', '?')}.", ""]
    md.append("## Data\n")
    _, markdown = table(
        ["", ""], [[key, f"{value:,}" if isinstance(value, int) else value] for key, value in results["data"].items()]
    )
    md += [markdown, ""]
    md.append(method(results))
    return "\n".join(text_parts), "\n".join(md) + "\n"


def states_section(results: dict) -> tuple[str, str] | None:
    """First visits to distinct filter states: what a visitor who picks a filter no one picked since the
    last write waits for, against Datasette with ``_nosuggest=1`` on the same states."""
    app = figure(results, "app", "states") or {}
    if not app:
        return None
    datasette = results.get("datasette", {}).get("states_nosuggest") or {}
    postgres = figure(results, "app_pg", "states") or {}
    rows = []
    for state in results.get("states", []):
        key = state["key"]
        mine, theirs, pg = app.get(key, {}), datasette.get(key, {}), postgres.get(key, {})
        rows.append(
            [
                key,
                len(state["app"]),
                ms(mine.get("median")),
                ms(mine.get("p95")),
                ms(theirs.get("median")),
                ms(theirs.get("p95")),
                ratio(divide(theirs.get("median"), mine.get("median"))),
                ms(pg.get("median")) if pg else "-",
                ms(pg.get("p95")) if pg else "-",
                (mine.get("errors", 0) or 0) + (theirs.get("errors", 0) or 0) + (pg.get("errors", 0) or 0),
            ]
        )
    text, markdown = table(
        [
            "states",
            "n",
            "app median",
            "app p95",
            "DS _nosuggest median",
            "DS _nosuggest p95",
            "DS _nosuggest / app",
            "app on PostgreSQL, median",
            "p95",
            "errors",
        ],
        rows,
    )
    listed = "\n".join(
        f"- `{state['key']}`: {state['label']}, e.g. app `{state['app'][0]}`, Datasette `{state['datasette'][0]}`"
        for state in results["states"]
    )
    section = (
        "### First visits to distinct filter states\n\n"
        "The pages above are each one address asked for again and again; after its first request the app "
        "serves that address's counts and page keys from its cache (kept per filter state and archive "
        "revision, and emptied by any write). Here each kind of filtered page is asked for in distinct "
        "states, each once, so that every request is a first visit: what a visitor waits for who picks a "
        "filter no one has picked since the last write (the unfiltered lists having been counted, as the "
        "background warming sees to in production: a facet of a state that narrows only that facet is read "
        "from their counts, see `FacetedFilterSet._count_facets`). Datasette (`_nosuggest=1`) keeps nothing between "
        "requests either way; a statement's publisher and year are its article's, which it reaches with a "
        "subquery in `_where` (it counts two facets there, speaker and kind, to the app's four). The contestants "
        "take turns state by state; latency in ms. No target is "
        "judged on these figures (the issue's are on warm requests), but they are the app's slowest "
        "ordinary answers.\n\n" + listed + "\n\n" + markdown
    )
    return section, text


def warming_section(warming: dict) -> str:
    """First visits to the lists the background warming (archive/warming.py) warms, with it off and on."""
    waited = warming["waited_s"]
    rows = [
        [
            label,
            f"{warming['start_off'][label]:.1f}",
            f"{warming['start_on'][label]:.1f}",
            f"{warming['write_off'][label]:.1f}",
            f"{warming['write_on'][label]:.1f}",
        ]
        for label in warming["start_on"]
    ]
    _, markdown = table(
        [
            "list",
            "after the start, warming off (ms)",
            "on (ms)",
            "after a write, warming off (ms)",
            "on (ms)",
        ],
        rows,
    )
    return (
        "### First visits: the lists warmed in the background\n\n"
        "The first request to each unfiltered list, and to one kind of article and one of statement, one after "
        "another, on a copy of the archive served as deployed "
        "(gunicorn, 2 workers, page cache on): once after the server started, and once after a write "
        "(one article updated, as an editor's save). With warming on, each serving process counts the "
        "lists in the background when it starts and when the archive revision changes (`archive/warming.py`); "
        f"the visits came once both workers had logged the warm: {waited['start']:.1f} s after the start, "
        f"{waited['write']:.1f} s after the write. With it off, the visits came as long after the same event.\n\n"
        + markdown
    )


def method(results: dict) -> str:
    args = results["args"]
    datasette = results.get("datasette", {})
    pages = results.get("pages", [])
    addresses = "\n".join(
        f"| `{page['key']}` | `{page['app']}` | "
        + (f"`{page['datasette']}`" if page["datasette"] else "none")
        + f" | {page['note']} |"
        for page in pages
    )
    if args.get("run"):
        rounds = (
            f"in each round, each contestant one untimed request and then {args['run']} timed ones in a row. A request "
            "that follows another server's finds its process's memory pushed out of the CPU's caches by the other's "
            "work, and a page of a few milliseconds takes a millisecond or more longer (as it does when the client "
            "touches 64 MB between requests). One request to each in turn timed every request so, and unevenly: "
            "Datasette with and without `_nosuggest` is one process, so its requests often followed its own, the "
            "app's never. Every timed request now follows one to the same server and page (runs before 2026-12-07 "
            "took one request each)."
        )
    else:
        rounds = "one request to each."
    return f"""## Method

**Contestants.** All against the same generated file. The app on SQLite and Datasette run side by side (both
servers up, their requests interleaved: see *Timing*); the app with its page cache and the app on PostgreSQL
are measured afterwards, each alone:

- *App on SQLite*: `gunicorn archive.wsgi:application --workers 2 --bind 127.0.0.1:PORT`, with production
  settings (`DJANGO_DEBUG=0`, a secret key, `DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost`,
  `DATABASE_URL=sqlite:///…/bench/archive-N.sqlite3`) after `manage.py collectstatic`. As in any deployment
  through `archive.wsgi`, each worker collects the objects a request leaves in reference cycles once its response
  has gone, not during a later request (`archive/garbage.py`): a request's latency does not include that work; the
  throughput runs, which keep both workers busy, do.
- *Datasette*: the pinned version from `requirements-bench.txt`, in its own virtualenv
  (`bench/.venv-datasette`), started as `datasette {datasette.get("argv", "serve -i FILE --host 127.0.0.1 --port P")}`.
  Every Datasette setting is its default (`sql_time_limit_ms` 1000, `facet_time_limit_ms` 200,
  `facet_suggest_time_limit_ms` 50, `num_sql_threads` 3, …). `-i` opens the file immutable: right for a read-only
  benchmark (the app's file does not change while it is measured) and what Datasette recommends for publishing a
  file that does not change; it lets Datasette skip change detection and cache table counts. The metadata file
  only names the FTS table (`fts_table`, `fts_pk`): Datasette detects an FTS table by itself only when its
  `content=` option names the table in double quotes or brackets, and the app's migration uses single quotes.
  Datasette is measured twice: as is, and with `_nosuggest=1` on every address, which turns off the facet
  suggestions it otherwise computes on every table page.
- *SQL floor*: the SQL the app issues for each page, captured by requesting the page in-process
  (`django.test.Client` under `CaptureQueriesContext`, production settings, the second request of two), replayed
  in order with Python's `sqlite3` on one read-only (`mode=ro`) connection kept open, fetching every row. The
  connection is set up as the app's are: the PRAGMAs of its settings' `init_command`
  ({", ".join(f"`{pragma}`" for pragma in results.get("floor_pragmas", [])) or "none"}; those that would write
  are refused by a read-only connection) and the SQL functions Django registers. It is what the page costs with
  no Python, no ORM and no template: the best the app could do with the same queries. *From scratch*: the
  queries the same page makes with the cache emptied first (`cache.clear()`), so that it counts its facets and
  finds its page keys again, as the first request after any write does; replayed the same way, once to warm the
  file's pages and then up to 5 times (median). The app's *first* request is compared with it.
- *App on PostgreSQL* (with `--postgres`, or started with `DATABASE_URL` naming PostgreSQL: then
  `archive_bench_<N>` on its server, never its own database): the same gunicorn command with `DATABASE_URL`
  naming a database that `generate_archive --database-url` filled with the same seed. The app's prepared queries
  (a list page's rows, the detail pages' questions) are prepared statements there, planned once per connection
  (`archive/prepared.py`). Datasette and the floor are SQLite-only.

**Data.** `generate_archive --articles N --seed S` fills `bench/archive-N.sqlite3` (and the PostgreSQL database,
if the run measures one). With `--reuse` an existing file is used again; if the app has gained migrations since it
was generated they are applied to it, followed by `ANALYZE` as at the end of `generate_archive` (indexes added
without statistics can make SQLite choose very different plans). Before Datasette and the floor read the file,
its write-ahead log is checkpointed into it: `-i` reads the main file only. The PostgreSQL database is given
`VACUUM (ANALYZE)` before anything is timed, as autovacuum would have done on a production server: without it no
page is marked all-visible and the covering indexes cannot answer counts alone.

**Timing.** A stdlib client (`http.client`, a new connection a request, on 127.0.0.1) requests each page 3 times
to warm up, then {args["requests"]} times: median and p95 (nearest rank: with 40 samples, the 38th fastest) of the
full request time. The app on SQLite, Datasette and Datasette with `_nosuggest=1` are timed together, page by page,
in rounds, one request at a time, the order rotating from round to round: {rounds} A shared machine's speed
drifts (other tenants, steal time), and contestants timed one after the other, minutes apart, can meet different
machines; interleaved, each meets the same moments, so the ratios hold when the absolute figures move. Then, for
each contestant in turn and straight after the page's latencies, 4 client threads request the page back to back for
{float(args["duration"]):g} s: requests completed per second (requests in flight at the end are let finish and the
clock runs until they have). Client and server share the machine's 2 cores, so throughput is what the machine does
with both. A page that does not answer 200 counts as an error and is not timed. Peak memory is each process's
`VmHWM` from `/proc/PID/status` after all its pages. "Faster" in the targets compares median latencies; "<= 2x SQL
floor" compares p95s. Facet pages are `{"`, `".join(("list", "filter1", "filter3", "statements"))}`.

**Caches.** Each page is requested again and again at the same address, so whatever the app or Datasette
caches is warm for the timed requests (the app caches facet counts and page keys per filter state and archive
revision); the *first* column is the page's first request, which meets them cold. The app also keeps whole public
pages per archive revision for visitors without a session (`archive/page_cache.py`): with it on, every timed
request after the first would be the same kept page. So the app is measured twice: with `ARCHIVE_PAGE_CACHE=0`,
each page made afresh (the figures the targets are judged on, and the SQL captured), and as deployed, with the
page cache on. Both run without the background warming of the unfiltered lists (`ARCHIVE_WARM_LISTS=0`), so that a
first request is the cost of making the page from scratch, not a race with the warm; *First visits* measures the
warming on its own.

**Queries per page** are the captured queries; the list-page target allows 3 + the number of facets the view
counts (from its FilterSet).

**Loading.** The first {min(10_000, int(args["articles"])):,} synthetic articles are exported with their statements
as natural-key fixtures (`use_natural_foreign_keys`, `use_natural_primary_keys`), one file an article as in
`fixtures/articles/`, and the publishers and people they refer to into one more file. A fresh SQLite archive is
migrated and given the real fixtures (`load_archive`, for the authorities and inspections) and that file of
referenced objects, untimed; then `manage.py load_archive FILE…` of the article files is timed as a whole
(process start included), with production settings (DEBUG off).

**Equivalents.** The app's article list counts six facets (publisher, year, kind, person quoted, inspection
judgement, local authority); Datasette can facet only on columns of the table it lists, so its equivalent counts
publisher (`publisher_id`, labelled through the foreign key), `year` and `kind`, and cannot count the three that
go through other tables (`_facet_array` is for JSON arrays in a column, not for joins). Likewise on the statement
list: speaker (`speaker_id`) and `kind` of the app's speaker, publisher, year and kind. Datasette is given the
app's page size (`_size=20`) and order (`_sort_desc=published_on`) so it renders as many rows in the same order.

| page | app | Datasette | difference |
|---|---|---|---|
{addresses}
"""
