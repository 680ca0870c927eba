"""Facet counts checked against a brute-force count in Python over generated data.

The rule (disjunctive faceting): values of one facet are ORed, facets are ANDed,
and a value's count is the size of the list with every *other* facet applied
and that value alone chosen for its own facet.
"""

import html
import json
import random
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, resolve, reverse

from archive.facets import FacetFilter, year_value
from archive.views import FacetedListView
from articles.models import Article, ArticleKind, ArticleStatus, Inspection, Judgement, LocalAuthority, Publisher
from people.models import Person, Statement, StatementKind
from tests.factories import (
    ArticleFactory,
    InspectionFactory,
    PersonFactory,
    PublisherFactory,
    RoleFactory,
    StatementFactory,
)

ARTICLE_FACETS = ["publisher", "year", "kind", "person", "judgement", "authority"]
STATEMENT_FACETS = ["speaker", "publisher", "year", "kind"]


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """Sixty generated articles (some drafts) beside the seeds, shared by the module's tests."""
    rng = random.Random(20261122)
    with django_db_blocker.unblock():
        publishers = [PublisherFactory() for _ in range(5)]
        people = [PersonFactory() for _ in range(8)]
        judgements = [Judgement.GOOD, Judgement.INADEQUATE, Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD, ""]
        inspections = [
            InspectionFactory(overall_judgement=j, kind="ilacs-standard" if j else "ilacs-focused-visit")
            for j in judgements
            for _ in range(2)
        ]
        created = []
        for n in range(60):
            body = f"Paragraph {n}. " + " ".join(f"word{k}" for k in range(12))
            article = ArticleFactory(
                publisher=rng.choice(publishers),
                published_on=rng.choice(["2019-03-04", "2020", "2021-07", "2022-11-30", None]),
                kind=rng.choice(ArticleKind.values),
                status=ArticleStatus.DRAFT if n % 7 == 0 else ArticleStatus.PUBLISHED,
                body=body,
            )
            article.inspections.set(rng.sample(inspections, rng.randint(0, 2)))
            # With repeats: a person quoted twice in an article still counts it once.
            for position, speaker in enumerate(rng.choices(people, k=rng.randint(0, 4)), 1):
                StatementFactory(
                    article=article,
                    position=position,
                    speaker=speaker,
                    words=f"word{position}",
                    kind=rng.choice(StatementKind.values),
                )
            created.append(article)
    yield created
    with django_db_blocker.unblock():
        # Module-scoped rows outlive the tests' transactions: remove every one, dependants first.
        Statement.objects.filter(article__in=created).delete()
        Article.objects.filter(pk__in=[a.pk for a in created]).delete()
        authorities = {inspection.authority_id for inspection in inspections}
        Inspection.objects.filter(pk__in=[i.pk for i in inspections]).delete()
        LocalAuthority.objects.filter(pk__in=authorities).delete()
        Person.objects.filter(pk__in=[p.pk for p in people]).delete()
        Publisher.objects.filter(pk__in=[p.pk for p in publishers]).delete()


def published_article_rows():
    """Every published article's facet values (``article_values``), for the brute-force counts."""
    articles = (
        Article.objects.published()
        .select_related("publisher")
        .prefetch_related("statements__speaker", "inspections__authority")
    )
    return [article_values(article) for article in articles]


def article_values(article):
    """The facet values one article is counted under."""
    return {
        "publisher": {article.publisher.slug},
        "year": {str(article.year)} if article.year else set(),
        "kind": {article.kind},
        "person": {s.speaker.slug for s in article.statements.all()},
        "judgement": {i.overall_judgement for i in article.inspections.all() if i.overall_judgement},
        "authority": {i.authority.slug for i in article.inspections.all()},
    }


def statement_values(statement):
    return {
        "speaker": {statement.speaker.slug},
        "publisher": {statement.article.publisher.slug},
        "year": {str(statement.article.year)} if statement.article.year else set(),
        "kind": {statement.kind},
    }


