"""Prepared queries (archive/prepared.py) give what their querysets give, and take values only as values."""

from unittest import mock

import pytest
from django.db import connection, connections
from django.db.models import Count, F
from django.test.utils import CaptureQueriesContext

from archive.prepared import PreparedQuery, _statement_cursor
from articles import views as article_views
from articles.models import Article, Inspection, InspectionJudgement, JudgementArea
from people import views as people_views
from people.models import Person, Role, Statement
from tests.factories import (
    ArticleFactory,
    InspectionFactory,
    InspectionJudgementFactory,
    PersonFactory,
    RoleFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


def snapshot(obj, depth=2):
    """An instance's column values and, a level or two down, those of the relations it was given."""
    values = {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}
    values.update({name: value for name, value in vars(obj).items() if name.endswith("_count")})
    if depth:
        for name, related in obj._state.fields_cache.items():
            values[name] = snapshot(related, depth - 1) if related is not None else None
    return values


def as_compared(row):
    """An instance as its snapshot; a row of values (values_list) as it is."""
    return row if isinstance(row, tuple) else snapshot(row)


def prepared_queries(module):
    return {name: value for name, value in vars(module).items() if isinstance(value, PreparedQuery)}


@pytest.fixture
def rich_records():
    """An article and a person with something in every relation the detail pages ask about."""
    article = ArticleFactory(slug="prepared-article", published_on="2021-03")
    speaker = PersonFactory(slug="prepared-speaker")
    organisation = PersonFactory(slug="prepared-organisation", kind="organisation")
    RoleFactory(person=speaker, organisation=organisation, started_on="2019")
    RoleFactory(person=PersonFactory(), organisation=speaker)
    inspections = [InspectionFactory(started_on="2020-01-02"), InspectionFactory(started_on="2019")]
    for inspection in inspections:
        article.inspections.add(inspection)
        for position, area in enumerate(
            [JudgementArea.CAPACITY_TO_IMPROVE, JudgementArea.QUALITY_OF_PROVISION], start=1
        ):
            InspectionJudgementFactory(inspection=inspection, area=area, position=position)
    for position in (3, 1, 2):
        StatementFactory(article=article, speaker=speaker, position=position, responds_to=inspections[position % 2])
    StatementFactory(article=ArticleFactory(published_on=None), speaker=speaker, position=1)
    article.people_mentioned.add(speaker)
    article.authors.add(speaker)
    return article, speaker


def arguments(article, person):
    return {int: {"article": article.pk, "person": person.pk}, str: {"article": article.slug, "person": person.slug}}


QUERYSETS = {
    # What each prepared query stands for, written as the views wrote it before it was prepared.
    "ARTICLE_ON_RECORD": lambda a, p: Article.objects.on_record().select_related("publisher").filter(slug=a.slug),
    "ARTICLE_ANY_STATUS": lambda a, p: Article.objects.select_related("publisher").filter(slug=a.slug),
    "ARTICLE_STATEMENTS": lambda a, p: (
        Statement.objects.filter(article=a).select_related("speaker", "responds_to").order_by("position")
    ),
    "ARTICLE_INSPECTIONS": lambda a, p: (
        Inspection.objects.filter(articles=a).select_related("authority").order_by("started_on", "slug")
    ),
    "ARTICLE_JUDGEMENTS": lambda a, p: InspectionJudgement.objects.filter(
        inspection__in=Inspection.objects.filter(articles=a)
    ).order_by("inspection_id", "position"),
    "ARTICLE_PEOPLE_MENTIONED": lambda a, p: Person.objects.filter(articles_mentioning=a),
    "PERSON_BY_SLUG": lambda a, p: Person.objects.filter(slug=p.slug),
    "PERSON_ROLES": lambda a, p: (
        Role.objects.filter(person=p).select_related("organisation").order_by("started_on", "title")
    ),
    "ORGANISATION_MEMBERS": lambda a, p: (
        Role.objects.filter(organisation=p).select_related("person").order_by("started_on", "title")
    ),
    "PERSON_STATEMENTS": lambda a, p: (
        Statement.objects.published()
        .filter(speaker=p)
        .select_related("article", "article__publisher", "responds_to", "responds_to__authority")
        .order_by(F("article__published_on").asc(nulls_last=True), "article__slug", "position")
    ),
    "PERSON_STATEMENTS_BY_YEAR_AND_FINDING": lambda a, p: (
        Statement.objects.published()
        .filter(speaker=p)
        .values_list("article__year", "responds_to__overall_judgement")
        .annotate(Count("pk"))
    ),
}
ALL_PREPARED = {**prepared_queries(article_views), **prepared_queries(people_views)}


def test_every_prepared_query_of_the_detail_pages_is_checked_here():
    assert set(ALL_PREPARED) == set(QUERYSETS)


def query_and_value(name, article, person):
    """The prepared query of this name, and the value it is asked with about the records."""
    prepared = ALL_PREPARED[name]
    subject = "person" if name.startswith(("PERSON", "ORGANISATION")) else "article"
    return prepared, arguments(article, person)[prepared.kinds[0]][subject]


@pytest.mark.parametrize("name", sorted(QUERYSETS))
def test_the_same_rows_and_relations_as_the_queryset(name, rich_records):
    article, person = rich_records
    prepared, value = query_and_value(name, article, person)
    expected = [as_compared(row) for row in QUERYSETS[name](article, person)]
    got = [as_compared(row) for row in prepared(value)]
    if got and isinstance(got[0], tuple):  # grouped rows: in no particular order
        got, expected = sorted(got, key=repr), sorted(expected, key=repr)
    assert got == expected
    assert got, "every query has rows to compare in these records"
    # The organisation's side too: it has a member, the speaker.
    if name == "ORGANISATION_MEMBERS":
        assert prepared(Person.objects.get(slug="prepared-organisation").pk)


def test_a_value_is_a_parameter_never_sql(rich_records):
    for slug in ["prepared-article' OR '1'='1", 'x" --', "prepared-articl_", "prepared-%", "ünïcode-ß"]:
        assert article_views.ARTICLE_ON_RECORD(slug) == []
    assert article_views.ARTICLE_ON_RECORD("prepared-article")[0].slug == "prepared-article"


def test_values_of_another_kind_are_refused():
    with pytest.raises(TypeError):
        article_views.ARTICLE_ON_RECORD(5)
    with pytest.raises(TypeError):
        article_views.ARTICLE_STATEMENTS("5")
    with pytest.raises(TypeError):
        article_views.ARTICLE_STATEMENTS(True)
    with pytest.raises(TypeError):
        article_views.ARTICLE_STATEMENTS()
    with pytest.raises(TypeError):
        PreparedQuery(lambda when: Article.objects.filter(published_on=when), object)


def test_a_build_whose_value_the_orm_rewrites_is_refused():
    # contains wraps the value in wildcards: it would no longer be found in the parameters.
    with pytest.raises(ValueError, match="once, unchanged"):
        PreparedQuery(lambda text: Article.objects.filter(headline__contains=text), str)("x")
    with pytest.raises(ValueError, match="once, unchanged"):
        PreparedQuery(lambda slug: Article.objects.filter(slug=slug, headline=slug), str)("x")
    with pytest.raises(TypeError, match="model instances or tuples"):
        PreparedQuery(lambda slug: Article.objects.filter(slug=slug).values("pk"), str)("x")
    with pytest.raises(TypeError, match="model instances or tuples"):
        PreparedQuery(lambda slug: Article.objects.filter(slug=slug).values_list("pk", flat=True), str)("x")
    # values_list would put the count before the slug; the rows here would come in the SQL's order.
    with pytest.raises(TypeError, match="in the order selected"):
        PreparedQuery(
            lambda slug: Article.objects.filter(slug=slug).annotate(n=Count("pk")).values_list("n", "slug"), str
        )("x")


def test_compiled_once_and_still_sees_every_write(rich_records):
    article, person = rich_records
    prepared = PreparedQuery(lambda pk: Statement.objects.filter(article_id=pk).order_by("position"), int)
    with mock.patch.object(PreparedQuery, "compile", wraps=prepared.compile) as compile_:
        assert [s.position for s in prepared(article.pk)] == [1, 2, 3]
        StatementFactory(article=article, position=4)
        Statement.objects.filter(article=article, position=1).delete()
        assert [s.position for s in prepared(article.pk)] == [2, 3, 4]
        assert prepared(ArticleFactory().pk) == []
    assert compile_.call_count == 1


def test_on_postgresql_the_statement_is_planned_once_per_connection_not_per_call(rich_records):
    article, person = rich_records
    for _ in range(3):
        assert article_views.ARTICLE_ON_RECORD(article.slug)[0].pk == article.pk
    if connection.vendor == "postgresql":
        # Kept on the server with a placeholder where the slug goes, and run three times.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                ['%"articles_article"."slug" = $%'],
            )
            ((statement, runs),) = [row for row in cursor.fetchall() if "articles_publisher" in row[0]]
        assert article.slug not in statement and runs == 3
    else:
        # SQLite's driver keeps its own statements; nothing to ask of it here but the usual cursor.
        with _statement_cursor(connection) as cursor:
            assert type(cursor) is type(connection.cursor())


