"""The admin's data-quality filters find exactly the records with each problem."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from articles.models import Article, ArticleStatus
from people.models import Statement
from tests.factories import ArticleFactory, InspectionFactory, PersonFactory, RoleFactory, StatementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_():
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("dq", "dq@example.org", "a-long-test-password"))
    return client


def listed(client, url) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def test_articles_without_inspections(admin_client_):
    covered = ArticleFactory()
    covered.inspections.add(InspectionFactory())
    bare = ArticleFactory()
    found = listed(admin_client_, "/admin/articles/article/?no_inspections=yes")
    assert bare.pk in found and covered.pk not in found
    assert found == set(Article.objects.filter(inspections__isnull=True).values_list("pk", flat=True))


def test_drafts_older_than_thirty_days(admin_client_):
    old = ArticleFactory(status=ArticleStatus.DRAFT)
    Article.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    recent = ArticleFactory(status=ArticleStatus.DRAFT)
    old_but_published = ArticleFactory(status=ArticleStatus.PUBLISHED)
    Article.objects.filter(pk=old_but_published.pk).update(created_at=timezone.now() - timedelta(days=90))
    assert listed(admin_client_, "/admin/articles/article/?stale_draft=yes") == {old.pk}
    assert recent.pk not in listed(admin_client_, "/admin/articles/article/?stale_draft=yes")


def test_statements_whose_words_left_the_body(admin_client_):
    kept = StatementFactory(words="someone speaks")
    lost = StatementFactory(words="someone speaks")
    # An edit of the body (bypassing validation, as a raw fix would) leaves the quote stranded.
    Article.objects.filter(pk=lost.article_id).update(body="A rewritten paragraph.")
    # Exact match: a change of case counts as a change.
    cased = StatementFactory(words="someone speaks")
    Article.objects.filter(pk=cased.article_id).update(body="Someone Speaks, loudly.")
    found = listed(admin_client_, "/admin/people/statement/?quote_missing=yes")
    assert lost.pk in found and cased.pk in found and kept.pk not in found
    # The seed archive's statements all occur in their articles.
    assert not found & set(Statement.objects.filter(article__slug__startswith="sandwell").values_list("pk", flat=True))


def test_speakers_without_a_role_at_the_time(admin_client_):
    person = PersonFactory()
    RoleFactory(person=person, started_on="2018", ended_on="2019-06")
    inside = StatementFactory(speaker=person, article=ArticleFactory(published_on="2019-06-30"))
    same_year = StatementFactory(speaker=person, article=ArticleFactory(published_on="2018"))
    after = StatementFactory(speaker=person, article=ArticleFactory(published_on="2019-07-01"))
    no_roles = StatementFactory(speaker=PersonFactory(), article=ArticleFactory(published_on="2019-01"))
    undated = StatementFactory(speaker=PersonFactory(), article=ArticleFactory(published_on=None))
    found = listed(admin_client_, "/admin/people/statement/?no_role_then=yes")
    assert after.pk in found and no_roles.pk in found
    assert inside.pk not in found and same_year.pk not in found
    assert undated.pk not in found  # an unknown date cannot be checked