def matches(values, selection, skip=None):
    return all(values[name] & chosen for name, chosen in selection.items() if chosen and name != skip)


def brute_force(rows, facets, selection):
    results = [values for values in rows if matches(values, selection)]
    counts = {}
    for name in facets:
        pool = [values for values in rows if matches(values, selection, skip=name)]
        tally = {}
        for values in pool:
            for value in values[name]:
                tally[value] = tally.get(value, 0) + 1
        counts[name] = tally
    return len(results), counts


def random_selection(rng, rows, facets):
    selection = {}
    for name in facets:
        seen = sorted({value for values in rows for value in values[name]})
        if seen and rng.random() < 0.5:
            selection[name] = set(rng.sample(seen, rng.randint(1, min(3, len(seen)))))
    return selection


def query_string(selection):
    return "&".join(f"{name}={value}" for name, values in sorted(selection.items()) for value in sorted(values))


def check_against_brute_force(client, url, rows, facets, selection):
    response = client.get(f"{url}?format=json&{query_string(selection)}")
    assert response.status_code == 200
    data = response.json()
    expected_count, expected_facets = brute_force(rows, facets, selection)
    assert data["count"] == expected_count, selection
    for name in facets:
        got = {str(option["value"]): option["count"] for option in data["facets"][name]}
        nonzero = {value: count for value, count in got.items() if count}
        assert nonzero == expected_facets[name], (name, selection)
        for value in selection.get(name, ()):  # selected values stay visible, even at zero
            assert value in got
            assert next(o for o in data["facets"][name] if str(o["value"]) == value)["selected"]


@pytest.mark.django_db
def test_article_facet_counts_match_brute_force(generated):
    rows = published_article_rows()
    rng = random.Random(42)
    client = Client()
    for _ in range(60):
        check_against_brute_force(
            client, "/articles/", rows, ARTICLE_FACETS, random_selection(rng, rows, ARTICLE_FACETS)
        )


@pytest.mark.django_db
def test_statement_facet_counts_match_brute_force(generated):
    statements = Statement.objects.published().select_related("speaker", "article__publisher")
    rows = [statement_values(statement) for statement in statements]
    rng = random.Random(7)
    client = Client()
    for _ in range(40):
        check_against_brute_force(
            client, "/statements/", rows, STATEMENT_FACETS, random_selection(rng, rows, STATEMENT_FACETS)
        )


@pytest.mark.django_db
def test_results_carry_the_values_they_are_counted_under(generated):
    data = Client().get("/articles/?format=json&page=1").json()
    assert set(data) == {"count", "results", "facets", "next", "previous"}
    for result in data["results"]:
        article = Article.objects.get(slug=result["url"].rstrip("/").rsplit("/", 1)[1])
        values = article_values(article)
        assert {result["publisher"]} == values["publisher"]
        assert set(result["person"]) == values["person"]
        assert set(result["judgement"]) == values["judgement"]
        assert result["kind"] in values["kind"]
    assert data["next"] and "page=2" in data["next"] and data["previous"] is None


