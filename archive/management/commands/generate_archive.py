"""python manage.py generate_archive --articles 100000 --seed 42 [--output FILE | --database-url URL]

Builds a synthetic archive for measurement in a database of its own: never
the real archive. It holds every real authority and inspection (the seed and
Ofsted fixtures) and, around them, generated publishers, people, articles and
statements with realistic, skewed shapes: ~50 publishers, ~5,000 people and
bodies, ~10 statements an article, over 20 years, a few publishers, speakers
and councils accounting for most of the coverage.

Search terms with known frequencies are planted for benchmarks: "kinship"
occurs in about 2 % of articles (a rare term), "safeguarding" in about 30 %
(a common one).
"""

import itertools
import os
import random
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

CHILD_MARKER = "ARCHIVE_GENERATING_SYNTHETIC"
RARE_TERM, RARE_SHARE = "kinship", 0.02
COMMON_TERM, COMMON_SHARE = "safeguarding", 0.30

WORDS = [
    "council",
    "children",
    "services",
    "inspection",
    "ofsted",
    "report",
    "found",
    "leaders",
    "social",
    "workers",
    "families",
    "care",
    "leavers",
    "improvement",
    "progress",
    "authority",
    "trust",
    "partners",
    "plans",
    "support",
    "practice",
    "cabinet",
    "member",
    "said",
    "welcomed",
    "disappointed",
    "committed",
    "priority",
    "young",
    "people",
    "protection",
    "help",
    "outcomes",
    "staff",
    "budget",
    "caseloads",
    "agency",
    "recruitment",
    "placements",
    "fostering",
    "adoption",
    "schools",
    "health",
    "police",
    "review",
    "board",
    "chief",
    "executive",
    "director",
    "early",
    "local",
    "national",
    "government",
    "department",
    "funding",
    "stability",
    "quality",
    "assurance",
    "performance",
    "judgement",
    "framework",
    "visit",
    "monitoring",
    "focused",
    "standard",
    "short",
    "inspectors",
    "praised",
    "highlighted",
    "concerns",
    "weaknesses",
    "strengths",
    "pace",
    "change",
    "journey",
    "work",
]
FIRST_NAMES = [
    "Alex",
    "Sam",
    "Jo",
    "Chris",
    "Pat",
    "Kim",
    "Lee",
    "Robin",
    "Jamie",
    "Morgan",
    "Taylor",
    "Jordan",
    "Casey",
    "Avery",
    "Riley",
    "Quinn",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Patel",
    "Khan",
    "Brown",
    "Evans",
    "Wilson",
    "Taylor",
    "Davies",
    "Wright",
    "Walker",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
]
TITLES = [
    "Cabinet Member for Children's Services",
    "Director of Children's Services",
    "Leader of the Council",
    "Chief Executive",
    "Chair",
    "MP",
    "spokesperson",
]


class Zipf:
    """Picks with a Zipf-like skew: the first items are chosen far more often than the rest."""

    def __init__(self, rng: random.Random, items: list, s: float = 1.1):
        self.rng, self.items = rng, items
        self.cumulative = list(itertools.accumulate(1 / (rank**s) for rank in range(1, len(items) + 1)))

    def __call__(self):
        return self.rng.choices(self.items, cum_weights=self.cumulative)[0]


def sentence(rng: random.Random, length: int) -> str:
    words = [rng.choice(WORDS) for _ in range(length)]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


