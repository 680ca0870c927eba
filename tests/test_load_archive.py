"""load_archive: the command `make run` uses to load fixtures."""

import gc
import io
import json
import weakref

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from archive import bulk_load
from archive.bulk_load import BulkLoader, NeedsCarefulLoad
from archive.curation import FIXTURE_CHANGE_REASON_PREFIX, history_of
from archive.fixtures import NOT_IN_FIXTURES, fixture_data
from archive.management.commands.load_archive import Loader
from articles.models import Article, Publisher
from people.models import Person, Statement

pytestmark = pytest.mark.django_db


def article_fixture(**overrides):
    fields = {
        "slug": "hand-made-article",
        "headline": "Council welcomes Ofsted report",
        "headline_inferred": False,
        "publisher": ["localgov"],
        "byline": "",
        "authors": [],
        "published_on": "2023-03",
        "published_on_inferred": False,
        "kind": "news-report",
        "source_url": "https://example.org/news/123",
        "retrieved_on": None,
        "standfirst": "",
        "body": 'First paragraph.\n\nCllr Example said the report was "a fair picture" of the service.',
        "inspections": [["sandwell-2022-05-ilacs-standard"]],
        "people_mentioned": [],
        "status": "published",
        "editor_note": "",
        "provenance_note": "",
    }
    fields.update(overrides)
    return {"model": "articles.article", "fields": fields}


def statement_fixture(position=1, words="a fair picture", speaker="simon-hackett"):
    return {
        "model": "people.statement",
        "fields": {
            "article": ["hand-made-article"],
            "position": position,
            "speaker": [speaker],
            "role_as_printed": "",
            "kind": "direct",
            "words": words,
            "responds_to": None,
        },
    }


def write(tmp_path, objects, name="article.json"):
    path = tmp_path / name
    path.write_text(json.dumps(objects), encoding="utf-8")
    return path


def load(*paths):
    out = io.StringIO()
    call_command("load_archive", *[str(p) for p in paths], stdout=out)
    return out.getvalue()


def test_loads_only_the_files_it_is_given(tmp_path):
    path = write(tmp_path, [article_fixture(), statement_fixture()])
    output = load(path)
    assert "2 created, 0 updated, 0 unchanged, 0 removed." in output
    assert Article.objects.published().filter(slug="hand-made-article").exists()
    assert "0 created, 0 updated, 2 unchanged" in load(path)


def test_a_missing_file_is_refused():
    with pytest.raises(CommandError, match="No such fixture file: /nowhere.json"):
        load("/nowhere.json")


def test_an_edited_fixture_updates_in_place(tmp_path):
    load(write(tmp_path, [article_fixture(), statement_fixture()]))
    output = load(write(tmp_path, [article_fixture(headline="Council welcomes report"), statement_fixture()]))
    assert "articles.Article: 1 updated" in output
    assert Article.objects.filter(slug="hand-made-article").get().headline == "Council welcomes report"
    assert Article.objects.filter(slug="hand-made-article").count() == 1


def test_a_person_defined_after_the_article_that_mentions_them_is_linked(tmp_path):
    person = {
        "model": "people.person",
        "fields": {
            "slug": "new-person",
            "name": "New Person",
            "honorific": "",
            "kind": "individual",
            "description": "",
        },
    }
    load(write(tmp_path, [article_fixture(people_mentioned=[["new-person"]]), person]))
    assert list(Article.objects.get(slug="hand-made-article").people_mentioned.values_list("slug", flat=True)) == [
        "new-person"
    ]


def test_a_statement_removed_from_the_file_is_removed(tmp_path):
    load(write(tmp_path, [article_fixture(), statement_fixture(1), statement_fixture(2, words="First paragraph")]))
    output = load(write(tmp_path, [article_fixture(), statement_fixture(1)]))
    assert "1 removed" in output
    assert list(Statement.objects.filter(article__slug="hand-made-article").values_list("position", flat=True)) == [1]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"source_url": "javascript:alert(1)"}, "source_url: Enter a valid URL."),
        ({"kind": "blog"}, "kind: Value 'blog' is not a valid choice."),
        ({"published_on": "2023-02-30"}, "published_on:"),
        ({"headline": "x" * 301}, "headline: Ensure this value has at most 300 characters"),
        ({"slug": "not a slug"}, "slug:"),
        (
            {"publisher": ["no-such-publisher"]},
            "publisher: no articles.Publisher with natural key ['no-such-publisher']",
        ),
        ({"headline": ""}, "headline: This field cannot be blank."),
        ({"status": "withdrawn"}, "A withdrawn article needs a withdrawal note saying why."),
        ({"retrieved_on": "2023-13-01"}, "retrieved_on:"),
        ({"colour": "red"}, "unknown field “colour”"),
        ({"version": 7}, "version: set by the archive itself"),
    ],
)
def test_invalid_objects_are_refused_naming_file_object_and_field(tmp_path, override, message):
    path = write(tmp_path, [article_fixture(**override), statement_fixture()])
    before = Article.objects.count(), Statement.objects.count()
    with pytest.raises(CommandError) as error:
        load(path)
    assert str(path) in str(error.value)
    assert "object 1 (articles.Article ['hand-made-article']" in str(error.value) or "slug" in override
    assert message in str(error.value)
    assert "Nothing was loaded" in str(error.value)
    assert (Article.objects.count(), Statement.objects.count()) == before