def test_a_logged_query_is_logged_with_its_sql(rich_records):
    """Django's query log (DEBUG, django-debug-toolbar, query-count tests) keeps every prepared query's SQL."""
    article, person = rich_records
    with CaptureQueriesContext(connection) as queries:
        article_views.ARTICLE_ON_RECORD(article.slug)
    ((query,),) = [[q for q in queries.captured_queries if "articles_article" in (q["sql"] or "")]]
    assert article.slug in query["sql"]


def test_partial_dates_come_back_as_the_orm_gives_them(rich_records):
    article, person = rich_records
    (got,) = article_views.ARTICLE_ON_RECORD(article.slug)
    assert got.published_on == Article.objects.get(pk=article.pk).published_on
    assert str(got.published_on) == str(Article.objects.get(pk=article.pk).published_on)
    inspections = article_views.ARTICLE_INSPECTIONS(article.pk)
    assert [str(i.started_on) for i in inspections] == [
        str(i.started_on) for i in Inspection.objects.filter(articles=article).order_by("started_on", "slug")
    ]


def instance_state(obj):
    """What an instance holds: its loaded values (not its deferred ones), relations given, and state."""
    return {
        "class": type(obj),
        "values": {name: value for name, value in vars(obj).items() if name != "_state"},
        "deferred": obj.get_deferred_fields(),
        "adding": obj._state.adding,
        "db": obj._state.db,
        "relations": sorted(obj._state.fields_cache),
    }


