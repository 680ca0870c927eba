"""How well import_article does on pages whose fixtures were curated by hand: `make eval-import`.

For each page in fixtures/sources/ whose address matches a curated article, and for each page the
tests add (tests/import_pages/NAME.txt beside NAME.json, the fixture a curator would write for it, in
the styles of news sites and council press offices the seeds do not cover): furniture paragraphs kept
in the body, body paragraphs lost, direct quotes found, quotes attributed to the right speaker, and
reported remarks found and proposed.
"""

import json
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from articles.importing import import_page


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def article_and_statements(path: Path) -> tuple[dict, list[dict]]:
    """(article fields, statement fields) of an article fixture file."""
    objects = json.loads(path.read_text(encoding="utf-8"))
    article = next(o["fields"] for o in objects if o["model"] == "articles.article")
    return article, [o["fields"] for o in objects if o["model"] == "people.statement"]


def curated_articles() -> dict[str, tuple[dict, list[dict]]]:
    """source address → (article fields, statement fields), from fixtures/articles/."""
    found = {}
    for path in sorted((Path(settings.BASE_DIR) / "fixtures" / "articles").glob("*.json")):
        article, statements = article_and_statements(path)
        found[article["source_url"]] = (article, statements)
    return found


def seed_pages() -> list[tuple[Path, str]]:
    """(raw page, its address) from the sources table."""
    root = Path(settings.BASE_DIR) / "fixtures" / "sources"
    pages = []
    for line in (root / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) > 2 and cells[0].endswith(".txt") and (root / cells[0]).exists():
            pages.append((root / cells[0], cells[2]))
    return pages


def evaluate(page: Path, curated_article: dict, curated_statements: list[dict], publisher: str) -> dict:
    result = import_page(page.read_bytes(), page.name, publisher=publisher, url=curated_article["source_url"])
    got = [normalise(p) for p in result.article.paragraphs]
    want = [normalise(p) for p in curated_article["body"].split("\n\n") if p.strip()]
    direct = [s for s in curated_statements if s["kind"] == "direct"]
    found = attributed = 0
    for statement in direct:
        words = normalise(statement["words"])
        match = next(
            (
                q
                for q in result.article.quotes
                if q.kind == "direct" and (words in normalise(q.words) or normalise(q.words) in words)
            ),
            None,
        )
        if match:
            found += 1
            attributed += match.speaker_slug == statement["speaker"][0]
    reported = [s for s in curated_statements if s["kind"] == "reported"]
    proposed = [q for q in result.article.quotes if q.kind == "reported"]

    def same_remark(quote, statement) -> bool:
        ours, theirs = normalise(quote.words), normalise(statement["words"])
        return ours in theirs or theirs in ours

    # Recall (curated remarks the importer found), precision (its proposals a curator also recorded)
    # and, of those, how many name the curator's speaker.
    matches = [next((s for s in reported if same_remark(q, s)), None) for q in proposed]
    return {
        "reported": len(reported),
        "reported found": sum(1 for s in reported if any(same_remark(q, s) for q in proposed)),
        "reported proposed": len(proposed),
        "reported matching": sum(1 for match in matches if match is not None),
        "reported attributed": sum(
            1 for q, match in zip(proposed, matches, strict=True) if match and q.speaker_slug == match["speaker"][0]
        ),
        "page": page.name,
        "furniture kept": sum(1 for p in got if p not in want),
        "body lost": sum(1 for p in want if p not in got),
        "body paragraphs": len(want),
        "quotes": len(direct),
        "found": found,
        "attributed": attributed,
        "headline": normalise(result.article.headline) == normalise(curated_article["headline"]),
        "inspections": result.article.inspections == [key[0] for key in curated_article["inspections"]],
    }


def evaluate_seeds() -> list[dict]:
    curated = curated_articles()
    rows = []
    for page, address in seed_pages():
        if address in curated:
            article, statements = curated[address]
            rows.append(evaluate(page, article, statements, article["publisher"][0]))
    return rows


TEST_PAGES = Path(settings.BASE_DIR) / "tests" / "import_pages"


def evaluate_test_pages() -> list[dict]:
    """The pages the tests add, each against the fixture written for it by hand."""
    rows = []
    for expected in sorted(TEST_PAGES.glob("*.json")):
        page = expected.with_suffix(".txt")
        if page.exists():
            article, statements = article_and_statements(expected)
            rows.append(evaluate(page, article, statements, article["publisher"][0]))
    return rows


class Command(BaseCommand):
    help = "Measure import_article against hand-curated articles (the seeds, and the tests' pages); print the figures."

    def handle(self, **options):
        self.stdout.write("Seed pages (fixtures/sources/) against the curated fixtures:\n")
        self.table(evaluate_seeds())
        self.stdout.write("\nThe tests' own pages (tests/import_pages/), in other sites' styles:\n")
        self.table(evaluate_test_pages())

    def table(self, rows):
        self.stdout.write(
            "| page | furniture kept | body lost | quotes found | attributed right | headline | inspection |"
        )
        self.stdout.write("|---|---|---|---|---|---|---|")
        for row in rows:
            self.stdout.write(
                f"| {row['page']} | {row['furniture kept']} | {row['body lost']} of {row['body paragraphs']} | "
                f"{row['found']} of {row['quotes']} | {row['attributed']} of {row['found']} | "
                f"{'yes' if row['headline'] else 'no'} | {'yes' if row['inspections'] else 'no'} |"
            )
        keys = ("furniture kept", "body lost", "quotes", "found", "attributed", "body paragraphs")
        total = {key: sum(row[key] for row in rows) for key in keys}
        share = total["attributed"] / total["found"] if total["found"] else 0
        reported = {
            key: sum(row[key] for row in rows)
            for key in ("reported", "reported found", "reported proposed", "reported matching", "reported attributed")
        }
        self.stdout.write(
            f"Reported remarks (no quotation marks): found {reported['reported found']} of {reported['reported']} "
            f"curated; {reported['reported proposed']} proposed, of which {reported['reported matching']} match a "
            f"curated remark and {reported['reported attributed']} of those name its speaker"
        )
        self.stdout.write(
            f"| all | {total['furniture kept']} | {total['body lost']} of {total['body paragraphs']} | "
            f"{total['found']} of {total['quotes']} | {total['attributed']} of {total['found']} ({share:.0%}) | "
            f"{sum(row['headline'] for row in rows)} of {len(rows)} | "
            f"{sum(row['inspections'] for row in rows)} of {len(rows)} |"
        )
