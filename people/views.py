from django.db.models import F, Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from archive.citations import person_ld
from archive.detail_meta import citation_download, statement_meta
from archive.templatetags.archive_tags import highlight
from archive.views import DETAIL_LIST_LIMIT, FacetedListView, first_and_total
from articles.models import Article
from people.filters import PersonFilterSet, StatementFilterSet
from people.models import Person, Role, Statement
from people.timeline import build_person_timeline


class StatementListView(FacetedListView):
    filterset_class = StatementFilterSet
    template_name = "people/statement_list.html"
    title = "Statements"
    export_columns = [
        "words",
        "speaker",
        "speaker_name",
        "role_as_printed",
        "article",
        "publisher",
        "year",
        "kind",
        "url",
    ]
    feed_url_name = "people:statement_feed"

    def get_queryset(self):
        return Statement.objects.published()

    def decorate(self, queryset, filterset):
        if filterset.search_text:
            queryset = queryset.with_snippets(filterset.search_text)
        return queryset.select_related("speaker", "article", "article__publisher")

    def result_as_json(self, statement):
        return {
            "words": statement.words,
            "speaker": statement.speaker.slug,
            "speaker_name": statement.speaker.name,
            "role_as_printed": statement.role_as_printed,
            "article": statement.article.slug,
            "publisher": statement.article.publisher.slug,
            "year": statement.article.year,
            "kind": statement.kind,
            "snippet": highlight(getattr(statement, "search_snippet", "")) or None,
        }


@require_safe
def statement_detail(request, article_slug, position):
    statement = get_object_or_404(
        Statement.objects.visible_to(request.user).select_related(
            "speaker", "article", "article__publisher", "responds_to"
        ),
        article__slug=article_slug,
        position=position,
    )
    meta = statement_meta(request, statement)
    return citation_download(request, meta["citation"]) or render(
        request, "people/statement_detail.html", {"statement": statement, "meta": meta, "citation": meta["citation"]}
    )


class PersonListView(FacetedListView):
    filterset_class = PersonFilterSet
    template_name = "people/person_list.html"
    title = "People and bodies"
    export_columns = ["name", "honorific", "kind", "statement_count", "organisation", "role", "url"]

    def get_queryset(self):
        return Person.objects.with_statement_counts()

    def decorate(self, queryset, filterset):
        return queryset.prefetch_related(
            Prefetch("roles", queryset=Role.objects.select_related("organisation").order_by("started_on"))
        )

    def result_as_json(self, person):
        roles = person.roles.all()
        return {
            "name": person.name,
            "honorific": person.honorific,
            "kind": person.kind,
            "statement_count": person.statement_count,
            "organisation": sorted({role.organisation.slug for role in roles if role.organisation}),
            "role": sorted({role.title for role in roles}),
        }


@require_safe
def person_detail(request, slug):
    person = get_object_or_404(
        Person.objects.prefetch_related(
            Prefetch("roles", queryset=Role.objects.select_related("organisation").order_by("started_on", "title")),
        ),
        slug=slug,
    )
    members = Role.objects.filter(organisation=person).select_related("person").order_by("started_on", "title")
    # In date order, each with the inspection it answered and what Ofsted found; undated last.
    statements = (
        Statement.objects.published()
        .filter(speaker=person)
        .select_related("speaker", "article", "article__publisher", "responds_to", "responds_to__authority")
        .order_by(F("article__published_on").asc(nulls_last=True), "article__slug", "position")
    )
    mentioned_in = Article.objects.published().filter(people_mentioned=person).select_related("publisher")
    written = Article.objects.published().filter(authors=person).select_related("publisher")
    statements, statement_total = first_and_total(statements)
    roles = list(person.roles.all())
    url = request.build_absolute_uri(person.get_absolute_url())
    context = {
        "person": person,
        "statements": statements,
        "statement_total": statement_total,
        "members": members[:DETAIL_LIST_LIMIT],
        "mentioned_in": mentioned_in[:DETAIL_LIST_LIMIT],
        "written": written[:DETAIL_LIST_LIMIT],
        "limit": DETAIL_LIST_LIMIT,
        "timeline": build_person_timeline(roles, statements),
        "json_ld": person_ld(person, url, roles),
        "feed_url": reverse("people:statement_feed") + f"?speaker={person.slug}",
    }
    return render(request, "people/person_detail.html", context)
