"""Write the whole archive as natural-key fixtures that load_archive reads back.

The backup that needs no database tools and survives a change of engine:
loading an export into an empty, migrated database gives the same archive,
and exporting that again gives byte-identical files. Drafts and withdrawn
articles are included; history is not (it is the database's, and is kept by
SQLite's online backup or pg_dump: see the README).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Prefetch

from archive.fixtures import fixture_text
from articles.models import Article, Inspection, InspectionJudgement, LocalAuthority, Publisher
from people.models import Person, Role, Statement


def archive_files():
    """(relative path, objects) for every file of an export, in the order they must be loaded."""
    yield "01_publishers.json", list(Publisher.objects.order_by("slug"))
    yield "02_authorities.json", list(LocalAuthority.objects.order_by("ons_code"))
    inspections = Inspection.objects.select_related("authority").order_by("slug")
    judgements = InspectionJudgement.objects.select_related("inspection").order_by("inspection__slug", "area")
    yield "03_inspections.json", [*inspections, *judgements]
    roles = Role.objects.select_related("person", "organisation").order_by(
        "person__slug", "title", "organisation__slug"
    )
    yield "04_people.json", [*Person.objects.order_by("slug"), *roles]
    statements = Statement.objects.select_related("article", "speaker", "responds_to").order_by("position")
    articles = (
        Article.objects.select_related("publisher")
        .prefetch_related(
            Prefetch("statements", queryset=statements),
            Prefetch("inspections", queryset=Inspection.objects.order_by("slug")),
            Prefetch("authors", queryset=Person.objects.order_by("slug")),
            Prefetch("people_mentioned", queryset=Person.objects.order_by("slug")),
        )
        .order_by("slug")
    )
    for article in articles.iterator(chunk_size=500):
        yield f"articles/{article.slug}.json", [article, *article.statements.all()]


class Command(BaseCommand):
    help = "Export the whole archive as natural-key fixtures into a directory (load them back with load_archive)."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Where to write the files; created if missing, must be empty.")

    def handle(self, directory, **options):
        root = Path(directory)
        if root.exists() and any(root.iterdir()):
            raise CommandError(f"{root} is not empty: export into a new or empty directory.")
        (root / "articles").mkdir(parents=True, exist_ok=True)
        count = files = 0
        for relative, objects in archive_files():
            (root / relative).write_text(fixture_text(objects), encoding="utf-8")
            count += len(objects)
            files += 1
        self.stdout.write(f"Wrote {count} objects in {files} files to {root}.")
