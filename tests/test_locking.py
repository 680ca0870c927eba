"""No lost updates: two members of staff edit the same record; the second save is refused.

Each test interleaves two sessions as two browsers would: both open the record, the first
saves, then the second saves what it was shown. The second is refused with what changed,
and the first one's edit stands.
"""

import html

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from articles.models import ArticleStatus
from tests.admin_forms import admin_form_data
from tests.factories import (
    ArticleFactory,
    InspectionFactory,
    InspectionJudgementFactory,
    LocalAuthorityFactory,
    PersonFactory,
    PublisherFactory,
    RoleFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

# model name → (make a record, a text field to edit, that field's label as the admin shows it)
EDITABLE = {
    "article": (lambda: ArticleFactory(status=ArticleStatus.DRAFT), "editor_note", "editor's note"),
    "inspection": (InspectionFactory, "finding", "finding"),
    "publisher": (PublisherFactory, "description", "description"),
    "localauthority": (LocalAuthorityFactory, "region", "ofsted region"),
    "person": (PersonFactory, "description", "description"),
    "role": (RoleFactory, "source_note", "source note"),
    "statement": (StatementFactory, "role_as_printed", "role as printed"),
}
APP = {"person": "people", "role": "people", "statement": "people"}


def change_url(model, obj):
    return reverse(f"admin:{APP.get(model, 'articles')}_{model}_change", args=[obj.pk])


@pytest.fixture
def two_editors():
    users = get_user_model().objects
    clients = []
    for name in ("alice", "bob"):
        client = Client()
        client.force_login(users.create_superuser(name, f"{name}@example.org", "a-long-test-password"))
        clients.append(client)
    return clients


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("model", list(EDITABLE))
def test_the_second_of_two_interleaved_saves_is_refused(model, two_editors):
    make, field, label = EDITABLE[model]
    alice, bob = two_editors
    obj = make()
    url = change_url(model, obj)
    alice_form, bob_form = admin_form_data(alice.get(url)), admin_form_data(bob.get(url))
    alice_form[field] = "Alice's version"
    assert alice.post(url, alice_form).status_code == 302
    bob_form[field] = "Bob's version"
    response = bob.post(url, bob_form)
    assert response.status_code == 200  # the form again, with its error: nothing saved
    text = page_text(response)
    assert "Someone else changed this record after you opened it" in text
    assert f"{label}: " in text.lower()
    assert "→ Alice's version" in text and "Saved by alice" in text  # what changed, and who changed it
    obj.refresh_from_db()
    assert getattr(obj, field) == "Alice's version"
    # Reloading shows the current version, from which a save goes through.
    fresh = admin_form_data(bob.get(url))
    fresh[field] = "Bob's version"
    assert bob.post(url, fresh).status_code == 302
    obj.refresh_from_db()
    assert getattr(obj, field) == "Bob's version"


def inline_prefix(data: dict, field: str) -> str:
    (key,) = [key for key in data if key.endswith(f"-0-{field}")]
    return key.removesuffix(field)


@pytest.mark.parametrize(
    ("parent", "make_child", "child_model", "field"),
    [
        (
            "article",
            lambda: StatementFactory(article=ArticleFactory(status=ArticleStatus.DRAFT)),
            "statement",
            "role_as_printed",
        ),
        ("inspection", InspectionJudgementFactory, None, "position"),
        ("person", RoleFactory, "role", "source_note"),
    ],
)
def test_an_inline_row_changed_meanwhile_is_refused(parent, make_child, child_model, field, two_editors):
    alice, bob = two_editors
    child = make_child()
    parent_obj = getattr(child, parent)
    url = change_url(parent, parent_obj)
    bob_form = admin_form_data(bob.get(url))
    # Alice changes the row on its own (its admin page, or a script): the parent is untouched,
    # so only the row's own version can tell Bob's form that it is out of date.
    new_value = 7 if field == "position" else "Alice's row"
    if child_model:
        child_url = change_url(child_model, child)
        alice_form = admin_form_data(alice.get(child_url))
        alice_form[field] = str(new_value)
        assert alice.post(child_url, alice_form).status_code == 302
    else:
        setattr(child, field, new_value)
        child.save()
    parent_version = type(parent_obj).objects.get(pk=parent_obj.pk).version
    assert parent_version == parent_obj.version
    prefix = inline_prefix(bob_form, field)
    bob_form[prefix + field] = "8" if field == "position" else "Bob's row"
    response = bob.post(url, bob_form)
    assert response.status_code == 200
    assert "Someone else changed this record after you opened it" in page_text(response)
    child.refresh_from_db()
    assert getattr(child, field) == new_value


def test_a_record_deleted_meanwhile_is_not_resurrected(two_editors):
    alice, bob = two_editors
    publisher = PublisherFactory()
    url = change_url("publisher", publisher)
    bob_form = admin_form_data(bob.get(url))
    delete = reverse("admin:articles_publisher_delete", args=[publisher.pk])
    assert alice.post(delete, {"post": "yes"}).status_code == 302
    response = bob.post(url, bob_form)
    assert response.status_code == 302  # the admin says it no longer exists
    assert not type(publisher).objects.filter(pk=publisher.pk).exists()


def test_a_save_racing_past_the_form_check_is_refused_by_the_model():
    from archive.curation import StaleEdit

    publisher = PublisherFactory()
    stale = type(publisher).objects.get(pk=publisher.pk)
    publisher.description = "First"
    publisher.save()
    stale.description = "Second"
    stale.expected_version = 1  # what a form opened before the first save would say
    with pytest.raises(StaleEdit, match="saved as version 2 by someone else"):
        stale.save()
    publisher.refresh_from_db()
    assert publisher.description == "First" and publisher.version == 2