def test_a_statement_not_in_its_article_is_refused(tmp_path):
    path = write(tmp_path, [article_fixture(), statement_fixture(words="words nobody wrote")])
    with pytest.raises(CommandError, match=r"object 2 \(people.Statement \['hand-made-article', 1\]\): words:"):
        load(path)
    assert not Article.objects.filter(slug="hand-made-article").exists()


def test_malformed_json_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"model": "articles.article", ', encoding="utf-8")
    with pytest.raises(CommandError, match="broken.json"):
        load(path)


def test_a_later_bad_file_undoes_an_earlier_good_one(tmp_path):
    good = write(tmp_path, [article_fixture(), statement_fixture()], "good.json")
    bad = write(tmp_path, [article_fixture(slug="other", kind="blog")], "bad.json")
    with pytest.raises(CommandError):
        load(good, bad)
    assert not Article.objects.filter(slug="hand-made-article").exists()
    assert not Person.objects.filter(slug="new-person").exists()


def refused(tmp_path, objects, name="bad.json"):
    """The message of a refused load, after checking that it changed nothing."""
    before = snapshot()
    path = write(tmp_path, objects, name) if not isinstance(objects, str) else tmp_path / name
    if isinstance(objects, str):
        path.write_text(objects, encoding="utf-8")
    with pytest.raises(CommandError) as error:
        load(path)
    assert snapshot() == before
    message = str(error.value)
    assert str(path) in message and "Nothing was loaded." in message
    return message


def snapshot():
    return (
        list(Article.objects.order_by("pk").values_list("pk", "slug", "headline", "version")),
        list(Statement.objects.order_by("pk").values_list("pk", "words")),
        Person.objects.count(),
    )


def test_malformed_json_names_file_line_and_column(tmp_path):
    message = refused(tmp_path, '[{"model": "articles.article",\n "fields": }]')
    assert "malformed JSON at line 2, column 12" in message


def test_an_unknown_model_is_named(tmp_path):
    message = refused(tmp_path, [article_fixture(), {"model": "articles.magazine", "fields": {"slug": "x"}}])
    assert "object 2 (articles.magazine ['x']" not in message  # no invented key for an unknown model
    assert "object 2 (articles.magazine): unknown model “articles.magazine”" in message


def test_a_model_the_archive_does_not_load_is_refused(tmp_path):
    message = refused(tmp_path, [{"model": "auth.user", "fields": {"username": "intruder", "is_superuser": True}}])
    assert "object 1 (auth.User): auth.User is not something the archive's fixtures load" in message


def test_a_duplicate_natural_key_in_one_file_is_refused(tmp_path):
    message = refused(tmp_path, [article_fixture(), article_fixture(headline="Second copy")])
    assert "object 2 (articles.Article ['hand-made-article']): the same natural key as object 1 in this file" in message


def test_a_database_constraint_is_checked_before_writing(tmp_path):
    # Two statements at one position of one article: the unique constraint, named by its fields.
    message = refused(
        tmp_path,
        [
            article_fixture(),
            statement_fixture(1),
            {**statement_fixture(2), "fields": {**statement_fixture(2)["fields"], "position": 0}},
        ],
    )
    assert "object 3 (people.Statement ['hand-made-article', 0])" in message
    assert "position" in message


def test_an_unknown_reference_in_a_link_is_named(tmp_path):
    message = refused(tmp_path, [article_fixture(people_mentioned=[["nobody-at-all"]])])
    assert "object 1 (articles.Article ['hand-made-article']): people_mentioned: no people.Person" in message
    assert "['nobody-at-all']" in message


def test_dry_run_checks_everything_and_writes_nothing(tmp_path):
    path = write(tmp_path, [article_fixture(), statement_fixture()])
    before = snapshot()
    out = io.StringIO()
    call_command("load_archive", str(path), "--dry-run", stdout=out)
    assert snapshot() == before
    assert "Dry run" in out.getvalue() and "2 created" in out.getvalue()
    bad = write(tmp_path, [article_fixture(kind="blog")], "bad.json")
    with pytest.raises(CommandError, match="kind"):
        call_command("load_archive", str(bad), "--dry-run", stdout=io.StringIO())


def test_every_committed_fixture_is_valid():
    out = io.StringIO()
    call_command("load_archive", "--dry-run", stdout=out)
    assert "0 created, 0 updated" in out.getvalue()


def test_updates_are_reported_field_by_field_and_versioned(tmp_path):
    load(write(tmp_path, [article_fixture(), statement_fixture()]))
    article = Article.objects.get(slug="hand-made-article")
    output = load(write(tmp_path, [article_fixture(headline="Council welcomes report"), statement_fixture()]))
    assert (
        "articles.Article ['hand-made-article']: headline: Council welcomes Ofsted report → Council welcomes report"
        in output
    )
    article.refresh_from_db()
    assert article.version == 2
    reasons = list(article.history.order_by("history_date").values_list("history_type", "history_change_reason"))
    assert reasons == [("+", "Loaded from article.json"), ("~", "Loaded from article.json")]


