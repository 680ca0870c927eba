"""Detail pages' lists (a person's statements, an authority's articles and statements, …) and the people list's
counts cost the same however long the lists grow: their first keys and totals are kept per archive revision
(archive/views.py: first_and_total), read again by key, and never served once anything has changed."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from archive import views as archive_views
from articles.models import ArticleStatus
from people.models import Statement
from tests.factories import ArticleFactory, InspectionFactory, LocalAuthorityFactory, PersonFactory, StatementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pages_made_each_visit(settings):
    # Each visit makes its page (the whole-page cache would serve the second one as it was).
    settings.ARCHIVE_PAGE_CACHE = False


@pytest.fixture
def short_lists(monkeypatch):
    """Detail lists of three rows, so that a handful of records makes a list longer than it shows."""
    monkeypatch.setattr(archive_views, "DETAIL_LIST_LIMIT", 3)


@pytest.fixture
def quoted_inspection():
    """An inspection answered by five statements, in articles of five different months (made out of order)."""
    inspection = InspectionFactory(slug="kept-inspection")
    speaker = PersonFactory(slug="kept-speaker")
    statements = {}
    for month in (4, 1, 5, 3, 2):
        article = ArticleFactory(published_on=f"2021-{month:02}")
        article.inspections.add(inspection)
        statements[month] = StatementFactory(article=article, speaker=speaker, position=1, responds_to=inspection)
    return inspection, speaker, [statements[month] for month in sorted(statements)]


def visit(client, url):
    """The page's context and the SQL it ran."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response, [query["sql"] for query in queries.captured_queries]


def test_a_long_list_shows_its_first_rows_in_order_and_its_whole_total(short_lists, quoted_inspection):
    inspection, _, statements = quoted_inspection
    client = Client()
    first, first_sql = visit(client, f"/inspections/{inspection.slug}/")
    again, again_sql = visit(client, f"/inspections/{inspection.slug}/")
    for response in (first, again):
        assert [s.pk for s in response.context["statements"]] == [s.pk for s in statements[:3]]
        assert response.context["statement_total"] == 5
        assert response.context["article_total"] == 5
        assert len(response.context["articles"]) == 3
    assert again.content == first.content
    # The first visit counted the lists (longer than they show); the second read them by key only.
    assert sum("COUNT(" in sql for sql in first_sql) == 2
    assert not any("COUNT(" in sql for sql in again_sql)


def test_a_short_list_is_not_counted(quoted_inspection):
    inspection, _, statements = quoted_inspection
    response, sql = visit(Client(), f"/inspections/{inspection.slug}/")
    assert response.context["statement_total"] == len(response.context["statements"]) == 5
    assert not any("COUNT(" in query for query in sql)


def test_a_person_page_visited_again_counts_and_sorts_nothing(quoted_inspection):
    _, speaker, statements = quoted_inspection
    StatementFactory(article=ArticleFactory(status=ArticleStatus.DRAFT), speaker=speaker, position=1)
    client = Client()
    first, first_sql = visit(client, f"/people/{speaker.slug}/")
    again, again_sql = visit(client, f"/people/{speaker.slug}/")
    assert again.content == first.content
    for response in (first, again):
        assert response.context["statement_total"] == 5  # the draft's statement is not counted
        assert [s.pk for s in response.context["statements"]] == [s.pk for s in statements]
        assert all(s.speaker == speaker for s in response.context["statements"])
    assert any("COUNT(" in sql for sql in first_sql)
    assert not any("COUNT(" in sql for sql in again_sql)
    # Its statements are read by their five keys, not found among all of the speaker's.
    (statement_query,) = [sql for sql in again_sql if 'FROM "people_statement"' in sql]
    assert '"people_statement"."speaker_id"' not in statement_query.split(" WHERE ", 1)[1]
    assert all(str(s.pk) in statement_query for s in statements)


