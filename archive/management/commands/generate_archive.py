"""python manage.py generate_archive --articles 100000 --seed 42 [--output FILE [--replace] | --database-url URL]

Builds a synthetic archive for measurement in a database of its own: never
the real archive. It holds every real authority and inspection (the seed and
Ofsted fixtures) and, around them, generated publishers, people, articles and
statements with realistic, skewed shapes: ~50 publishers, ~5,000 people and
bodies, ~10 statements an article, over 20 years, a few publishers, speakers
and councils accounting for most of the coverage.

It writes only into a new SQLite file, a synthetic archive it made earlier
(its synthetic_archive table, written first into every database it fills,
says so), or an empty PostgreSQL database. Any other existing --output is
refused unless --replace is given; the configured database (DATABASE_URL) is
refused always. A refusal changes nothing.

Search terms with known frequencies are planted for benchmarks: "kinship"
occurs in about 2 % of articles (a rare term), "safeguarding" in about 30 %
(a common one). The text is made of a small vocabulary and English's
commonest words (two words in five, as in prose), so that the search index
holds words found in nearly every row, as a real archive's does. Most articles
have a standfirst, an author or two and people mentioned; about a third of
the statements in an article about inspections are about one of them.
"""

import contextlib
import datetime
import itertools
import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

CHILD_MARKER = "ARCHIVE_GENERATING_SYNTHETIC"
# Written into every database this command fills, before anything else, so that a later run can tell its own
# output (even a half-finished one) from a real archive or any other file before replacing it.
MARKER_TABLE = "synthetic_archive"
MADE_BY = "generate_archive"
# The files SQLite keeps beside a database: a leftover log next to a new file would be replayed into it.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
LOOPBACK_HOSTS = {"", "localhost", "127.0.0.1", "::1"}
RARE_TERM, RARE_SHARE = "kinship", 0.02
COMMON_TERM, COMMON_SHARE = "safeguarding", 0.30
# English's commonest words, which prose is two fifths made of: every row's index entry holds some.
STOP_WORDS = (
    "the", "of", "and", "to", "a", "in", "for", "is", "on", "that", "by", "with", "was", "as", "it", "at", "be",
    "are", "from", "has", "have", "its", "this", "an", "were", "their", "not", "but", "which", "after",
)  # fmt: skip
STOP_WORD_SHARE = 0.4
# Shares of articles with a standfirst, and with no author, one or two (the rest); the people who write
# articles, drawn from the last of the generated people; and of the statements in an article about
# inspections that are about one of them (``responds_to``).
STANDFIRST_SHARE = 0.6
NO_AUTHOR_SHARE, ONE_AUTHOR_SHARE = 0.15, 0.75
AUTHORS = 250
MOST_PEOPLE_MENTIONED = 3
RESPONSE_SHARE = 0.3

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


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def sentence(rng: random.Random, length: int) -> str:
    words = [rng.choice(STOP_WORDS if rng.random() < STOP_WORD_SHARE else WORDS) for _ in range(length)]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def is_synthetic_archive(path: Path) -> bool:
    """Whether the SQLite file at ``path`` is a synthetic archive this command made, read without writing a byte.

    Its marker table says so. Files made before the marker existed are recognised by what bench/run_bench.py
    wrote beside them (``<file>.meta.json``, the articles and seed asked for) agreeing with their content:
    exactly that many articles with the generated slugs ``synthetic-<n>``.
    """
    try:
        with read_only_sqlite(path) as database:
            if database.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MARKER_TABLE]
            ).fetchone():
                return bool(database.execute(f"SELECT 1 FROM {MARKER_TABLE} WHERE made_by = ?", [MADE_BY]).fetchone())
            meta = json.loads(Path(f"{path}.meta.json").read_text())
            articles = meta["articles"] if isinstance(meta, dict) else None
            if not isinstance(articles, int) or isinstance(articles, bool) or articles <= 0:
                return False
            generated = database.execute(
                "SELECT count(*) FROM articles_article WHERE slug GLOB 'synthetic-[0-9]*'"
            ).fetchone()[0]
            return generated == articles
    except (sqlite3.Error, OSError, ValueError, KeyError):
        return False


@contextlib.contextmanager
def read_only_sqlite(path: Path):
    """A read-only connection to a SQLite file that leaves no trace beside it.

    A read-only connection to a database in WAL mode creates its -wal and -shm files if they are missing (and
    leaves them); with neither there, no write is in a log to be missed, so the file is opened as immutable.
    """
    live = all(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))
    database = sqlite3.connect(f"{path.as_uri()}?mode=ro{'' if live else '&immutable=1'}", uri=True)
    try:
        yield database
    finally:
        database.close()


def configured_database() -> dict:
    return settings.DATABASES["default"]


