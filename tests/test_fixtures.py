"""The seed fixtures against their raw pages and fixtures/sources/SOURCES.md."""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from archive.dates import PartialDate
from articles.models import Article, Inspection, Judgement, JudgementArea
from people.models import Person, Role, Statement, StatementKind

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SOURCES = FIXTURES / "sources"

# Page furniture named in SOURCES.md: none of it is article text.
FURNITURE = [
    "jobs",
    "Recuriter:",
    "SIGN UP",
    "For your free daily news bulletin",
    "Linkedin Banner",
    "Skip to content",
    "More news articles",
    "Find out more",
    "(the text takes you to a web link)",
    "More on this story",
    "Related Internet Links",
    "The BBC is not responsible",
    "Will devolution deepen the UK",
    "Gita Singham-Willis",
    "Celebrating Good Ofsted rating for Sandwell - group photo",
    "image caption",
]

# Which raw page each seed article was copied from (SOURCES.md's table).
RAW_PAGE = {
    "sandwells-childrens-services-to-be-transferred-to-a-trust": "002_9212e98a29e952e7.txt",
    "councils-childrens-services-remain-inadequate-inspectors-say": "000_0e1692dbc61ac7f0.txt",
    "sandwell-childrens-services-remain-inadequate": "003_95525dd6b3d042ed.txt",
    "ofsted-rating-welcomed-as-clear-sign-of-significant-progress": "001_d987a0d3ccaab9f9.txt",
    "sandwell-celebrates-landmark-judgement-and-progress-for-children-and-young-people": "004_299bff93ad4db802.txt",
}


def raw_lines(slug):
    return [line.strip() for line in (SOURCES / RAW_PAGE[slug]).read_text(encoding="utf-8").splitlines()]


def test_all_five_seed_pages_are_loaded_and_published():
    assert set(Article.objects.published().values_list("slug", flat=True)) == set(RAW_PAGE)


def test_no_furniture_survives_into_any_body():
    for article in Article.objects.all():
        for marker in FURNITURE:
            assert marker not in article.body, (article.slug, marker)
            assert marker not in article.headline, (article.slug, marker)


def test_every_line_of_a_raw_page_left_out_of_its_article_is_absent_from_every_body():
    bodies = {article.slug: article.body for article in Article.objects.all()}
    for slug in RAW_PAGE:
        paragraphs = set(Article.objects.get(slug=slug).paragraphs)
        headline = Article.objects.get(slug=slug).headline
        left_out = [line for line in raw_lines(slug) if line and line not in paragraphs and line != headline]
        assert left_out, slug  # every raw page carries some furniture
        for line in left_out:
            for body in bodies.values():
                assert line not in body.split("\n\n"), (slug, line)


def test_every_body_paragraph_occurs_in_its_raw_page():
    for slug in RAW_PAGE:
        raw = (SOURCES / RAW_PAGE[slug]).read_text(encoding="utf-8")
        for paragraph in Article.objects.get(slug=slug).paragraphs:
            assert paragraph in raw, (slug, paragraph[:60])


def test_bodies_keep_every_paragraph_between_the_first_and_last_body_line():
    # Nothing lost in the middle of an article: its paragraphs are a contiguous run of the raw page.
    for slug in RAW_PAGE:
        lines = [line for line in raw_lines(slug) if line]
        paragraphs = Article.objects.get(slug=slug).paragraphs
        start = lines.index(paragraphs[0])
        assert lines[start : start + len(paragraphs)] == paragraphs, slug


def test_every_statement_occurs_word_for_word_in_its_article():
    statements = Statement.objects.select_related("article")
    assert statements.count() >= 40
    for statement in statements:
        assert statement.words in statement.article.body, (statement.article.slug, statement.position)


def test_direct_quotes_exist_in_every_seed_article():
    for slug in RAW_PAGE:
        assert Statement.objects.filter(article__slug=slug, kind=StatementKind.DIRECT).exists(), slug


def test_simon_hackett_is_quoted_in_four_articles():
    articles = Article.objects.published().filter(statements__speaker__slug="simon-hackett").distinct()
    assert articles.count() == 4


def test_reinspection_published_29_january_2018_had_four_of_five_areas_inadequate():
    reinspection = Inspection.objects.get(published_on="2018-01-29")
    grades = list(reinspection.judgements.values_list("judgement", flat=True))
    assert len(grades) == 5
    assert grades.count(Judgement.INADEQUATE) == 4
    assert reinspection.judgements.get(area=JudgementArea.CARE_LEAVERS).judgement == (
        Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD
    )
    assert reinspection.articles.count() == 2


