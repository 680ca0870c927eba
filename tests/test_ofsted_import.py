"""The Ofsted statistics importer, on the real file and on broken copies of it."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from archive.dates import PartialDate
from articles.models import AuthorityStatus, Inspection, InspectionJudgement, Judgement, JudgementArea, LocalAuthority
from articles.ofsted import HISTORY, IN_YEAR, LATEST, OfstedFileError, read_outcomes

ODS = Path(settings.BASE_DIR) / "fixtures/sources/ofsted/LA_Inspection_Outcomes_as_at_31_March_2025.ods"
COMMITTED_FIXTURE = Path(settings.BASE_DIR) / "fixtures/05_ofsted_outcomes_2025.json"


@pytest.fixture(scope="module")
def outcomes():
    return read_outcomes(ODS)


def broken_copy(tmp_path, old: str = "", new: str = "", patch=None) -> Path:
    """A copy of the real file with its content.xml patched: first `old` replaced by `new`, or by `patch`."""
    target = tmp_path / "broken.ods"
    with zipfile.ZipFile(ODS) as source, zipfile.ZipFile(target, "w") as copy:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "content.xml":
                text = data.decode("utf-8")
                if patch is None:
                    assert old in text
                    text = text.replace(old, new, 1)
                data = (patch or (lambda t: t))(text).encode("utf-8")
            # The mimetype entry stays first and uncompressed, as ODF requires.
            compress = zipfile.ZIP_STORED if item.filename == "mimetype" else zipfile.ZIP_DEFLATED
            copy.writestr(item, data, compress_type=compress)
    return target


def import_file(path, **options):
    out = io.StringIO()
    call_command("import_ofsted_outcomes", str(path), stdout=out, **options)
    return out.getvalue()


def test_reads_every_sheet_of_the_real_file(outcomes):
    assert outcomes.rows_read == {LATEST: 153, IN_YEAR: 112, HISTORY: 271}
    statuses = [a.status for a in outcomes.authorities.values()]
    assert statuses.count(AuthorityStatus.CURRENT) == 153
    assert statuses.count(AuthorityStatus.NO_LONGER_EXISTS) == 3
    # 271 short and standard inspections, plus 60 in-year visits; repeated rows become one record.
    assert len(outcomes.inspections) == 331
    kinds = [r.kind for r in outcomes.inspections]
    assert kinds.count("ilacs-focused-visit") == 36 and kinds.count("ilacs-monitoring-visit") == 24


def test_the_same_inspection_in_several_sheets_is_one_record(outcomes):
    sandwell_2022 = [r for r in outcomes.inspections if r.ons_code == "E08000028" and r.kind == "ilacs-standard"]
    assert len(sandwell_2022) == 1
    assert sorted(sandwell_2022[0].sheets) == sorted([HISTORY, LATEST])


def test_care_leavers_were_judged_with_children_in_care_before_2023(outcomes):
    for record in outcomes.inspections:
        areas = set(record.judgements)
        if not record.judgements:
            continue
        if record.started_on < datetime.date(2023, 1, 1):
            assert JudgementArea.CHILDREN_IN_CARE_AND_CARE_LEAVERS in areas
            assert not areas & {JudgementArea.CARE_LEAVERS, JudgementArea.CHILDREN_IN_CARE}
        else:
            assert {JudgementArea.CHILDREN_IN_CARE, JudgementArea.CARE_LEAVERS} <= areas
            assert JudgementArea.CHILDREN_IN_CARE_AND_CARE_LEAVERS not in areas


@pytest.mark.django_db
def test_sandwell_inspection_and_focused_visit_as_imported():
    authority = LocalAuthority.objects.get(ons_code="E08000028")
    assert (authority.name, authority.region, authority.status) == ("Sandwell", "West Midlands", "current")
    inspection = Inspection.objects.get(authority=authority, kind="ilacs-standard", started_on="2022-05-09")
    assert inspection.published_on == PartialDate(2022, 7, 5)
    assert inspection.overall == Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD
    assert dict(inspection.judgements.values_list("area", "judgement")) == {
        JudgementArea.IMPACT_OF_LEADERS: Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD,
        JudgementArea.HELP_AND_PROTECTION: Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD,
        JudgementArea.CHILDREN_IN_CARE_AND_CARE_LEAVERS: Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD,
    }
    visit = Inspection.objects.get(authority=authority, kind="ilacs-focused-visit")
    assert (visit.started_on, visit.published_on) == (PartialDate(2024, 10, 30), PartialDate(2024, 11, 29))
    assert visit.theme == "Front door" and visit.overall is None
    # The curated record was merged, not duplicated: it keeps its articles and notes.
    assert Inspection.objects.filter(authority=authority, started_on="2022-05-09").count() == 1
    assert inspection.articles.exists()
    assert "Verified (the report" in inspection.source_note


@pytest.mark.django_db
def test_staffordshire_corrected_care_leavers_judgement_of_november_2023():
    inspection = Inspection.objects.get(authority__name="Staffordshire", started_on="2023-11-06")
    assert inspection.kind == "ilacs-short"
    assert inspection.judgements.get(area=JudgementArea.CARE_LEAVERS).judgement == (
        Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD
    )
    assert inspection.judgements.get(area=JudgementArea.CHILDREN_IN_CARE).judgement == Judgement.GOOD


@pytest.mark.django_db
def test_every_authority_and_inspection_is_in_the_archive():
    assert LocalAuthority.objects.count() == 156
    assert LocalAuthority.objects.filter(status=AuthorityStatus.NO_LONGER_EXISTS).count() == 3
    assert Inspection.objects.exclude(authority__ons_code="E08000028").count() == 331 - 2


@pytest.mark.django_db
def test_a_second_import_changes_nothing():
    before = list(InspectionJudgement.objects.order_by("pk").values_list("pk", "judgement"))
    output = import_file(ODS)
    assert "Authorities: 0 created, 0 updated, 156 left alone." in output
    assert "Inspections: 0 created, 0 updated, 331 left alone." in output
    assert "Judgements: 0 created, 0 updated, 916 left alone." in output
    assert list(InspectionJudgement.objects.order_by("pk").values_list("pk", "judgement")) == before


@pytest.mark.django_db
def test_an_import_into_an_empty_archive_creates_everything_then_updates_a_change():
    Inspection.objects.all().delete()
    output = import_file(ODS)
    assert "Inspections: 331 created" in output
    barnet = Inspection.objects.get(authority__name="Barnet", started_on="2024-06-10")
    barnet.overall_judgement = Judgement.INADEQUATE
    barnet.save()
    assert "Inspections: 0 created, 1 updated, 330 left alone." in import_file(ODS)
    barnet.refresh_from_db()
    assert barnet.overall == Judgement.GOOD


@pytest.mark.django_db
def test_the_committed_fixture_is_the_import_result(tmp_path):
    regenerated = tmp_path / "05_ofsted_outcomes_2025.json"
    import_file(ODS, write_fixture=regenerated, dry_run=True)
    assert regenerated.read_text(encoding="utf-8") == COMMITTED_FIXTURE.read_text(encoding="utf-8")


@pytest.mark.django_db
def test_dry_run_writes_nothing():
    Inspection.objects.filter(authority__name="Barnet").delete()
    output = import_file(ODS, dry_run=True)
    assert "Dry run: nothing was written." in output
    assert not Inspection.objects.filter(authority__name="Barnet").exists()


def refused(path, *fragments):
    counts = (LocalAuthority.objects.count(), Inspection.objects.count(), InspectionJudgement.objects.count())
    with pytest.raises(CommandError) as error:
        import_file(path)
    message = str(error.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "Nothing was imported" in message
    assert (LocalAuthority.objects.count(), Inspection.objects.count(), InspectionJudgement.objects.count()) == counts
    return message


@pytest.mark.django_db
def test_a_missing_sheet_is_refused_by_name(tmp_path):
    path = broken_copy(tmp_path, 'table:name="In-year_inspections"', 'table:name="In-year 2024-25"')
    refused(path, "sheet “In-year_inspections” is missing")


@pytest.mark.django_db
def test_a_renamed_column_is_refused_naming_sheet_and_column(tmp_path):
    # The first "Ofsted region" header is in the latest-judgements sheet.
    path = broken_copy(tmp_path, "<text:p>Ofsted region</text:p>", "<text:p>Region (Ofsted)</text:p>")
    refused(path, "sheet “Inspections_as_at_31_March”", "column “Ofsted region” is missing")


@pytest.mark.django_db
def test_an_unknown_grade_is_refused_naming_sheet_row_and_column(tmp_path):
    Inspection.objects.filter(authority__name="Barnet").delete()  # so a partial import would show
    path = broken_copy(tmp_path, "<text:p>Outstanding</text:p>", "<text:p>Excellent</text:p>")
    message = refused(path, "sheet “Inspections_as_at_31_March”", "row ", "'Excellent' is not one of")
    assert not Inspection.objects.filter(authority__name="Barnet").exists()
    assert "column “" in message


@pytest.mark.django_db
def test_sheets_that_disagree_are_refused(tmp_path):
    def change_one_in_year_grade(content):
        # The first short inspection of the in-year sheet: its first "Good" becomes "Inadequate",
        # so it no longer agrees with the same inspection in the history sheet.
        short = content.index(
            "<text:p>ILACS Short Inspection</text:p>", content.index('table:name="In-year_inspections"')
        )
        at = content.index("<text:p>Good</text:p>", short)
        return content[:at] + "<text:p>Inadequate</text:p>" + content[at + len("<text:p>Good</text:p>") :]

    refused(broken_copy(tmp_path, patch=change_one_in_year_grade), "sheet “In-year_inspections”", "disagrees")


@pytest.mark.django_db
def test_a_file_that_is_not_a_spreadsheet_is_refused(tmp_path):
    path = tmp_path / "not.ods"
    path.write_bytes(b"\x00\x01 not a spreadsheet")
    refused(path, "not a readable spreadsheet")


def test_reader_errors_are_their_own_type(tmp_path):
    with pytest.raises(OfstedFileError):
        read_outcomes(tmp_path / "missing.ods")
