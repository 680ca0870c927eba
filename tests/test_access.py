"""Who reaches which admin page: a declared access table, checked request by request.

Roles come from the migration's groups: a Contributor adds and edits drafts and the records
around them but never publishes, withdraws or deletes; an Editor does everything. Anonymous
visitors and users without staff status reach nothing but the login page.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from articles.models import ArticleStatus
from tests.admin_forms import admin_form_data
from tests.factories import (
    ArticleFactory,
    InspectionFactory,
    LocalAuthorityFactory,
    PersonFactory,
    PublisherFactory,
    RoleFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

# A fresh record of each model, with nothing depending on it (so deleting it is allowed).
MAKERS = {
    "article": lambda: ArticleFactory(status=ArticleStatus.DRAFT),
    "inspection": InspectionFactory,
    "publisher": PublisherFactory,
    "localauthority": LocalAuthorityFactory,
    "person": PersonFactory,
    "role": RoleFactory,
    "statement": lambda: StatementFactory(article=ArticleFactory(status=ArticleStatus.DRAFT)),
}
APP = {"person": "people", "role": "people", "statement": "people"}

LOGIN = "login"
OK, SAVED, FORBIDDEN = 200, 302, 403
# (view, method) → expected outcome, per role. "change POST" posts the form back unchanged.
EVERYTHING = {
    ("changelist", "GET"): OK,
    ("add", "GET"): OK,
    ("change", "GET"): OK,
    ("change", "POST"): SAVED,
    ("history", "GET"): OK,
    ("delete", "GET"): OK,
    ("delete", "POST"): SAVED,
    ("recover_list", "GET"): OK,
}
ACCESS = {
    "anonymous": dict.fromkeys(EVERYTHING, LOGIN),
    "reader": dict.fromkeys(EVERYTHING, LOGIN),
    "contributor": {
        **EVERYTHING,
        ("delete", "GET"): FORBIDDEN,
        ("delete", "POST"): FORBIDDEN,
        ("recover_list", "GET"): FORBIDDEN,
    },
    "editor": EVERYTHING,
    "superuser": EVERYTHING,
}


def user_for(role):
    users = get_user_model().objects
    if role == "anonymous":
        return None
    if role == "superuser":
        return users.create_superuser("root", "root@example.org", "a-long-test-password")
    user = users.create_user(role, f"{role}@example.org", "a-long-test-password", is_staff=role != "reader")
    if role in ("contributor", "editor"):
        user.groups.add(Group.objects.get(name=role.capitalize()))
    return user


def client_for(role):
    client = Client()
    user = user_for(role)
    if user is not None:
        client.force_login(user)
    return client


def url(model, view, obj=None):
    name = f"admin:{APP.get(model, 'articles')}_{model}_{view}"
    return reverse(name, args=[obj.pk] if view in ("change", "history", "delete") else [])


def outcome(response):
    if response.status_code == 302 and response.url.startswith(reverse("admin:login")):
        return LOGIN
    return response.status_code


@pytest.mark.parametrize("model", list(MAKERS))
@pytest.mark.parametrize("role", list(ACCESS))
def test_access_table(role, model):
    client = client_for(role)
    editor = client_for("superuser") if role != "superuser" else client
    obj = MAKERS[model]()
    seen = {}
    for view, method in ACCESS[role]:
        if method == "GET":
            response = client.get(url(model, view, obj))
        elif view == "change":
            page = editor.get(url(model, "change", obj))
            response = client.post(url(model, "change", obj), admin_form_data(page))
        else:
            response = client.post(url(model, "delete", obj), {"post": "yes"})
        seen[view, method] = outcome(response)
    assert seen == ACCESS[role]


def test_groups_hold_the_declared_permissions():
    contributor = set(Group.objects.get(name="Contributor").permissions.values_list("codename", flat=True))
    editor = set(Group.objects.get(name="Editor").permissions.values_list("codename", flat=True))
    assert "publish_article" in editor and "publish_article" not in contributor
    assert not {code for code in contributor if code.startswith("delete_")}
    assert {f"delete_{model}" for model in MAKERS} <= editor
    assert {f"{action}_{model}" for model in MAKERS for action in ("add", "change", "view")} <= contributor


@pytest.fixture
def contributor():
    return client_for("contributor")


def test_a_contributor_cannot_publish(contributor):
    article = ArticleFactory(status=ArticleStatus.DRAFT)
    page = contributor.get(url("article", "change", article))
    data = admin_form_data(page)
    assert "status" not in data  # read-only for contributors
    data["status"] = ArticleStatus.PUBLISHED
    response = contributor.post(url("article", "change", article), data)
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT
    assert response.status_code == 302  # the draft is saved; the status it cannot set is ignored


def test_a_contributor_cannot_change_a_published_article_or_its_statements(contributor):
    statement = StatementFactory(article=ArticleFactory(status=ArticleStatus.PUBLISHED))
    article = statement.article
    page = client_for("superuser").get(url("article", "change", article))
    response = contributor.post(url("article", "change", article), admin_form_data(page))
    assert response.status_code == 403
    assert contributor.get(url("article", "change", article)).status_code == 200  # may still read it
    page = client_for("editor").get(url("statement", "change", statement))
    assert contributor.post(url("statement", "change", statement), admin_form_data(page)).status_code == 403


def test_a_contributor_cannot_revert_an_article_to_a_published_version(contributor):
    article = ArticleFactory(status=ArticleStatus.PUBLISHED)
    article.status = ArticleStatus.DRAFT
    article.save()
    published_version = article.history.order_by("history_date").first()
    assert published_version.status == ArticleStatus.PUBLISHED
    revert = reverse("admin:articles_article_simple_history", args=[article.pk, published_version.history_id])
    page = client_for("superuser").get(revert)
    response = contributor.post(revert, admin_form_data(page))
    article.refresh_from_db()
    assert article.status == ArticleStatus.DRAFT
    assert response.status_code == 403
