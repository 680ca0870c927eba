"""Faster stand-ins for Django helpers give what the helpers give: {% querystring %}, a card's teaser."""

import pytest
from django.http import QueryDict
from django.template import RequestContext, Template
from django.template.defaulttags import querystring as django_querystring
from django.test import RequestFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.templatetags.archive_tags import querystring

QUERIES = [
    "",
    "page=2",
    "publisher=a&publisher=b&year=2019&page=3",
    "q=%22kinship+care%22+-trust&sort=-date",
    "q=caf%C3%A9+%26+%3Cb%3E&kind=news-report",
    "a=1&b=&a=2",
    "emoji=%F0%9F%98%80&space=a+b&plus=%2B",
]
CHANGES = [
    {},
    {"page": 4},
    {"page": None},
    {"page": None, "after": None, "before": None},
    {"sort": "headline", "page": None},
    {"publisher": ["x", "y"]},
    {"format": "json"},
    {"missing": None},
    {"q": "café & <b>"},
    {"year": range(2018, 2020)},
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("changes", CHANGES, ids=repr)
def test_the_same_string_as_djangos_tag(query, changes):
    context = RequestContext(RequestFactory().get(f"/articles/?{query}"))
    assert querystring(context, **changes) == django_querystring(context, **changes)
    given_dict = QueryDict(query, mutable=True)
    assert querystring(context, given_dict, **changes) == django_querystring(context, given_dict, **changes)


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.text(max_size=8), st.text(max_size=12)), max_size=6),
    changes=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(str.isidentifier),
        st.one_of(st.none(), st.text(max_size=10), st.integers(), st.lists(st.text(max_size=5), max_size=3)),
        max_size=4,
    ),
)
def test_the_same_string_for_any_parameters(pairs, changes):
    query_dict = QueryDict(mutable=True)
    for key, value in pairs:
        query_dict.appendlist(key, value)
    context = RequestContext(RequestFactory().get("/"))
    assert querystring(context, query_dict, **changes) == django_querystring(context, query_dict, **changes)


def test_templates_that_load_the_archives_tags_use_it_and_it_is_escaped():
    request = RequestFactory().get("/articles/?q=a%26b&page=2")
    html = Template('{% load archive_tags %}<a href="{% querystring page=None %}">').render(RequestContext(request))
    assert html == '<a href="?q=a%26b">'
    html = Template('{% load archive_tags %}<a href="{% querystring page=3 %}">').render(RequestContext(request))
    assert html == '<a href="?q=a%26b&amp;page=3">'  # autoescaped, as Django's tag is


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(st.sampled_from(["a", "b", " ", "\n", "\t", "…", "x…", "\u00a0", "\r\n"]), max_size=120).map("".join)
)
def test_a_cards_teaser_is_what_truncator_gives(text):
    from django.utils.text import Truncator

    from archive.templatetags.archive_tags import first_words

    for count in (1, 3, 40):
        assert first_words(text, count) == Truncator(text).words(count, truncate=" …")


@settings(max_examples=300, deadline=None)
@given(body=st.lists(st.sampled_from(["a", " ", "\n", "\r\n", "\r", "b"]), max_size=60).map("".join))
def test_the_first_paragraph_is_the_first_of_the_paragraphs(body):
    from articles.models import Article

    article = Article(body=body)
    assert article.first_paragraph == (article.paragraphs[0] if article.paragraphs else "")


@settings(max_examples=200, deadline=None)
@given(
    pairs=st.lists(
        st.tuples(
            st.one_of(st.sampled_from(["more", "page", "format", "download", "q", "year"]), st.text(max_size=6)),
            st.text(max_size=10),
        ),
        max_size=7,
    )
)
def test_download_and_show_more_links_are_what_a_copied_querydict_gives(pairs):
    from archive.paths import query_with
    from archive.views import FacetedListView

    query_dict = QueryDict(mutable=True)
    for key, value in pairs:
        query_dict.appendlist(key, value)
    request = RequestFactory().get("/articles/")
    request.GET = query_dict
    for kind in ("csv", "json"):
        copied = query_dict.copy()
        copied.pop("page", None)
        copied.pop("format", None)
        copied["download"] = kind
        assert FacetedListView.download_url(request, kind) == f"?{copied.urlencode()}"
    # A facet's "Show more" link (FacetedFilterSet.facets): one more "more", after any there are.
    more = query_dict.copy()
    more.appendlist("more", "person")
    assert query_with(query_dict, more=[*query_dict.getlist("more"), "person"]) == f"?{more.urlencode()}"


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(st.text(max_size=10), st.text(max_size=14)), max_size=6))
def test_pairs_are_encoded_as_urlencode_encodes_them(pairs):
    from urllib.parse import quote_plus, urlencode

    from archive.paths import encode_pairs, quoted

    assert encode_pairs(pairs) == urlencode(pairs)
    for name, value in pairs:
        assert quoted(name) == quote_plus(name) and quoted(value) == quote_plus(value)
    # Text that needs no quoting, and text that does, side by side.
    mixed = [("year", "2019"), ("q", "café & <b> 50%+"), ("publisher", "publisher-0"), ("a.b~c_d", "")]
    assert encode_pairs(mixed) == urlencode(mixed)
