"""Next and Previous links seek from a cursor (archive/keyset.py) and give the pages numbers give."""

import base64
import html
import json
import random
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from archive import keyset
from articles.models import Article, ArticleStatus
from people.models import Statement
from tests.factories import ArticleFactory, PersonFactory, PublisherFactory, StatementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(settings):
    """Articles with tied and missing dates and tied headlines, and statements by several speakers."""
    settings.ARCHIVE_PAGE_SIZE = 7
    rng = random.Random(7)
    publishers = [PublisherFactory() for _ in range(3)]
    people = [PersonFactory() for _ in range(4)]
    for n in range(40):
        article = ArticleFactory(
            headline=rng.choice(["Same headline", "Another", f"Headline {n}"]),
            published_on=rng.choice(["2019-03-04", "2020", "2021-07", None, None]),
            publisher=rng.choice(publishers),
            status=ArticleStatus.DRAFT if n % 9 == 0 else ArticleStatus.PUBLISHED,
            body="Word " * 5,
        )
        for position in range(1, rng.randint(1, 4)):
            StatementFactory(article=article, position=position, speaker=rng.choice(people), words="Word")


def numbered(url, params) -> list[list[str]]:
    """Every page's rows, asked for by page number alone (found by offset)."""
    client, pages, number = Client(), [], 1
    while True:
        data = client.get(url, {**params, "format": "json", "page": number}).json()
        pages.append([result["url"] for result in data["results"]])
        if not data["next"]:
            return pages
        number += 1


def followed(url, params, link="next") -> tuple[list[list[str]], list[str]]:
    """Every page's rows reached by following the JSON's next (or previous) links, and the links."""
    client, pages, links = Client(), [], []
    data = client.get(url, {**params, "format": "json", **({"page": "last"} if link == "previous" else {})}).json()
    while True:
        pages.append([result["url"] for result in data["results"]])
        if not data[link]:
            return pages, links
        links.append(data[link])
        data = client.get(data[link]).json()


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/articles/", {}),
        ("/articles/", {"sort": "date"}),
        ("/articles/", {"sort": "-date"}),
        ("/articles/", {"sort": "headline"}),
        ("/articles/", {"sort": "-headline"}),
        ("/articles/", {"kind": "news-report"}),
        ("/statements/", {}),
        ("/statements/", {"sort": "speaker"}),
        ("/statements/", {"sort": "-date"}),
    ],
)
def test_next_and_previous_links_seek_the_pages_page_numbers_give(many, url, params):
    expected = numbered(url, params)
    assert len(expected) > 3
    forwards, links = followed(url, params)
    assert all("after=" in link for link in links), "every Next link carries a cursor"
    assert forwards == expected
    backwards, links = followed(url, params, link="previous")
    assert all("before=" in link for link in links[:-1])  # the last one leads to page 1, by number
    assert backwards == expected[::-1]


def test_a_sought_page_skips_nothing_by_offset(many):
    client = Client()
    html_page = client.get("/articles/", {"page": 3}).content.decode()
    next_link = html.unescape(re.search(r'href="([^"]*)" rel="next"', html_page).group(1))
    assert "after=" in next_link and "page=4" in next_link
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/articles/" + next_link)
    assert response.status_code == 200
    assert not [query for query in queries if "OFFSET" in query["sql"].upper()]
    assert "Page 4 of" in response.content.decode()


def test_first_last_sort_search_and_facet_links_drop_the_cursor(many):
    page = Client().get("/articles/", {"page": 2}).content.decode()
    after = re.search(r'href="[^"]*(after=[^"&]*)[^"]*" rel="next"', page).group(1)
    followed_page = html.unescape(Client().get(f"/articles/?page=3&{after}").content.decode())
    first = re.search(r'href="([^"]*)">First<', followed_page).group(1)
    last = re.search(r'href="([^"]*)">Last<', followed_page).group(1)
    assert "after=" not in first and "after=" not in last
    for link in re.findall(r'href="(\?[^"]*sort=[^"]*)"', followed_page):
        assert "after=" not in link, link
    # A facet's links start the narrowed (or widened) list from its first page, not past this page's rows.
    facet_links = re.findall(r'href="(\?[^"]*)" rel="nofollow"', followed_page)
    assert len(facet_links) > 10
    for link in facet_links:
        assert "after=" not in link and "page=" not in link, link
    assert 'name="after"' not in followed_page  # the search form does not carry it either


def cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "bad",
    [
        "not-a-cursor",
        "%00",
        "\x00",
        "A" * 5000,
        cursor({"a": 1}),
        cursor([1, 2, 3]),
        cursor(["000000", "2020", 5]),  # another ordering's fingerprint
        cursor([True, None, 1]),
        "é" * 10,
    ],
)
def test_a_cursor_that_is_not_the_lists_own_is_ignored(many, bad):
    client = Client()
    by_number = client.get("/articles/", {"page": 2, "format": "json"}).json()["results"]
    for name in ("after", "before"):
        response = client.get("/articles/", {"page": 2, name: bad, "format": "json"})
        assert response.status_code == 200
        assert response.json()["results"] == by_number
        assert client.get("/articles/", {"page": 2, name: bad}).status_code == 200


FORGED_VALUES = ["abc", "", 5, 1.5, 1e308, 2**70, -(2**70), "2019-02-30", "\ud800", "x\ud800y", "x" * 300]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/articles/", {}),
        ("/articles/", {"sort": "headline"}),
        ("/statements/", {}),
        ("/statements/", {"sort": "speaker"}),
    ],
)
def test_a_forged_cursor_with_the_lists_own_fingerprint_is_ignored(many, url, params):
    """The fingerprint is public (any Next link has it): a cursor carrying it with values no row could have
    (text for a date or a key, an integer no database holds, half a surrogate pair) finds the page by number."""
    client = Client()
    first = client.get(url, {**params, "format": "json"}).json()
    genuine = json.loads(base64.urlsafe_b64decode(_cursor_of(first["next"]) + "=="))
    by_number = client.get(url, {**params, "page": 2, "format": "json"}).json()["results"]
    everything = {row for page in numbered(url, params) for row in page}
    for slot in range(1, len(genuine)):
        for forged_value in FORGED_VALUES:
            forged = cursor([*genuine[:slot], forged_value, *genuine[slot + 1 :]])
            for name in ("after", "before"):
                response = client.get(url, {**params, "page": 2, name: forged, "format": "json"})
                assert response.status_code == 200, (slot, forged_value, name)
                results = response.json()["results"]
                # A value the column could hold seeks elsewhere in the same list; any other is ignored.
                assert results == by_number or {row["url"] for row in results} <= everything, (slot, forged_value, name)


def _cursor_of(link: str) -> str:
    return re.search(r"after=([^&]+)", link).group(1)


def test_a_cursor_from_another_sort_is_not_used():
    for n in range(30):
        ArticleFactory(headline=f"Headline {n:02}", published_on=f"20{n % 20 + 2:02}", slug=f"a-{n}")
    client = Client()
    by_date = client.get("/articles/", {"format": "json"}).json()
    after = re.search(r"after=([^&]+)", by_date["next"]).group(1)
    by_headline = client.get("/articles/", {"format": "json", "sort": "headline", "page": 2}).json()["results"]
    response = client.get("/articles/", {"format": "json", "sort": "headline", "page": 2, "after": after})
    assert response.json()["results"] == by_headline


def test_relevance_is_paged_by_number():
    for n in range(25):
        ArticleFactory(body=f"Kinship care story number {n}. " + "kinship " * (n % 5 + 1))
    data = Client().get("/articles/", {"q": "kinship", "format": "json"}).json()
    assert data["next"] and "after=" not in data["next"]
    date_sorted = Client().get("/articles/", {"q": "kinship", "sort": "-date", "format": "json"}).json()
    assert "after=" in date_sorted["next"]


def test_a_next_link_keeps_its_place_when_articles_are_added(settings):
    """Paging by offset repeats a row when one is added above; seeking from a row does not."""
    settings.ARCHIVE_PAGE_SIZE = 5
    for n in range(12):
        ArticleFactory(published_on=f"2019-01-{n + 1:02}", slug=f"old-{n}")
    client = Client()
    first = client.get("/articles/", {"format": "json"}).json()
    ArticleFactory(published_on="2025-01-01", slug="newest")
    second = client.get(first["next"]).json()
    seen = [result["url"] for result in first["results"] + second["results"]]
    assert len(seen) == len(set(seen)) == 10


def test_orderings_that_qualify():
    statement_terms = keyset.ordering_terms(Statement.objects.published())
    assert [term.path for term in statement_terms] == ["article__published_on", "article__id", "position"]
    article_terms = keyset.ordering_terms(Article.objects.published())
    assert [(term.path, term.descending) for term in article_terms] == [("published_on", True), ("id", True)]
    assert article_terms[0].nulls_last  # undated articles come last
    assert keyset.ordering_terms(Article.objects.order_by("headline")) is None  # no unique tie-breaker
    assert keyset.ordering_terms(Article.objects.order_by("?")) is None
    assert keyset.ordering_terms(Article.objects.order_by("published_on__year", "pk")) is None


def test_a_sought_list_page_has_bounded_queries(many, django_assert_max_num_queries):
    client = Client()
    next_link = client.get("/statements/", {"format": "json", "page": 2}).json()["next"]
    with django_assert_max_num_queries(5):  # the revision, the counts, two parts of the seek, the rows
        assert client.get(next_link).status_code == 200
