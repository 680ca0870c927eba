"""The pages measured, and each one's Datasette equivalent.

Datasette's equivalents are as close as Datasette allows; docs/benchmarks.md
(written by report.py) says where they differ.
"""

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PAGE_SIZE = 20  # the app's ARCHIVE_PAGE_SIZE; Datasette is given the same with _size
DEEP_PAGE = 2_500
ARTICLE_SLUG = "synthetic-123"
PERSON_SLUG = "person-7"
PUBLISHER_SLUG = "publisher-0"
RARE_TERM, COMMON_TERM = "kinship", "safeguarding"

# First visits: how many distinct filter states each kind of filtered page is measured on.
STATES = 40
STATE_YEARS = (2019, 2015, 2011, 2023)
# The kinds' values (articles.models.ArticleKind, people.models.StatementKind): the bench imports none of the app.
ARTICLE_KINDS = ("news-report", "press-release", "feature", "opinion")
STATEMENT_KINDS = ("direct", "reported")

# Pages whose facets the Datasette targets talk about ("facet pages").
FACET_PAGES = ("list", "filter1", "filter3", "statements")
SEARCH_PAGES = ("search_rare", "search_common")


def with_param(path: str, param: str) -> str:
    """The address with one more query parameter (``name=value``) after any it has."""
    return path + ("&" if "?" in path else "?") + param


@dataclass
class Page:
    key: str
    label: str
    app: str  # the app's address
    datasette: str | None  # Datasette's equivalent (None: it has none)
    note: str = ""  # why Datasette's page differs, or has none
    list_page: bool = True  # a faceted list: its queries count against 3 + facets


@dataclass
class DataFacts:
    """What the page addresses depend on, read from the SQLite file."""

    publisher_id: int
    article_id: int
    person_id: int
    published: int
    deep_page: int
    deep_token: str | None
    fts_table: str | None
    # The records whose pages list the most: the most quoted person, the authority most written about.
    top_person: tuple[str, int, int]  # slug, id, statements
    top_authority: tuple[str, int, int]  # slug, id, articles about its inspections


def tilde_encode(text: str) -> str:
    """Datasette's escaping for values inside a _next token (anything but [A-Za-z0-9_-] becomes ~XX)."""
    safe = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    return "".join(char if char in safe else "".join(f"~{byte:02X}" for byte in char.encode()) for char in text)