def test_a_record_staff_edited_is_not_overwritten_unless_forced(tmp_path, admin_user):
    path = write(tmp_path, [article_fixture(), statement_fixture()])
    load(path)
    article = Article.objects.get(slug="hand-made-article")
    article.headline = "Fixed by an editor"
    article._history_user = admin_user
    article.save()
    edited = write(tmp_path, [article_fixture(standfirst="New standfirst"), statement_fixture()])
    message = refused(tmp_path, [article_fixture(standfirst="New standfirst"), statement_fixture()])
    assert "object 1 (articles.Article ['hand-made-article']): changed in the admin by admin" in message
    assert "--force" in message
    # Unchanged objects are not refused: loading the same data again is harmless.
    assert "1 unchanged" in load(write(tmp_path, [statement_fixture()], "statements-only.json"))
    out = io.StringIO()
    call_command("load_archive", str(edited), "--force", stdout=out)
    article.refresh_from_db()
    assert article.standfirst == "New standfirst" and article.headline == "Council welcomes Ofsted report"


def test_a_primary_key_in_a_fixture_is_refused_rather_than_trusted(tmp_path):
    # loaddata would write row 1 whatever it holds now; here rows are found by natural key only.
    existing = Article.objects.order_by("pk").first()
    message = refused(tmp_path, [{**article_fixture(), "pk": existing.pk}])
    assert "object 1 (articles.Article ['hand-made-article']): “pk” is not used" in message
    assert Article.objects.get(pk=existing.pk).slug == existing.slug


def test_a_check_constraint_is_named_with_its_field(tmp_path):
    message = refused(tmp_path, [article_fixture(), statement_fixture(position=0)])
    assert "object 2 (people.Statement ['hand-made-article', 0]): position: breaks the rule" in message
    assert "statement_position_from_one" in message


# --- the batched path (archive/bulk_load.py) ------------------------------------------------------


def careful_only(monkeypatch):
    """Makes load_archive take the object-by-object path, as it does when the batched one gives up."""

    def give_up(self, paths, now):
        raise NeedsCarefulLoad

    monkeypatch.setattr(BulkLoader, "load", give_up)


def record_finished_loads(monkeypatch, into: list, mark=True) -> None:
    """Appends ``mark`` to ``into`` each time a batched load finishes (rather than handing itself to the
    careful path, which would write the same)."""
    load_in_batches = BulkLoader.load

    def load_recorded(loader, *args):
        load_in_batches(loader, *args)
        into.append(mark)

    monkeypatch.setattr(BulkLoader, "load", load_recorded)


def new_records(tmp_path, copies: int = 1):
    """Fixture files with one of each kind of record, new to the seeded archive: every committed
    article under new slugs (with their statements and links), a person with two roles (one without
    an organisation), an authority, an inspection with its judgements and a publisher."""
    paths = [
        write(
            tmp_path,
            [
                {
                    "model": "articles.publisher",
                    "fields": {"name": "Copy Gazette", "slug": "copy-gazette", "kind": "news"},
                },
                {
                    "model": "articles.localauthority",
                    "fields": {
                        "name": "Copyshire",
                        "slug": "copyshire",
                        "ons_code": "E99999999",
                        "region": "South West",
                    },
                },
                {
                    "model": "articles.inspection",
                    "fields": {
                        "slug": "copyshire-2024-ilacs",
                        "authority": ["E99999999"],
                        "kind": "ilacs-standard",
                        "published_on": "2024-05",
                        "overall_judgement": "good",
                    },
                },
                {
                    "model": "articles.inspectionjudgement",
                    "fields": {
                        "inspection": ["copyshire-2024-ilacs"],
                        "area": "impact-of-leaders",
                        "judgement": "good",
                    },
                },
                {"model": "people.person", "fields": {"name": "Pat Copy", "slug": "pat-copy", "kind": "individual"}},
                {"model": "people.role", "fields": {"person": ["pat-copy"], "title": "Mayor", "organisation": None}},
                {
                    "model": "people.role",
                    "fields": {"person": ["pat-copy"], "title": "Chair", "organisation": ["sandwell-council"]},
                },
            ],
            "00_records.json",
        )
    ]
    for copy in range(copies):
        for source in sorted((settings.BASE_DIR / "fixtures" / "articles").glob("*.json")):
            entries = json.loads(source.read_text(encoding="utf-8"))
            for entry in entries:
                fields = entry["fields"]
                if entry["model"] == "articles.article":
                    fields["slug"] = f"{fields['slug']}-copy-{copy}"
                    fields["publisher"] = ["copy-gazette"]
                    fields["inspections"] = [*fields["inspections"], ["copyshire-2024-ilacs"]]
                    fields["people_mentioned"] = [["pat-copy"]]
                else:
                    fields["article"] = [f"{fields['article'][0]}-copy-{copy}"]
            paths.append(write(tmp_path, entries, f"copy-{copy}-{source.name}"))
    return paths


LOADED_MODELS = ["articles.publisher", "articles.localauthority", "articles.inspection", "articles.inspectionjudgement",
                 "articles.article", "people.person", "people.role", "people.statement"]  # fmt: skip


