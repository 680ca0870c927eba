"""Taking the archive away: downloads, feeds, machine-readable metadata, citations, sitemap."""

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.db.models import F
from django.urls import resolve

from archive.exports import cell
from articles.models import Article, ArticleStatus
from people.models import Person, Statement
from people.views import PERSON_STATEMENT_LIMIT
from tests.factories import (
    ArticleFactory,
    InspectionFactory,
    LocalAuthorityFactory,
    PublisherFactory,
    RoleFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

SEED = "sandwells-childrens-services-to-be-transferred-to-a-trust"
ATOM = "{http://www.w3.org/2005/Atom}"


def streamed(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def read_download(text):
    """A CSV download read as a reader skipping its "#" lines reads it (pandas' comment="#", R's comment.char).

    Its opening lines starting with "#" are the preamble; the rest is read with the csv module. A
    comment-skipping reader drops any line starting with "#", and pandas ends a line's fields at a
    "#" outside quotes: no record may start with one, nor hold one outside a quoted cell.
    """
    lines = list(io.StringIO(text, newline=""))  # split as a csv reader splits, line endings kept
    preamble = []
    while lines and lines[0].startswith("#"):
        preamble.append(lines.pop(0).rstrip("\r\n"))
    reader = csv.reader(iter(lines))
    records, start = [], 0
    for record in reader:
        raw = "".join(lines[start : reader.line_num])
        start = reader.line_num
        assert not raw.startswith("#"), raw
        assert "#" not in re.sub(r'"(?:[^"]|"")*"', "", raw), raw
        records.append(record)
    header, *rows = records
    return preamble, header, [dict(zip(header, row, strict=True)) for row in rows]


def read_csv(text):
    preamble, _, rows = read_download(text)
    return preamble, rows


# Quotes, commas, a line break followed by "#", and letters beyond ASCII: what broke the preamble.
AWKWARD = 'Łódź\'s "serious failings", found\n# not a comment, "Łódź" row'
# A search matching AWKWARD on every list (a phrase, an unbalanced quote, a line break and a "#" in it),
# and a second value for a facet, found nowhere, that tries to end the "# Filters:" line and start a row.
AWKWARD_SEARCH = '"serious failings",\r\n# Łódź "Łódź'
INJECTED = 'none\r\n"injected",row\n#,\u2028x'


@pytest.fixture(scope="module")
def awkward_rows(django_db_setup, django_db_blocker):
    """A row on every list whose text, and the filters that find it, hold AWKWARD."""
    with django_db_blocker.unblock():
        publisher = PublisherFactory(name=AWKWARD, description=AWKWARD)
        article = ArticleFactory(publisher=publisher, headline=AWKWARD, body=AWKWARD)
        statement = StatementFactory(article=article, words=AWKWARD)
        role = RoleFactory(title=AWKWARD, person__name=AWKWARD)
        authority = LocalAuthorityFactory(name=AWKWARD, region=AWKWARD)
        inspection = InspectionFactory(authority=authority)
    yield {"publisher": publisher.slug, "role": role.title, "region": authority.region}
    with django_db_blocker.unblock():
        statement.delete()
        article.delete()
        publisher.delete()
        organisation = role.organisation
        role.delete()
        Person.objects.filter(pk__in=[role.person_id, organisation.pk]).delete()
        inspection.delete()
        authority.delete()


@pytest.mark.parametrize(
    ("url", "facet"),
    [
        ("/articles/", "publisher"),
        ("/statements/", "publisher"),
        ("/people/", "role"),
        ("/inspections/", "region"),
        ("/publishers/", None),
        ("/authorities/", "region"),
    ],
)
def test_a_download_reads_as_its_list_whatever_its_filters_hold(client, awkward_rows, url, facet):
    query = {"q": AWKWARD_SEARCH} | ({facet: [awkward_rows[facet], INJECTED]} if facet else {})
    shown = client.get(url, {**query, "format": "json"}).json()
    assert shown["count"] >= 1  # the awkward row is found, so its row is read back below
    preamble, header, rows = read_download(streamed(client.get(url, {**query, "download": "csv"})))
    assert [line.split(":", 1)[0] for line in preamble] == [
        "# Inspection Archive",
        "# Filters",
        "# Exported",
        "# Permalink",
    ]
    assert "serious failings" in preamble[1]
    if facet:
        assert "injected" in preamble[1]  # its line breaks are spaces in the one "# Filters:" line
    columns = resolve(url).func.view_class.export_columns
    assert header == columns
    assert rows == [{column: cell(result.get(column)) for column in columns} for result in shown["results"]]
    assert any(AWKWARD in value for row in rows for value in row.values())  # read back whole


def test_a_cell_holding_a_hash_is_read_whole_by_a_reader_skipping_comments(client):
    publisher = PublisherFactory(name="Ward #3 News")
    ArticleFactory(publisher=publisher, headline="Ward #3 reopens", published_on="2021")
    _, rows = read_csv(streamed(client.get("/publishers/", {"q": "#3", "download": "csv"})))
    assert [row["name"] for row in rows] == ["Ward #3 News"]
    _, rows = read_csv(streamed(client.get("/articles/", {"publisher": publisher.slug, "download": "csv"})))
    assert [(row["headline"], row["year"]) for row in rows] == [("Ward #3 reopens", "2021")]


@pytest.mark.parametrize(
    "url", ["/articles/", "/statements/", "/people/", "/inspections/", "/publishers/", "/authorities/"]
)
def test_every_list_downloads_every_row_as_shown(client, url):
    page = client.get(url, {"format": "json"}).json()
    preamble, rows = read_csv(streamed(client.get(url, {"download": "csv"})))
    assert len(rows) == page["count"]  # every row, not one page
    assert [row["url"] for row in rows[:20]] == [result["url"] for result in page["results"]]  # the list's order
    assert preamble[0].startswith("# Inspection Archive: ") and preamble[1] == "# Filters: none"
    data = json.loads(streamed(client.get(url, {"download": "json"})))
    assert data["count"] == page["count"] == len(data["results"])
    assert data["permalink"].endswith(url)


def test_a_download_carries_its_filters_and_permalink(client):
    response = client.get("/articles/", {"q": "trust", "publisher": "localgov", "sort": "-date", "download": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="inspection-archive-articles-')
    preamble, rows = read_csv(streamed(response))
    assert preamble[1] == "# Filters: publisher = localgov; q = trust; sort = -date"
    assert preamble[3] == "# Permalink: http://testserver/articles/?publisher=localgov&q=trust&sort=-date"
    shown = client.get("/articles/", {"q": "trust", "publisher": "localgov", "sort": "-date", "format": "json"}).json()
    assert [row["headline"] for row in rows] == [result["headline"] for result in shown["results"]]
    assert all(row["publisher"] == "localgov" for row in rows)


def test_downloads_never_include_drafts_and_refuse_bad_input(client):
    ArticleFactory(status=ArticleStatus.DRAFT, headline="Secret draft")
    assert "Secret draft" not in streamed(client.get("/articles/", {"download": "csv"}))
    assert client.get("/articles/", {"download": "xlsx"}).status_code == 400
    assert client.get("/articles/", {"download": "csv", "year": "twenty"}).status_code == 400


def test_a_download_is_streamed_in_chunks(client, django_assert_max_num_queries):
    publisher = PublisherFactory()
    ArticleFactory.create_batch(30, publisher=publisher)
    response = client.get("/articles/", {"download": "csv", "publisher": publisher.slug})
    # The rows are read while the response is written, not before it is returned.
    with django_assert_max_num_queries(3):
        text = streamed(response)
    assert len(read_csv(text)[1]) == 30


def test_feeds_follow_the_lists_filters(client):
    publisher = PublisherFactory(name="Feed Test Gazette")
    ArticleFactory(publisher=publisher, headline="Newest in the gazette")
    ArticleFactory(status=ArticleStatus.DRAFT, publisher=publisher, headline="Draft in the gazette")
    response = client.get("/articles/feed.atom", {"publisher": publisher.slug})
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert "Feed Test Gazette" in feed.find(f"{ATOM}title").text
    titles = [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]
    assert titles == ["Newest in the gazette"]
    whole = ET.fromstring(client.get("/articles/feed.atom").content)
    assert len(whole.findall(f"{ATOM}entry")) == Article.objects.published().count()
    speaker = Statement.objects.published().first().speaker
    said = ET.fromstring(client.get("/statements/feed.atom", {"speaker": speaker.slug}).content)
    assert said.findall(f"{ATOM}entry") and speaker.name in said.find(f"{ATOM}title").text
    assert client.get("/articles/feed.atom", {"year": "\x00"}).status_code == 400


def test_lists_and_pages_link_their_feeds(client):
    html = client.get("/articles/", {"publisher": "localgov"}).content.decode()
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/articles/feed.atom?publisher=localgov"' in html
    speaker = Statement.objects.published().first().speaker
    assert f"/statements/feed.atom?speaker={speaker.slug}" in client.get(speaker.get_absolute_url()).content.decode()
    assert "/articles/feed.atom?publisher=localgov" in client.get("/publishers/localgov/").content.decode()
    article = client.get(f"/articles/{SEED}/").content.decode()
    assert "/articles/feed.atom?publisher=localgov" in article and "/articles/feed.atom?authority=sandwell" in article
    inspection = client.get("/inspections/sandwell-2022-05-ilacs-standard/").content.decode()
    assert "/articles/feed.atom?authority=sandwell" in inspection


def test_canonical_urls_are_stable_and_deep_combinations_not_indexed(client):
    one = client.get("/articles/?year=2018&publisher=localgov&year=2018").content.decode()
    two = client.get("/articles/?publisher=localgov&year=02018").content.decode()
    canonical = re.compile(r'<link rel="canonical" href="([^"]+)">')
    assert canonical.search(one).group(1) == canonical.search(two).group(1)
    assert canonical.search(one).group(1) == "http://testserver/articles/?publisher=localgov&amp;year=2018"
    assert 'content="noindex' in one
    assert 'content="noindex' not in client.get("/articles/?publisher=localgov").content.decode()


def json_ld(html):
    (data,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(data)


def test_an_article_describes_itself(client):
    article = Article.objects.get(slug=SEED)
    html = client.get(article.get_absolute_url()).content.decode()
    data = json_ld(html)
    assert data["@type"] == "NewsArticle" and data["headline"] == article.headline
    assert data["isBasedOn"] == article.source_url
    assert data["datePublished"] == "2016-10-06"
    assert data["publisher"]["name"] == article.publisher.name
    assert '<meta property="og:type" content="article">' in html
    assert '<meta name="citation_publication_date" content="2016/10/06">' in html
    assert f'<meta name="citation_title" content="{article.headline}">'.replace("’", "’") in html


def test_a_statement_person_and_inspection_describe_themselves(client):
    statement = Statement.objects.published().filter(responds_to__isnull=False).select_related("speaker").first()
    data = json_ld(client.get(statement.get_absolute_url()).content.decode())
    assert data["@type"] == "Quotation" and data["text"] == statement.words
    assert data["creator"]["name"] == statement.speaker.name
    assert data["isBasedOn"].endswith(statement.article.get_absolute_url())
    person = json_ld(client.get(statement.speaker.get_absolute_url()).content.decode())
    assert person["@type"] in {"Person", "Organization"} and person["name"] == statement.speaker.name
    report = json_ld(client.get(statement.responds_to.get_absolute_url()).content.decode())
    assert report["@type"] == "Report" and report["about"]["name"] == statement.responds_to.authority.name


def test_stored_text_cannot_break_out_of_json_ld(client):
    article = ArticleFactory(headline="</script><script>alert(1)</script>", body="Text & more.")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert json_ld(html)["headline"] == "</script><script>alert(1)</script>"


def test_citations_name_the_original_and_the_archived_copy(client):
    article = Article.objects.get(slug=SEED)
    html = client.get(article.get_absolute_url()).content.decode()
    assert "Cite this article" in html
    bib = client.get(article.get_absolute_url(), {"cite": "bibtex"})
    assert bib["Content-Type"].startswith("application/x-bibtex")
    text = bib.content.decode()
    assert text.startswith("@misc{")
    assert "year = {2016}" in text and "month = oct" in text and f"url = {{{article.source_url}}}" in text
    assert f"http://testserver{article.get_absolute_url()}" in text
    ris = client.get(article.get_absolute_url(), {"cite": "ris"}).content.decode()
    assert ris.startswith("TY  - NEWS\r\n") and "PY  - 2016\r\n" in ris and "DA  - 2016/10/06/\r\n" in ris
    assert f"UR  - {article.source_url}\r\n" in ris and ris.endswith("ER  - \r\n")
    assert client.get(article.get_absolute_url(), {"cite": "mla"}).status_code == 400


def test_a_citation_keeps_a_partial_date_partial(client):
    article = ArticleFactory(published_on="2013-04", byline="A {braced} Writer")
    bib = client.get(article.get_absolute_url(), {"cite": "bibtex"}).content.decode()
    assert "month = apr" in bib and "day =" not in bib
    assert "author = {A \\{braced\\} Writer}" in bib
    assert "April 2013" in client.get(article.get_absolute_url()).content.decode()
    statement = StatementFactory(article=article, words="someone speaks")
    ris = client.get(statement.get_absolute_url(), {"cite": "ris"}).content.decode()
    assert "DA  - 2013/04//\r\n" in ris and f"N1  - Statement by {statement.speaker.name}" in ris


def test_sitemap_lists_published_items_only(client):
    draft = ArticleFactory(status=ArticleStatus.DRAFT)
    index = client.get("/sitemap.xml").content.decode()
    assert "sitemap-articles.xml" in index
    articles = client.get("/sitemap-articles.xml").content.decode()
    assert Article.objects.get(slug=SEED).get_absolute_url() in articles
    assert draft.get_absolute_url() not in articles
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in robots and "Sitemap: http://testserver/sitemap.xml" in robots


def test_a_person_page_shows_roles_statements_in_date_order_and_what_ofsted_found(client):
    statement = Statement.objects.published().filter(responds_to__isnull=False).first()
    person = statement.speaker
    html = client.get(person.get_absolute_url()).content.decode()
    assert "What Ofsted found" in html and statement.responds_to.get_absolute_url() in html
    assert '<svg viewBox="0 0' in html and "roles and statements over time" in html
    in_date_order = [
        f"/statements/{s.article.slug}/{s.position}/"
        for s in Statement.objects.published()
        .filter(speaker=person)
        .select_related("article")
        .order_by(F("article__published_on").asc(nulls_last=True), "article__slug", "position")
    ]
    listed, beyond = in_date_order[:PERSON_STATEMENT_LIMIT], in_date_order[PERSON_STATEMENT_LIMIT:]
    positions = [html.index(link) for link in listed]
    assert positions == sorted(positions)
    assert not any(link in html for link in beyond)


@pytest.mark.parametrize(
    "url", ["/articles/", "/statements/", "/people/", "/inspections/", "/publishers/", "/authorities/"]
)
def test_every_lists_count_is_its_rows_under_each_facet_value(client, url):
    """The count (read off a facet's counts where one counts every row once) is the rows a download holds."""
    facets = client.get(url, {"format": "json"}).json()["facets"]
    assert facets
    for name, options in facets.items():
        for option in [option for option in options if option["count"]][:2]:
            query = {name: option["value"]}
            count = client.get(url, {**query, "format": "json"}).json()["count"]
            _, rows = read_csv(streamed(client.get(url, {**query, "download": "csv"})))
            assert count == len(rows), (name, option["value"])
