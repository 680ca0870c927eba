"""Cached unfiltered counts are never served after a write, whichever way the write is made."""

import pytest
from django.db import connection
from django.test import Client

from archive.models import ArchiveRevision
from articles.models import Article, ArticleStatus, Inspection
from tests.factories import ArticleFactory, PersonFactory, PublisherFactory, StatementFactory

pytestmark = pytest.mark.django_db


def unfiltered(url="/articles/"):
    data = Client().get(url, {"format": "json"}).json()
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
