from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from archive.views import kept_for_revision
from articles.models import Article, Inspection, LocalAuthority
from people.models import Person, Statement

# The council the archive's first articles are about.
FEATURED_AUTHORITY_ONS_CODE = "E08000028"


def archive_totals(request) -> dict[str, int]:
    """How many articles, statements, people and inspections the archive holds, kept per archive revision.

    Counting a million statements took most of the home page's time (120 ms of 125 at 100k articles)
    on every visit that the page cache did not answer: every visit of signed-in staff, and the first
    after each write. archive/warming.py counts them in the background after a write.
    """
    return kept_for_revision(
        request,
        "home:totals",
        lambda: {
            "article_count": Article.objects.published().count(),
            "statement_count": Statement.objects.published().count(),
            "person_count": Person.objects.count(),
            "inspection_count": Inspection.objects.count(),
        },
    )


@require_safe
def home(request):
    authority = LocalAuthority.objects.filter(ons_code=FEATURED_AUTHORITY_ONS_CODE).first()
    history = (
        Inspection.objects.filter(authority=authority).chronological().prefetch_related("judgements")
        if authority
        else Inspection.objects.none()
    )
    context = archive_totals(request) | {
        "latest_articles": Article.objects.published().select_related("publisher")[:5],
        "authority": authority,
        "history": history,
    }
    return render(request, "home.html", context)


@require_safe
def robots_txt(request):
    """Crawl the archive's pages, not its machinery: the admin, downloads, the JSON API and feeds."""
    sitemap = request.build_absolute_uri(reverse("sitemap_index"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /*download=",
        "Disallow: /*format=json",
        "Disallow: /*cite=",
        "Disallow: /*.atom",
        "Allow: /",
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