@pytest.mark.django_db
def test_drafts_count_nowhere(generated):
    drafts = [a for a in generated if a.status == ArticleStatus.DRAFT]
    data = Client().get("/articles/?format=json").json()
    assert data["count"] == Article.objects.published().count()
    for draft in drafts:
        assert Client().get(draft.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_facet_links_toggle_one_value_keep_the_rest_and_drop_the_page(generated):
    response = Client().get("/articles/?publisher=localgov&q=Sandwell&page=1&sort=-date")
    facets = {facet.name: facet for facet in response.context["filter"].facets}
    localgov = next(o for o in facets["publisher"].options if o.value == "localgov")
    assert localgov.selected
    assert parse_qs(urlsplit(localgov.query).query) == {"q": ["Sandwell"], "sort": ["-date"]}
    bbc = next(o for o in facets["publisher"].options if o.value == "bbc-news")
    assert parse_qs(urlsplit(bbc.query).query) == {
        "publisher": ["localgov", "bbc-news"],
        "q": ["Sandwell"],
        "sort": ["-date"],
    }
    html = response.content.decode()
    assert 'aria-current="true"' in html


@pytest.mark.django_db
def test_facet_links_are_encoded_as_urlencode_encodes_them():
    # Slugs and years go in as they are; anything else is quoted exactly as urlencode quotes it.
    from urllib.parse import urlencode

    from articles.filters import ArticleFilterSet

    odd = ["Call 0800 000 000", "a&b=c", "ünïcode", "x+y", "50%", "a.b_c~d-e"]
    data = QueryDict(mutable=True)
    data.setlist("publisher", ["localgov", *odd])
    data.setlist("q", ["safe guarding"])
    filterset = ArticleFilterSet(data, queryset=Article.objects.published())
    assert filterset.is_valid()
    for value in ["bbc-news", *odd]:
        chosen = [v for v in ["localgov", *odd] if v != value] or []
        if value not in odd:
            chosen.append(value)
        expected = "?" + urlencode([*(("publisher", v) for v in chosen), ("q", "safe guarding")])
        assert filterset.toggled_query("publisher", value) == expected, value


@pytest.mark.django_db
def test_selected_value_without_results_stays_visible_and_removable():
    data = Client().get("/articles/?format=json&publisher=bbc-news&year=2016").json()
    assert data["count"] == 0
    bbc = next(o for o in data["facets"]["publisher"] if o["value"] == "bbc-news")
    assert bbc == {"value": "bbc-news", "label": "BBC News", "count": 0, "selected": True}
    year = next(o for o in data["facets"]["year"] if o["value"] == 2016)
    assert year["selected"] and year["count"] == 0


@pytest.mark.django_db
def test_an_unknown_value_is_shown_at_zero_rather_than_silently_widening_the_list():
    data = Client().get("/articles/?format=json&publisher=no-such-publisher").json()
    assert data["count"] == 0
    # Shown as not found: the address's text is not echoed onto the page as if it were a publisher.
    expected = {"value": "no-such-publisher", "label": "Not found", "count": 0, "selected": True}
    assert expected in data["facets"]["publisher"]
    html = Client().get("/articles/?publisher=Call+0800+000+000").content.decode()
    # Only the search form's hidden field carries it (to keep the filter), never visible text.
    assert html.count("Call 0800") == html.count('type="hidden" name="publisher" value="Call 0800 000 000"') == 1


@pytest.mark.django_db
def test_chosen_values_with_no_results_are_named_in_the_facets_one_query(django_assert_max_num_queries):
    """A role title and a year no record has: the title is not found, the year (checked as read) is itself."""
    RoleFactory(title="Chief executive of the trust")
    with django_assert_max_num_queries(3 + 3):
        people = Client().get("/people/?format=json&role=Warlock&role=Chief+executive+of+the+trust").json()
    assert {"value": "Warlock", "label": "Not found", "count": 0, "selected": True} in people["facets"]["role"]
    chief = next(o for o in people["facets"]["role"] if o["value"] == "Chief executive of the trust")
    assert chief["label"] == "Chief executive of the trust" and chief["selected"] and chief["count"] > 0
    articles = Client().get("/articles/?format=json&year=1901").json()
    assert {"value": 1901, "label": "1901", "count": 0, "selected": True} in articles["facets"]["year"]


@pytest.mark.django_db
def test_a_value_typed_another_way_is_removed_by_its_link():
    response = Client().get("/articles/?year=02018")
    year = next(f for f in response.context["filter"].facets if f.name == "year")
    option = next(o for o in year.options if o.value == 2018)
    assert option.selected
    assert "year" not in parse_qs(urlsplit(option.query).query)


@pytest.mark.django_db
def test_no_facet_lists_more_than_its_limit_and_a_long_one_links_to_the_rest(settings):
    settings.ARCHIVE_FACET_LIMIT = 3
    response = Client().get("/articles/", {"person": "steve-eling"})  # a selected value outside the top 3
    person = next(f for f in response.context["filter"].facets if f.name == "person")
    assert person.truncated
    # The chosen value takes one of the three places: no control lists more than its limit.
    assert len(person.options) == 3 and len([o for o in person.options if not o.selected]) == 2
    eling = next(o for o in person.options if o.selected)
    assert (eling.value, eling.label, eling.count) == ("steve-eling", "Steve Eling", 0)  # named, though never quoted
    html = response.content.decode()
    assert 'href="/people/">Find any other</a>' in html
    assert 'href="/articles/?person=simon-hackett"' in Client().get("/people/", {"q": "Hackett"}).content.decode()


@pytest.mark.django_db
def test_chosen_values_beyond_the_top_never_make_a_control_longer_than_its_limit(settings):
    settings.ARCHIVE_FACET_LIMIT = 5
    publishers = [PublisherFactory(slug=f"outlet-{n:02}", name=f"Outlet {n:02}") for n in range(12)]
    for n, publisher in enumerate(publishers):
        for _ in range(n + 1):
            ArticleFactory(publisher=publisher)
    rarest = [f"outlet-{n:02}" for n in range(4)]  # the four with fewest articles, none in the top five
    most = max(Article.objects.published().values("publisher").annotate(n=Count("id")).values_list("n", flat=True))
    for query in ({}, {"more": "publisher"}):
        data = Client().get("/articles/", {"format": "json", "publisher": rarest, **query}).json()
        options = data["facets"]["publisher"]
        assert len(options) == 5
        assert sorted(o["value"] for o in options if o["selected"]) == rarest
        [other] = [o for o in options if not o["selected"]]  # the top one, in the room left
        assert other["count"] == most and other["value"] not in rarest


@pytest.mark.django_db
def test_the_total_is_read_off_the_facet_counts_not_counted_again(generated):
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        data = Client().get("/statements/", {"format": "json", "kind": "direct"}).json()
    counts = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert counts and all("GROUP BY" in sql.upper() for sql in counts), counts
    assert data["count"] == Statement.objects.published().filter(kind="direct").count()


@pytest.mark.django_db
def test_totals_stay_exact_when_every_facet_is_cut_short(generated, settings):
    """With the kind and publisher facets truncated, no facet holds every row: the list is counted."""
    settings.ARCHIVE_FACET_LIMIT = 1
    rows = published_article_rows()
    rng = random.Random(3)
    client = Client()
    for _ in range(30):
        selection = random_selection(rng, rows, ARTICLE_FACETS)
        data = client.get(f"/articles/?format=json&{query_string(selection)}").json()
        assert data["count"] == brute_force(rows, ARTICLE_FACETS, selection)[0], selection


def test_a_facet_option_is_kept_without_its_per_request_link():
    import pickle

    from archive.facets import FacetOption

    option = FacetOption(value=2019, label="2019", count=7, selected=True, query="?year=2019&q=x")
    kept = pickle.loads(pickle.dumps(option))
    assert (kept.value, kept.label, kept.count, kept.selected, kept.query) == (2019, "2019", 7, True, "")


def facet_named(response, name):
    return next(f for f in response.context["filter"].facets if f.name == name)


def listed_values(facet):
    return [option.value for option in facet.listed]


@pytest.mark.django_db
def test_a_long_facet_lists_its_top_values_and_a_link_lists_them_all(settings):
    settings.ARCHIVE_FACET_SHOWN = 2
    client = Client()
    response = client.get("/articles/", {"kind": "news-report"})
    person = facet_named(response, "person")
    counted = [option.value for option in person.options]
    assert len(counted) > 2 and not person.truncated
    assert listed_values(person) == counted[:2]
    html = response.content.decode()
    assert html.count('<span class="label">') == sum(len(facet.listed) for facet in response.context["filter"].facets)
    # The link keeps the filters and asks for this facet's every value.
    assert parse_qs(urlsplit(person.more_query).query) == {"kind": ["news-report"], "more": ["person"]}
    assert f'href="{person.more_query.replace("&", "&amp;")}"' in html
    assert f"all {len(counted)}." in html

    expanded = client.get(f"/articles/{person.more_query}")
    person = facet_named(expanded, "person")
    assert listed_values(person) == counted and not person.more_query
    # Other long facets stay short; choosing a value keeps this one open.
    assert all(len(facet.listed) <= 2 for facet in expanded.context["filter"].facets if facet.name != "person")
    chosen = parse_qs(urlsplit(person.listed[-1].query).query)
    assert chosen["more"] == ["person"] and chosen["person"] == [counted[-1]]


@pytest.mark.django_db
def test_a_chosen_value_beyond_the_top_ones_is_still_listed(settings):
    settings.ARCHIVE_FACET_SHOWN = 1
    everything = facet_named(Client().get("/articles/"), "person").options
    last = everything[-1].value
    person = facet_named(Client().get("/articles/", {"person": last}), "person")
    assert last in listed_values(person)
    assert next(o for o in person.listed if o.value == last).selected


@pytest.mark.django_db
def test_asking_to_show_more_of_no_such_facet_changes_nothing(settings):
    settings.ARCHIVE_FACET_SHOWN = 2
    client = Client()
    plain = facet_named(client.get("/articles/"), "person")
    for junk in ["nonsense", "person\x00", "", "PERSON", "ñ" * 300]:
        response = client.get("/articles/", {"more": junk})
        assert response.status_code == 200
        assert listed_values(facet_named(response, "person")) == listed_values(plain)
    # The JSON answer always gives every counted value.
    data = client.get("/articles/", {"format": "json"}).json()
    assert len(data["facets"]["person"]) == len(plain.options) > 2


@pytest.mark.django_db
def test_each_request_has_its_own_filters_though_their_form_fields_are_shared():
    from archive.facets import limit_search_words, reject_control_characters
    from articles.filters import ArticleFilterSet

    def filterset(query):
        return ArticleFilterSet(QueryDict(query), queryset=Article.objects.published())

    searching, refused = filterset("q=inspection"), filterset("q=in%01spection")
    # The search is run by the request's own FilterSet, not by the class's filter or another request's.
    assert searching.filters["q"].filter.method.__self__ is searching
    assert refused.filters["q"].filter.method.__self__ is refused
    # The search box's checks are on the shared field once, however many requests there have been.
    checks = len(searching.form.fields["q"].validators)
    for _ in range(3):
        assert filterset("q=x").is_valid()
    assert len(filterset("").form.fields["q"].validators) == checks
    assert all(
        check in searching.form.fields["q"].validators for check in (reject_control_characters, limit_search_words)
    )
    assert not refused.is_valid() and refused.form.errors.as_data()["q"][0].code == "bad_char"
    # A form's own set of fields can change without changing another form's.
    searching.form.fields.pop("year")
    assert "year" in refused.form.fields and "year" in filterset("").form.fields


def list_views(patterns=None):
    """Every list page's view, as the site's addresses route to it."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from list_views(pattern.url_patterns)
        elif isinstance(view := getattr(pattern.callback, "view_class", None), type) and issubclass(
            view, FacetedListView
        ):
            yield view


def can_be_cut_short(facet: FacetFilter, limit: int) -> bool:
    """Whether the facet may have more values than it counts (ARCHIVE_FACET_LIMIT).

    Not when its values are a closed set of choices no longer than the limit (kinds, judgements).
    Not a facet of years either: it lists the newest first and would be cut short only by an
    archive spanning more than a century of reporting; any year is reached by its address.
    """
    if facet.choices is not None:
        return len(facet.choices.choices) > limit
    return facet.coerce is not year_value


def test_every_facet_that_can_be_cut_short_leads_to_a_list_finding_any_of_its_values(settings):
    views = set(list_views())
    assert len(views) >= 6  # every list: articles, statements, people, inspections, publishers, authorities
    checked = []
    for view in views:
        filterset = view.filterset_class
        for name, facet in filterset.base_filters.items():
            if not isinstance(facet, FacetFilter) or not can_be_cut_short(facet, settings.ARCHIVE_FACET_LIMIT):
                continue
            where = f"{view.__name__}: {name}"
            assert facet.find_url_name, f"{where} can be cut short, with no list where the rest is found"
            found_on = resolve(reverse(facet.find_url_name)).func.view_class
            assert issubclass(found_on, FacetedListView) and "q" in found_on.filterset_class.base_filters, where
            if facet.group_by:
                # A value that is a record is found on that record's own list.
                related = filterset._meta.model
                for step in facet.group_by.split("__"):
                    related = related._meta.get_field(step).related_model
                assert found_on.filterset_class._meta.model is related, where
            checked.append(where)
    assert any(where.startswith("PersonListView") for where in checked)


def facet_hint(page: str, label: str) -> str:
    """The facet's part of a list page: its heading, its values and the hint under them."""
    heading = f"<h3>{html.escape(label)}</h3>"
    return next(part for part in page.split('<div class="facet">') if part.startswith(heading))


@pytest.mark.django_db
def test_a_cut_short_people_facet_links_to_where_any_of_its_values_is_found(settings):
    settings.ARCHIVE_FACET_LIMIT = 2
    roles = [
        RoleFactory(title=f"Head of {place} Safeguarding Partnership", organisation__name=f"{place} Council")
        for place in ("Łódź", "Wrexham", "Rutland")
    ]
    client = Client()
    page = client.get("/people/")
    organisation, role = facet_named(page, "organisation"), facet_named(page, "role")
    assert organisation.truncated and role.truncated
    page = page.content.decode()

    # An organisation beyond the listed ones: found on the people list, whose entry links to its members here.
    left_out = next(r for r in roles if r.organisation.slug not in listed_values(organisation))
    hint = facet_hint(page, "Organisation")
    assert f'<a href="{organisation.find_url}">Find any other</a>' in hint
    found = client.get(organisation.find_url, {"q": left_out.organisation.name}).content.decode()
    members_link = f"{reverse('people:person_list')}?organisation={left_out.organisation.slug}"
    assert f'href="{members_link}"' in found
    members = client.get(f"{members_link}&format=json").json()["results"]
    assert left_out.person.name in [person["name"] for person in members]

    # A role title beyond the listed ones: the list's search matches role titles.
    left_out = next(r for r in roles if r.title not in listed_values(role))
    hint = facet_hint(page, "Role as printed")
    assert f'<a href="{role.find_url}">Search for any other</a>' in hint
    found = client.get(role.find_url, {"q": left_out.title, "download": "json"})  # every row, not one page
    assert left_out.person.name in [
        person["name"] for person in json.loads(b"".join(found.streaming_content))["results"]
    ]


@pytest.mark.django_db
def test_a_year_lists_every_article_dated_in_it_however_precisely_and_no_other():
    """The list finds a year's rows as a range of stored dates (so that the date index serves them,
    ``FacetFilter.rows_condition``): the range must hold every shape of date in the year, from "2012"
    to "2012-12-31", and nothing either side of it; the count, read off the facets, must agree."""
    dates = ["2011-12-31", "2012", "2012-01", "2012-01-01", "2012-06-15", "2012-12", "2012-12-31", "2013", None]
    published_on = {ArticleFactory(published_on=date).get_absolute_url(): date for date in dates}
    for years in ([2012], [2011, 2013], [2011, 2012, 2013], [1999]):
        query = "&".join(f"year={year}" for year in years)
        data = Client().get(f"/articles/?format=json&{query}").json()
        listed = {urlsplit(row["url"]).path for row in data["results"]}
        expected = {url for url, date in published_on.items() if date and int(date[:4]) in years}
        assert listed == expected, years
        assert data["count"] == len(expected)
        listed_dates = [published_on[urlsplit(row["url"]).path] for row in data["results"]]
        assert listed_dates == sorted(listed_dates, reverse=True)  # newest first, as unfiltered
