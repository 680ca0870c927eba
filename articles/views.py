from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from archive.citations import inspection_ld
from archive.detail_meta import article_meta, citation_download
from archive.prepared import PreparedQuery
from archive.templatetags.archive_tags import highlight
from archive.views import DETAIL_LIST_LIMIT, FacetedListView, RowsByKey, first_and_total_of
from articles.charts import build_timeline
from articles.filters import ArticleFilterSet, AuthorityFilterSet, InspectionFilterSet, PublisherFilterSet
from articles.models import (
    Article,
    Inspection,
    InspectionJudgement,
    LocalAuthority,
    Publisher,
    previews_drafts,
)
from people.models import Person, Statement
from people.views import ARTICLE_LINKS_BY_KEY, StatementListView


class ArticleListView(FacetedListView):
    filterset_class = ArticleFilterSet
    warmed_facets = ("kind",)
    template_name = "articles/article_list.html"
    title = "Articles"
    export_columns = [
        "headline",
        "published_on",
        "publisher",
        "year",
        "kind",
        "person",
        "judgement",
        "authority",
        "url",
    ]
    feed_url_name = "articles:article_feed"

    def get_queryset(self):
        return Article.objects.published()

    def decorate(self, queryset, filterset):
        if filterset.search_text:
            queryset = queryset.with_snippets(filterset.search_text)
        return self.with_card_details(queryset)

    # What a card and a row of the JSON show, and nothing else: the editors' notes, the source's address and the
    # timestamps (two datetimes parsed per row) are a fifth of the cost of reading a page's rows by key.
    CARD_FIELDS = (
        *("headline", "headline_inferred", "slug", "published_on", "published_on_inferred", "year", "kind", "body"),
        *("publisher__name", "publisher__slug"),
    )

    @classmethod
    def with_card_details(cls, queryset):
        # Speakers and inspections come in the page's own query: no query more per relation.
        return queryset.select_related("publisher").only(*cls.CARD_FIELDS).with_list_details()

    @classmethod
    def page_rows(cls):
        return cls.with_card_details(Article.objects.published())

    def result_as_json(self, article):
        return {
            "headline": article.headline,
            "published_on": article.published_on.isoformat() if article.published_on else None,
            "publisher": article.publisher.slug,
            "year": article.year,
            "kind": article.kind,
            "person": [slug for slug, _ in article.speakers],
            "judgement": sorted({judgement for judgement, _ in article.covered if judgement}),
            "authority": sorted({authority for _, authority in article.covered}),
            "snippet": highlight(getattr(article, "search_snippet", "")) or None,
        }


# An article page's questions, compiled once (archive/prepared.py): compiling six querysets on every
# request was most of what the page cost. Staff also preview drafts, with a query of their own.
ARTICLE_ON_RECORD = PreparedQuery(
    lambda slug: Article.objects.on_record().select_related("publisher").filter(slug=slug), str
)
ARTICLE_ANY_STATUS = PreparedQuery(lambda slug: Article.objects.select_related("publisher").filter(slug=slug), str)
ARTICLE_STATEMENTS = PreparedQuery(
    lambda article: (
        Statement.objects.filter(article_id=article).select_related("speaker", "responds_to").order_by("position")
    ),
    int,
)
ARTICLE_INSPECTIONS = PreparedQuery(
    lambda article: (
        Inspection.objects.filter(articles__id=article).select_related("authority").order_by("started_on", "slug")
    ),
    int,
)
ARTICLE_JUDGEMENTS = PreparedQuery(
    lambda article: InspectionJudgement.objects.filter(inspection__articles__id=article).order_by(
        "inspection_id", "position", "area"
    ),
    int,
)
ARTICLE_PEOPLE_MENTIONED = PreparedQuery(lambda article: Person.objects.filter(articles_mentioning__id=article), int)


@require_safe
def article_detail(request, slug):
    # As Article.objects.visible_to decides: staff preview drafts at their public address.
    found = (ARTICLE_ANY_STATUS if previews_drafts(request.user) else ARTICLE_ON_RECORD)(slug)
    if not found:
        raise Http404("No article at this address.")
    article = found[0]
    meta = article_meta(request, article)
    download = citation_download(request, meta["citation"])
    if download:
        return download
    statements = ARTICLE_STATEMENTS(article.pk)
    for statement in statements:
        statement.article = article
    inspections = ARTICLE_INSPECTIONS(article.pk)
    judgements = {}
    for judgement in ARTICLE_JUDGEMENTS(article.pk) if inspections else []:
        judgements.setdefault(judgement.inspection_id, []).append(judgement)
    context = {
        "article": article,
        "statements": statements,
        "inspections": [(inspection, judgements.get(inspection.pk, [])) for inspection in inspections],
        "people_mentioned": ARTICLE_PEOPLE_MENTIONED(article.pk),
        "meta": meta,
        "citation": meta["citation"],
    }
    return render(request, "articles/article_detail.html", context)


class InspectionListView(FacetedListView):
    filterset_class = InspectionFilterSet
    template_name = "articles/inspection_list.html"
    title = "Inspections"
    export_columns = [
        "title",
        "started_on",
        "published_on",
        "judgement",
        "kind",
        "year",
        "authority",
        "judgements",
        "url",
    ]

    def get_queryset(self):
        return Inspection.objects.all()

    def decorate(self, queryset, filterset):
        return queryset.select_related("authority").prefetch_related(
            Prefetch("judgements", queryset=InspectionJudgement.objects.order_by("position"))
        )

    def result_as_json(self, inspection):
        return {
            "title": str(inspection),
            "started_on": inspection.started_on.isoformat() if inspection.started_on else None,
            "published_on": inspection.published_on.isoformat() if inspection.published_on else None,
            "judgement": inspection.overall_judgement or None,
            "kind": inspection.kind,
            "year": inspection.year,
            "authority": inspection.authority.slug,
            "judgements": {j.area: j.judgement for j in inspection.judgements.all()},
        }