def test_a_person_page_keeps_the_articles_naming_them_and_by_them(short_lists):
    person = PersonFactory(slug="named-often")
    named = [ArticleFactory(published_on=f"2021-{month:02}") for month in (4, 1, 5, 3, 2)]
    for article in named:
        article.people_mentioned.add(person)
    written = ArticleFactory(published_on="2019-07")
    written.authors.add(person)
    newest_first = sorted(named, key=lambda article: article.published_on, reverse=True)
    client = Client()
    first, first_sql = visit(client, f"/people/{person.slug}/")
    again, again_sql = visit(client, f"/people/{person.slug}/")
    assert again.content == first.content
    for response in (first, again):
        assert [a.pk for a in response.context["mentioned_in"]] == [a.pk for a in newest_first[:3]]
        assert response.context["mentioned_total"] == 5
        assert [a.pk for a in response.context["written"]] == [written.pk]
        assert response.context["written_total"] == 1
    assert "Named in (5)" in first.content.decode() and "The latest 3 of 5 articles" in first.content.decode()
    # Found through the links and counted once; then read by their kept keys.
    assert any("articles_article_people_mentioned" in sql for sql in first_sql)
    assert not any("articles_article_people_mentioned" in sql or "articles_article_authors" in sql for sql in again_sql)
    newer = ArticleFactory(published_on="2022-01")
    newer.people_mentioned.add(person)
    after, _ = visit(client, f"/people/{person.slug}/")
    assert after.context["mentioned_total"] == 6 and after.context["mentioned_in"][0].pk == newer.pk


def test_kept_lists_follow_every_write(short_lists, quoted_inspection):
    inspection, speaker, statements = quoted_inspection
    client = Client()
    visit(client, f"/people/{speaker.slug}/")
    visit(client, f"/inspections/{inspection.slug}/")
    earliest = ArticleFactory(published_on="2020-12")
    earliest.inspections.add(inspection)
    newest = StatementFactory(article=earliest, speaker=speaker, position=1, responds_to=inspection)
    person, _ = visit(client, f"/people/{speaker.slug}/")
    assert person.context["statement_total"] == 6
    assert person.context["statements"][0].pk == newest.pk
    inspection_page, _ = visit(client, f"/inspections/{inspection.slug}/")
    assert inspection_page.context["statement_total"] == 6
    assert [s.pk for s in inspection_page.context["statements"]] == [newest.pk, statements[0].pk, statements[1].pk]
    # Withdrawn, an article's statements leave both pages at once.
    earliest.status, earliest.withdrawal_note = ArticleStatus.WITHDRAWN, "Withdrawn for the test."
    earliest.save()
    person, _ = visit(client, f"/people/{speaker.slug}/")
    assert person.context["statement_total"] == 5
    assert newest.pk not in [s.pk for s in person.context["statements"]]
    inspection_page, _ = visit(client, f"/inspections/{inspection.slug}/")
    assert [s.pk for s in inspection_page.context["statements"]] == [s.pk for s in statements[:3]]


def test_the_people_list_by_statements_keeps_its_pages_counts_per_revision():
    prolific, quiet = PersonFactory(name="Aaa Prolific"), PersonFactory(name="Aaa Quiet")
    for _ in range(4):
        StatementFactory(speaker=prolific, position=1)
    StatementFactory(speaker=quiet, position=1)
    StatementFactory(article=ArticleFactory(status=ArticleStatus.DRAFT), speaker=quiet, position=1)
    client = Client()
    url = "/people/?sort=-statements&format=json"

    def counts(response):
        return {row["name"]: row["statement_count"] for row in response.json()["results"]}

    # The first visit sorts everyone by their counts; the second reads its page's people by their kept
    # keys and counts their statements; from then on, until the archive changes, nothing is counted.
    first, _ = visit(client, url)
    second, _ = visit(client, url)
    again, again_sql = visit(client, url)
    for response in (first, second, again):
        got = counts(response)
        assert (got["Aaa Prolific"], got["Aaa Quiet"]) == (4, 1)  # the draft's statement is not counted
        assert list(got.values()) == sorted(got.values(), reverse=True)
        for name, count in got.items():
            assert Statement.objects.published().filter(speaker__name=name).count() == count
    assert not any("COUNT(" in sql for sql in again_sql), again_sql
    StatementFactory(speaker=quiet, position=1)
    assert counts(visit(client, url)[0])["Aaa Quiet"] == 2


def test_two_records_lists_are_kept_apart(quoted_inspection):
    inspection, speaker, statements = quoted_inspection
    other_inspection, other_speaker = InspectionFactory(slug="other-inspection"), PersonFactory(slug="other-speaker")
    article = ArticleFactory(published_on="2021-06")
    article.inspections.add(other_inspection)
    theirs = StatementFactory(article=article, speaker=other_speaker, position=1, responds_to=other_inspection)
    client = Client()
    for _ in range(2):  # found, then read by their kept keys
        assert [s.pk for s in visit(client, f"/inspections/{inspection.slug}/")[0].context["statements"]] == [
            s.pk for s in statements
        ]
        assert [s.pk for s in visit(client, f"/inspections/{other_inspection.slug}/")[0].context["statements"]] == [
            theirs.pk
        ]
        assert visit(client, f"/people/{speaker.slug}/")[0].context["statement_total"] == 5
        assert [s.pk for s in visit(client, f"/people/{other_speaker.slug}/")[0].context["statements"]] == [theirs.pk]


