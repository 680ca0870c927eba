from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from articles.models import Article, ArticleStatus, Inspection, LocalAuthority, Publisher
from people.models import Person, Statement
from tests.factories import ArticleFactory, InspectionFactory, PersonFactory, RoleFactory, StatementFactory

pytestmark = pytest.mark.django_db

LIST_URLS = ["/articles/", "/statements/", "/people/", "/inspections/", "/publishers/", "/authorities/"]


@pytest.fixture
def client():
    return Client()


def test_home_shows_what_the_archive_holds_and_sandwells_history(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sandwell's inspections at a glance" in html
    assert "positive progress" in html
    assert response.context["article_count"] == Article.objects.published().count()
    assert len(response.context["history"]) == 9


@pytest.mark.parametrize("url", LIST_URLS)
def test_every_list_renders_with_facets_and_answers_json(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["filter"].facets
    data = client.get(url, {"format": "json"}).json()
    assert data["count"] == response.context["page_obj"].paginator.count
    for result in data["results"]:
        assert result["url"].startswith("http://testserver/")
        assert client.get(result["url"]).status_code == 200


def test_every_detail_page_is_reached_by_get_absolute_url(client):
    objects = [
        *Article.objects.published(),
        *Inspection.objects.all(),
        *Publisher.objects.all(),
        *LocalAuthority.objects.filter(ons_code__in=["E08000028", "E10000028", "E10000006"]),
        *Person.objects.all(),
        *Statement.objects.published(),
    ]
    for obj in objects:
        assert client.get(obj.get_absolute_url()).status_code == 200, obj


def test_article_page_links_each_quote_to_its_speaker(client):
    article = Article.objects.get(slug="councils-childrens-services-remain-inadequate-inspectors-say")
    html = client.get(article.get_absolute_url()).content.decode()
    assert reverse("people:person_detail", args=["simon-hackett"]) in html
    assert reverse("people:person_detail", args=["jacqui-smith"]) in html
    assert "Frances Craven" in html  # the editor's note
    assert "Requires improvement to be good" in html  # the care leavers judgement of the re-inspection
    assert "Recuriter" not in html


def test_article_page_shows_dates_at_their_precision_and_marks_inferences(client):
    html = client.get("/articles/sandwell-childrens-services-remain-inadequate/").content.decode()
    assert "29 January 2018" in html and "inferred" in html
    html = client.get("/inspections/sandwell-2013-02-child-protection/").content.decode()
    assert "April 2013" in html
    assert "1 April 2013" not in html


def test_article_list_names_each_speaker_once(client):
    response = client.get("/articles/", {"q": "Halesowen"})
    article = response.context["results"][0]
    names = [name for _, name in article.speakers]
    assert len(names) == len(set(names)) == 6
    assert names[0] == "Ofsted"  # in the order they first speak


def test_person_page_lists_roles_and_statements(client):
    html = client.get("/people/simon-hackett/").content.decode()
    assert "Cabinet Member for Children and Education" in html
    assert html.count('class="statement statement--') == Statement.objects.filter(speaker__slug="simon-hackett").count()


def test_text_search_narrows_each_list(client):
    assert client.get("/articles/", {"q": "Halesowen", "format": "json"}).json()["count"] == 1
    assert client.get("/statements/", {"q": "broken system", "format": "json"}).json()["count"] == 1
    assert client.get("/people/", {"q": "Chief Executive", "format": "json"}).json()["count"] == 1


def test_sorting_by_date_both_ways(client):
    newest = client.get("/articles/", {"format": "json", "sort": "-date"}).json()["results"]
    oldest = client.get("/articles/", {"format": "json", "sort": "date"}).json()["results"]
    assert newest[0]["published_on"] == "2025-12-02"
    assert oldest[0]["published_on"] == "2016-10-06"


def test_drafts_are_invisible_to_the_public(client):
    draft = ArticleFactory(status=ArticleStatus.DRAFT, headline="Secret draft headline", body="Draft text.")
    speaker = PersonFactory(name="Draft-only speaker")
    StatementFactory(article=draft, speaker=speaker, words="Draft text", position=1)
    assert client.get(draft.get_absolute_url()).status_code == 404
    for url in LIST_URLS:
        assert "Secret draft headline" not in client.get(url).content.decode()
    people = client.get("/people/", {"format": "json", "q": "Draft-only"}).json()["results"]
    assert people[0]["statement_count"] == 0
    assert client.get("/statements/", {"speaker": speaker.slug, "format": "json"}).json()["count"] == 0
    assert client.get(f"/statements/{draft.slug}/1/").status_code == 404


def test_pagination_links_keep_filters(client):
    publisher = Publisher.objects.get(slug="localgov")
    for n in range(25):
        ArticleFactory(publisher=publisher, slug=f"paged-{n}")
    response = client.get("/articles/", {"publisher": "localgov"})
    html = response.content.decode()
    assert response.context["page_obj"].paginator.num_pages == 2
    assert "?publisher=localgov&amp;page=2" in html
    second = client.get("/articles/", {"publisher": "localgov", "page": 2})
    assert second.status_code == 200 and len(second.context["results"]) == 27 - 20
    assert client.get("/articles/", {"publisher": "localgov", "page": "last"}).context["page_obj"].number == 2


class ControlsReader(HTMLParser):
    """What a visitor can do above a list's results: the search box, the hidden inputs a new search
    carries, the links that remove a choice, the count, the sort links, and the take-away links."""

    def __init__(self):
        super().__init__()
        self.search_value, self.hidden, self.removals, self.sorts, self.take_away = None, [], [], [], []
        self.count_text, self.clear_all, self.stack, self.link = "", None, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "search":
            self.search_value = attrs.get("value")
        elif tag == "input" and attrs.get("type") == "hidden":
            self.hidden.append((attrs["name"], attrs["value"]))
        elif tag == "a":
            self.link = [attrs, ""]
            if attrs.get("class") == "clear":
                self.clear_all = attrs["href"]
        if tag in {"div", "nav", "ul", "p"}:
            self.stack.append(attrs.get("class", ""))

    def handle_endtag(self, tag):
        if tag == "a" and self.link:
            attrs, text = self.link
            where = self.stack
            if "active-filters" in where and attrs.get("class") != "clear":
                self.removals.append((" ".join(text.split()), attrs["href"]))
            elif "sort" in where:
                self.sorts.append((text, attrs["href"], attrs.get("aria-current")))
            elif "take-away" in where:
                self.take_away.append((text, attrs["href"]))
            self.link = None
        if tag in {"div", "nav", "ul", "p"} and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.link:
            self.link[1] += data
        if self.stack and self.stack[-1] == "result-count":
            self.count_text += data


def query_of(href: str) -> dict:
    return parse_qs(urlsplit(href).query)


def test_the_list_controls_show_what_was_chosen_and_undo_each_choice(client):
    publisher = Publisher.objects.get(slug="localgov")
    for n in range(25):
        ArticleFactory(publisher=publisher, slug=f"controlled-{n}", body="care")
    asked = {"q": "care", "publisher": "localgov", "sort": "headline", "page": "2"}
    response = client.get("/articles/", asked)
    assert response.status_code == 200
    paginator = response.context["page_obj"].paginator
    assert paginator.count > 20
    reader = ControlsReader()
    reader.feed(response.content.decode())
    assert reader.search_value == "care"
    # A new search keeps the filters and the order, not the old search or the place in its results.
    assert sorted(reader.hidden) == [("publisher", "localgov"), ("sort", "headline")]
    removals = dict(reader.removals)
    assert query_of(removals["Search: “care” ×(remove)"]) == {"publisher": ["localgov"], "sort": ["headline"]}
    (publisher_label,) = [label for label in removals if label.startswith("Publisher:")]
    assert query_of(removals[publisher_label]) == {"q": ["care"], "sort": ["headline"]}
    assert reader.clear_all == "/articles/"
    assert " ".join(reader.count_text.split()) == f"{paginator.count} results, page 2 of {paginator.num_pages}"
    # A link for each order, each keeping the search and the filters and starting again at page 1; the
    # one asked for is marked.
    orders = [value for value, _ in response.context["filter"].form.fields["sort"].choices if value]
    assert [query_of(href) for _, href, _ in reader.sorts] == [
        {"q": ["care"], "publisher": ["localgov"], "sort": [value]} for value in orders
    ]
    assert [query_of(href)["sort"] for _, href, current in reader.sorts if current == "true"] == [["headline"]]
    take_away = dict(reader.take_away)
    assert {"Download CSV", "Download JSON", "Atom feed", "JSON API"} <= set(take_away)
    assert query_of(take_away["JSON API"]) == {**{key: [value] for key, value in asked.items()}, "format": ["json"]}
    assert query_of(take_away["Download CSV"])["download"] == ["csv"]


def test_a_list_of_one_says_so_and_offers_no_choice_to_undo(client):
    response = client.get("/publishers/", {"q": "BBC"})
    reader = ControlsReader()
    reader.feed(response.content.decode())
    assert response.context["page_obj"].paginator.count == 1
    assert " ".join(reader.count_text.split()) == "1 result"
    assert [label for label, _ in reader.removals] == ["Search: “BBC” ×(remove)"]
    unfiltered = ControlsReader()
    unfiltered.feed(client.get("/publishers/").content.decode())
    assert unfiltered.removals == [] and unfiltered.clear_all is None and unfiltered.search_value == ""


# The queries a list makes do not grow with the data: at most three beside one per facet (the issue's
# budget). Lists read the archive revision first (their counts are cached by it and the filters).
QUERY_BUDGET = {
    "/articles/": 3 + 6,  # revision, page (with speakers and inspections), six facets; the total is their sum
    "/statements/": 3 + 4,  # revision, count, page (speaker, article, publisher joined), four facets
    "/people/": 3 + 3,  # revision, page, roles, three facets; the total is read off the kind facet
    "/inspections/": 3 + 6,  # revision, page, judgements, six facets; the total is read off the kind facet
    "/publishers/": 3 + 1,  # revision, count, page with article counts, one facet
    "/authorities/": 3 + 3,  # revision, count, page with latest judgements, three facets
}


def clear_caches():
    from django.core.cache import caches

    for kept in caches.all():
        kept.clear()


@pytest.mark.parametrize("url", list(QUERY_BUDGET))
def test_the_budget_is_three_queries_beside_one_a_facet(client, url):
    facets = client.get(url).context["filter"].facet_filters
    assert QUERY_BUDGET[url] == 3 + len(facets)


def rarest_of_each_facet(client, url) -> dict:
    """Every facet's least frequent value: with the others chosen too, most count nothing."""
    clear_caches()
    facets = client.get(url, {"more": list(client.get(url).context["filter"].facet_filters)}).context["filter"].facets
    return {facet.name: [facet.options[-1].value] for facet in facets if facet.options}


@pytest.mark.django_db
@pytest.mark.parametrize("url", list(QUERY_BUDGET))
@pytest.mark.parametrize("facet_limit", [100, 1])
@pytest.mark.parametrize("page_size", [1, 50])
def test_list_queries_stay_in_budget_whatever_is_chosen(
    client, settings, url, facet_limit, page_size, django_assert_max_num_queries
):
    """Chosen values outside a facet's top values, chosen values with no results, a search and any
    page: each facet is still one query, and the total is read off a facet's counts, not counted
    again (each request made from scratch, its counts not kept)."""
    settings.ARCHIVE_FACET_LIMIT = facet_limit
    settings.ARCHIVE_PAGE_SIZE = page_size
    rarest = rarest_of_each_facet(client, url)
    assert len(rarest) >= 1
    states = [{}, rarest, {**rarest, "page": "last"}, {"page": "2" if page_size == 1 else "last"}]
    states += [{name: values} for name, values in rarest.items()]
    if url in {"/articles/", "/statements/"}:
        states += [{"q": "children"}, {"q": "children -sandwell", **rarest}]
    for state in states:
        for answer in ({}, {"format": "json"}):
            clear_caches()
            with django_assert_max_num_queries(QUERY_BUDGET[url]):
                response = client.get(url, {**state, **answer})
            assert response.status_code == 200, (state, response.status_code)


@pytest.mark.parametrize("url", list(QUERY_BUDGET))
def test_list_queries_stay_fixed_as_data_grows(client, url, django_assert_max_num_queries):
    with django_assert_max_num_queries(QUERY_BUDGET[url]):
        client.get(url, {"format": "json"})
    with django_assert_max_num_queries(QUERY_BUDGET[url]):
        client.get(url)
    for n in range(30):
        article = ArticleFactory(slug=f"growth-{n}", body="Growth paragraph with words.")
        for position in range(1, 4):
            StatementFactory(article=article, position=position, words="words")
    with django_assert_max_num_queries(QUERY_BUDGET[url]):
        client.get(url)
    with django_assert_max_num_queries(QUERY_BUDGET[url]):
        client.get(url, {"format": "json", "page": 2} if url in {"/articles/", "/statements/", "/people/"} else {})


# What a detail page asks, whatever how much its record links to (the page cache off): one query per
# kind of thing it shows, after the archive revision where it keeps its lists' first keys and totals;
# on a visit again at the same revision their rows are read by key and nothing is counted or sorted
# again (archive/views.py: first_and_total).
DETAIL_QUERIES = {
    # the article (publisher joined), its statements, its inspections, their judgements, people named
    "/articles/councils-childrens-services-remain-inadequate-inspectors-say/": (5, 5),
    # the person, roles, their statements counted by year and finding (the timeline, and their total),
    # the first statements, members, articles naming them, articles by them; again: the counts and the
    # lists' first keys are kept, the rows read by key
    "/people/simon-hackett/": (1 + 7, 1 + 6),
    # the inspection, its judgements, the first articles and statements (fewer than a page: not counted)
    "/inspections/sandwell-2017-11-sif-reinspection/": (1 + 4, 1 + 4),
    # the authority, its inspections and their judgements, the first articles, the first statements and
    # (more than a page of them) their count; again: not counted
    "/authorities/sandwell/": (1 + 6, 1 + 5),
    # the publisher, its first articles
    "/publishers/localgov/": (1 + 2, 1 + 2),
}


@pytest.mark.parametrize("url", list(DETAIL_QUERIES))
def test_detail_queries_stay_fixed_as_links_grow(
    url, django_assert_num_queries, django_assert_max_num_queries, settings
):
    settings.ARCHIVE_PAGE_CACHE = False  # each visit makes the page, rather than serving it whole
    client = Client()
    first, again = DETAIL_QUERIES[url]

    def visits():
        with django_assert_num_queries(first):
            assert client.get(url).status_code == 200
        # At most: a list kept empty (the articles naming a person who is named nowhere yet) is not read.
        with django_assert_max_num_queries(again):
            assert client.get(url).status_code == 200

    visits()
    article = Article.objects.get(slug="councils-childrens-services-remain-inadequate-inspectors-say")
    speaker = Person.objects.get(slug="simon-hackett")
    inspection = Inspection.objects.get(slug="sandwell-2017-11-sif-reinspection")
    for n in range(12):
        other = ArticleFactory(slug=f"linked-{n}", publisher=Publisher.objects.get(slug="localgov"))
        other.inspections.add(inspection)
        other.people_mentioned.add(speaker)
        StatementFactory(article=other, speaker=speaker, position=1, responds_to=inspection)
        StatementFactory(article=article, speaker=PersonFactory(), position=100 + n, responds_to=inspection)
        article.people_mentioned.add(PersonFactory())
        article.inspections.add(InspectionFactory())
        RoleFactory(person=speaker)
    visits()
