"""Whole public pages kept per archive revision (archive/page_cache.py): fast, and never stale."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from archive.models import ArchiveRevision
from archive.page_cache import PAGE_CACHE, VisitorPageCacheMiddleware
from articles.models import Article, ArticleStatus
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/articles/", "/articles/?year=2018", "/statements/", "/people/", "/publishers/"]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_page_asked_again_is_served_whole_with_one_query(url, django_assert_num_queries):
    first = Client().get(url)
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the archive's revision number, nothing else
        again = Client().get(url)
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]


def test_an_article_page_is_kept_and_its_edit_shows_at_once():
    article = Article.objects.published().first()
    url = article.get_absolute_url()
    kept = Client().get(url).content
    assert Client().get(url).content == kept
    Article.objects.filter(pk=article.pk).update(headline="A headline changed in the database")
    changed = Client().get(url).content
    assert b"A headline changed in the database" in changed and b"A headline changed" not in kept


def test_a_write_by_any_path_retires_the_kept_pages():
    before = Client().get("/articles/?q=zanzibar").content
    assert b"Zanzibar inspection" not in before
    ArticleFactory(headline="Zanzibar inspection", status=ArticleStatus.PUBLISHED, body="Zanzibar text.")
    assert b"Zanzibar inspection" in Client().get("/articles/?q=zanzibar").content


def test_each_answer_keeps_its_own_request_id():
    client = Client()
    first, second = client.get("/articles/"), client.get("/articles/")
    assert first.content == second.content
    assert first["X-Request-ID"] != second["X-Request-ID"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_signed_in_staff_never_read_or_fill_the_visitor_cache(admin_client):
    draft = ArticleFactory(headline="Draft only staff may preview", status=ArticleStatus.DRAFT)
    url = draft.get_absolute_url()
    assert b"Draft preview" in admin_client.get(url).content
    assert Client().get(url).status_code == 404  # the staff page was not kept for visitors
    Client().get("/articles/")  # kept for visitors
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get("/articles/").status_code == 200
    assert len(queries) > 1  # made afresh for the signed-in editor


def kept(url: str) -> bool:
    """Whether the visitor cache holds a page for this address now (on any cache backend)."""
    request = RequestFactory().get(url)
    request.archive_revision = ArchiveRevision.current()
    return caches[PAGE_CACHE].get(VisitorPageCacheMiddleware.key(request)) is not None


def test_what_is_not_kept(client):
    assert client.get("/articles/").status_code == 200
    assert kept("/articles/")  # the helper sees a kept page, so its "no" below means something
    missing = "/articles/not-yet-written/"
    assert client.get(missing).status_code == 404
    ArticleFactory(slug="not-yet-written", status=ArticleStatus.PUBLISHED)
    assert client.get(missing).status_code == 200  # a 404 was not kept
    download = client.get("/articles/?download=csv")
    assert download.streaming
    b"".join(download.streaming_content)
    assert not kept("/articles/?download=csv")  # downloads are streamed, never kept
    client.get("/healthz")
    assert not kept("/healthz")


def test_a_malformed_or_hostile_address_is_answered_not_kept_as_an_error():
    for url in ["/articles/?page=99999999999", "/articles/?year=abc", "/articles/?q=%00"]:
        first = Client().get(url)
        assert first.status_code < 500
        assert Client().get(url).status_code == first.status_code


def test_a_page_that_used_a_csrf_token_or_wrote_a_session_is_not_kept(rf):
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    keep = VisitorPageCacheMiddleware.may_keep
    request = rf.get("/articles/")
    request.session = SessionStore()
    assert keep(request, HttpResponse("page"))
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    assert not keep(request, HttpResponse("page with a form"))
    request = rf.get("/articles/")
    request.session = SessionStore()
    request.session["seen"] = True
    assert not keep(request, HttpResponse("page that remembered something"))
    vary = HttpResponse("page")
    vary["Vary"] = "Accept-Encoding, Cookie"
    assert not keep(rf.get("/"), vary)
    private = HttpResponse("page")
    private["Cache-Control"] = "private, max-age=0"
    assert not keep(rf.get("/"), private)


def test_a_visitor_with_a_session_cookie_gets_a_page_made_for_them(settings, django_assert_num_queries):
    Client().get("/articles/")
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "not-a-real-session"
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/articles/").status_code == 200
    assert len(queries) > 1


def test_kept_pages_say_they_vary_on_the_cookie():
    """A shared HTTP cache must not hand a visitor's page to someone signed in (who may see drafts)."""
    article_url = Article.objects.published().first().get_absolute_url()
    for url in ["/articles/", article_url]:
        Client().get(url)
        again = Client().get(url)
        assert "Cookie" in again["Vary"], url
    # A freshly made article page says so too (it reads the session to know who is asking).
    caches[PAGE_CACHE].clear()
    assert "Cookie" in Client().get(article_url)["Vary"]


def test_the_page_cache_can_be_turned_off(settings):
    """ARCHIVE_PAGE_CACHE=0 (the benchmark measures what a page costs to make with it off)."""
    settings.ARCHIVE_PAGE_CACHE = False
    Client().get("/articles/")
    with CaptureQueriesContext(connection) as queries:
        assert Client().get("/articles/").status_code == 200
    assert len(queries) > 1
    assert not kept("/articles/")
