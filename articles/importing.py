"""The importer's link to the archive: known people and inspections in, a draft fixture out."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import slugify

from archive.dates import PartialDate
from articles.importer import (
    ImportedArticle,
    ImportError_,
    KnownPerson,
    attribute,
    decode,
    extract,
    propose_inspections,
)
from articles.models import ArticleKind, ArticleStatus, Inspection
from people.models import Person


@dataclass
class ImportResult:
    article: ImportedArticle
    fixture: list[dict]

    @property
    def summary(self) -> str:
        attributed = sum(1 for quote in self.article.quotes if quote.speaker_slug)
        return (
            f"“{self.article.headline or '(no headline found)'}”: {len(self.article.paragraphs)} paragraphs, "
            f"{len(self.article.quotes)} quotes ({attributed} attributed), {len(self.article.new_people)} new people, "
            f"{len(self.article.inspections)} inspections proposed; a draft for review"
        )


def known_people() -> list[KnownPerson]:
    people = []
    for person in Person.objects.prefetch_related("roles__organisation"):
        parts = person.name.split()
        people.append(
            KnownPerson(
                slug=person.slug,
                name=person.name,
                surname=parts[-1] if len(parts) > 1 else "",
                roles=[role.title for role in person.roles.all()],
                kind=person.kind,
                # An organisation's first word is its place ("Sandwell Metropolitan Borough Council").
                places=tuple(
                    sorted({role.organisation.name.split()[0] for role in person.roles.all() if role.organisation})
                ),
            )
        )
    return people


def import_page(data: bytes, name: str, *, publisher: str, url: str = "", date: str | None = None) -> ImportResult:
    article = extract(decode(data, name))
    if date:
        try:
            article.published_on = PartialDate.parse(date)
        except ValueError as error:
            raise ImportError_(f"--date {date!r} is not YYYY, YYYY-MM or YYYY-MM-DD") from error
        article.date_stated = False
    attribute(article, known_people())
    article.inspections = propose_inspections(article, Inspection.objects.select_related("authority"), url=url)
    # Every proposed statement occurs word for word in the body (quotes are cut from it).
    article.quotes = [quote for quote in article.quotes if quote.words and quote.words in article.body]
    slug = slugify(article.headline)[:100] or slugify(name)[:100]
    notes = ["Imported from page text by import_article; review before publishing."]
    if article.published_on and not article.date_stated:
        notes.append("The date was given on the command line, not read from the page.")
    fixture = [
        {
            "model": "people.person",
            "fields": {"slug": new_slug, "name": new_name, "kind": "individual", "description": ""},
        }
        for new_slug, new_name in sorted(article.new_people.items())
        if any(quote.speaker_slug == new_slug for quote in article.quotes)
    ]
    fixture.append(
        {
            "model": "articles.article",
            "fields": {
                "slug": slug,
                "headline": article.headline or "(headline to be written)",
                "headline_inferred": not article.headline,
                "publisher": [publisher],
                "standfirst": article.standfirst,
                "byline": article.byline,
                "published_on": article.published_on.isoformat() if article.published_on else None,
                "published_on_inferred": bool(article.published_on and not article.date_stated),
                "kind": ArticleKind.NEWS_REPORT,
                "source_url": url,
                "body": article.body,
                "inspections": [[inspection] for inspection in article.inspections],
                "status": ArticleStatus.DRAFT,
                "provenance_note": " ".join(notes),
            },
        }
    )
    position = 0
    for quote in article.quotes:
        if not quote.speaker_slug:
            continue  # unattributed quotes are listed in the summary for the editor, not saved blind
        position += 1
        fixture.append(
            {
                "model": "people.statement",
                "fields": {
                    "article": [slug],
                    "position": position,
                    "speaker": [quote.speaker_slug],
                    "role_as_printed": quote.role_as_printed[:300],
                    "kind": quote.kind,
                    "words": quote.words,
                },
            }
        )
    return ImportResult(article=article, fixture=fixture)
