import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from articles.models import Article

pytestmark = pytest.mark.django_db

# The archive's own models (django-axes registers read-only pages of its own).
MODELS = [model for model in admin.site._registry if model._meta.app_label in {"articles", "people"}]


def admin_urls():
    urls = [reverse("admin:index")]
    for model in MODELS:
        opts = model._meta
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        obj = model.objects.first()
        if obj is not None:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    return urls


@pytest.fixture
def editor():
    return get_user_model().objects.create_superuser("editor", "editor@example.org", "a-long-test-password")


def test_every_archive_model_is_registered():
    labels = {model._meta.label for model in MODELS}
    assert {
        "articles.Article",
        "articles.Inspection",
        "articles.Publisher",
        "articles.LocalAuthority",
        "people.Person",
        "people.Role",
        "people.Statement",
    } <= labels


def test_anonymous_users_reach_no_admin_page():
    client = Client()
    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url


def test_non_staff_users_reach_no_admin_page():
    user = get_user_model().objects.create_user("reader", "reader@example.org", "a-long-test-password")
    client = Client()
    client.force_login(user)
    for url in admin_urls():
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login")), url


def test_staff_can_open_every_admin_page(editor):
    client = Client()
    client.force_login(editor)
    for url in admin_urls():
        assert client.get(url).status_code == 200, url


def test_article_is_edited_with_its_statements_inline(editor):
    client = Client()
    client.force_login(editor)
    article = Article.objects.get(slug="councils-childrens-services-remain-inadequate-inspectors-say")
    response = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    html = response.content.decode()
    assert 'name="statements-TOTAL_FORMS"' in html
    assert "While it&#x27;s clear" in html or "While it's clear" in html


def test_inspection_with_judgements_and_person_with_roles_inline(editor):
    client = Client()
    client.force_login(editor)
    from articles.models import Inspection
    from people.models import Person

    inspection = Inspection.objects.get(slug="sandwell-2017-11-sif-reinspection")
    html = client.get(reverse("admin:articles_inspection_change", args=[inspection.pk])).content.decode()
    assert 'name="judgements-TOTAL_FORMS" value="5"' in html
    person = Person.objects.get(slug="jacqui-smith")
    html = client.get(reverse("admin:people_person_change", args=[person.pk])).content.decode()
    assert 'name="roles-TOTAL_FORMS" value="2"' in html


def test_staff_save_an_article_with_a_partial_date(editor):
    client = Client()
    client.force_login(editor)
    article = Article.objects.get(slug="sandwell-childrens-services-remain-inadequate")
    url = reverse("admin:articles_article_change", args=[article.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update({"published_on": "2018-01", "inspections": [i.pk for i in article.inspections.all()]})
    data.update({"authors": [], "people_mentioned": [p.pk for p in article.people_mentioned.all()]})
    inline = client.get(url).context["inline_admin_formsets"][0].formset
    data.update({f"statements-{key}": value for key, value in inline.management_form.initial.items()})
    for index, statement_form in enumerate(inline.forms):
        for name in statement_form.fields:
            value = statement_form[name].value()
            if value is not None:
                data[f"statements-{index}-{name}"] = value
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    article.refresh_from_db()
    assert str(article.published_on) == "January 2018"