# A detail page lists articles as links, and statements as the statement list's figures: only those columns are
# read, not fifty articles' whole bodies, notes and timestamps. The same rows are read by key once a list's first
# keys are kept (archive/views.py: first_and_total).
statement_figures = StatementListView.with_figure_details
STATEMENTS_BY_KEY = RowsByKey(lambda: statement_figures(Statement.objects.all()))


@require_safe
def inspection_detail(request, slug):
    inspection = get_object_or_404(
        Inspection.objects.select_related("authority").prefetch_related(
            Prefetch("judgements", queryset=InspectionJudgement.objects.order_by("position"))
        ),
        slug=slug,
    )

    def articles_about_it():
        return Article.objects.published().filter(inspections=inspection).as_links()

    def statements_about_it():
        return statement_figures(
            Statement.objects.published()
            .filter(responds_to=inspection)
            .order_by("article__published_on", "article__slug", "position")
        )

    articles, article_total = first_and_total_of(
        request, f"inspection:{inspection.pk}:articles", articles_about_it, ARTICLE_LINKS_BY_KEY
    )
    statements, statement_total = first_and_total_of(
        request, f"inspection:{inspection.pk}:statements", statements_about_it, STATEMENTS_BY_KEY
    )
    context = {
        "inspection": inspection,
        "articles": articles,
        "article_total": article_total,
        "statements": statements,
        "statement_total": statement_total,
        "limit": DETAIL_LIST_LIMIT,
        "feed_url": reverse("articles:article_feed") + f"?authority={inspection.authority.slug}",
        "json_ld": inspection_ld(
            inspection,
            request.build_absolute_uri(inspection.get_absolute_url()),
            request.build_absolute_uri(inspection.authority.get_absolute_url()),
        ),
    }
    return render(request, "articles/inspection_detail.html", context)


class PublisherListView(FacetedListView):
    filterset_class = PublisherFilterSet
    template_name = "articles/publisher_list.html"
    title = "Publishers"
    export_columns = ["name", "kind", "website", "article_count", "url"]

    def get_queryset(self):
        return Publisher.objects.with_article_counts()

    def result_as_json(self, publisher):
        return {
            "name": publisher.name,
            "kind": publisher.kind,
            "website": publisher.website,
            "article_count": publisher.article_count,
        }


@require_safe
def publisher_detail(request, slug):
    publisher = get_object_or_404(Publisher, slug=slug)
    articles, article_total = first_and_total_of(
        request,
        f"publisher:{publisher.pk}:articles",
        lambda: Article.objects.published().filter(publisher=publisher).as_links(),
        ARTICLE_LINKS_BY_KEY,
    )
    context = {
        "publisher": publisher,
        "articles": articles,
        "article_total": article_total,
        "limit": DETAIL_LIST_LIMIT,
        "feed_url": reverse("articles:article_feed") + f"?publisher={publisher.slug}",
    }
    return render(request, "articles/publisher_detail.html", context)


class AuthorityListView(FacetedListView):
    filterset_class = AuthorityFilterSet
    template_name = "articles/authority_list.html"
    title = "Local authorities"
    export_columns = ["name", "ons_code", "region", "latest", "status", "url"]

    def get_queryset(self):
        return LocalAuthority.objects.with_latest_judgement()

    def result_as_json(self, authority):
        return {
            "name": authority.name,
            "ons_code": authority.ons_code,
            "region": authority.region,
            "latest": authority.latest_judgement,
            "status": authority.status,
        }


@require_safe
def authority_detail(request, slug):
    authority = get_object_or_404(LocalAuthority, slug=slug)
    inspections = list(
        authority.inspections.chronological().prefetch_related(
            Prefetch("judgements", queryset=InspectionJudgement.objects.order_by("position"))
        )
    )
    # Matched by the inspections' ids, already loaded, rather than by a join to the authority: then each side of
    # the statements' OR is a column of the statement itself, and SQLite answers it from two indexes (a union of
    # index searches) instead of joining every one of a million statements to its inspection (60 ms, not 770, for
    # the authority most written about).
    inspection_ids = [inspection.pk for inspection in inspections]
    covering = Article.inspections.through.objects.filter(inspection__in=inspection_ids).values("article_id")

    def articles_about_it():
        return Article.objects.published().filter(pk__in=covering).as_links()

    def statements_about_it():
        return statement_figures(
            Statement.objects.published()
            .filter(Q(responds_to__in=inspection_ids) | Q(article__in=covering))
            .order_by("article__published_on", "article__slug", "position")
        )

    articles, article_total = first_and_total_of(
        request, f"authority:{authority.pk}:articles", articles_about_it, ARTICLE_LINKS_BY_KEY
    )
    statements, statement_total = first_and_total_of(
        request, f"authority:{authority.pk}:statements", statements_about_it, STATEMENTS_BY_KEY
    )
    context = {
        "feed_url": reverse("articles:article_feed") + f"?authority={authority.slug}",
        "authority": authority,
        "inspections": inspections,
        "timeline": build_timeline(inspections),
        "articles": articles,
        "article_total": article_total,
        "statements": statements,
        "statement_total": statement_total,
        "limit": DETAIL_LIST_LIMIT,
    }
    return render(request, "articles/authority_detail.html", context)