def archive_state():
    """What a load leaves behind, independent of the keys the database handed out: every record as
    its fixture, every history row's content, and the number of link and history-of-link rows."""
    records = {}
    history = {}
    for label in LOADED_MODELS:
        model = apps.get_model(label)
        records[label] = sorted(json.dumps(entry, sort_keys=True) for entry in fixture_data(list(model.objects.all())))
        versions = history_of(model)
        skipped = {"id", "history_id", "history_date", "created_at", "updated_at"}
        names = [f.attname for f in versions.model._meta.concrete_fields if f.attname not in skipped]
        plain = [name for name in names if not name.endswith("_id") or name == "history_user_id"]
        # Each history row with the record it is a version of, named by its natural key.
        keys = {record.pk: record.natural_key() for record in model.objects.all()}
        history[label] = sorted(repr((values, keys.get(pk))) for *values, pk in versions.values_list(*plain, "id"))
    links = {
        table: connection.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
        for table in connection.introspection.table_names()
        if table.startswith(("articles_article_", "articles_historicalarticle_")) and "_fts" not in table
    }
    return records, history, links


def state_after_loading(paths):
    with transaction.atomic():
        output = load(*paths)
        state = archive_state()
        transaction.set_rollback(True)
    return output, state


def searched(words=("children", "inspectors", "Hackett")) -> list[tuple[int, int]]:
    """How many copied articles and statements the full-text indexes find for a few words."""
    return [
        (
            Article.objects.search(word).filter(slug__contains="-copy-").count(),
            Statement.objects.search(word).filter(article__slug__contains="-copy-").count(),
        )
        for word in words
    ]


def test_a_batched_load_lets_go_of_its_records_before_the_collector_runs_again(tmp_path, monkeypatch):
    """The collector is paused while a load holds its records; its first collection afterwards walks every
    object made meanwhile that is still held, so the load lets go of them first (while the loader itself
    may still be referred to), and the collector runs again after it."""
    loaders, records = [], []
    build = BulkLoader.build

    def recorded_build(loader, *args, **kwargs):
        instance = build(loader, *args, **kwargs)
        loaders.append(loader)
        records.append(weakref.ref(instance))
        return instance

    monkeypatch.setattr(BulkLoader, "build", recorded_build)
    assert gc.isenabled()
    path = write(tmp_path, [article_fixture(), statement_fixture(), statement_fixture(position=2)])
    call_command("load_archive", str(path), stdout=io.StringIO())
    assert Statement.objects.filter(article__slug=article_fixture()["fields"]["slug"]).count() == 2
    assert len(records) == 3 and loaders
    assert [record() for record in records] == [None, None, None]
    assert gc.isenabled()


@pytest.mark.parametrize("chunk", [bulk_load.CHUNK, 3])
def test_the_batched_path_writes_exactly_what_the_careful_path_writes(tmp_path, monkeypatch, chunk):
    # In chunks of 3, the 5 articles are written in 2 chunks and the 56 statements in 19, each indexed
    # (on SQLite in the background) while the next is built.
    monkeypatch.setattr(bulk_load, "CHUNK", chunk)
    monkeypatch.setattr(
        bulk_load, "CHUNK_OF_MODEL", {label: min(size, chunk) for label, size in bulk_load.CHUNK_OF_MODEL.items()}
    )
    started, start = [], bulk_load.BackgroundWrites.start

    def counted_start(writes, *args, **kwargs):
        started.append(args)
        return start(writes, *args, **kwargs)

    monkeypatch.setattr(bulk_load.BackgroundWrites, "start", counted_start)
    finished = []
    record_finished_loads(monkeypatch, finished)
    paths = new_records(tmp_path)
    with transaction.atomic():
        batched_output = load(*paths)
        batched, batched_search = archive_state(), searched()
        transaction.set_rollback(True)
    assert finished == [True]
    if connection.vendor == "sqlite":
        # One background copy per chunk (a record's rows, history and links start together).
        assert len(started) >= (21 if chunk == 3 else 2)
    careful_only(monkeypatch)
    with transaction.atomic():
        careful_output = load(*paths)
        careful, careful_search = archive_state(), searched()
        transaction.set_rollback(True)
    assert "5 created" in batched_output and "people.Statement: 56 created" in batched_output
    assert batched_output == careful_output
    assert batched[0] == careful[0]  # the records, field by field
    assert batched[1] == careful[1]  # one history row per record, with its file and values
    assert batched[2] == careful[2]  # links, and the history of links
    assert batched_search == careful_search and any(found for pair in careful_search for found in pair)


def copied_articles(tmp_path):
    """Every committed article with its statements under new slugs, referring only to records the
    seeded archive has: what a load of new articles (the benchmark's 10k) looks like."""
    paths = []
    for source in sorted((settings.BASE_DIR / "fixtures" / "articles").glob("*.json")):
        text = source.read_text(encoding="utf-8")
        slugs = [entry["fields"]["slug"] for entry in json.loads(text) if entry["model"] == "articles.article"]
        for slug in slugs:
            text = text.replace(f'"{slug}"', f'"{slug}-copied"')
        paths.append(write(tmp_path, json.loads(text), f"copied-{source.name}"))
    return paths


