"""load_archive: the command `make run` uses to load fixtures."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from articles.models import Article
from people.models import Person, Statement

pytestmark = pytest.mark.django_db


def article_fixture(**overrides):
    fields = {
        "slug": "hand-made-article",
        "headline": "Council welcomes Ofsted report",
        "headline_inferred": False,
        "publisher": ["localgov"],
        "byline": "",
        "authors": [],
        "published_on": "2023-03",
        "published_on_inferred": False,
        "kind": "news-report",
        "source_url": "https://example.org/news/123",
        "retrieved_on": None,
        "standfirst": "",
        "body": 'First paragraph.\n\nCllr Example said the report was "a fair picture" of the service.',
        "inspections": [["sandwell-2022-05-ilacs-standard"]],
        "people_mentioned": [],
        "status": "published",
        "editor_note": "",
        "provenance_note": "",
    }
    fields.update(overrides)
    return {"model": "articles.article", "fields": fields}


def statement_fixture(position=1, words="a fair picture", speaker="simon-hackett"):
    return {
        "model": "people.statement",
        "fields": {
            "article": ["hand-made-article"],
            "position": position,
            "speaker": [speaker],
            "role_as_printed": "",
            "kind": "direct",
            "words": words,
            "responds_to": None,
        },
    }


def write(tmp_path, objects, name="article.json"):
    path = tmp_path / name
    path.write_text(json.dumps(objects), encoding="utf-8")
    return path


def load(*paths):
    out = io.StringIO()
    call_command("load_archive", *[str(p) for p in paths], stdout=out)
    return out.getvalue()


def test_loads_only_the_files_it_is_given(tmp_path):
    path = write(tmp_path, [article_fixture(), statement_fixture()])
    output = load(path)
    assert "2 created, 0 updated, 0 unchanged, 0 removed." in output
    assert Article.objects.published().filter(slug="hand-made-article").exists()
    assert "0 created, 0 updated, 2 unchanged" in load(path)


def test_a_missing_file_is_refused():
    with pytest.raises(CommandError, match="No such fixture file: /nowhere.json"):
        load("/nowhere.json")


def test_an_edited_fixture_updates_in_place(tmp_path):
    load(write(tmp_path, [article_fixture(), statement_fixture()]))
    output = load(write(tmp_path, [article_fixture(headline="Council welcomes report"), statement_fixture()]))
    assert "articles.Article: 1 updated" in output
    assert Article.objects.filter(slug="hand-made-article").get().headline == "Council welcomes report"
    assert Article.objects.filter(slug="hand-made-article").count() == 1


def test_a_person_defined_after_the_article_that_mentions_them_is_linked(tmp_path):
    person = {
        "model": "people.person",
        "fields": {
            "slug": "new-person",
            "name": "New Person",
            "honorific": "",
            "kind": "individual",
            "description": "",
        },
    }
    load(write(tmp_path, [article_fixture(people_mentioned=[["new-person"]]), person]))
    assert list(Article.objects.get(slug="hand-made-article").people_mentioned.values_list("slug", flat=True)) == [
        "new-person"
    ]


def test_a_statement_removed_from_the_file_is_removed(tmp_path):
    load(write(tmp_path, [article_fixture(), statement_fixture(1), statement_fixture(2, words="First paragraph")]))
    output = load(write(tmp_path, [article_fixture(), statement_fixture(1)]))
    assert "1 removed" in output
    assert list(Statement.objects.filter(article__slug="hand-made-article").values_list("position", flat=True)) == [1]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"source_url": "javascript:alert(1)"}, "source_url: Enter a valid URL."),
        ({"kind": "blog"}, "kind: Value 'blog' is not a valid choice."),
        ({"published_on": "2023-02-30"}, "published_on:"),
        ({"headline": "x" * 301}, "headline: Ensure this value has at most 300 characters"),
        ({"slug": "not a slug"}, "slug:"),
        (
            {"publisher": ["no-such-publisher"]},
            "publisher: no articles.Publisher with natural key ['no-such-publisher']",
        ),
    ],
)
def test_invalid_objects_are_refused_naming_file_object_and_field(tmp_path, override, message):
    path = write(tmp_path, [article_fixture(**override), statement_fixture()])
    before = Article.objects.count(), Statement.objects.count()
    with pytest.raises(CommandError) as error:
        load(path)
    assert str(path) in str(error.value)
    assert "object 1" in str(error.value)
    assert message in str(error.value)
    assert "Nothing was loaded" in str(error.value)
    assert (Article.objects.count(), Statement.objects.count()) == before


def test_a_statement_not_in_its_article_is_refused(tmp_path):
    path = write(tmp_path, [article_fixture(), statement_fixture(words="words nobody wrote")])
    with pytest.raises(CommandError, match=r"object 2 \(people.Statement \['hand-made-article', 1\]\): words:"):
        load(path)
    assert not Article.objects.filter(slug="hand-made-article").exists()


def test_malformed_json_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"model": "articles.article", ', encoding="utf-8")
    with pytest.raises(CommandError, match="broken.json"):
        load(path)


def test_a_later_bad_file_undoes_an_earlier_good_one(tmp_path):
    good = write(tmp_path, [article_fixture(), statement_fixture()], "good.json")
    bad = write(tmp_path, [article_fixture(slug="other", kind="blog")], "bad.json")
    with pytest.raises(CommandError):
        load(good, bad)
    assert not Article.objects.filter(slug="hand-made-article").exists()
    assert not Person.objects.filter(slug="new-person").exists()
