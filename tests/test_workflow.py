"""Draft → published → withdrawn: what the public sees at each step, and what staff preview."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from articles.models import Article, ArticleStatus
from tests.factories import ArticleFactory, InspectionFactory, PersonFactory, PublisherFactory, StatementFactory

pytestmark = pytest.mark.django_db

SECRET = "Zanzibarquux"  # a word found nowhere else, to search for


@pytest.fixture
def draft():
    publisher = PublisherFactory(slug="draft-only-publisher")
    speaker = PersonFactory(slug="draft-only-speaker", name="Draft Only Speaker")
    inspection = InspectionFactory(slug="draft-only-inspection")
    article = ArticleFactory(
        status=ArticleStatus.DRAFT,
        slug="a-draft",
        headline=f"{SECRET} draft headline",
        publisher=publisher,
        body=f"A paragraph about {SECRET}.\n\nShe said it was {SECRET} indeed.",
    )
    article.inspections.add(inspection)
    StatementFactory(article=article, speaker=speaker, position=1, words=f"it was {SECRET} indeed")
    return article


def public_pages(article):
    return [
        "/",
        "/articles/",
        f"/articles/?q={SECRET}",
        f"/articles/?publisher={article.publisher.slug}",
        "/articles/?format=json",
        "/statements/",
        f"/statements/?q={SECRET}",
        "/statements/?format=json",
        f"/people/{article.statements.get().speaker.slug}/",
        "/people/?format=json",
        f"/publishers/{article.publisher.slug}/",
        "/publishers/?format=json",
        f"/inspections/{article.inspections.get().slug}/",
        f"/authorities/{article.inspections.get().authority.slug}/",
    ]


def test_the_public_never_sees_a_draft(client, draft):
    for url in public_pages(draft):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        # (A search page echoes the word searched for: the article's own text must not appear.)
        assert "draft headline" not in text and "indeed" not in text and "a-draft" not in text, url
    assert client.get("/articles/a-draft/").status_code == 404
    assert client.get("/statements/a-draft/1/").status_code == 404
    # Facet counts leave it out too: its publisher has nothing public.
    facets = client.get("/articles/?format=json").json()["facets"]
    assert "draft-only-publisher" not in {option["value"] for option in facets["publisher"]}
    people = client.get("/statements/?format=json").json()["facets"]
    assert "draft-only-speaker" not in {option["value"] for option in people["speaker"]}


def test_staff_preview_a_draft_at_its_public_address(draft):
    client = Client()
    client.force_login(get_user_model().objects.create_user("staff", "s@example.org", "pw-long-enough", is_staff=True))
    response = client.get("/articles/a-draft/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Draft preview" in text and '<meta name="robots" content="noindex">' in text
    assert client.get("/statements/a-draft/1/").status_code == 200
    # Preview does not leak into lists, even for staff: lists show what the public sees.
    assert SECRET not in client.get("/articles/").content.decode()


def test_a_logged_in_non_staff_user_does_not_see_drafts(draft):
    client = Client()
    client.force_login(get_user_model().objects.create_user("reader", "r@example.org", "pw-long-enough"))
    assert client.get("/articles/a-draft/").status_code == 404


def test_a_withdrawn_article_stays_on_record_and_says_so(client, draft):
    Article.objects.filter(pk=draft.pk).update(
        status=ArticleStatus.WITHDRAWN, withdrawal_note="Withdrawn on 3 May 2024: the publisher retracted it."
    )
    response = client.get("/articles/a-draft/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "This article has been withdrawn" in text
    assert "the publisher retracted it" in text
    assert '<meta name="robots" content="noindex">' in text
    # No longer listed, counted or found.
    for url in ("/articles/", f"/articles/?q={SECRET}", "/statements/"):
        assert "a-draft" not in client.get(url).content.decode(), url


def test_publishing_shows_it_everywhere(client, draft):
    Article.objects.filter(pk=draft.pk).update(status=ArticleStatus.PUBLISHED)
    assert "a-draft" in client.get(f"/articles/?q={SECRET}").content.decode()
    assert "Draft preview" not in client.get("/articles/a-draft/").content.decode()
    assert SECRET in client.get("/statements/a-draft/1/").content.decode()


def test_a_withdrawn_article_needs_a_reason():
    from django.core.exceptions import ValidationError

    article = ArticleFactory.build(status=ArticleStatus.WITHDRAWN, publisher=PublisherFactory())
    with pytest.raises(ValidationError, match="withdrawal note"):
        article.full_clean()
