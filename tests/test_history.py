"""Every change through the admin is kept with who and what; any version can be restored; deletions can be undone."""

import html

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from articles.models import Article, ArticleStatus
from people.models import Statement
from tests.admin_forms import admin_form_data
from tests.factories import ArticleFactory, InspectionFactory, PersonFactory, StatementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    client = Client()
    user = get_user_model().objects.create_user("edith", "edith@example.org", "a-long-test-password", is_staff=True)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return client


def edit(client, obj, **changes):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    data = admin_form_data(client.get(url))
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_an_admin_save_is_recorded_with_who_and_the_values(editor):
    article = ArticleFactory(status=ArticleStatus.DRAFT, headline="Before")
    edit(editor, article, headline="After")
    newest = article.history.order_by("-history_date").first()
    assert (newest.history_user.username, newest.headline, newest.history_type) == ("edith", "After", "~")
    page = html.unescape(editor.get(reverse("admin:articles_article_history", args=[article.pk])).content.decode())
    assert "edith" in page
    assert "Before" in page and "After" in page  # the change shown as a diff of the field


def test_links_are_kept_in_history(editor):
    article = ArticleFactory(status=ArticleStatus.DRAFT)
    inspection = InspectionFactory()
    edit(editor, article, inspections=[str(inspection.pk)])
    newest = article.history.order_by("-history_date").first()
    assert [row.inspection_id for row in newest.inspections.all()] == [inspection.pk]


def test_any_version_can_be_restored(editor):
    article = ArticleFactory(status=ArticleStatus.DRAFT, headline="First")
    edit(editor, article, headline="Second")
    edit(editor, Article.objects.get(pk=article.pk), headline="Third")
    first = article.history.order_by("history_date").first()
    revert = reverse("admin:articles_article_simple_history", args=[article.pk, first.history_id])
    response = editor.post(revert, admin_form_data(editor.get(revert)))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "First"
    assert article.version == 4  # the restore is one more version, not a rewrite of the past
    assert article.history.count() == 4


def test_a_deleted_article_is_recovered_with_its_statements_and_links(editor):
    statement = StatementFactory(article=ArticleFactory(status=ArticleStatus.DRAFT, headline="Gone for now"))
    article = statement.article
    inspection = InspectionFactory()
    article.inspections.add(inspection)
    article_pk, statement_pk = article.pk, statement.pk
    delete = reverse("admin:articles_article_delete", args=[article_pk])
    assert editor.post(delete, {"post": "yes"}).status_code == 302
    assert not Article.objects.filter(pk=article_pk).exists()
    listing = editor.get(reverse("admin:articles_article_recover_list"))
    assert "Gone for now" in listing.content.decode()
    record = Article.history.filter(id=article_pk, history_type="-").get()
    recover = reverse("admin:articles_article_recover", args=[record.history_id])
    assert "Gone for now" in editor.get(recover).content.decode()
    assert editor.post(recover).status_code == 302
    restored = Article.objects.get(pk=article_pk)
    assert restored.headline == "Gone for now"
    assert list(restored.inspections.all()) == [inspection]
    assert Statement.objects.filter(pk=statement_pk, article=restored).exists()
    # Once back, it is no longer offered for recovery.
    listing = editor.get(reverse("admin:articles_article_recover_list")).content.decode()
    assert recover not in listing


def test_recovery_is_for_editors_only():
    person = PersonFactory()
    person_pk = person.pk
    person.delete()
    record = person.history.model.objects.filter(id=person_pk, history_type="-").get()
    client = Client()
    user = get_user_model().objects.create_user("cora", "cora@example.org", "a-long-test-password", is_staff=True)
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name="Contributor"))
    client.force_login(user)
    assert client.post(reverse("admin:people_person_recover", args=[record.history_id])).status_code == 403
    assert not type(person).objects.filter(pk=person_pk).exists()


def test_fixture_loads_and_imports_leave_a_baseline():
    # The session's fixtures were loaded by load_archive: every record has a history row saying so.
    article = Article.objects.get(slug="sandwells-childrens-services-to-be-transferred-to-a-trust")
    first = article.history.order_by("history_date").first()
    assert first.history_change_reason.startswith("Loaded from ")
    assert first.history_user is None