def test_a_batched_load_looks_everything_up_before_it_writes(tmp_path, monkeypatch):
    """Once writing has begun (on SQLite, in the background), a query waits for the writes under way:
    each look-up then cost the load a write's time (the first a third of a second at 10k articles).
    In a load of new articles and their statements (the benchmark's 10k), every look-up comes
    first; on SQLite nothing at all is asked after."""
    events = []
    insert_rows = bulk_load.insert_rows

    def marked_insert_rows(*args, **kwargs):
        events.append("write")
        return insert_rows(*args, **kwargs)

    def recorded(execute, sql, params, many, context):
        events.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(bulk_load, "insert_rows", marked_insert_rows)
    # Then its transaction ends, and the planner's statistics are refreshed.
    record_finished_loads(monkeypatch, events, "loaded")
    paths = copied_articles(tmp_path)
    with transaction.atomic(), connection.execute_wrapper(recorded):
        output = load(*paths)
        transaction.set_rollback(True)
    assert "5 created" in output and "people.Statement: 56 created" in output
    first_write, loaded = events.index("write"), events.index("loaded")
    looked_up = events[:first_write]
    assert any("people_person" in sql for sql in looked_up) and any("articles_inspection" in sql for sql in looked_up)
    after = [sql for sql in events[first_write:loaded] if sql != "write"]
    if connection.vendor == "sqlite":
        # What the load then writes goes through its own cursor, outside Django; no key is asked for.
        assert after == []
    else:
        # Keys come from each table's sequence, as each batch is written; nothing else is read.
        assert [sql for sql in after if not sql.startswith("INSERT") and "nextval(" not in sql] == []


def test_a_load_of_updates_and_new_records_writes_what_the_careful_path_writes(tmp_path, monkeypatch):
    """An update goes through Django (its history row takes the next key): the new records written
    after it in the same load must not take that key."""
    source = settings.BASE_DIR / "fixtures" / "articles" / "2022-07-05-trust-rating-welcomed.json"
    entries = json.loads(source.read_text(encoding="utf-8"))
    for entry in entries:
        if entry["model"] == "articles.article":
            entry["fields"]["headline"] += " (corrected)"
    paths = [write(tmp_path, entries, "edited.json"), *copied_articles(tmp_path)]
    finished = []
    record_finished_loads(monkeypatch, finished)
    batched_output, batched = state_after_loading(paths)
    assert finished == [True]
    assert "articles.Article: 1 updated" in batched_output and "articles.Article: 5 created" in batched_output
    careful_only(monkeypatch)
    careful_output, careful = state_after_loading(paths)
    assert batched_output == careful_output
    assert batched == careful


def test_a_batched_load_dates_its_history_rows_as_it_dates_its_records(tmp_path):
    """Stored as the records' own timestamps are, character for character: history is read back in
    SQL order and compared across paths, and a row dated in another form would sort apart."""
    paths = new_records(tmp_path)
    load(*paths)
    reasons = [f"{FIXTURE_CHANGE_REASON_PREFIX}{path.name}" for path in paths]
    marks = ", ".join(["%s"] * len(reasons))
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT created_at FROM articles_article WHERE slug LIKE %s", ["%-copy-%"])
        (stamp,) = cursor.fetchall()
        for label in LOADED_MODELS:
            table = history_of(apps.get_model(label)).model._meta.db_table
            cursor.execute(
                f"SELECT DISTINCT history_date, history_type FROM {table} WHERE history_change_reason IN ({marks})",  # noqa: S608
                reasons,
            )
            assert cursor.fetchall() == [(stamp[0], "+")], label


def test_a_load_makes_the_same_queries_for_five_articles_as_for_forty(tmp_path, monkeypatch):
    (tmp_path / "small").mkdir()
    (tmp_path / "large").mkdir()
    small, large = new_records(tmp_path / "small"), new_records(tmp_path / "large", copies=8)
    counts = []
    for paths in (small, large):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            load(*paths)
            transaction.set_rollback(True)
        counts.append(len(queries))
    assert Article.objects.filter(slug__contains="-copy-").count() == 0  # both rolled back
    assert counts[0] == counts[1], counts


def test_new_records_never_take_the_key_of_a_deleted_one(tmp_path):
    records, *articles = new_records(tmp_path)
    (first,) = [path for path in articles if "council-landmark" in path.name]
    load(records, first)
    deleted = Article.objects.get(slug__endswith="-copy-0")
    deleted_pk = deleted.pk
    deleted.delete()  # its history (and a recovery) still refers to this key
    load(write(tmp_path, json.loads(first.read_text().replace("-copy-0", "-copy-again")), "again.json"))
    assert Article.objects.get(slug__endswith="-copy-again").pk > deleted_pk


def test_a_row_the_database_refuses_in_a_batch_is_named_by_the_careful_path(tmp_path):
    # A new authority (new ONS code, the natural key) under a slug another authority has: only the
    # database's unique index sees it in the batched path; the careful path then names it.
    authority = {
        "model": "articles.localauthority",
        "fields": {"name": "Sandwell again", "slug": "sandwell", "ons_code": "E99999998", "region": ""},
    }
    message = refused(tmp_path, [authority])
    assert "object 1 (articles.LocalAuthority ['E99999998']): slug:" in message
    assert "already exists" in message


