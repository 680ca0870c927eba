"""Who spoke, in what capacity, and what they said.

A Person is anyone the archive quotes or names: an individual, or a body such
as Ofsted or a council when a remark is attributed to it as a whole. Their
Roles record the posts they held over time; a Statement records one remark in
one article, with the role exactly as that article printed it.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from archive.counting import SubqueryCount
from archive.curation import VersionedModel
from archive.dates import PartialDateField, partial_date_not_before, partial_date_shape
from archive.fulltext import FTS5MatchField, SearchableQuerySet
from archive.limits import SMALLINT_MAX
from archive.paths import record_path
from archive.search import SearchQuery, pg_document
from archive.validators import validate_facet_value
from articles.models import previews_drafts, published_condition, words_match


class PersonKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    ORGANISATION = "organisation", "Organisation or body"


class PersonQuerySet(models.QuerySet):
    def search(self, query: str):
        # Through roles (to-many), so match in a subquery rather than join and duplicate rows.
        matching = Person.objects.filter(words_match(query, "name", "description", "roles__title"))
        return self.filter(pk__in=matching.values("pk"))

    def with_statement_counts(self):
        said = Statement.objects.published().filter(speaker=models.OuterRef("pk"))
        return self.annotate(statement_count=SubqueryCount(said))


class PersonManager(models.Manager.from_queryset(PersonQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Person(VersionedModel):
    """Someone, or some body, whom the archive's articles quote or name."""

    Kind = PersonKind

    name = models.CharField(max_length=200, help_text="Without honorifics, e.g. 'Simon Hackett'.")
    slug = models.SlugField(max_length=100, unique=True)
    honorific = models.CharField(max_length=50, blank=True, help_text="e.g. 'Cllr', 'Rt Hon'.")
    kind = models.CharField(max_length=20, choices=PersonKind, default=PersonKind.INDIVIDUAL)
    description = models.TextField(blank=True, help_text="One or two sentences on who they are.")

    objects = PersonManager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "slug"]
        verbose_name_plural = "people"
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=PersonKind.values), name="person_kind_valid"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return record_path("people:person_detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    @property
    def display_name(self):
        return f"{self.honorific} {self.name}" if self.honorific else self.name


class RoleManager(models.Manager):
    def get_by_natural_key(self, person_slug, title, organisation_slug):
        return self.get(person__slug=person_slug, title=title, organisation__slug=organisation_slug)


class Role(VersionedModel):
    """A post a person held, as a source printed it, for as long as it is known."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="roles")
    title = models.CharField(
        max_length=200,
        validators=[validate_facet_value],  # the people list's "Role as printed" facet links to it
        help_text="The post as printed, without the organisation when that is recorded below, e.g. 'Chair'.",
    )
    organisation = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        limit_choices_to={"kind": PersonKind.ORGANISATION},
        help_text="The council, trust or body the post belongs to; blank when no source names one.",
    )
    started_on = PartialDateField("from", help_text="YYYY, YYYY-MM or YYYY-MM-DD; blank when unknown.")
    ended_on = PartialDateField("until", help_text="Blank when unknown or still held.")
    source_note = models.TextField(blank=True, help_text="Where the role and its dates are attested.")

    objects = RoleManager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["person", "started_on", "title"]
        constraints = [
            models.UniqueConstraint(fields=["person", "title", "organisation"], name="role_unique_per_person"),
            # NULLs are distinct in a unique index, so roles without an organisation need their own.
            models.UniqueConstraint(
                fields=["person", "title"],
                condition=Q(organisation__isnull=True),
                name="role_unique_per_person_without_organisation",
            ),
            models.CheckConstraint(condition=partial_date_shape("started_on"), name="role_started_on_shape"),
            models.CheckConstraint(condition=partial_date_shape("ended_on"), name="role_ended_on_shape"),
            models.CheckConstraint(
                condition=partial_date_not_before("ended_on", "started_on"), name="role_ends_after_it_starts"
            ),
            models.CheckConstraint(condition=~Q(person=models.F("organisation")), name="role_not_own_organisation"),
        ]

    def __str__(self):
        where = f", {self.organisation.name}" if self.organisation else ""
        return f"{self.person.name}: {self.title}{where}"

    def natural_key(self):
        return (self.person.slug, self.title, self.organisation.slug if self.organisation else None)

    natural_key.dependencies = ["people.person"]

    @property
    def period(self) -> str:
        if self.started_on and self.ended_on:
            return f"{self.started_on} – {self.ended_on}"
        if self.started_on:
            return f"from {self.started_on}"
        if self.ended_on:
            return f"until {self.ended_on}"
        return "dates unknown"


class StatementKind(models.TextChoices):
    DIRECT = "direct", "Direct quote"
    REPORTED = "reported", "Reported speech"


class StatementQuerySet(SearchableQuerySet):
    fts_relation = "search_index"
    fts_table = "people_statement_fts"
    snippet_column = 0  # words
    pg_vector = "{table}.search_vector"
    pg_snippet_source = "{table}.words"

    def published(self):
        """Statements the public may see: those in published articles."""
        return self.filter(published_condition("article__"))

    def visible_to(self, user):
        """Staff also preview the statements of draft and withdrawn articles."""
        return self.all() if previews_drafts(user) else self.published()

    def _pg_term_match(self, term):
        # The words' vector, or the speaker's name (indexed apart: a generated column sees one table).
        # The speakers as an array, not "IN (subquery)": PostgreSQL then ORs the search index's
        # matches with the speaker index's (a bitmap of each); with IN it read every statement, 0.2-0.9 s
        # at a million even for a word no statement has, against well under 1 ms.
        words_sql, words_params = super()._pg_term_match(term)
        name_sql, name_params = SearchQuery.pg_tsquery(term)
        speakers = f"SELECT id FROM people_person WHERE {pg_document('name')} @@ {name_sql}"
        return f"{words_sql} OR {{table}}.speaker_id = ANY(ARRAY({speakers}))", [*words_params, *name_params]


class StatementManager(models.Manager.from_queryset(StatementQuerySet)):
    def get_by_natural_key(self, article_slug, position):
        return self.get(article__slug=article_slug, position=position)


class Statement(VersionedModel):
    """One remark in one article: who made it, as what, and the words."""

    Kind = StatementKind

    # No index of their own: the unique (article, position) and the (speaker, kind, article) indexes
    # lead with them, and a million rows' second copy of each cost every load and write.
    article = models.ForeignKey("articles.Article", on_delete=models.CASCADE, related_name="statements", db_index=False)
    position = models.PositiveSmallIntegerField(
        validators=[SMALLINT_MAX], help_text="1 for the article's first remark, 2 for the next, …"
    )
    speaker = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="statements", db_index=False)
    role_as_printed = models.CharField(
        max_length=300, blank=True, help_text="How this article describes the speaker, word for word."
    )
    kind = models.CharField(max_length=20, choices=StatementKind, default=StatementKind.DIRECT)
    words = models.TextField(help_text="Word for word as in the article's body, without the enclosing quotation marks.")
    responds_to = models.ForeignKey(
        "articles.Inspection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="statements",
        help_text="The inspection the remark is about, when it is about one.",
    )

    objects = StatementManager()

    # A statement's history is read by its id: nothing reads it by article, speaker or inspection.
    history = HistoricalRecords(no_db_index=["article", "speaker", "responds_to"])

    class Meta:
        ordering = ["article", "position"]
        constraints = [
            models.UniqueConstraint(fields=["article", "position"], name="statement_unique_position"),
            models.CheckConstraint(condition=Q(kind__in=StatementKind.values), name="statement_kind_valid"),
            models.CheckConstraint(condition=~Q(words=""), name="statement_has_words"),
            models.CheckConstraint(condition=Q(position__gte=1), name="statement_position_from_one"),
        ]
        indexes = [
            # Covering indexes for counting speakers per article and articles per speaker; the
            # kind in the second lets a count filtered by kind group by speaker (or the reverse)
            # from the index alone, not from a million table rows.
            models.Index(fields=["article", "speaker", "kind"], name="statement_article_speaker"),
            models.Index(fields=["speaker", "kind", "article"], name="statement_speaker_kind"),
        ]

    def __str__(self):
        words = self.words if len(self.words) <= 60 else self.words[:57] + "…"
        return f"{self.speaker.name}: {words}"

    def get_absolute_url(self):
        return record_path("people:statement_detail", self.article.slug, self.position)

    def natural_key(self):
        return (*self.article.natural_key(), self.position)

    natural_key.dependencies = ["articles.article", "people.person"]

    @property
    def occurs_in_article(self) -> bool:
        return self.words in self.article.body

    def clean(self):
        if self.article_id and self.words and not self.occurs_in_article:
            raise ValidationError({"words": "These words do not occur word for word in the article's body."})


class StatementSearchIndex(models.Model):
    """SQLite's FTS5 index of statements' words and speakers, kept in step by a migration's triggers."""

    statement = models.OneToOneField(
        Statement, primary_key=True, db_column="rowid", on_delete=models.DO_NOTHING, related_name="search_index"
    )
    match = FTS5MatchField(db_column="people_statement_fts")
    rank = models.FloatField()

    class Meta:
        managed = False
        db_table = "people_statement_fts"

    def __str__(self):
        return f"Search index entry for statement {self.pk}"
