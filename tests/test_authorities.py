"""Every council's record: the authorities list, an authority's page and the inspection facets it adds."""

import re
from collections import Counter

import pytest
from django.test import Client

from articles.models import Inspection, InspectionJudgement, LocalAuthority

pytestmark = pytest.mark.django_db


def latest_graded(authority):
    graded = [i for i in authority.inspections.all() if i.overall_judgement and i.started_on]
    return max(graded, key=lambda i: i.started_on.isoformat()).overall_judgement if graded else None


def test_authority_facets_count_what_the_list_holds():
    data = Client().get("/authorities/", {"format": "json"}).json()
    assert data["count"] == 156
    authorities = LocalAuthority.objects.prefetch_related("inspections")
    expected_latest = Counter(latest_graded(a) for a in authorities)
    got = {o["value"]: o["count"] for o in data["facets"]["latest"]}
    assert got == {k: v for k, v in expected_latest.items() if k}
    assert {o["value"]: o["count"] for o in data["facets"]["status"]} == {"current": 153, "no-longer-exists": 3}
    assert sum(o["count"] for o in data["facets"]["region"]) == 156


def test_latest_judgement_takes_the_newest_graded_inspection_even_when_curated():
    # Sandwell's statistics end with "requires improvement" (2022); the curated 2025 inspection is Good.
    data = Client().get("/authorities/", {"format": "json", "q": "Sandwell"}).json()
    assert [r["latest"] for r in data["results"]] == ["good"]


def test_region_and_judgement_combine_like_every_other_facet():
    data = Client().get("/authorities/", {"format": "json", "region": "London", "latest": "inadequate"}).json()
    expected = [
        a
        for a in LocalAuthority.objects.filter(region="London").prefetch_related("inspections")
        if latest_graded(a) == "inadequate"
    ]
    assert data["count"] == len(expected)
    london = next(o for o in data["facets"]["region"] if o["value"] == "London")
    assert london["selected"]


def test_authority_page_shows_the_timeline_the_table_and_the_coverage():
    html = Client().get("/authorities/sandwell/").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and 'aria-labelledby="chart-title chart-desc"' in svg
    assert svg.count('class="mark"') == 9
    assert len(re.findall(r'class="hollow"', svg)) == 3  # the three ungraded visits
    assert "SIF re-inspection, 6 November 2017: Inadequate" in svg
    table = html[html.index("<table") : html.index("</table>")]
    assert table.count("<tr>") == 1 + 9
    assert "April 2013" in table
    assert "Front door" in table
    for slug in [
        "sandwell-childrens-services-remain-inadequate",
        "ofsted-rating-welcomed-as-clear-sign-of-significant-progress",
    ]:
        assert f"/articles/{slug}/" in html
    assert "broken system" in html  # a statement about its inspections
    assert "Open Government Licence" in html


def test_an_authority_without_articles_still_shows_its_record():
    html = Client().get("/authorities/staffordshire/").content.decode()
    assert html.count('class="mark"') == Inspection.objects.filter(authority__slug="staffordshire").count()
    assert "No article in the archive covers its inspections yet." in html


def test_inspections_gain_region_and_per_area_facets():
    params = {"format": "json", "area": "care-leavers:requires-improvement-to-be-good", "region": "West Midlands"}
    data = Client().get("/inspections/", params).json()
    expected = Inspection.objects.filter(
        authority__region="West Midlands",
        pk__in=InspectionJudgement.objects.filter(
            area="care-leavers", judgement="requires-improvement-to-be-good"
        ).values("inspection"),
    )
    assert data["count"] == expected.count() > 0
    assert any(r["authority"] == "staffordshire" for r in data["results"])
    area_counts = {o["value"]: o["count"] for o in data["facets"]["area"]}
    region_only = Inspection.objects.filter(authority__region="West Midlands")
    expected_area = Counter(j.area_judgement for j in InspectionJudgement.objects.filter(inspection__in=region_only))
    assert {k: v for k, v in area_counts.items() if v} == dict(expected_area)
    labels = {o["value"]: o["label"] for o in data["facets"]["area"]}
    assert labels["care-leavers:requires-improvement-to-be-good"] == "Care leavers: Requires improvement to be good"


def test_attribution_wherever_inspection_data_is_shown():
    client = Client()
    for url in [
        "/authorities/",
        "/authorities/sandwell/",
        "/inspections/",
        "/inspections/sandwell-2022-05-ilacs-standard/",
    ]:
        assert "Open Government Licence" in client.get(url).content.decode(), url
