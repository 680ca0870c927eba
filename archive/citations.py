"""How to cite what the archive holds, and how it describes itself to machines.

A citation names the original (its publisher, author, date and address) and
the archive's copy (its permalink and the date the archive retrieved the page).
Dates are given only as precisely as the source gives them. The same facts
feed schema.org JSON-LD, Open Graph and Highwire ``citation_*`` tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ARCHIVE_NAME = "Inspection Archive"
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _bibtex_text(value: str) -> str:
    """A value safe inside BibTeX braces: braces and backslashes cannot unbalance the entry."""
    return re.sub(r"([{}\\])", r"\\\1", value or "")


def _ris_text(value: str) -> str:
    """A RIS value stays on its line (a newline would start a new tag)."""
    return " ".join((value or "").split())


@dataclass
class Citation:
    key: str
    kind: str  # "article" or "statement"
    title: str
    author: str  # as printed, may be blank
    publisher: str
    date: object  # a PartialDate or None
    original_url: str
    permalink: str
    retrieved_on: object  # a datetime.date or None
    quoted: str = ""  # for a statement: who said it

    @property
    def date_text(self) -> str:
        return str(self.date) if self.date else "n.d."

    @property
    def plain(self) -> str:
        who = f"{self.author}. " if self.author else ""
        said = f"{self.quoted}, quoted in " if self.quoted else ""
        original = f" {self.original_url}." if self.original_url else ""
        retrieved = f", retrieved {self.retrieved_on:%-d %B %Y}" if self.retrieved_on else ""
        return (
            f"{who}{said}“{self.title}”. {self.publisher}, {self.date_text}.{original} "
            f"Archived copy: {ARCHIVE_NAME}, {self.permalink}{retrieved}."
        )

    @property
    def bibtex(self) -> str:
        fields = [("title", self.title)]
        if self.author:
            fields.append(("author", self.author))
        fields.append(("organization", self.publisher))
        if self.date:
            fields.append(("year", f"{self.date.year:04d}"))
            if self.date.month:
                fields.append(("month", MONTHS[self.date.month - 1]))
            if self.date.day:
                fields.append(("day", str(self.date.day)))
        if self.original_url:
            fields.append(("url", self.original_url))
        note = f"Archived copy: {ARCHIVE_NAME}, {self.permalink}"
        if self.retrieved_on:
            note += f", retrieved {self.retrieved_on.isoformat()}"
        if self.quoted:
            note = f"Statement by {self.quoted}. {note}"
        fields.append(("note", note))
        body = ",\n".join(
            f"  {name} = {value}" if name == "month" else f"  {name} = {{{_bibtex_text(value)}}}"
            for name, value in fields
        )
        return f"@misc{{{self.key},\n{body}\n}}\n"

    @property
    def ris(self) -> str:
        lines = [("TY", "NEWS"), ("TI", self.title)]
        if self.author:
            lines.append(("AU", self.author))
        lines.append(("PB", self.publisher))
        if self.date:
            lines.append(("PY", f"{self.date.year:04d}"))
            parts = [
                f"{self.date.year:04d}",
                f"{self.date.month:02d}" if self.date.month else "",
                f"{self.date.day:02d}" if self.date.day else "",
                "",
            ]
            lines.append(("DA", "/".join(parts)))
        if self.original_url:
            lines.append(("UR", self.original_url))
        lines.append(("L2", self.permalink))
        if self.retrieved_on:
            lines.append(("Y2", self.retrieved_on.strftime("%Y/%m/%d")))
        if self.quoted:
            lines.append(("N1", f"Statement by {self.quoted}"))
        lines.append(("DB", ARCHIVE_NAME))
        lines.append(("ER", ""))
        return "".join(f"{tag}  - {_ris_text(value)}\r\n" for tag, value in lines)


def article_citation(article, permalink: str) -> Citation:
    return Citation(
        key=article.slug.replace("-", "_")[:60],
        kind="article",
        title=article.headline,
        author=article.byline,
        publisher=article.publisher.name,
        date=article.published_on,
        original_url=article.source_url,
        permalink=permalink,
        retrieved_on=article.retrieved_on,
    )


def statement_citation(statement, permalink: str) -> Citation:
    article = statement.article
    citation = article_citation(article, permalink)
    citation.key = f"{citation.key}_{statement.position}"
    citation.kind = "statement"
    role = f" ({statement.role_as_printed})" if statement.role_as_printed else ""
    citation.quoted = f"{statement.speaker.name}{role}"
    citation.title = article.headline
    return citation


# --- schema.org ---------------------------------------------------------------------------------


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _clean(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def organisation_ld(publisher, url: str) -> dict:
    return _clean({"@type": "Organization", "name": publisher.name, "url": publisher.website or url})


def article_ld(article, url: str, publisher_url: str) -> dict:
    return _clean(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": article.headline,
            "description": article.standfirst or None,
            "datePublished": _date(article.published_on),
            "author": _clean({"@type": "Person", "name": article.byline}) if article.byline else None,
            "publisher": organisation_ld(article.publisher, publisher_url),
            "isBasedOn": article.source_url or None,
            "url": url,
            "mainEntityOfPage": url,
            "articleBody": article.body,
            "creativeWorkStatus": article.get_status_display(),
        }
    )


def statement_ld(statement, url: str, article_url: str, speaker_url: str) -> dict:
    return _clean(
        {
            "@context": "https://schema.org",
            "@type": "Quotation",
            "text": statement.words,
            "creator": _clean(
                {
                    "@type": "Person" if statement.speaker.kind == "individual" else "Organization",
                    "name": statement.speaker.name,
                    "url": speaker_url,
                }
            ),
            "isBasedOn": article_url,
            "isPartOf": article_url,
            "url": url,
            "datePublished": _date(statement.article.published_on),
        }
    )


def person_ld(person, url: str, roles) -> dict:
    if person.kind == "organisation":
        return _clean({"@context": "https://schema.org", "@type": "Organization", "name": person.name, "url": url})
    return _clean(
        {
            "@context": "https://schema.org",
            "@type": "Person",
            "name": person.name,
            "honorificPrefix": person.honorific or None,
            "description": person.description or None,
            "url": url,
            "hasOccupation": [
                _clean(
                    {
                        "@type": "Role",
                        "roleName": role.title,
                        "startDate": _date(role.started_on),
                        "endDate": _date(role.ended_on),
                        "memberOf": _clean({"@type": "Organization", "name": role.organisation.name})
                        if role.organisation
                        else None,
                    }
                )
                for role in roles
            ],
        }
    )


def inspection_ld(inspection, url: str, authority_url: str) -> dict:
    return _clean(
        {
            "@context": "https://schema.org",
            "@type": "Report",
            "name": str(inspection),
            "author": {"@type": "GovernmentOrganization", "name": "Ofsted"},
            "about": {"@type": "GovernmentOrganization", "name": inspection.authority.name, "url": authority_url},
            "datePublished": _date(inspection.published_on),
            "temporalCoverage": "/".join(filter(None, [_date(inspection.started_on), _date(inspection.ended_on)]))
            or None,
            "url": url,
            "isBasedOn": inspection.report_url or None,
            "abstract": inspection.finding or None,
        }
    )
