"""Sorting pages stably on every database."""

import pytest
from django.test import Client

from tests.factories import ArticleFactory, PersonFactory, StatementFactory

pytestmark = pytest.mark.django_db


def all_pages(url, params):
    client, seen, page = Client(), [], 1
    while True:
        data = client.get(url, {**params, "format": "json", "page": page}).json()
        seen += [result["url"] for result in data["results"]]
        if not data["next"]:
            return seen
        page += 1


def test_ties_never_repeat_or_skip_a_row_between_pages():
    for n in range(45):
        ArticleFactory(headline="Same headline", slug=f"tie-{n}", published_on="2019-01-01")
    for sort in ["headline", "-headline", "date", "-date"]:
        urls = all_pages("/articles/", {"sort": sort})
        assert len(urls) == len(set(urls)), sort


def test_empty_sort_choices_keep_the_default_order():
    default = Client().get("/articles/", {"format": "json"}).json()["results"]
    for sort in [",", ",,", ""]:
        response = Client().get("/articles/", {"format": "json", "sort": sort})
        assert response.status_code == 200
        assert response.json()["results"] == default


def test_undated_articles_come_last_both_ways():
    undated = ArticleFactory(published_on=None, slug="undated-article")
    for sort in ["date", "-date"]:
        urls = all_pages("/articles/", {"sort": sort})
        assert urls[-1].endswith(f"/articles/{undated.slug}/"), sort


def test_statements_by_one_speaker_page_stably():
    speaker = PersonFactory(name="Frequent Speaker")
    article = ArticleFactory(body="Word " * 10)
    for position in range(1, 46):
        StatementFactory(article=article, position=position, speaker=speaker, words="Word")
    urls = all_pages("/statements/", {"sort": "speaker", "speaker": speaker.slug})
    assert len(urls) == len(set(urls)) == 45


def test_too_many_search_words_is_a_clear_400():
    response = Client().get("/articles/", {"q": " ".join(f"word{n}" for n in range(11))})
    assert response.status_code == 400
    assert b"at most 10 different words" in response.content
    assert Client().get("/articles/", {"q": "trust " * 30}).status_code == 200  # repeats are one word


@pytest.mark.parametrize("url", ["/articles/", "/statements/", "/people/"])
def test_the_sort_in_use_is_the_one_link_marked_current(url):
    import re
    from urllib.parse import parse_qs, unquote, urlsplit

    ArticleFactory()
    html = Client().get(url).content.decode()
    links = re.findall(r'<nav class="sort".*?</nav>', html, re.S)[0]
    assert 'aria-current="true"' not in links  # the default order: no sort asked for
    offered = [
        parse_qs(urlsplit(unquote(href.replace("&amp;", "&"))).query)["sort"][0]
        for href in re.findall(r'href="([^"]+)"', links)
    ]
    assert offered
    for value in offered:
        links = re.findall(r'<nav class="sort".*?</nav>', Client().get(url, {"sort": value}).content.decode(), re.S)[0]
        current = re.findall(r'<a href="([^"]+)" aria-current="true">', links)
        assert len(current) == 1 and f"sort={value}" in unquote(current[0]), (value, current)
