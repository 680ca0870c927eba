import hashlib

from django.db.models import Count, F, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from archive.citations import person_ld
from archive.context_processors import site_paths
from archive.detail_meta import citation_download, statement_meta
from archive.prepared import PreparedQuery
from archive.templatetags.archive_tags import highlight
from archive.views import (
    DETAIL_LIST_LIMIT,
    FacetedListView,
    RowsByKey,
    first_and_total,
    first_and_total_of,
    kept_for_revision,
)
from articles.models import ARTICLE_LINK_FIELDS, Article
from people.filters import PersonFilterSet, StatementFilterSet
from people.models import Person, Role, Statement
from people.timeline import build_person_timeline


class StatementListView(FacetedListView):
    filterset_class = StatementFilterSet
    warmed_facets = ("kind",)
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
        return self.with_figure_details(queryset)

    # What a statement's figure and its row of the JSON show. Not its article's body: 20 articles' whole text
    # read, converted and dropped for their headlines, with their notes and timestamps.
    FIGURE_FIELDS = (
        *("article", "position", "speaker", "role_as_printed", "kind", "words"),
        *(f"article__{name}" for name in ARTICLE_LINK_FIELDS),
        *("article__year", "article__publisher__slug"),  # the JSON row's
        *("speaker__slug", "speaker__name", "speaker__honorific"),
    )

    @classmethod
    def with_figure_details(cls, queryset):
        return queryset.select_related("speaker", "article", "article__publisher").only(*cls.FIGURE_FIELDS)

    @classmethod
    def page_rows(cls):
        return cls.with_figure_details(Statement.objects.published())

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

    def rows_fetcher(self, filterset):
        """A page's people by key, their numbers of statements kept per archive revision with the page's keys.

        Counted row by row as the list's queryset counts them, the twenty most quoted people's numbers
        read 300,000 statements on every visit to the list sorted by statements (140 ms at 100k articles).
        """
        request = self.request

        def fetch(keys):
            people = list(self.decorate(Person.objects.filter(pk__in=keys), filterset))
            digest = hashlib.blake2b(repr(sorted(keys)).encode(), digest_size=8).hexdigest()
            counts = kept_for_revision(request, f"people:statement-counts:{digest}", lambda: statement_counts(keys))
            for person in people:
                person.statement_count = counts.get(person.pk, 0)
            return people

        return fetch

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


def statement_counts(people) -> dict[int, int]:
    """How many published statements each of these people made (those with none are left out)."""
    counted = Statement.objects.published().filter(speaker_id__in=people).values_list("speaker_id")
    return dict(counted.annotate(Count("pk")).order_by())


# A person page's questions, compiled once (archive/prepared.py), for the reason the article page's are.
# Their number of statements is the sum of the timeline's counts, which are kept per archive revision.
PERSON_BY_SLUG = PreparedQuery(lambda slug: Person.objects.filter(slug=slug), str)
PERSON_ROLES = PreparedQuery(
    lambda person: Role.objects.filter(person_id=person).select_related("organisation").order_by("started_on", "title"),
    int,
)
ORGANISATION_MEMBERS = PreparedQuery(
    lambda organisation: (
        Role.objects.filter(organisation_id=organisation)
        .select_related("person")
        .order_by("started_on", "title")[:DETAIL_LIST_LIMIT]
    ),
    int,
)
# The statements a person page lists: fewer than other detail lists, since each comes with its article
# and the inspection it answered; the timeline counts all of them, and a link leads to the rest.
PERSON_STATEMENT_LIMIT = 20
# In date order, each with the inspection it answered and what Ofsted found; undated last. The
# speaker is the page's person, so it is not joined again. Of the article, its publisher and the
# inspection only what the figures show: fifty articles' bodies and timestamps were
# a sixth of the page's time (a test pins the page's query count, so a field missed here would show).
STATEMENT_WITH_FINDING_FIELDS = [
    *(field.name for field in Statement._meta.concrete_fields),
    *(f"article__{name}" for name in ARTICLE_LINK_FIELDS),
    *(
        f"responds_to__{name}"
        for name in ("slug", "kind", "started_on", "ended_on", "published_on", "overall_judgement", "authority")
    ),
    "responds_to__authority__name",
]


