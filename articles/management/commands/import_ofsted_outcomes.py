"""python manage.py import_ofsted_outcomes PATH.ods [--dry-run] [--write-fixture FILE]

Creates or updates local authorities and their inspections, with per-area
judgements, from Ofsted's official statistics. Idempotent (a second run
changes nothing) and transactional (a bad file changes nothing). An
inspection already in the archive (say, one curated from an article) is
matched by authority, kind and first day on site, and merged, not duplicated.
"""

import json
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

from archive.dates import PartialDate
from archive.fixtures import fixture_data
from articles.models import Inspection, InspectionJudgement, LocalAuthority
from articles.ofsted import SOURCE_NOTE, OfstedFileError, read_outcomes


class DryRun(Exception):
    """Raised to roll back a dry run's transaction."""


def inspection_slug(authority_slug, record, taken):
    base = f"{authority_slug}-{record.started_on:%Y-%m}-{record.kind}"
    # Two visits of one kind in one month get their day in the slug too.
    return base if base not in taken else f"{authority_slug}-{record.started_on:%Y-%m-%d}-{record.kind}"


class Command(BaseCommand):
    help = "Import Ofsted's 'Local authority inspection outcomes' statistics (.ods)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The .ods file as published by Ofsted")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing")
        parser.add_argument(
            "--write-fixture",
            metavar="FILE",
            help="Also write what the file describes as a natural-key fixture, leaving out records other "
            "fixtures in fixtures/ define (curated records stay defined in one place)",
        )

    def handle(self, path, dry_run=False, write_fixture=None, **options):
        try:
            outcomes = read_outcomes(path)
        except OfstedFileError as error:
            raise CommandError(f"Refused {path}: {error}. Nothing was imported.") from error
        for sheet, count in outcomes.rows_read.items():
            self.stdout.write(f"Read {count} rows from sheet “{sheet}”.")
        self.stdout.write(f"{len(outcomes.authorities)} authorities, {len(outcomes.inspections)} inspections.")

        self.tally = Counter()
        # Each record's history says where its values came from.
        self.change_reason = f"Imported from Ofsted's statistics ({Path(path).name})"
        try:
            with transaction.atomic():
                keys = self.write(outcomes)
                if write_fixture:
                    self.write_fixture(Path(write_fixture), keys)
                if dry_run:
                    raise DryRun
        except DryRun:
            self.stdout.write("Dry run: nothing was written.")
        for kind in ("authorities", "inspections", "judgements"):
            self.stdout.write(
                f"{kind.capitalize()}: {self.tally[kind, 'created']} created, {self.tally[kind, 'updated']} "
                f"updated, {self.tally[kind, 'unchanged']} left alone."
            )

    def save(self, kind, obj, values: dict, *, create: bool):
        if create:
            for name, value in values.items():
                setattr(obj, name, value)
            obj.full_clean()
            obj._change_reason = self.change_reason
            obj.save()
            self.tally[kind, "created"] += 1
            return obj
        changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
        if changed:
            for name, value in changed.items():
                setattr(obj, name, value)
            obj.full_clean()
            obj._change_reason = self.change_reason
            obj.save(update_fields=list(changed))
            self.tally[kind, "updated"] += 1
        else:
            self.tally[kind, "unchanged"] += 1
        return obj

    def write(self, outcomes):
        authorities = {a.ons_code: a for a in LocalAuthority.objects.filter(ons_code__in=outcomes.authorities)}
        taken_authority_slugs = set(LocalAuthority.objects.values_list("slug", flat=True))
        for code, record in outcomes.authorities.items():
            existing = authorities.get(code)
            values = {"name": record.name, "region": record.region, "status": record.status}
            if existing is None:
                slug = slugify(record.name)
                if slug in taken_authority_slugs:
                    slug = f"{slug}-{code.lower()}"
                taken_authority_slugs.add(slug)
                authorities[code] = self.save(
                    "authorities", LocalAuthority(ons_code=code, slug=slug), values, create=True
                )
            else:
                self.save("authorities", existing, values, create=False)

        existing_inspections = {
            (i.authority.ons_code, i.started_on.first_day if i.started_on else None, i.kind): i
            for i in Inspection.objects.filter(authority__ons_code__in=outcomes.authorities).select_related("authority")
            if i.started_on and i.started_on.precision == "day"
        }
        taken_slugs = set(Inspection.objects.values_list("slug", flat=True))
        touched_slugs = set()
        for record in outcomes.inspections:
            authority = authorities[record.ons_code]
            values = {
                "published_on": PartialDate.from_date(record.published_on),
                "overall_judgement": record.overall_judgement,
                "theme": record.theme,
            }
            inspection = existing_inspections.get(record.key)
            if inspection is None:
                slug = inspection_slug(authority.slug, record, taken_slugs)
                taken_slugs.add(slug)
                values |= {
                    "authority": authority,
                    "slug": slug,
                    "kind": record.kind,
                    "started_on": PartialDate.from_date(record.started_on),
                    "source_note": SOURCE_NOTE.format(sheets=", ".join(record.sheets)),
                }
                inspection = self.save("inspections", Inspection(), values, create=True)
            else:
                # Curated facts the statistics do not carry (end date, finding, notes) are left as they are.
                self.save("inspections", inspection, values, create=False)
            current = {j.area: j for j in inspection.judgements.all()}
            for position, (area, grade) in enumerate(record.judgements.items(), start=1):
                judgement = current.get(area)
                values = {"judgement": grade}
                if judgement is None:
                    values |= {"inspection": inspection, "area": area, "position": position}
                    self.save("judgements", InspectionJudgement(), values, create=True)
                else:
                    self.save("judgements", judgement, values, create=False)
            touched_slugs.add(inspection.slug)
        return {"authorities": set(outcomes.authorities), "inspections": touched_slugs}

    def write_fixture(self, path: Path, keys):
        curated = self.keys_defined_elsewhere(path)
        authorities = LocalAuthority.objects.filter(ons_code__in=keys["authorities"]).exclude(
            ons_code__in=curated["articles.localauthority"]
        )
        inspections = Inspection.objects.filter(slug__in=keys["inspections"]).exclude(
            slug__in=curated["articles.inspection"]
        )
        judgements = InspectionJudgement.objects.filter(inspection__in=inspections).select_related("inspection")
        objects = [
            *authorities.order_by("ons_code"),
            *inspections.order_by("authority__ons_code", "started_on", "kind"),
            *judgements.order_by(
                "inspection__authority__ons_code", "inspection__started_on", "inspection__kind", "position"
            ),
        ]
        data = fixture_data(objects)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        self.stdout.write(f"Wrote {len(data)} objects to {path}.")

    @staticmethod
    def keys_defined_elsewhere(path: Path) -> dict[str, set]:
        keys = {"articles.localauthority": set(), "articles.inspection": set()}
        root = Path(settings.BASE_DIR) / "fixtures"
        for other in sorted(root.rglob("*.json")):
            # A fixture of the output's name is the one being regenerated, not a curated one.
            if other.name == path.name:
                continue
            for obj in json.loads(other.read_text(encoding="utf-8")):
                if obj.get("model") == "articles.localauthority":
                    keys["articles.localauthority"].add(obj["fields"]["ons_code"])
                elif obj.get("model") == "articles.inspection":
                    keys["articles.inspection"].add(obj["fields"]["slug"])
        return keys