class Command(BaseCommand):
    help = "Generate a synthetic archive for benchmarks in a separate database (never the real archive)."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--statements-per-article", type=int, default=10)
        parser.add_argument("--publishers", type=int, default=50)
        parser.add_argument("--people", type=int, default=5_000)
        parser.add_argument("--output", default="bench/archive-synthetic.sqlite3", help="SQLite file to create")
        parser.add_argument("--database-url", help="Instead of --output: an empty PostgreSQL database to fill")

    def handle(self, *args, **options):
        if os.environ.get(CHILD_MARKER):
            return self.generate(options)
        url = options["database_url"] or self.sqlite_url(Path(options["output"]))
        argv = (
            [sys.executable, "manage.py", "generate_archive", *sys.argv[2:]]
            if sys.argv[1:2] == ["generate_archive"]
            else [sys.executable, "manage.py", "generate_archive", *self.as_arguments(options)]
        )
        env = {**os.environ, "DATABASE_URL": url, CHILD_MARKER: "1", "DJANGO_DEBUG": "1"}
        self.stdout.write(f"Generating into {url}")
        result = subprocess.run(argv, cwd=settings.BASE_DIR, env=env, check=False)
        if result.returncode:
            raise CommandError("Generation failed; see above.")

    @staticmethod
    def as_arguments(options):
        names = ["articles", "seed", "statements_per_article", "publishers", "people"]
        return [item for name in names for item in (f"--{name.replace('_', '-')}", str(options[name]))]

    @staticmethod
    def sqlite_url(path: Path) -> str:
        path = path.resolve()
        real = Path(settings.DATABASES["default"]["NAME"]).resolve()
        if path == real:
            raise CommandError(f"{path} is the real archive: choose another --output.")
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"

    def generate(self, options):
        from articles.models import Article, ArticleKind, ArticleStatus, Inspection, Publisher, PublisherKind
        from people.models import Person, PersonKind, Role, Statement, StatementKind

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
                if cursor.fetchone()[0]:
                    raise CommandError("The PostgreSQL database is not empty: give an empty one.")
        rng = random.Random(options["seed"])
        call_command("migrate", verbosity=0)
        call_command("load_archive", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        self.stdout.write("Real authorities, inspections and seed articles loaded.")

        with transaction.atomic():
            publishers = Publisher.objects.bulk_create(
                Publisher(name=f"Publisher {n}", slug=f"publisher-{n}", kind=rng.choice(PublisherKind.values))
                for n in range(options["publishers"])
            )
            bodies = Person.objects.bulk_create(
                Person(name=f"Organisation {n}", slug=f"organisation-{n}", kind=PersonKind.ORGANISATION)
                for n in range(max(10, options["people"] // 50))
            )
            people = Person.objects.bulk_create(
                Person(
                    name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {n}",
                    slug=f"person-{n}",
                    honorific=rng.choice(["", "", "Cllr", "Dr"]),
                )
                for n in range(options["people"] - len(bodies))
            )
            organisation = Zipf(rng, bodies)
            Role.objects.bulk_create(
                Role(person=person, title=rng.choice(TITLES), organisation=organisation()) for person in people
            )
            speakers = people + bodies
            rng.shuffle(speakers)
            inspections = list(Inspection.objects.values_list("pk", flat=True))
            rng.shuffle(inspections)
        self.stdout.write(f"{len(publishers)} publishers, {len(speakers)} people and bodies.")
        publisher, speaker, inspection_of = Zipf(rng, publishers), Zipf(rng, speakers, 0.9), Zipf(rng, inspections, 0.8)

        batch = 2_000
        total = options["articles"]
        for start in range(0, total, batch):
            with transaction.atomic():
                articles, bodies_text = [], []
                for n in range(start, min(start + batch, total)):
                    paragraphs = [sentence(rng, rng.randint(12, 30)) for _ in range(rng.randint(6, 14))]
                    if rng.random() < COMMON_SHARE:
                        paragraphs[rng.randrange(len(paragraphs))] += f" Its {COMMON_TERM} work was reviewed."
                    if rng.random() < RARE_SHARE:
                        paragraphs[rng.randrange(len(paragraphs))] += f" Inspectors noted {RARE_TERM} care."
                    year = rng.randint(2006, 2025)
                    articles.append(
                        Article(
                            headline=sentence(rng, rng.randint(6, 12)).rstrip("."),
                            slug=f"synthetic-{n}",
                            publisher=publisher(),
                            published_on=f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                            kind=rng.choice(ArticleKind.values),
                            status=ArticleStatus.PUBLISHED if rng.random() > 0.02 else ArticleStatus.DRAFT,
                            body="\n\n".join(paragraphs),
                        )
                    )
                    bodies_text.append(paragraphs)
                articles = Article.objects.bulk_create(articles)
                statements, links = [], []
                for article, paragraphs in zip(articles, bodies_text, strict=True):
                    count = max(0, int(rng.gauss(options["statements_per_article"], 3)))
                    for position in range(1, count + 1):
                        words = rng.choice(paragraphs).split(". ")[0].rstrip(".")
                        statements.append(
                            Statement(
                                article=article,
                                position=position,
                                speaker=speaker(),
                                role_as_printed=rng.choice(TITLES),
                                kind=rng.choice(StatementKind.values),
                                words=words,
                            )
                        )
                    for inspection in {inspection_of() for _ in range(rng.randint(0, 2))}:
                        links.append(Article.inspections.through(article_id=article.pk, inspection_id=inspection))
                Statement.objects.bulk_create(statements, batch_size=5_000)
                Article.inspections.through.objects.bulk_create(links, batch_size=5_000)
            self.stdout.write(f"{min(start + batch, total)} / {total} articles")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics for the query planner, on either engine
        self.stdout.write(
            f"Done: {Article.objects.count()} articles, {Statement.objects.count()} statements, "
            f"{Person.objects.count()} people and bodies."
        )
