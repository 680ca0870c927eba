"""A person page: the first statements in full, and a timeline and table that count every one of them."""

import re

import pytest
from django.test import Client

from articles.models import ArticleStatus, Judgement
from people.views import PERSON_STATEMENT_LIMIT
from tests.factories import ArticleFactory, InspectionFactory, PersonFactory, RoleFactory, StatementFactory

pytestmark = pytest.mark.django_db

# year, the inspection's overall judgement ("" ungraded, None: no inspection), statements
SPOKEN = [
    ("2019", None, 2),
    ("2020", Judgement.INADEQUATE, 3),
    ("2020", Judgement.GOOD, 1),
    ("2021-06", "", 16),
    (None, None, 1),  # an article of unknown date
]


@pytest.fixture
def speaker():
    person = PersonFactory(slug="prolific-speaker", name="Prolific Speaker")
    RoleFactory(person=person, title="Director of Children's Services", started_on="2018-09")
    inspections = {}
    for published_on, judgement, count in SPOKEN:
        if judgement is not None and judgement not in inspections:
            inspections[judgement] = InspectionFactory(overall_judgement=judgement)
        for _ in range(count):
            StatementFactory(
                article=ArticleFactory(published_on=published_on),
                speaker=person,
                responds_to=inspections.get(judgement),
            )
    # Not public: counted nowhere.
    StatementFactory(article=ArticleFactory(published_on="2017", status=ArticleStatus.DRAFT), speaker=person)
    return person


def page(person) -> str:
    response = Client().get(person.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_lists_the_first_statements_and_links_to_all(speaker):
    html = page(speaker)
    published = sum(count for *_, count in SPOKEN)
    assert published > PERSON_STATEMENT_LIMIT
    assert html.count('class="statement statement--') == PERSON_STATEMENT_LIMIT
    assert f"What they said ({published})" in html
    assert f"The first {PERSON_STATEMENT_LIMIT}, in date order:" in html
    assert f"All {published} statements, to filter" in html


def test_the_timeline_counts_every_published_statement_by_year_and_finding(speaker):
    html = page(speaker)
    svg = html[html.index("<svg") : html.index("</svg>")]
    labels = re.findall(r'<g class="mark"><title>([^<]*)</title>', svg)
    assert labels == [
        "2019: 2 statements not about an inspection",
        "2020: 1 statement about an inspection judged Good",
        "2020: 3 statements about inspections judged Inadequate",
        "2021: 16 statements about ungraded visits",
    ]
    # A row per finding present, in the authority chart's order, under the role's bar.
    rows = re.findall(r'class="row-label"[^>]*>([^<]*)</text>', svg)
    assert rows[0].startswith("Director of Children")
    assert rows[1:] == ["Good", "Inadequate", "Visit (not graded)", "Not about an inspection"]
    radii = [float(r) for r in re.findall(r' r="([\d.]+)"', svg)]
    assert radii[3] > radii[2] > radii[1], "more statements, a larger mark"
    assert "1 statement in articles of unknown date is not drawn." in html


def test_the_table_gives_the_chart_as_text(speaker):
    html = page(speaker)
    table = html[html.index('<details class="chart-table">') : html.index("</details>")]
    header = re.findall(r'<th scope="col">([^<]*)</th>', table)
    assert header == ["Year", "Good", "Inadequate", "Visit (not graded)", "Not about an inspection"]
    rows = re.findall(r'<tr><th scope="row">(\d+)</th>(.*?)</tr>', table)
    cells = {year: re.findall(r"<td>(\d*)</td>", rest) for year, rest in rows}
    assert cells == {
        "2019": ["", "", "", "2"],
        "2020": ["1", "3", "", ""],
        "2021": ["", "", "16", ""],
    }


def test_a_person_with_no_dated_statement_and_no_role_has_no_chart():
    person = PersonFactory()
    StatementFactory(article=ArticleFactory(published_on=None), speaker=person)
    html = page(person)
    assert "<svg" not in html and "chart-table" not in html
    assert html.count('class="statement statement--') == 1
    assert "The first" not in html and "Filter these statements" in html
