"""Turn scraped page text into a draft article fixture for review: `manage.py import_article PAGE.txt …`."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from articles.importer import ImportError_
from articles.importing import import_page
from articles.models import Publisher


class Command(BaseCommand):
    help = "Propose a draft fixture (article, statements, new people) from raw page text; load it with load_archive."

    def add_arguments(self, parser):
        parser.add_argument("pages", nargs="+", help="Text files of scraped pages")
        parser.add_argument("--publisher", required=True, help="The publisher's slug (it must exist)")
        parser.add_argument("--url", default="", help="The page's original address")
        parser.add_argument("--date", help="YYYY, YYYY-MM or YYYY-MM-DD, when the page shows none")
        parser.add_argument("--out", help="Where to write the fixture (one page only); default: print it")

    def handle(self, pages, publisher, url="", date=None, out=None, **options):
        if not Publisher.objects.filter(slug=publisher).exists():
            known = ", ".join(Publisher.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise CommandError(f"Unknown publisher “{publisher}”: use one of {known}, or add it first.")
        if out and len(pages) > 1:
            raise CommandError("--out takes one page; import several pages without it, or one at a time.")
        for page in pages:
            path = Path(page)
            try:
                data = path.read_bytes()
            except OSError as error:
                raise CommandError(f"{path}: cannot be read: {error}") from error
            try:
                result = import_page(data, path.name, publisher=publisher, url=url, date=date)
            except ImportError_ as error:
                raise CommandError(f"{path}: {error}.") from error
            text = json.dumps(result.fixture, indent=2, ensure_ascii=False) + "\n"
            if out:
                Path(out).write_text(text, encoding="utf-8")
                self.stdout.write(f"Wrote {out}: {result.summary}")
            else:
                self.stdout.write(text)
                self.stderr.write(f"{path}: {result.summary}")