def test_every_sandwell_inspection_in_sources_is_recorded_with_its_dates():
    inspections = {i.slug: i for i in Inspection.objects.filter(authority__ons_code="E08000028")}
    assert len(inspections) == 9
    cp = inspections["sandwell-2013-02-child-protection"]
    assert str(cp.published_on) == "April 2013"  # the day is unknown: none is invented
    assert str(inspections["sandwell-2016-sif-monitoring-visit"].started_on) == "2016"
    assert inspections["sandwell-2016-sif-monitoring-visit"].finding == "positive progress"
    focused = inspections["sandwell-2024-10-ilacs-focused-visit"]
    assert focused.overall is None and focused.theme == "Front door"
    assert focused.published_on == PartialDate(2024, 11, 29)
    ilacs_2022 = inspections["sandwell-2022-05-ilacs-standard"]
    # Before 2023 one judgement covered children in care and care leavers together.
    assert set(ilacs_2022.judgements.values_list("area", flat=True)) == {
        JudgementArea.IMPACT_OF_LEADERS,
        JudgementArea.HELP_AND_PROTECTION,
        JudgementArea.CHILDREN_IN_CARE_AND_CARE_LEAVERS,
    }
    good_2025 = inspections["sandwell-2025-10-ilacs-standard"]
    assert good_2025.overall == Judgement.GOOD
    assert good_2025.judgements.get(area=JudgementArea.CARE_LEAVERS).judgement == (
        Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD
    )


def test_inferred_facts_are_marked_and_stated_ones_are_not():
    by_slug = {a.slug: a for a in Article.objects.all()}
    assert by_slug["sandwell-childrens-services-remain-inadequate"].published_on_inferred
    assert by_slug["ofsted-rating-welcomed-as-clear-sign-of-significant-progress"].published_on_inferred
    assert by_slug[
        "sandwell-celebrates-landmark-judgement-and-progress-for-children-and-young-people"
    ].headline_inferred
    assert not by_slug["councils-childrens-services-remain-inadequate-inspectors-say"].published_on_inferred
    for article in by_slug.values():
        if article.published_on_inferred or article.headline_inferred:
            assert "inferred" in article.provenance_note


def test_pages_without_a_byline_have_none():
    assert Article.objects.get(slug="sandwell-childrens-services-remain-inadequate").byline == ""
    assert set(Article.objects.exclude(byline="").values_list("byline", flat=True)) == {"William Eichler"}


def test_everyone_in_sources_is_recorded_and_no_one_from_furniture():
    names = set(Person.objects.values_list("name", flat=True))
    for name in [
        "Simon Hackett",
        "Jacqui Smith",
        "Kerrie Carmichael",
        "Graham Archer",
        "Jalal Uddin",
        "Emma Taylor",
        "James Morris",
        "Steve Eling",
        "William Eichler",
        "Ofsted",
        "Department for Education",
        "Sandwell Council",
    ]:
        assert name in names
    assert not Person.objects.filter(name__icontains="Singham").exists()


def test_mentioned_and_byline_people_are_not_speakers():
    assert not Statement.objects.filter(speaker__slug__in=["steve-eling", "william-eichler"]).exists()
    assert Article.objects.filter(people_mentioned__slug="steve-eling").count() == 1
    assert Article.objects.filter(authors__slug="william-eichler").count() == 2


def test_known_errors_are_kept_as_published_and_noted():
    localgov_2018 = Article.objects.get(slug="councils-childrens-services-remain-inadequate-inspectors-say")
    assert "came from Leicester City Council" in localgov_2018.body
    assert "Frances Craven" in localgov_2018.editor_note
    assert not Role.objects.filter(person__slug="jacqui-smith", title__icontains="Leicester").exists()
    assert not Role.objects.filter(organisation__name__icontains="Leicester").exists()
    localgov_2016 = Article.objects.get(slug="sandwells-childrens-services-to-be-transferred-to-a-trust")
    assert "Department of Education" in localgov_2016.body
    assert "Department for Education" in localgov_2016.editor_note


def test_roles_carry_verified_dates_at_their_precision():
    chair = Role.objects.get(person__slug="jacqui-smith", organisation__slug="sandwell-childrens-trust")
    assert (str(chair.started_on), str(chair.ended_on)) == ("July 2017", "June 2024")
    leader = Role.objects.get(person__slug="kerrie-carmichael")
    assert leader.started_on == PartialDate(2021, 12, 7)


def test_statements_record_the_role_as_printed():
    roles = set(Statement.objects.filter(speaker__slug="simon-hackett").values_list("role_as_printed", flat=True))
    assert "cabinet member for children's services" in roles
    assert "Cabinet Member for Children and Education" in roles
    for statement in Statement.objects.exclude(role_as_printed="").select_related("article"):
        assert statement.role_as_printed in statement.article.body, (statement.article.slug, statement.position)


def test_loading_the_fixtures_again_changes_nothing():
    before = {a.slug: a.updated_at for a in Article.objects.all()}
    out = io.StringIO()
    call_command("load_archive", stdout=out)
    assert "0 created, 0 updated" in out.getvalue()
    assert {a.slug: a.updated_at for a in Article.objects.all()} == before


def test_every_fixture_file_is_valid_json_in_natural_key_form():
    for path in sorted(FIXTURES.rglob("*.json")):
        for obj in json.loads(path.read_text(encoding="utf-8")):
            assert "pk" not in obj, path  # natural keys only, so reloading updates rather than duplicates
            assert set(obj) == {"model", "fields"}, path
