"""Round trip: export the archive, load it into an empty database, export again: the same bytes."""

import filecmp
import io

import pytest
from django.core.management import call_command

from articles.models import Article, ArticleStatus, Inspection, LocalAuthority, Publisher
from people.models import Person, Role, Statement
from tests.factories import ArticleFactory, StatementFactory


def tree(root):
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*.json"))


def export(directory):
    call_command("export_archive", str(directory), stdout=io.StringIO())
    return tree(directory)


def empty_the_archive():
    Statement.objects.all().delete()
    Article.objects.all().delete()
    Role.objects.all().delete()
    Person.objects.all().delete()
    Inspection.objects.all().delete()
    LocalAuthority.objects.all().delete()
    Publisher.objects.all().delete()


@pytest.mark.django_db
def test_an_export_loads_into_an_empty_archive_and_exports_identically(tmp_path):
    # Drafts and withdrawn articles are part of the archive, and so part of the export.
    ArticleFactory(status=ArticleStatus.DRAFT, slug="a-draft-to-keep")
    StatementFactory(article=ArticleFactory(status=ArticleStatus.WITHDRAWN, withdrawal_note="Retracted."))
    counts = {model: model.objects.count() for model in (Article, Statement, Person, Role, Inspection, Publisher)}
    first = export(tmp_path / "first")
    assert "articles/a-draft-to-keep.json" in first
    empty_the_archive()
    assert Article.objects.count() == 0
    files = [tmp_path / "first" / name for name in first]
    call_command("load_archive", *map(str, files), stdout=io.StringIO())
    assert {model: model.objects.count() for model in counts} == counts
    second = export(tmp_path / "second")
    assert first == second
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "first", tmp_path / "second", first, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_an_export_refuses_a_directory_that_is_not_empty(tmp_path):
    (tmp_path / "something.json").write_text("[]")
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not empty"):
        call_command("export_archive", str(tmp_path), stdout=io.StringIO())