@pytest.mark.parametrize("only", [None, ("slug", "headline", "published_on")])
def test_instances_are_made_as_the_orm_makes_them(rich_records, only):
    # Made without Model.__init__ (archive/instances.py), an instance must still be the one the
    # queryset gives: the same values, the same deferred fields (loaded when read), loaded state.
    article, person = rich_records

    def build(pk):
        queryset = Statement.objects.filter(article_id=pk).select_related("article", "speaker").order_by("position")
        fields = ("words", "position", "article", "speaker", *(f"article__{name}" for name in only or ()))
        return queryset.only(*fields) if only else queryset

    got = PreparedQuery(build, int)(article.pk)
    expected = list(build(article.pk))
    assert [instance_state(obj) for obj in got] == [instance_state(obj) for obj in expected]
    assert [instance_state(obj.article) for obj in got] == [instance_state(obj.article) for obj in expected]
    if only:
        assert "body" in got[0].article.get_deferred_fields()
        assert got[0].article.body == article.body  # a deferred field still loads when read


def test_a_receiver_of_post_init_still_sees_every_instance(rich_records):
    from django.db.models.signals import post_init

    article, person = rich_records
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    prepared = PreparedQuery(
        lambda pk: Statement.objects.filter(article_id=pk).select_related("speaker").order_by("position"), int
    )
    post_init.connect(receiver, sender=Person)
    try:
        statements = prepared(article.pk)
    finally:
        post_init.disconnect(receiver, sender=Person)
    assert [id(obj) for obj in seen] == [id(statement.speaker) for statement in statements]
    assert prepared(article.pk) and len(seen) == len(statements)  # disconnected: no more


def test_an_execute_wrapper_sees_every_prepared_query(rich_records):
    """Whatever watches Django's cursors (a wrapper, the fixture loader's) still sees prepared queries."""
    article, person = rich_records
    seen = []

    def watch(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        assert article_views.ARTICLE_ON_RECORD(article.slug)[0].pk == article.pk
        assert people_views.PERSON_BY_SLUG(person.slug)[0].pk == person.pk
    assert len(seen) == 2 and "articles_article" in seen[0] and "people_person" in seen[1]


@pytest.mark.parametrize("name", sorted(QUERYSETS))
def test_the_same_rows_whether_or_not_queries_are_logged(name, rich_records):
    prepared, value = query_and_value(name, *rich_records)
    unlogged = [as_compared(row) for row in prepared(value)]
    with CaptureQueriesContext(connection) as queries:
        rows = prepared(value)
    assert len(queries) == 1
    logged = [as_compared(row) for row in rows]
    assert sorted(logged, key=repr) == sorted(unlogged, key=repr) and unlogged


def test_an_unwatched_query_is_asked_of_sqlites_driver_itself_and_of_djangos_cursor_on_postgresql(rich_records):
    article, person = rich_records
    refused = AssertionError("Django's cursor")
    with mock.patch.object(type(connections["default"]), "cursor", side_effect=refused):
        if connection.vendor == "sqlite":
            assert article_views.ARTICLE_ON_RECORD(article.slug)[0].pk == article.pk
        else:
            # PostgreSQL's go through Django's cursor, whose statements are prepared on the server.
            with pytest.raises(AssertionError, match="Django's cursor"):
                article_views.ARTICLE_ON_RECORD(article.slug)


def test_a_query_in_a_broken_transaction_is_refused_as_djangos_cursor_refuses_it(rich_records):
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    article, person = rich_records
    with transaction.atomic():
        connection.set_rollback(True)
        with pytest.raises(TransactionManagementError):
            article_views.ARTICLE_ON_RECORD(article.slug)
