"""Cached unfiltered counts are never served after a write, whichever way the write is made."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from archive.models import ArchiveRevision
from articles.models import Article, ArticleStatus, Inspection, PublisherKind
from people.models import Person, Statement
from tests.factories import ArticleFactory, InspectionFactory, PersonFactory, PublisherFactory, StatementFactory

pytestmark = pytest.mark.django_db


def unfiltered(url="/articles/"):
    data = Client().get(f"{url}{'&' if '?' in url else '?'}format=json").json()
    return data["count"], {f: {o["value"]: o["count"] for o in opts} for f, opts in data["facets"].items()}


def test_orm_writes_show_at_once(django_assert_max_num_queries):
    count, facets = unfiltered()
    with django_assert_max_num_queries(3):  # revision, page, and nothing else: counts come from the cache
        unfiltered()
    publisher = PublisherFactory()
    ArticleFactory(publisher=publisher)
    new_count, new_facets = unfiltered()
    assert new_count == count + 1
    assert new_facets["publisher"][publisher.slug] == 1


def test_bulk_and_raw_sql_writes_show_at_once():
    count, _ = unfiltered()
    publisher = PublisherFactory()
    Article.objects.bulk_create(
        [
            Article(headline=f"Bulk {n}", slug=f"bulk-{n}", publisher=publisher, body="Text.", status="published")
            for n in range(3)
        ]
    )
    assert unfiltered()[0] == count + 3
    with connection.cursor() as cursor:
        cursor.execute("UPDATE articles_article SET status = %s WHERE slug = %s", [ArticleStatus.DRAFT, "bulk-0"])
    assert unfiltered()[0] == count + 2


def test_links_and_statements_show_at_once():
    article = ArticleFactory()
    _, facets = unfiltered()
    inspection = Inspection.objects.get(slug="sandwell-2017-11-sif-reinspection")
    before = facets["judgement"].get("inadequate", 0)
    article.inspections.add(inspection)
    assert unfiltered()[1]["judgement"]["inadequate"] == before + 1
    speaker = PersonFactory()
    StatementFactory(article=article, speaker=speaker, words="Second paragraph")
    assert unfiltered()[1]["person"].get(speaker.slug) == 1
    statements_before = unfiltered("/statements/")[0]
    StatementFactory(article=article, speaker=speaker, words="First paragraph", position=99)
    assert unfiltered("/statements/")[0] == statements_before + 1


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE people_person SET description = description WHERE id = (SELECT MIN(id) FROM people_person)",
        "UPDATE articles_inspectionjudgement SET position = position "
        "WHERE id = (SELECT MIN(id) FROM articles_inspectionjudgement)",
        "DELETE FROM people_role WHERE id = (SELECT MIN(id) FROM people_role)",
        "UPDATE articles_localauthority SET region = region WHERE id = (SELECT MIN(id) FROM articles_localauthority)",
    ],
)
def test_every_archive_table_raises_the_revision(sql):
    before = ArchiveRevision.current()
    with connection.cursor() as cursor:
        cursor.execute(sql)
    assert ArchiveRevision.current() > before


def test_filtered_counts_are_cached_and_refreshed_by_writes(django_assert_max_num_queries):
    publisher = PublisherFactory()
    ArticleFactory(publisher=publisher)
    url = f"/articles/?publisher={publisher.slug}"
    count, facets = unfiltered(url)
    assert count == 1
    with django_assert_max_num_queries(3):  # revision, page: the filtered counts come from the cache
        assert unfiltered(url) == (count, facets)
    # The same filters written differently, sorted or paged share the entry.
    with django_assert_max_num_queries(3):
        assert unfiltered(f"{url}&publisher={publisher.slug}&sort=-date") == (count, facets)
    ArticleFactory(publisher=publisher)
    new_count, new_facets = unfiltered(url)
    assert new_count == 2
    assert new_facets["publisher"][publisher.slug] == 2


def speaker_facet(url):
    data = Client().get(f"{url}{'&' if '?' in url else '?'}format=json").json()
    return {option["value"]: (option["count"], option["selected"]) for option in data["facets"]["speaker"]}


def queries_for(url):
    with CaptureQueriesContext(connection) as queries:
        counts = speaker_facet(url)
    return len(queries), counts


def test_a_facet_counted_for_the_state_of_the_other_filters_is_not_counted_again(settings):
    """The speaker facet of "one speaker's statements" is counted without its own filter: over every
    statement, as the unfiltered list counted it. Kept by the other filters' state, it is read, not
    counted again; a chosen speaker beyond its top values is counted alone; a write counts anew."""
    settings.ARCHIVE_FACET_LIMIT = 2
    top = speaker_facet("/statements/")
    first = next(iter(top))
    beyond = Statement.objects.published().exclude(speaker__slug__in=top).values_list("speaker__slug", flat=True)[0]

    kept_queries, in_top = queries_for(f"/statements/?speaker={first}")
    assert in_top == {value: (count, value == first) for value, (count, _) in top.items()}
    _, with_beyond = queries_for(f"/statements/?speaker={beyond}")
    assert with_beyond[beyond] == (Statement.objects.published().filter(speaker__slug=beyond).count(), True)
    # The top speaker, in the one place left beside the chosen one.
    assert {value: count for value, (count, selected) in with_beyond.items() if not selected} == {first: top[first][0]}

    for kept in caches.all():
        kept.clear()
    from_scratch, counted_again = queries_for(f"/statements/?speaker={first}")
    assert counted_again == in_top
    assert kept_queries == from_scratch - 1  # kept, the speaker facet asked nothing
    StatementFactory(speaker=Person.objects.get(slug=first))
    assert speaker_facet(f"/statements/?speaker={first}")[first][0] == top[first][0] + 1


def test_a_kept_facet_says_values_are_left_out_as_one_counted_afresh_does(settings):
    """Chosen values take a facet's places first: with as many chosen as the kept rows hold, the kept
    rows cannot show that other values exist, and the facet is counted again (found by a review)."""
    settings.ARCHIVE_FACET_LIMIT = 1
    for number, kind in enumerate(PublisherKind.values):
        PublisherFactory.create_batch(number + 2, kind=kind)
    chosen = {"kind": PublisherKind.values[-4:]}

    def kind_facet():
        facets = Client().get("/publishers/", chosen).context["filter"].facets
        facet = next(facet for facet in facets if facet.name == "kind")
        return facet.truncated, [(option.value, option.count, option.selected) for option in facet.options]

    fresh = kind_facet()
    assert fresh[0]  # two kinds are left out
    for kept in caches.all():
        kept.clear()
    Client().get("/publishers/")  # keeps the kind facet's top rows for the unfiltered state
    assert kind_facet() == fresh


def test_different_filters_are_counted_apart():
    first, second = PublisherFactory(), PublisherFactory()
    ArticleFactory(publisher=first)
    ArticleFactory.create_batch(2, publisher=second)
    assert unfiltered(f"/articles/?publisher={first.slug}")[0] == 1
    assert unfiltered(f"/articles/?publisher={second.slug}")[0] == 2
    assert unfiltered(f"/articles/?publisher={first.slug}&publisher={second.slug}")[0] == 3


@pytest.mark.parametrize(
    "query", ["q=kinship", "q=kinship&sort=-date", "sort=headline", "publisher=localgov-extra&sort=-date"]
)
def test_a_cached_page_shows_the_same_rows_in_the_same_order(query, django_assert_max_num_queries):
    publisher = PublisherFactory(slug="localgov-extra")
    for n in range(25):
        ArticleFactory(
            publisher=publisher,
            headline=f"{'Kinship' if n % 2 else 'Other'} story {n:02}",
            published_on=f"2019-{n % 12 + 1:02}",
            body=f"Kinship care {'kinship ' * (n % 5)}paragraph {n}.",
        )

    def page(number):
        data = Client().get(f"/articles/?{query}&page={number}&format=json").json()
        return [(row["url"], row.get("snippet")) for row in data["results"]]

    first, second = page(1), page(2)
    assert len(first) == 20 and not set(first) & set(second)
    for number, expected in ((1, first), (2, second)):
        with django_assert_max_num_queries(3):  # revision, rows by key (+ their speakers): nothing sorted or counted
            assert page(number) == expected


@pytest.mark.parametrize(
    ("url", "view_name"),
    [
        ("/articles/?publisher=prepared-rows", "ArticleListView"),
        ("/articles/?publisher=prepared-rows&sort=headline", "ArticleListView"),
        ("/statements/?speaker=prepared-speaker", "StatementListView"),
    ],
)
def test_a_page_read_by_its_cached_keys_is_the_page_made_fresh(url, view_name, settings, monkeypatch):
    # Once a page's keys are cached, its rows are read by key through a prepared query that knows
    # none of the filters (archive/views.py): the page must be the one the filtered queryset made,
    # card for card, with every relation a card shows.
    from archive import views

    settings.ARCHIVE_PAGE_CACHE = False  # the page itself is made again, not served whole
    monkeypatch.setattr(views.FacetedListView, "_rows_by_key", {})  # so that only this test's reads can fill it
    from articles.views import ArticleListView
    from people.views import StatementListView

    publisher = PublisherFactory(slug="prepared-rows")
    speaker = PersonFactory(slug="prepared-speaker")
    inspection = InspectionFactory()
    for n in range(23):
        article = ArticleFactory(publisher=publisher, headline=f"Story {n:02}", published_on=f"2019-{n % 12 + 1:02}")
        if n % 3:
            article.inspections.add(inspection)
        StatementFactory(article=article, speaker=speaker, position=1)
        StatementFactory(article=article, position=2)
    ArticleFactory(status=ArticleStatus.DRAFT, publisher=publisher)
    view = {"ArticleListView": ArticleListView, "StatementListView": StatementListView}[view_name]
    for page in (1, 2):
        fresh = Client().get(f"{url}&page={page}")
        assert fresh.status_code == 200
        again = Client().get(f"{url}&page={page}")
        assert again.content == fresh.content
    prepared = views.FacetedListView._rows_by_key[view].prepared
    # Twenty rows, then three padded to the next size a query is compiled for.
    assert {20, 5} <= set(prepared), "the second reads went through prepared queries"


def test_the_home_page_totals_are_kept_and_count_a_write_at_once(settings):
    settings.ARCHIVE_PAGE_CACHE = False  # the page itself is made again, not served whole

    def visit():
        with CaptureQueriesContext(connection) as queries:
            response = Client().get("/")
        return int(response.context["article_count"]), len(queries)

    before, first_queries = visit()
    again, kept_queries = visit()
    assert again == before
    assert kept_queries == first_queries - 4  # articles, statements, people, inspections: counted once
    ArticleFactory()
    assert visit()[0] == before + 1