def analysed_tables(queries) -> set[str]:
    return {q["sql"].split()[1].strip('"') for q in queries if q["sql"].upper().startswith("ANALYZE ")}


def test_a_load_refreshes_the_planner_statistics_of_the_tables_it_changed(tmp_path):
    """Stale statistics made SQLite drive a search from the wrong index (seconds a page at 100k)."""
    path = write(tmp_path, [article_fixture(), statement_fixture()])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl IN ('articles_article', 'people_statement')")
    with CaptureQueriesContext(connection) as queries:
        load(path)
    assert analysed_tables(queries.captured_queries) == {"articles_article", "people_statement"}
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
            assert {"articles_article", "people_statement"} <= {row[0] for row in cursor.fetchall()}
    # Nothing changed on a second load, so nothing to re-analyse; a dry run writes no statistics either.
    with CaptureQueriesContext(connection) as queries:
        load(path)
        call_command("load_archive", str(path), "--dry-run", stdout=io.StringIO())
    assert analysed_tables(queries.captured_queries) == set()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own statistics; PostgreSQL samples by table")
def test_the_planner_statistics_count_every_row_not_a_sample(tmp_path):
    """A sampled ANALYZE took a status for 1,001 articles at 100k, and the planner then walked the date
    index through a third of the archive for a list of 600 rows: the statistics must say how many rows
    one status really has."""
    publisher = Publisher.objects.first()
    Article.objects.bulk_create(
        Article(slug=f"bulk-{n}", headline=f"Bulk {n}", publisher=publisher, body="Words.", status="published")
        for n in range(3000)
    )
    load(write(tmp_path, [article_fixture()]))
    statuses = Article.objects.values("status").distinct().count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'article_status_date'")
        rows_in_index, rows_a_status, *_ = map(int, cursor.fetchone()[0].split())
    assert rows_in_index == Article.objects.count()
    assert rows_a_status >= Article.objects.count() // statuses > 1001


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (Article, {}),
        (Article, {"headline": ""}),
        (Article, {"headline": "x" * 1000}),
        (Article, {"kind": "not-a-kind"}),
        (Article, {"status": "published"}),
        (Article, {"status": "PUBLISHED"}),
        (Article, {"slug": "not a slug"}),
        (Article, {"source_url": "not a url"}),
        (Article, {"source_url": ""}),
        (Article, {"headline_inferred": "yes"}),
        (Article, {"published_on": "2019-13"}),
        (Article, {"published_on": "2019-05"}),
        (Article, {"body": ""}),
        (Statement, {"position": 3}),
        (Statement, {"position": -1}),
        (Statement, {"position": 0}),
        (Statement, {"position": 2**70}),
        (Statement, {"position": "3"}),
        (Statement, {"kind": "whispered"}),
        (Statement, {"words": ""}),
        (Statement, {"role_as_printed": "r" * 500}),
        (Statement, {"position": True}),
        (Statement, {"position": 1.5}),
        (Statement, {"words": 5}),
        (Statement, {"words": "a\x00b"}),
        (Article, {"published_on": 2019}),
        (Article, {"retrieved_on": []}),
        (Article, {"headline_inferred": 1}),
        (Article, {"headline_inferred": None}),
        # Set by the load, not checked: a value Django's own check would refuse if asked.
        (Article, {"version": -1}),
    ],
)
def test_the_batched_field_checks_refuse_what_the_careful_path_refuses(model, values):
    """The bulk path's inline field checks against the careful path's: its check of each value as the
    fixture gives it, then Django's own clean_fields, value by value."""
    base = {
        Article: {
            "headline": "A headline",
            "slug": "a-headline",
            "kind": "news-report",
            "status": "draft",
            "body": "Some words.",
            "published_on": "2019",
        },
        Statement: {"position": 1, "kind": "direct", "words": "Some words."},
    }[model]
    references = {"publisher", "article", "speaker", "responds_to"}

    def checked(validate):
        instance = model(**(base | values))
        try:
            validate(instance)
        except Exception:  # noqa: BLE001 -- any refusal counts; the careful path names it
            return "refused", None
        # By type too: 1 and True are equal, and a check that left one for the other would pass unseen.
        return "accepted", {name: (type(value), value) for name in base | values for value in [getattr(instance, name)]}

    def careful_checks(instance):
        Loader.check_values(model, {name: value for name, value in values.items() if name not in NOT_IN_FIXTURES})
        instance.clean_fields(exclude=references | NOT_IN_FIXTURES)

    def bulk_checks(instance):
        BulkLoader(None, {}).clean_fields(model, instance, references)

    assert checked(bulk_checks) == checked(careful_checks)


