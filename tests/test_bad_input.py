"""No 500s from bad input: a clear 400 or 404, or a filter that matches nothing."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

LISTS = {
    "/articles/": ["publisher", "year", "kind", "person", "judgement"],
    "/statements/": ["speaker", "publisher", "year", "kind"],
    "/people/": ["organisation", "role", "kind"],
    "/inspections/": ["judgement", "kind", "year", "region", "authority", "area"],
    "/authorities/": ["region", "latest", "status"],
    "/publishers/": ["kind"],
}

HOSTILE_VALUES = [
    "no-such-thing",
    "",
    " ",
    "abc",
    "-1",
    "0",
    "99999999999999999999999999999999",
    "1e309",
    "2018-13-45",
    "\x00",
    "a\x00b",
    "\u202e\u200b",
    "😀",
    "Ⅻ",
    "２０１８",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%00",
    "x" * 5000,
]

PAGES = ["0", "-1", "abc", "1.5", str(10**9), "9" * 40, "", "last", "\x00", "１"]


@pytest.mark.parametrize("url", list(LISTS))
def test_hostile_facet_values_never_crash(url):
    client = Client()
    for name in [*LISTS[url], "q", "sort", "format"]:
        for value in HOSTILE_VALUES:
            response = client.get(url, {name: value})
            assert response.status_code in {200, 400}, (name, repr(value[:40]), response.status_code)
            json_response = client.get(url, {name: value, "format": "json"} if name != "format" else {name: value})
            assert json_response.status_code in {200, 400}, (name, repr(value[:40]))


# Names of a QueryDict's methods and of the template engine's lookups: a template that reads
# request.GET.lists finds a parameter called "lists" first (the fuzz test found this 500).
PARAMETER_NAMES_THAT_SHADOW_METHODS = ["lists", "items", "keys", "values", "get", "getlist", "urlencode", "copy", "0"]


@pytest.mark.parametrize("url", list(LISTS))
def test_parameters_named_like_methods_are_plain_parameters(url):
    client = Client()
    for name in PARAMETER_NAMES_THAT_SHADOW_METHODS:
        response = client.get(url, {name: "0", "q": "care"})
        assert response.status_code == 200, (name, response.status_code)
        # Carried into the next search as it was given, like any filter.
        assert f'<input type="hidden" name="{name}" value="0">' in response.content.decode()
        assert 'type="hidden" name="q"' not in response.content.decode()


@pytest.mark.parametrize("url", list(LISTS))
def test_absurd_pages_give_a_clear_client_error(url):
    client = Client()
    for page in PAGES:
        response = client.get(url, {"page": page})
        assert response.status_code in {200, 400, 404}, (page, response.status_code)
    assert client.get(url, {"page": str(10**9)}).status_code == 404
    assert client.get(url, {"page": "abc"}).status_code == 400
    assert client.get(url, {"page": "0", "format": "json"}).json()["errors"]["page"]


def test_malformed_year_is_a_400_naming_the_field():
    response = Client().get("/articles/", {"year": "twenty"})
    assert response.status_code == 400
    assert b"year" in response.content
    assert Client().get("/articles/", {"year": "twenty", "format": "json"}).json()["errors"]["year"]


def test_invalid_choice_is_a_400_but_unknown_slug_is_an_empty_selection():
    assert Client().get("/articles/", {"kind": "blog"}).status_code == 400
    response = Client().get("/articles/", {"publisher": "nobody", "format": "json"})
    assert response.status_code == 200 and response.json()["count"] == 0


def test_nul_bytes_and_lone_surrogates_in_the_raw_query_string():
    client = Client()
    for raw in ["q=%00", "publisher=%00x", "q=%ED%A0%80", "person=%ff%fe", "q=" + "%F0%9F%98%80" * 3000, "year=%00"]:
        response = client.get(f"/articles/?{raw}")
        assert response.status_code in {200, 400}, raw


def test_very_long_search_is_refused_clearly():
    response = Client().get("/articles/", {"q": "inspection " * 1000})
    assert response.status_code == 400
    assert b"q" in response.content


def test_repeated_keys_and_too_many_values():
    client = Client()
    assert client.get("/articles/?publisher=localgov&publisher=localgov").status_code == 200
    many = "&".join(f"person=p{n}" for n in range(60))
    assert client.get(f"/articles/?{many}").status_code == 400


def test_unknown_detail_slugs_are_404():
    client = Client()
    for url in ["/articles/nope/", "/people/nope/", "/inspections/nope/", "/publishers/nope/", "/statements/nope/1/"]:
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_facet_labels_and_links_are_escaped(client):
    from tests.factories import ArticleFactory, PublisherFactory

    publisher = PublisherFactory(name='<script>alert("x")</script> & Co')
    ArticleFactory(publisher=publisher)
    html = client.get("/articles/", {"q": '"><img src=x>'}).content.decode()
    assert "<img src=x>" not in html
    html = client.get("/articles/").content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
