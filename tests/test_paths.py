"""record_path builds the same addresses reverse() does."""

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse, set_script_prefix

from archive.paths import record_path, same_prefix

DETAIL_PAGES = [
    ("articles:article_detail", ["a-slug"]),
    ("articles:publisher_detail", ["some_publisher-2"]),
    ("articles:inspection_detail", ["sandwell-2025-ilacs"]),
    ("articles:authority_detail", ["E08000028"]),
    ("people:person_detail", ["9"]),
    ("people:statement_detail", ["an-article", 12]),
    ("people:statement_detail", ["907", 1]),  # an argument that looks like the marker's digits
]


@pytest.mark.parametrize(("viewname", "args"), DETAIL_PAGES)
def test_the_same_address_as_reverse(viewname, args):
    assert record_path(viewname, *args) == reverse(viewname, args=args)


@pytest.mark.parametrize("prefix", ["/", "/archive/", "/a b/"])
def test_under_a_script_prefix(prefix):
    set_script_prefix(prefix)
    try:
        for viewname, args in DETAIL_PAGES:
            assert record_path(viewname, *args) == reverse(viewname, args=args)
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("bad", ["with space", "slash/inside", "ünïcode", "", "a\x00b", "<script>"])
def test_an_argument_reverse_refuses_is_refused_the_same_way(bad):
    with pytest.raises(NoReverseMatch):
        reverse("articles:article_detail", args=[bad])
    with pytest.raises(NoReverseMatch):
        record_path("articles:article_detail", bad)


@pytest.mark.parametrize("prefix", ["/", "/archive/"])
def test_a_batch_reads_the_prefix_once_and_forgets_it_after(prefix):
    set_script_prefix(prefix)
    try:
        with same_prefix():
            batch = [record_path(viewname, *args) for viewname, args in DETAIL_PAGES]
            with same_prefix():  # nested: the same prefix
                assert record_path("people:person_detail", "x") == reverse("people:person_detail", args=["x"])
        assert batch == [reverse(viewname, args=args) for viewname, args in DETAIL_PAGES]
        set_script_prefix("/elsewhere/")  # a later request under another prefix
        assert record_path("people:person_detail", "x") == "/elsewhere/people/x/"
    finally:
        set_script_prefix("/")


@pytest.mark.django_db
def test_facet_counts_kept_under_one_prefix_link_under_the_next_visitors(settings):
    """A list's counts are kept per filter state, whatever the prefix: the links they lead to are not."""
    settings.ARCHIVE_PAGE_CACHE = False
    settings.ARCHIVE_FACET_LIMIT = 1  # every facet cut short: each links to the list that finds any value
    Client().get("/articles/")  # counted and kept under "/"
    set_script_prefix("/archive/")  # as the WSGI handler sets it for a request under SCRIPT_NAME=/archive
    try:
        page = Client().get("/articles/").content.decode()
    finally:
        set_script_prefix("/")
    assert 'href="/archive/people/">Find any other' in page
    assert 'href="/people/"' not in page
