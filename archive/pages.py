from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from articles.models import Article, Inspection, LocalAuthority
from people.models import Person, Statement

# The council the archive's first articles are about.
FEATURED_AUTHORITY_ONS_CODE = "E08000028"


@require_safe
def home(request):
    authority = LocalAuthority.objects.filter(ons_code=FEATURED_AUTHORITY_ONS_CODE).first()
    history = (
        Inspection.objects.filter(authority=authority).chronological().prefetch_related("judgements")
        if authority
        else Inspection.objects.none()
    )
    context = {
        "article_count": Article.objects.published().count(),
        "statement_count": Statement.objects.published().count(),
        "person_count": Person.objects.count(),
        "inspection_count": Inspection.objects.count(),
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