def statements_with_findings():
    return Statement.objects.select_related(
        "article", "article__publisher", "responds_to", "responds_to__authority"
    ).only(*STATEMENT_WITH_FINDING_FIELDS)


PERSON_STATEMENTS = PreparedQuery(
    lambda person: (
        statements_with_findings()
        .published()
        .filter(speaker_id=person)
        .order_by(F("article__published_on").asc(nulls_last=True), "article__slug", "position")[:PERSON_STATEMENT_LIMIT]
    ),
    int,
)
# The same, by key, once the keys of the first are kept (archive/views.py: first_and_total).
PERSON_STATEMENTS_BY_KEY = RowsByKey(statements_with_findings)

# Every published statement of theirs counted by its article's year and the overall judgement of the
# inspection it answered (None: it answered none), for the timeline: one grouped query, whatever their number.
PERSON_STATEMENTS_BY_YEAR_AND_FINDING = PreparedQuery(
    lambda person: (
        Statement.objects.published()
        .filter(speaker_id=person)
        .values_list("article__year", "responds_to__overall_judgement")
        .annotate(count=Count("pk"))
        .order_by()
    ),
    int,
)
# Links to articles, read by key once a record page's list has its first keys kept (this page's, and
# the article lists of inspection, authority and publisher pages). Finding the articles naming a person
# sorts them all by date: 24 ms a visit for the 7,000 naming the most quoted synthetic speaker at 100k.
ARTICLE_LINKS_BY_KEY = RowsByKey(lambda: Article.objects.as_links())


@require_safe
def person_detail(request, slug):
    found = PERSON_BY_SLUG(slug)
    if not found:
        raise Http404("No person or body at this address.")
    person = found[0]
    roles = PERSON_ROLES(person.pk)
    # Counting and sorting all of a speaker's statements grows with their number (68,000 for the
    # most quoted synthetic speaker: 400 ms a visit); both are kept per archive revision.
    counts = kept_for_revision(
        request, f"person:{person.pk}:statements-by-year", lambda: PERSON_STATEMENTS_BY_YEAR_AND_FINDING(person.pk)
    )
    statement_total = sum(count for _, _, count in counts)
    statements, _ = first_and_total(
        request,
        f"person:{person.pk}:statements:{PERSON_STATEMENT_LIMIT}",
        lambda: PERSON_STATEMENTS(person.pk),
        lambda shown: statement_total,
        PERSON_STATEMENTS_BY_KEY,
    )
    # Their speaker is this person (they were found by speaker_id = person.pk): given, not fetched.
    # Put in the relation's cache as select_related would, without the checks of an assignment.
    speaker = Statement.speaker.field
    for statement in statements:
        speaker.set_cached_value(statement, person)
    mentioned_in, mentioned_total = first_and_total_of(
        request,
        f"person:{person.pk}:named-in",
        lambda: Article.objects.published().filter(people_mentioned=person).as_links(),
        ARTICLE_LINKS_BY_KEY,
    )
    written, written_total = first_and_total_of(
        request,
        f"person:{person.pk}:written",
        lambda: Article.objects.published().filter(authors=person).as_links(),
        ARTICLE_LINKS_BY_KEY,
    )
    url = request.build_absolute_uri(person.get_absolute_url())
    context = {
        "person": person,
        "roles": roles,
        "statements": statements,
        "statement_total": statement_total,
        "members": ORGANISATION_MEMBERS(person.pk),
        "mentioned_in": mentioned_in,
        "mentioned_total": mentioned_total,
        "written": written,
        "written_total": written_total,
        "statement_limit": PERSON_STATEMENT_LIMIT,
        "timeline": build_person_timeline(roles, counts),
        "json_ld": person_ld(person, url, roles),
        "feed_url": site_paths(request)["site_paths"]["statement_feed"] + f"?speaker={person.slug}",
    }
    return render(request, "people/person_detail.html", context)
