"""sitemap.xml: every public page, published items only (a draft or withdrawn article is never listed)."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from archive.context_processors import NAVIGATION_LISTS
from articles.models import Article, Inspection, LocalAuthority, Publisher
from people.models import Person, Statement


class ArticleSitemap(Sitemap):
    limit = 10000  # the sitemap index pages through a large archive

    def items(self):
        return Article.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        # One aggregate, not a walk over every article, for the sitemap index.
        return Article.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class StatementSitemap(Sitemap):
    limit = 10000

    def items(self):
        return Statement.objects.published().select_related("article").only("position", "article__slug").order_by("pk")


class SlugSitemap(Sitemap):
    model = None

    def items(self):
        return self.model.objects.only("slug").order_by("pk")


class PersonSitemap(SlugSitemap):
    model = Person


class PublisherSitemap(SlugSitemap):
    model = Publisher


class InspectionSitemap(SlugSitemap):
    model = Inspection


class AuthoritySitemap(SlugSitemap):
    model = LocalAuthority


class ListSitemap(Sitemap):
    def items(self):
        return ["home", *NAVIGATION_LISTS]

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "lists": ListSitemap,
    "articles": ArticleSitemap,
    "statements": StatementSitemap,
    "people": PersonSitemap,
    "publishers": PublisherSitemap,
    "inspections": InspectionSitemap,
    "authorities": AuthoritySitemap,
}