def test_an_unforeseen_failure_of_the_batched_path_is_reported_and_the_load_still_made(tmp_path, monkeypatch):
    def break_down(self, paths, now):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(BulkLoader, "load", break_down)
    errors = io.StringIO()
    out = io.StringIO()
    call_command(
        "load_archive", str(write(tmp_path, [article_fixture(), statement_fixture()])), stdout=out, stderr=errors
    )
    assert "The batched load stopped (RuntimeError: disk on fire); loading object by object" in errors.getvalue()
    assert "2 created" in out.getvalue()
    assert Article.objects.filter(slug=article_fixture()["fields"]["slug"]).exists()


def test_a_load_handed_to_the_careful_path_by_design_says_nothing_of_it(tmp_path, monkeypatch):
    careful_only(monkeypatch)
    errors = io.StringIO()
    call_command(
        "load_archive",
        str(write(tmp_path, [article_fixture(), statement_fixture()])),
        stdout=io.StringIO(),
        stderr=errors,
    )
    assert errors.getvalue() == ""


MISSING = object()


@pytest.mark.parametrize(
    ("position", "refusal"),
    [
        ("first", "position: “first” value must be an integer"),
        (MISSING, "position: This field cannot be null"),
        (None, "position: This field cannot be null"),
        # JSON's Infinity: Django's integer fields would raise OverflowError for it, not a ValidationError.
        (float("inf"), "position: a whole number, not Infinity"),
    ],
)
def test_a_statement_whose_position_does_not_parse_is_refused_with_no_word_of_a_batched_load(
    tmp_path, position, refusal
):
    """An ordinary mistake in a fixture: the careful path names it, and the operator is not told the
    batched load broke down (it handed the load over by design)."""
    statement = statement_fixture()
    if position is MISSING:
        del statement["fields"]["position"]
    else:
        statement["fields"]["position"] = position
    path = write(tmp_path, [article_fixture(), statement])
    errors = io.StringIO()
    with pytest.raises(CommandError, match=rf"article.json: object 2 \(people.Statement .*\): {refusal}"):
        call_command("load_archive", str(path), stdout=io.StringIO(), stderr=errors)
    assert errors.getvalue() == ""
    assert not Article.objects.filter(slug=article_fixture()["fields"]["slug"]).exists()


def test_a_role_whose_organisation_is_not_an_organisation_is_refused(tmp_path):
    """A role's organisation is limited to people of the kind organisation (``limit_choices_to``), which
    the batched path's own checks must apply as the careful path's full_clean does."""
    person = {"model": "people.person", "fields": {"name": "Pat Copy", "slug": "pat-copy", "kind": "individual"}}
    # Simon Hackett is a person, not an organisation.
    role = {
        "model": "people.role",
        "fields": {"person": ["pat-copy"], "title": "Chair", "organisation": ["simon-hackett"]},
    }
    errors = io.StringIO()
    with pytest.raises(CommandError, match=r"object 2 \(people.Role .*\): organisation: .* is not a valid choice"):
        call_command("load_archive", str(write(tmp_path, [person, role])), stdout=io.StringIO(), stderr=errors)
    assert errors.getvalue() == ""
    assert not Person.objects.filter(slug="pat-copy").exists()


def both_ways(monkeypatch, *paths) -> str:
    """Loads the files batched, then (undone in between) object by object: either both load them, with the
    same tally, or both refuse them with the same message and nothing written; and the batched path hands
    an ordinary mistake over without telling the operator it broke down. The batched outcome."""
    tables = [Article, Person, Statement]

    def outcome():
        before = [model.objects.count() for model in tables]
        errors, out = io.StringIO(), io.StringIO()
        try:
            with transaction.atomic():
                call_command("load_archive", *map(str, paths), stdout=out, stderr=errors)
                transaction.set_rollback(True)
        except CommandError as error:
            assert [model.objects.count() for model in tables] == before
            return str(error), errors.getvalue()
        return f"loaded: {out.getvalue()}", errors.getvalue()

    batched, batched_errors = outcome()
    with monkeypatch.context() as patch:
        careful_only(patch)
        careful, _ = outcome()
    assert batched == careful
    assert batched_errors == ""
    return batched


# Values a hand-edited or generated fixture might hold by mistake, in every field of an article and of a statement.
ODD_VALUES = [
    float("inf"),
    float("nan"),
    1.5,
    2**64,
    -1,
    True,
    [],
    {},
    [[]],
    [1],
    ["no-such-record"],
    "a\x00b",
    "\ud800",
    "",
]
ODD_CASES = [
    (fixture, name, value)
    for fixture, fields in (("article", article_fixture()["fields"]), ("statement", statement_fixture()["fields"]))
    for name in fields
    for value in ODD_VALUES
]


@pytest.mark.parametrize(("fixture", "name", "value"), ODD_CASES)
def test_an_odd_value_in_any_field_is_loaded_or_refused_by_name_and_the_same_by_both_paths(
    tmp_path, monkeypatch, fixture, name, value
):
    """Whatever a field holds, the load either takes it or refuses it naming the file, the object and
    the field, and writes nothing: never a traceback. The batched path decides as the careful path does,
    and hands over an odd value without telling the operator it broke down."""
    entries = [article_fixture(), statement_fixture()]
    entries[0 if fixture == "article" else 1]["fields"][name] = value
    path = write(tmp_path, entries)
    batched = both_ways(monkeypatch, path)
    if not batched.startswith("loaded"):
        assert batched.startswith(f"{path}: object {1 if fixture == 'article' else 2} (")
        assert f"): {name}: " in batched
        assert batched.endswith("Nothing was loaded.")


