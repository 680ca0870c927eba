from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from archive.templatetags.archive_tags import highlight
from archive.views import DETAIL_LIST_LIMIT, FacetedListView, first_and_total
from articles.models import Article
from people.filters import PersonFilterSet, StatementFilterSet
from people.models import Person, Role, Statement


class StatementListView(FacetedListView):
    filterset_class = StatementFilterSet
    template_name = "people/statement_list.html"
    title = "Statements"

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
    return render(request, "people/statement_detail.html", {"statement": statement})


class PersonListView(FacetedListView):
    filterset_class = PersonFilterSet
    template_name = "people/person_list.html"
    title = "People and bodies"

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
    statements = (
        Statement.objects.published()
        .filter(speaker=person)
        .select_related("speaker", "article", "article__publisher", "responds_to")
        .order_by("article__published_on", "article__slug", "position")
    )
    mentioned_in = Article.objects.published().filter(people_mentioned=person).select_related("publisher")
    written = Article.objects.published().filter(authors=person).select_related("publisher")
    statements, statement_total = first_and_total(statements)
    context = {
        "person": person,
        "statements": statements,
        "statement_total": statement_total,
        "members": members[:DETAIL_LIST_LIMIT],
        "mentioned_in": mentioned_in[:DETAIL_LIST_LIMIT],
        "written": written[:DETAIL_LIST_LIMIT],
        "limit": DETAIL_LIST_LIMIT,
    }
    return render(request, "people/person_detail.html", context)