def test_rows_by_key_compile_a_few_sizes_and_give_each_row_once(quoted_inspection):
    _, _, statements = quoted_inspection
    rows_by_key = archive_views.RowsByKey(lambda: Statement.objects.select_related("article"))
    keys = [s.pk for s in statements]
    for count in range(1, len(keys) + 1):
        rows = rows_by_key(keys[:count])
        assert sorted(row.pk for row in rows) == sorted(keys[:count])  # padding repeats a key, not a row
    assert set(rows_by_key.prepared) == {1, 2, 5}
    assert rows_by_key([]) is None
    assert rows_by_key(list(range(1, archive_views.RowsByKey.SIZES[-1] + 2))) is None


def test_kept_keys_that_cannot_be_read_by_key_are_found_again(rf, quoted_inspection):
    inspection, _, statements = quoted_inspection
    request = rf.get("/")
    ordered = Statement.objects.filter(responds_to=inspection).order_by("article__published_on")

    def first_and_total(rows_by_key):
        return archive_views.first_and_total(request, "test:list", lambda: ordered[:3], lambda shown: 5, rows_by_key)

    first_and_total(archive_views.RowsByKey(Statement.objects.all))  # keeps the keys
    rows, total = first_and_total(lambda keys: None)  # no prepared read for them: the list is asked again
    assert ([row.pk for row in rows], total) == ([s.pk for s in statements[:3]], 5)


@pytest.mark.parametrize("limit", [3, 50])  # counted (longer than the list shows) and not
def test_an_authority_page_lists_what_is_about_its_inspections_once_each(monkeypatch, limit):
    """About an authority: the articles covering any of its inspections, and the statements in them or answering one
    of its inspections from elsewhere; nothing about another authority, nothing withdrawn, nothing twice."""
    monkeypatch.setattr(archive_views, "DETAIL_LIST_LIMIT", limit)
    earlier = InspectionFactory(slug="earlier")
    later = InspectionFactory(slug="later", authority=earlier.authority, started_on="2023-01-09", ended_on="2023-01-20")
    elsewhere = InspectionFactory(slug="elsewhere")
    both = ArticleFactory(published_on="2023-02")
    both.inspections.add(earlier, later)  # covers two of its inspections: listed once
    one = ArticleFactory(published_on="2020-05")
    one.inspections.add(earlier)
    other = ArticleFactory(published_on="2021-01")
    other.inspections.add(elsewhere)
    withdrawn = ArticleFactory(published_on="2022-01", status=ArticleStatus.WITHDRAWN, withdrawal_note="Wrong")
    withdrawn.inspections.add(later)
    draft = ArticleFactory(published_on="2022-02", status=ArticleStatus.DRAFT)
    draft.inspections.add(earlier)
    about = [  # in the order listed: by their articles' dates, then position
        StatementFactory(article=one, position=1),  # in an article covering it, answering nothing named
        StatementFactory(article=one, position=2, responds_to=elsewhere),  # ... even answering another's
        StatementFactory(article=other, position=1, responds_to=later),  # answering it from another's article
        StatementFactory(article=both, position=1, responds_to=earlier),
        StatementFactory(article=both, position=2, responds_to=later),
    ]
    StatementFactory(article=other, position=2)  # about the other authority only
    StatementFactory(article=other, position=3, responds_to=elsewhere)
    StatementFactory(article=withdrawn, position=1, responds_to=later)  # not public
    StatementFactory(article=draft, position=1, responds_to=earlier)
    response, _ = visit(Client(), f"/authorities/{earlier.authority.slug}/")
    assert response.context["article_total"] == 2
    assert [a.pk for a in response.context["articles"]] == [both.pk, one.pk]  # newest first
    assert response.context["statement_total"] == len(about)
    assert [s.pk for s in response.context["statements"]] == [s.pk for s in about][:limit]


def test_an_authority_never_inspected_has_empty_lists():
    StatementFactory(article=ArticleFactory(), position=1)  # something else in the archive
    response, _ = visit(Client(), f"/authorities/{LocalAuthorityFactory().slug}/")
    assert response.context["article_total"] == response.context["statement_total"] == 0
    assert list(response.context["articles"]) == list(response.context["statements"]) == []