def is_configured_sqlite_file(path: Path) -> bool:
    configured = configured_database()
    if configured["ENGINE"] != "django.db.backends.sqlite3" or str(configured["NAME"]).startswith(("file:", ":")):
        return False
    real = Path(configured["NAME"])
    if path == real.resolve():
        return True
    # The same file under another name (a hard link) is the real archive as much.
    try:
        return path.exists() and real.exists() and os.path.samefile(path, real)
    except OSError:
        return False


def same_postgres_database(one: dict, other: dict) -> bool:
    """Whether two parsed database settings name the same PostgreSQL database (loopback names count as one)."""

    def host(settings_dict):
        name = (settings_dict.get("HOST") or "").lower()
        return "loopback" if name in LOOPBACK_HOSTS or name.startswith("/") else name

    return (
        one["NAME"] == other["NAME"]
        and host(one) == host(other)
        and str(one.get("PORT") or 5432) == str(other.get("PORT") or 5432)
    )


def describe_postgres(settings_dict: dict) -> str:
    """A database by name, server and port, without the password its URL may hold."""
    return f"{settings_dict['NAME']} on {settings_dict.get('HOST') or 'localhost'}:{settings_dict.get('PORT') or 5432}"


class Command(BaseCommand):
    help = "Generate a synthetic archive for benchmarks in a separate database (never the real archive)."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--statements-per-article", type=int, default=10)
        parser.add_argument("--publishers", type=int, default=50)
        parser.add_argument("--people", type=int, default=5_000)
        target = parser.add_mutually_exclusive_group()
        target.add_argument(
            "--output",
            default="bench/archive-synthetic.sqlite3",
            help="SQLite file to create; an existing one only if this command made it (or with --replace)",
        )
        target.add_argument("--database-url", help="Instead of --output: an empty PostgreSQL database to fill")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Overwrite --output even if it is not a synthetic archive (never the configured database)",
        )

    def handle(self, *args, **options):
        if os.environ.get(CHILD_MARKER):
            return self.generate(options)
        if options["database_url"]:
            if options["replace"]:
                raise CommandError(
                    "--replace applies to --output only: a PostgreSQL database is never emptied by this command. "
                    "Give an empty database (createdb NAME), or drop and recreate the one you named."
                )
            url = self.postgres_url(options["database_url"])
        else:
            url = self.sqlite_url(Path(options["output"]), replace=options["replace"])
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
    def sqlite_url(path: Path, *, replace: bool = False) -> str:
        """The URL of a fresh SQLite file at ``path``, having removed what was there if that is safe.

        Every check comes before anything is deleted or created: a refusal leaves the disk as it was.
        """
        path = path.resolve()
        if is_configured_sqlite_file(path):
            raise CommandError(
                f"{path} is the database the settings use (DATABASE_URL, else db.sqlite3), which may be the real "
                "archive: nothing was changed. Choose another --output; --replace never overwrites this database."
            )
        if path.is_dir():
            raise CommandError(f"{path} is a directory: nothing was changed. Give --output a file name.")
        companions = [Path(f"{path}{suffix}") for suffix in SQLITE_COMPANIONS]
        if path.exists():
            if not replace and not is_synthetic_archive(path):
                raise CommandError(
                    f"{path} exists and is not a synthetic archive made by generate_archive: nothing was changed. "
                    "Choose another --output, or pass --replace to overwrite it."
                )
        elif not replace and (leftovers := [str(companion) for companion in companions if companion.exists()]):
            raise CommandError(
                f"{path} does not exist but files SQLite keeps beside one do ({', '.join(leftovers)}), and a "
                "leftover log would be replayed into the new file: nothing was changed. Remove them, choose "
                "another --output, or pass --replace."
            )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            for file in (path, *companions):
                file.unlink(missing_ok=True)
        except OSError as error:
            raise CommandError(f"Could not clear {path} for a new archive: {error}") from None
        return f"sqlite:///{path}"

    @staticmethod
    def postgres_url(url: str) -> str:
        """``url`` if it names a PostgreSQL database other than the configured one (whether it is empty is
        checked once connected, before anything is written)."""
        try:
            target = dj_database_url.parse(url)
        except (ValueError, KeyError, TypeError) as error:
            raise CommandError(f"--database-url {url!r} is not a database URL: {error}") from None
        if target.get("ENGINE") != "django.db.backends.postgresql" or not target.get("NAME"):
            raise CommandError(
                "--database-url must name a PostgreSQL database (postgres://USER@HOST:PORT/NAME); "
                "for a SQLite file give --output FILE."
            )
        configured = configured_database()
        if configured["ENGINE"] == "django.db.backends.postgresql" and same_postgres_database(target, configured):
            raise CommandError(
                f"{describe_postgres(target)} is the database the settings use (DATABASE_URL), which may be the real "
                "archive: nothing was changed. Create an empty database of its own for the synthetic archive "
                "(createdb NAME) and name it with --database-url."
            )
        return url

    @staticmethod
    def tables_in_database() -> int:
        """Every table there is, in any schema: a real archive need not live in the public schema."""
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT count(*) FROM pg_class JOIN pg_namespace ON pg_namespace.oid = pg_class.relnamespace "
                    "WHERE pg_class.relkind IN ('r', 'p', 'v', 'm', 'f') "
                    "AND pg_namespace.nspname NOT IN ('pg_catalog', 'information_schema') "
                    "AND pg_namespace.nspname !~ '^pg_(toast|temp)'"
                )
            else:
                cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
            return cursor.fetchone()[0]

    def refuse_unless_empty(self):
        """Writes go only into an empty database: one with any table in it may hold a real archive."""
        where = (
            f"PostgreSQL database {describe_postgres(connection.settings_dict)}"
            if connection.vendor == "postgresql"
            else str(connection.settings_dict["NAME"])
        )
        try:
            tables = self.tables_in_database()
        except DatabaseError as error:
            raise CommandError(f"Could not open {where}: {error}".strip()) from None
        if tables:
            raise CommandError(
                f"{where} is not empty ({tables} tables): generate_archive fills only an empty database, so that "
                "it never writes into a real archive. Nothing was changed. Give a new, empty database; if this one "
                "holds only an earlier synthetic archive, drop and recreate it first."
            )

    def mark_synthetic(self, options):
        """The marker table, first of all: even a generation that fails half-way leaves a file recognised as its own."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {MARKER_TABLE} (made_by TEXT NOT NULL, articles INTEGER NOT NULL, "
                "seed INTEGER NOT NULL, started TEXT NOT NULL, finished TEXT)"
            )
            cursor.execute(
                f"INSERT INTO {MARKER_TABLE} (made_by, articles, seed, started) VALUES (%s, %s, %s, %s)",
                [MADE_BY, options["articles"], options["seed"], now()],
            )

    def generate(self, options):
        from articles.models import Article, ArticleKind, ArticleStatus, Inspection, Publisher, PublisherKind
        from people.models import Person, PersonKind, Role, Statement, StatementKind

        self.refuse_unless_empty()
        self.mark_synthetic(options)
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
        author = Zipf(rng, people[-AUTHORS:])

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
                            standfirst=sentence(rng, rng.randint(15, 30)) if rng.random() < STANDFIRST_SHARE else "",
                            body="\n\n".join(paragraphs),
                        )
                    )
                    bodies_text.append(paragraphs)
                articles = Article.objects.bulk_create(articles)
                statements, links, authorships, mentions = [], [], [], []
                for article, paragraphs in zip(articles, bodies_text, strict=True):
                    share = rng.random()
                    authors = 0 if share < NO_AUTHOR_SHARE else 1 if share < NO_AUTHOR_SHARE + ONE_AUTHOR_SHARE else 2
                    for person in {author() for _ in range(authors)}:
                        authorships.append(Article.authors.through(article_id=article.pk, person_id=person.pk))
                    for person in {speaker() for _ in range(rng.randint(0, MOST_PEOPLE_MENTIONED))}:
                        mentions.append(Article.people_mentioned.through(article_id=article.pk, person_id=person.pk))
                    covered = sorted({inspection_of() for _ in range(rng.randint(0, 2))})
                    for inspection in covered:
                        links.append(Article.inspections.through(article_id=article.pk, inspection_id=inspection))
                    count = max(0, int(rng.gauss(options["statements_per_article"], 3)))
                    for position in range(1, count + 1):
                        words = rng.choice(paragraphs).split(". ")[0].rstrip(".")
                        about = rng.choice(covered) if covered and rng.random() < RESPONSE_SHARE else None
                        statements.append(
                            Statement(
                                article=article,
                                position=position,
                                speaker=speaker(),
                                role_as_printed=rng.choice(TITLES),
                                kind=rng.choice(StatementKind.values),
                                words=words,
                                responds_to_id=about,
                            )
                        )
                Statement.objects.bulk_create(statements, batch_size=5_000)
                Article.inspections.through.objects.bulk_create(links, batch_size=5_000)
                Article.authors.through.objects.bulk_create(authorships, batch_size=5_000)
                Article.people_mentioned.through.objects.bulk_create(mentions, batch_size=5_000)
            self.stdout.write(f"{min(start + batch, total)} / {total} articles")
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {MARKER_TABLE} SET finished = %s", [now()])
            cursor.execute("ANALYZE")  # fresh statistics for the query planner, on either engine
        self.stdout.write(
            f"Done: {Article.objects.count()} articles, {Statement.objects.count()} statements, "
            f"{Person.objects.count()} people and bodies."
        )