def read_facts(database: Path) -> DataFacts:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:

        def one(sql, *params):
            row = connection.execute(sql, params).fetchone()
            if row is None:
                raise SystemExit(f"{database}: nothing for {sql} {params}: is it a generated archive?")
            return row[0]

        publisher_id = one("SELECT id FROM articles_publisher WHERE slug = ?", PUBLISHER_SLUG)
        article_id = one("SELECT id FROM articles_article WHERE slug = ?", ARTICLE_SLUG)
        person_id = one("SELECT id FROM people_person WHERE slug = ?", PERSON_SLUG)
        published = one("SELECT count(*) FROM articles_article WHERE status = 'published'")
        # A small archive has no page 2,500: measure its last page instead.
        deep_page = max(1, min(DEEP_PAGE, -(-published // PAGE_SIZE)))
        deep_token = None
        if deep_page > 1:
            # Datasette pages by keyset: its _next token for page N is the sort value and primary key
            # of the last row of page N - 1, in its order (published_on descending, then id).
            row = connection.execute(
                "SELECT published_on, id FROM articles_article WHERE status = 'published' "
                "ORDER BY published_on DESC, id LIMIT 1 OFFSET ?",
                ((deep_page - 1) * PAGE_SIZE - 1,),
            ).fetchone()
            deep_token = f"{tilde_encode(str(row[0]))},{tilde_encode(str(row[1]))}"
        fts_table = None
        for name, sql in connection.execute("SELECT name, sql FROM sqlite_master WHERE sql LIKE '%VIRTUAL TABLE%'"):
            compact = sql.lower().replace(" ", "")
            if "usingfts" in compact and any(
                f"content={quoted}" in compact
                for quoted in ("'articles_article'", '"articles_article"', "[articles_article]", "articles_article,")
            ):
                fts_table = name
        top_person = connection.execute(
            "SELECT p.slug, p.id, count(*) FROM people_statement s JOIN people_person p ON p.id = s.speaker_id "
            "GROUP BY p.id ORDER BY count(*) DESC, p.id LIMIT 1"
        ).fetchone()
        top_authority = connection.execute(
            "SELECT a.slug, a.id, count(*) FROM articles_article_inspections l "
            "JOIN articles_inspection i ON i.id = l.inspection_id "
            "JOIN articles_localauthority a ON a.id = i.authority_id "
            "GROUP BY a.id ORDER BY count(*) DESC, a.id LIMIT 1"
        ).fetchone()
    return DataFacts(
        publisher_id, article_id, person_id, published, deep_page, deep_token, fts_table, top_person, top_authority
    )


def datasette_articles(database_name: str) -> str:
    """Datasette's article list: facets on the columns the app facets on that live in the table itself
    (Datasette cannot facet through a join: person quoted, inspection judgement, local authority)."""
    return (
        f"/{quote(database_name)}/articles_article?status=published&_facet=publisher_id&_facet=year&_facet=kind"
        f"&_size={PAGE_SIZE}&_sort_desc=published_on"
    )


def datasette_statements(database_name: str) -> str:
    return f"/{quote(database_name)}/people_statement?_facet=speaker_id&_facet=kind&_size={PAGE_SIZE}"


def build_pages(database_name: str, facts: DataFacts) -> list[Page]:
    articles = datasette_articles(database_name)
    search_note = (
        "Datasette's table page cannot sort by relevance: it sorts the matches by date, the app by rank"
        if facts.fts_table
        else "N/A: the file has no FTS table over articles_article"
    )

    def search(term):
        return f"{articles}&_search={term}" if facts.fts_table else None

    deep = f"{articles}&_next={quote(facts.deep_token)}" if facts.deep_token else articles
    deep_label = f"page {facts.deep_page:,} of the article list"
    if facts.deep_page < DEEP_PAGE:
        deep_label += f" (the last; there is no page {DEEP_PAGE:,})"
    return [
        Page("list", "article list, facets, unfiltered", "/articles/", articles),
        Page(
            "filter1",
            "article list, one filter",
            f"/articles/?publisher={PUBLISHER_SLUG}",
            f"{articles}&publisher_id={facts.publisher_id}",
        ),
        Page(
            "filter3",
            "article list, three filters",
            f"/articles/?publisher={PUBLISHER_SLUG}&year=2019&kind=news-report",
            f"{articles}&publisher_id={facts.publisher_id}&year=2019&kind=news-report",
        ),
        Page(
            "search_rare",
            f"search, rare term ({RARE_TERM})",
            f"/articles/?q={RARE_TERM}",
            search(RARE_TERM),
            search_note,
        ),
        Page(
            "search_common",
            f"search, common term ({COMMON_TERM})",
            f"/articles/?q={COMMON_TERM}",
            search(COMMON_TERM),
            search_note,
        ),
        Page(
            "statements",
            "statement list, facets",
            "/statements/",
            datasette_statements(database_name),
            "Datasette lists every statement (it cannot hide those of unpublished articles without a join)",
        ),
        Page(
            "article",
            f"article page ({ARTICLE_SLUG})",
            f"/articles/{ARTICLE_SLUG}/",
            f"/{quote(database_name)}/articles_article/{facts.article_id}",
            "Datasette's row page: the row and counts of rows linking to it",
            list_page=False,
        ),
        Page(
            "person",
            f"person page ({PERSON_SLUG})",
            f"/people/{PERSON_SLUG}/",
            f"/{quote(database_name)}/people_person/{facts.person_id}",
            "Datasette's row page: the row and counts of rows linking to it",
            list_page=False,
        ),
        Page(
            "person_top",
            f"person page, the most quoted ({facts.top_person[0]}, {facts.top_person[2]:,} statements)",
            f"/people/{facts.top_person[0]}/",
            f"/{quote(database_name)}/people_person/{facts.top_person[1]}",
            "Datasette's row page: the row and counts of rows linking to it",
            list_page=False,
        ),
        Page(
            "authority",
            f"authority page, the most written about ({facts.top_authority[0]}, {facts.top_authority[2]:,} articles)",
            f"/authorities/{facts.top_authority[0]}/",
            None,
            "N/A: Datasette's row page of an authority shows its row and a count of its inspections, none of the "
            "articles, statements or timeline the app's page lists",
            list_page=False,
        ),
        Page(
            "healthz",
            "health check: one query, a line of JSON (what any answer of the app costs)",
            "/healthz",
            None,
            "N/A: measured as the floor of the app's own stack (gunicorn, Django's middleware, one query)",
            list_page=False,
        ),
        Page(
            "deep",
            deep_label,
            f"/articles/?page={facts.deep_page}",
            deep,
            "Datasette pages by keyset: its _next token for the same rows (no OFFSET)",
        ),
    ]


@dataclass
class States:
    """One kind of filtered page, asked for in many states, each once: every request is a first visit."""

    key: str
    label: str
    app: list[str]
    datasette: list[str]

    @classmethod
    def over(cls, key: str, label: str, values, app: Callable, datasette: Callable) -> "States":
        """A state for each value: the app's address and Datasette's, each made from the value."""
        return cls(key, label, [app(value) for value in values], [datasette(value) for value in values])


def of_articles(condition: str) -> str:
    """Datasette's ``_where`` for statements of published articles meeting ``condition``."""
    articles = f"SELECT id FROM articles_article WHERE status = 'published' AND {condition}"
    return "_where=" + quote(f"article_id IN ({articles})")


def build_states(database: Path, facts: DataFacts) -> list[States]:
    """Distinct filter states of the filtered pages, none of them measured before in the run.

    The pages above are each one address asked for 43 times: after its first request the app serves
    its counts and page keys from its cache (kept per filter state and archive revision). A visitor
    who picks a filter no one has picked since the last write meets none of that; these states
    measure what they wait for, against Datasette with ``_nosuggest=1`` on the same states (it keeps
    nothing between requests either way). States use publishers, years and people other than the
    pages' own, so nothing is cached for them.
    """
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        publishers = connection.execute(
            "SELECT slug, id FROM articles_publisher WHERE slug GLOB 'publisher-[0-9]*' AND slug != ? ORDER BY id",
            (PUBLISHER_SLUG,),
        ).fetchall()
        # Speakers across the range of popularity: the most quoted and the rarely quoted alike.
        speakers = connection.execute(
            "SELECT slug, id FROM people_person WHERE slug GLOB 'person-[0-9]*' AND slug != ? ORDER BY id",
            (PERSON_SLUG,),
        ).fetchall()
        years = [
            year
            for (year,) in connection.execute(
                "SELECT DISTINCT year FROM articles_article WHERE status = 'published' AND year IS NOT NULL "
                "ORDER BY year DESC LIMIT ?",
                (STATES,),
            )
        ]
    if not publishers or not speakers:
        return []
    name = database.stem
    articles, statements = datasette_articles(name), datasette_statements(name)
    step = max(1, len(speakers) // STATES)
    speakers = speakers[::step][:STATES]
    one = publishers[:STATES]
    three = [(publisher, year) for year in STATE_YEARS for publisher in publishers][:STATES]
    states = [
        States.over(
            "filter1",
            "article list, one filter (publisher)",
            one,
            lambda publisher: f"/articles/?publisher={publisher[0]}",
            lambda publisher: f"{articles}&publisher_id={publisher[1]}",
        ),
        States.over(
            "filter1_year",
            "article list, one filter (year)",
            years,
            lambda year: f"/articles/?year={year}",
            lambda year: f"{articles}&year={year}",
        ),
        States.over(
            "filter1_kind",
            "article list, one filter (kind)",
            ARTICLE_KINDS,
            lambda kind: f"/articles/?kind={kind}",
            lambda kind: f"{articles}&kind={kind}",
        ),
        States.over(
            "filter3",
            "article list, three filters (publisher, year, kind)",
            three,
            lambda state: f"/articles/?publisher={state[0][0]}&year={state[1]}&kind=news-report",
            lambda state: f"{articles}&publisher_id={state[0][1]}&year={state[1]}&kind=news-report",
        ),
        States.over(
            "statements_speaker",
            "statement list, one filter (speaker)",
            speakers,
            lambda speaker: f"/statements/?speaker={speaker[0]}",
            lambda speaker: f"{statements}&speaker_id={speaker[1]}",
        ),
        # A statement's publisher and year are its article's: Datasette reaches them with a subquery
        # in ``_where`` (its table page cannot filter through a join otherwise).
        States.over(
            "statements_publisher",
            "statement list, one filter (publisher)",
            one,
            lambda publisher: f"/statements/?publisher={publisher[0]}",
            lambda publisher: f"{statements}&{of_articles(f'publisher_id = {publisher[1]}')}",
        ),
        States.over(
            "statements_year",
            "statement list, one filter (year)",
            years,
            lambda year: f"/statements/?year={year}",
            lambda year: f"{statements}&{of_articles(f'year = {year}')}",
        ),
        States.over(
            "statements_kind",
            "statement list, one filter (kind)",
            STATEMENT_KINDS,
            lambda kind: f"/statements/?kind={kind}",
            lambda kind: f"{statements}&kind={kind}",
        ),
    ]
    if facts.fts_table:
        for key, term in (("search_rare", RARE_TERM), ("search_common", COMMON_TERM)):
            states.append(
                States.over(
                    f"{key}_publisher",
                    f"search, {'rare' if term == RARE_TERM else 'common'} term ({term}), and one publisher",
                    one,
                    lambda publisher, term=term: f"/articles/?q={term}&publisher={publisher[0]}",
                    lambda publisher, term=term: f"{articles}&_search={term}&publisher_id={publisher[1]}",
                )
            )
    return states