JUDGEMENT = {"inspection": ["sandwell-2013-06-looked-after-children"], "area": "care-leavers", "judgement": "good"}


@pytest.mark.parametrize(
    ("entries", "refusal"),
    [
        # The record another belongs to, left out or null: Django's deserializer would fail building its key.
        (
            [
                article_fixture(),
                {"model": "people.statement", "fields": {**statement_fixture()["fields"], "article": None}},
            ],
            "object 2 (people.Statement [None, 1]): article: required",
        ),
        (
            [{"model": "articles.inspectionjudgement", "fields": {**JUDGEMENT, "inspection": None, "position": 9}}],
            "object 1 (articles.InspectionJudgement [None, 'care-leavers']): inspection: required",
        ),
        # A code one character short breaks a check constraint written as an expression, not a Q.
        (
            [{"model": "articles.localauthority", "fields": {"ons_code": "E0900000", "name": "X", "slug": "x"}}],
            "object 1 (articles.LocalAuthority ['E0900000']): ons_code: breaks the rule",
        ),
        ([article_fixture(authors=None)], "object 1 (articles.Article ['hand-made-article']): authors: a list"),
        # Keys of two types for one model, and a key of the wrong length.
        (
            [article_fixture(authors=[["william-eichler"], [5]])],
            "authors: no people.Person with natural key [5]",
        ),
        (
            [article_fixture(publisher=["localgov", "bbc-news"])],
            "publisher: a articles.Publisher natural key has 1 part(s), not 2",
        ),
        ([{"model": ["articles.publisher"], "fields": {}}], "object 1 (['articles.publisher']): unknown model"),
        # Text a facet links to by itself: with spaces around it, or a control character, its link would
        # find nothing (the filter reads the value back stripped), so it is refused.
        (
            [
                {"model": "people.person", "fields": {"name": "Pat Copy", "slug": "pat-copy", "kind": "individual"}},
                {"model": "people.role", "fields": {"person": ["pat-copy"], "title": " Chief executive"}},
            ],
            "object 2 (people.Role ['pat-copy', ' Chief executive', None]): title: Remove the spaces at the start",
        ),
        (
            [
                {"model": "people.person", "fields": {"name": "Pat Copy", "slug": "pat-copy", "kind": "individual"}},
                {"model": "people.role", "fields": {"person": ["pat-copy"], "title": "Chief\texecutive"}},
            ],
            "title: Remove the control character U+0009",
        ),
        (
            [
                {
                    "model": "articles.localauthority",
                    "fields": {"ons_code": "E09000099", "name": "X", "slug": "x", "region": "London\n"},
                }
            ],
            "object 1 (articles.LocalAuthority ['E09000099']): region: Remove the spaces at the start or the end",
        ),
        # Past PostgreSQL's smallint: refused on SQLite too, whose range Django takes as 64-bit.
        (
            [article_fixture(), statement_fixture(position=40000)],
            "object 2 (people.Statement ['hand-made-article', 40000]): position: Ensure this value is less than or "
            "equal to 32767",
        ),
    ],
)
def test_a_malformed_record_is_refused_by_name_by_both_paths(tmp_path, monkeypatch, entries, refusal):
    assert refusal in both_ways(monkeypatch, write(tmp_path, entries))


def test_a_role_may_name_an_organisation_that_comes_later_in_the_load(tmp_path, monkeypatch):
    """A role's organisation is optional, so it may wait for a later object, as any optional reference."""
    role = {
        "model": "people.role",
        "fields": {"person": ["simon-hackett"], "title": "Chair", "organisation": ["new-org"]},
    }
    organisation = {"model": "people.person", "fields": {"slug": "new-org", "name": "New Org", "kind": "organisation"}}
    outcome = both_ways(monkeypatch, write(tmp_path, [role, organisation]))
    assert "people.Role: 1 created" in outcome


@pytest.mark.parametrize(
    ("files", "refusal"),
    [
        # A statement before its article; an article before its new publisher (in a later file).
        (
            [[statement_fixture(), article_fixture()]],
            "object 1 (people.Statement ['hand-made-article', 1]): article: no",
        ),
        (
            [
                [article_fixture(publisher=["new-gazette"])],
                [
                    {
                        "model": "articles.publisher",
                        "fields": {"name": "New Gazette", "slug": "new-gazette", "kind": "news"},
                    }
                ],
            ],
            "object 1 (articles.Article ['hand-made-article']): publisher: no articles.Publisher",
        ),
    ],
)
def test_a_required_reference_to_a_record_later_in_the_load_is_refused_by_both_paths(
    tmp_path, monkeypatch, files, refusal
):
    """The careful path loads in the files' order, so what a record requires must exist already or come
    earlier; the batched path, which loads model by model, must not be more lenient."""
    paths = [write(tmp_path, entries, name=f"{number}.json") for number, entries in enumerate(files)]
    assert refusal in both_ways(monkeypatch, *paths)
