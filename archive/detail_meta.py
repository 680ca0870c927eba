"""What a detail page says about itself: JSON-LD, Open Graph, Highwire citation tags, citations."""

from django.http import HttpResponse

from archive import citations

CITATION_FORMATS = {
    "bibtex": ("bibtex", "application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("ris", "application/x-research-info-systems; charset=utf-8", "ris"),
}


def citation_download(request, citation):
    """?cite=bibtex or ?cite=ris on a detail page: the citation as a file; None when not asked for."""
    wanted = request.GET.get("cite")
    if wanted is None:
        return None
    if wanted not in CITATION_FORMATS:
        return HttpResponse("cite must be bibtex or ris.", status=400, content_type="text/plain")
    attribute, content_type, extension = CITATION_FORMATS[wanted]
    response = HttpResponse(getattr(citation, attribute), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{citation.key}.{extension}"'
    return response


def highwire_date(date) -> str:
    """citation_publication_date as Highwire reads it: YYYY/MM/DD, or YYYY/MM, or YYYY."""
    return date.isoformat().replace("-", "/") if date else ""


def article_meta(request, article) -> dict:
    url = request.build_absolute_uri(article.get_absolute_url())
    publisher_url = request.build_absolute_uri(article.publisher.get_absolute_url())
    citation = citations.article_citation(article, url)
    return {
        "citation": citation,
        "json_ld": citations.article_ld(article, url, publisher_url),
        "og": {"type": "article", "title": article.headline, "url": url},
        "highwire": [
            ("citation_title", article.headline),
            *([("citation_author", article.byline)] if article.byline else []),
            ("citation_publisher", article.publisher.name),
            ("citation_publication_date", highwire_date(article.published_on)),
            ("citation_public_url", url),
            *([("citation_abstract_html_url", article.source_url)] if article.source_url else []),
        ],
    }


def statement_meta(request, statement) -> dict:
    url = request.build_absolute_uri(statement.get_absolute_url())
    article_url = request.build_absolute_uri(statement.article.get_absolute_url())
    speaker_url = request.build_absolute_uri(statement.speaker.get_absolute_url())
    citation = citations.statement_citation(statement, url)
    article = statement.article
    return {
        "citation": citation,
        "json_ld": citations.statement_ld(statement, url, article_url, speaker_url),
        "og": {"type": "article", "title": f"{statement.speaker.name}: “{statement.words[:80]}”", "url": url},
        "highwire": [
            ("citation_title", article.headline),
            ("citation_publisher", article.publisher.name),
            ("citation_publication_date", highwire_date(article.published_on)),
            ("citation_public_url", url),
        ],
    }
