import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from articles.models import Article, ArticleStatus, Inspection, InspectionKind, Judgement, JudgementArea, Publisher
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


def refused(callable_, *args, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_(*args, **kwargs)


def test_published_is_the_only_door_to_the_public():
    draft = ArticleFactory(status=ArticleStatus.DRAFT)
    published = ArticleFactory(status=ArticleStatus.PUBLISHED)
    public = set(Article.objects.published())
    assert published in public
    assert draft not in public
    StatementFactory(article=draft, words="someone speaks")
    assert not Statement.objects.published().filter(article=draft).exists()


def test_ungraded_visits_carry_no_judgement():
    refused(InspectionFactory, kind=InspectionKind.ILACS_FOCUSED_VISIT, overall_judgement=Judgement.GOOD)
    visit = InspectionFactory(kind=InspectionKind.ILACS_FOCUSED_VISIT, overall_judgement="", theme="Front door")
    assert visit.is_ungraded and visit.overall is None


def test_choices_are_enforced_by_the_database():
    refused(InspectionFactory, overall_judgement="satisfactory")
    refused(InspectionFactory, kind="inspection")
    refused(ArticleFactory, kind="blog")
    refused(ArticleFactory, status="hidden")
    refused(InspectionJudgementFactory, judgement="fine")


def test_one_judgement_per_area_per_inspection():
    judgement = InspectionJudgementFactory(area=JudgementArea.CARE_LEAVERS)
    refused(InspectionJudgementFactory, inspection=judgement.inspection, area=JudgementArea.CARE_LEAVERS)


def test_inspection_cannot_end_before_it_starts():
    refused(InspectionFactory, started_on="2020-03-02", ended_on="2020-02-28")


def test_statement_positions_are_unique_within_an_article():
    statement = StatementFactory()
    refused(StatementFactory, article=statement.article, position=statement.position)


def test_statement_must_have_words_and_a_position_from_one():
    refused(StatementFactory, words="")
    refused(StatementFactory, position=0)


def test_a_role_is_recorded_once_per_person_title_and_organisation():
    role = RoleFactory()
    refused(RoleFactory, person=role.person, title=role.title, organisation=role.organisation)
    solo = RoleFactory(organisation=None)
    refused(RoleFactory, person=solo.person, title=solo.title, organisation=None)


def test_statement_validation_requires_the_words_in_the_body():
    statement = StatementFactory.build(article=ArticleFactory(), speaker=PersonFactory(), words="never said")
    with pytest.raises(ValidationError) as error:
        statement.full_clean()
    assert "words" in error.value.message_dict


def test_natural_keys_round_trip_on_every_fixture_model():
    samples = [
        Publisher.objects.first(),
        Article.objects.first(),
        Inspection.objects.first(),
        Inspection.objects.first().judgements.first(),
        Person.objects.first(),
        Role.objects.first(),
        Role.objects.filter(organisation__isnull=True).first(),
        Statement.objects.first(),
    ]
    from articles.models import LocalAuthority

    samples.append(LocalAuthority.objects.first())
    for obj in samples:
        assert type(obj).objects.get_by_natural_key(*obj.natural_key()) == obj


def test_judgements_rank_older_wordings_with_their_equivalents():
    assert Judgement.OUTSTANDING.rank < Judgement.GOOD.rank < Judgement.INADEQUATE.rank
    assert Judgement.REQUIRES_IMPROVEMENT.rank == Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD.rank


def test_article_paragraphs_split_on_blank_lines():
    article = ArticleFactory(body="One.\n\nTwo.\r\n\r\nThree.")
    assert article.paragraphs == ["One.", "Two.", "Three."]


def test_choice_labels_are_those_get_display_gives():
    # The cards and figures read labels through one cached table per field (archive_tags._display);
    # it must say what get_<field>_display says for every choice of every model, and for a value
    # outside the choices.
    from django.apps import apps

    from archive.templatetags.archive_tags import _display

    checked = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            for value in [*(choice for choice, _ in field.flatchoices), "not-a-choice"]:
                instance = model(**{field.attname: value})
                assert _display(instance, field.name) == getattr(instance, f"get_{field.name}_display")()
                checked += 1
    assert checked > 20


@pytest.mark.parametrize(
    ("table", "dropped", "kept"),
    [
        # Led by article and by speaker already: a second, one-column copy cost every write.
        (
            "people_statement",
            [["article_id"], ["speaker_id"]],
            [["article_id", "position"], ["speaker_id", "kind", "article_id"]],
        ),
        # A statement's history is read by its id only.
        (
            "people_historicalstatement",
            [["article_id"], ["speaker_id"], ["responds_to_id"]],
            [["id"], ["history_date"]],
        ),
    ],
)
def test_no_statement_index_repeats_the_start_of_another(table, dropped, kept):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    indexed = [c["columns"] for c in constraints.values() if c["index"] or c["unique"]]
    assert not [columns for columns in dropped if columns in indexed]
    assert all(columns in indexed for columns in kept)
