"""Who published what about which inspection.

The archive's boundary: an Article is a page as published by a Publisher; an
Inspection is what Ofsted did and found, with its per-area Judgements, for a
LocalAuthority. People and what they said live in the ``people`` app.
"""

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Q
from django.db.models.functions import Concat, Length
from django.db.models.lookups import Exact
from django.utils import timezone
from simple_history.models import HistoricalRecords

from archive.counting import SubqueryCount
from archive.curation import VersionedModel
from archive.dates import PartialDateField, partial_date_not_before, partial_date_shape, partial_date_year
from archive.fulltext import FTS5MatchField, OwnTableSQL, SearchableQuerySet
from archive.limits import SMALLINT_MAX
from archive.paths import record_path
from archive.validators import validate_facet_value


def _choice_constraint(field: str, choices, *, name: str, allow_blank: bool = False):
    values = list(choices.values) + ([""] if allow_blank else [])
    return models.CheckConstraint(condition=Q(**{f"{field}__in": values}), name=name)


# What a link to an article shows wherever one is listed (its headline and address, its publisher and date): the
# columns such a list reads (``.only()``, with the publisher joined), rather than the article's whole text.
ARTICLE_LINK_FIELDS = ("headline", "slug", "published_on", "publisher", "publisher__name")


def published_condition(prefix: str = "") -> Q:
    """The condition under which the public may see an article, seen from any model."""
    return Q(**{f"{prefix}status": ArticleStatus.PUBLISHED})


def previews_drafts(user) -> bool:
    """Whether this user sees drafts, and statements of unpublished articles: active staff only."""
    return user.is_active and user.is_staff


def words_match(query: str, *fields: str) -> Q:
    """Every word of the query in at least one of the fields (case-insensitive)."""
    match = Q()
    for word in query.split():
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        match &= any_field
    return match


class SlugNaturalKeyManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Judgement(models.TextChoices):
    """Ofsted's grades across its frameworks, best first."""

    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT_TO_BE_GOOD = (
        "requires-improvement-to-be-good",
        "Requires improvement to be good",
    )
    # The 2013–2017 single inspection framework's wording.
    REQUIRES_IMPROVEMENT = "requires-improvement", "Requires improvement"
    # Used before the single inspection framework, until late 2013.
    ADEQUATE = "adequate", "Adequate"
    INADEQUATE = "inadequate", "Inadequate"

    @property
    def rank(self) -> int:
        """1 for the best grade to 4 for the worst; older wordings share a rank."""
        return _JUDGEMENT_RANK[self]

    @property
    def css_class(self) -> str:
        return f"judgement judgement--{self.value}"


_JUDGEMENT_RANK = {
    Judgement.OUTSTANDING: 1,
    Judgement.GOOD: 2,
    Judgement.REQUIRES_IMPROVEMENT_TO_BE_GOOD: 3,
    Judgement.REQUIRES_IMPROVEMENT: 3,
    Judgement.ADEQUATE: 3,
    Judgement.INADEQUATE: 4,
}


class PublisherQuerySet(models.QuerySet):
    def search(self, query: str):
        return self.filter(words_match(query, "name", "description"))

    def with_article_counts(self):
        published = Article.objects.published().filter(publisher=models.OuterRef("pk"))
        return self.annotate(article_count=SubqueryCount(published))


class PublisherKind(models.TextChoices):
    NEWS = "news", "News outlet"
    TRADE = "trade", "Trade press"
    COUNCIL = "council", "Council"
    TRUST = "trust", "Children's services trust"
    REGULATOR = "regulator", "Regulator"
    GOVERNMENT = "government", "Government"


class Publisher(VersionedModel):
    """An organisation that published articles: a news outlet, a council, a trust."""

    Kind = PublisherKind

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True, help_text="Used in addresses and fixtures.")
    kind = models.CharField(max_length=20, choices=PublisherKind)
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)

    objects = SlugNaturalKeyManager.from_queryset(PublisherQuerySet)()

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "slug"]
        constraints = [_choice_constraint("kind", PublisherKind, name="publisher_kind_valid")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return record_path("articles:publisher_detail", self.slug)

    def natural_key(self):
        return (self.slug,)


class LocalAuthorityQuerySet(models.QuerySet):
    def search(self, query: str):
        return self.filter(words_match(query, "name", "ons_code", "region"))

    def with_latest_judgement(self):
        """Annotate the overall judgement of each authority's most recent graded inspection."""
        latest = (
            Inspection.objects.filter(authority=models.OuterRef("pk"))
            .graded()
            .order_by(models.F("started_on").desc(nulls_last=True))
            .values("overall_judgement")[:1]
        )
        return self.annotate(latest_judgement=models.Subquery(latest))


class AuthorityStatus(models.TextChoices):
    CURRENT = "current", "Current"
    NO_LONGER_EXISTS = "no-longer-exists", "No longer exists"


class LocalAuthority(VersionedModel):
    """A council whose children's services Ofsted inspects, keyed by its ONS area code."""

    Status = AuthorityStatus

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    ons_code = models.CharField(
        "ONS area code",
        max_length=9,
        unique=True,
        help_text="The Office for National Statistics code, e.g. E08000028 for Sandwell.",
    )
    # The inspections list's "Ofsted region" facet links to it.
    region = models.CharField("Ofsted region", max_length=100, blank=True, validators=[validate_facet_value])
    status = models.CharField(max_length=20, choices=AuthorityStatus, default=AuthorityStatus.CURRENT)
    ofsted_url = models.URLField("Ofsted page", blank=True)

    class Manager(models.Manager.from_queryset(LocalAuthorityQuerySet)):
        def get_by_natural_key(self, ons_code):
            return self.get(ons_code=ons_code)

    objects = Manager()

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "ons_code"]
        verbose_name_plural = "local authorities"
        constraints = [
            _choice_constraint("status", AuthorityStatus, name="localauthority_status_valid"),
            models.CheckConstraint(condition=Exact(Length("ons_code"), 9), name="localauthority_ons_code_length"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return record_path("articles:authority_detail", self.slug)

    @property
    def latest_judgement_label(self) -> str:
        """The label of the annotation with_latest_judgement() adds ("" without one)."""
        value = getattr(self, "latest_judgement", None)
        return Judgement(value).label if value else ""

    def natural_key(self):
        return (self.ons_code,)


class InspectionQuerySet(models.QuerySet):
    def search(self, query: str):
        return self.filter(words_match(query, "authority__name", "theme", "finding", "source_note"))

    def graded(self):
        return self.exclude(overall_judgement="")

    def chronological(self):
        return self.order_by(
            models.F("started_on").asc(nulls_last=True), models.F("published_on").asc(nulls_last=True), "slug"
        )


class InspectionKind(models.TextChoices):
    CHILD_PROTECTION_2013 = (
        "child-protection",
        "Inspection of arrangements for the protection of children",
    )
    LOOKED_AFTER_CHILDREN_2013 = "looked-after-children", "Inspection of looked after children services"
    SIF = "sif", "Single inspection framework (SIF) inspection"
    SIF_REINSPECTION = "sif-reinspection", "SIF re-inspection"
    SIF_MONITORING_VISIT = "sif-monitoring-visit", "SIF monitoring visit"
    ILACS_STANDARD = "ilacs-standard", "ILACS standard inspection"
    ILACS_SHORT = "ilacs-short", "ILACS short inspection"
    ILACS_FOCUSED_VISIT = "ilacs-focused-visit", "ILACS focused visit"
    ILACS_MONITORING_VISIT = "ilacs-monitoring-visit", "ILACS monitoring visit"

    @classmethod
    def ungraded(cls):
        return [cls.SIF_MONITORING_VISIT, cls.ILACS_FOCUSED_VISIT, cls.ILACS_MONITORING_VISIT]


class Inspection(VersionedModel):
    """One Ofsted inspection or visit of a council's children's services."""

    Kind = InspectionKind

    authority = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="inspections")
    slug = models.SlugField(
        max_length=120,
        unique=True,
        help_text="authority-yyyy-mm-kind of the first day on site, e.g. sandwell-2022-05-ilacs-standard.",
    )
    kind = models.CharField(max_length=30, choices=InspectionKind)
    started_on = PartialDateField("on site from", help_text="YYYY, YYYY-MM or YYYY-MM-DD, as precise as known.")
    ended_on = PartialDateField("on site until")
    published_on = PartialDateField("report published")
    year = models.GeneratedField(
        expression=partial_date_year("started_on"),
        output_field=models.IntegerField(null=True),
        db_persist=True,
        help_text="Year of the first day on site.",
    )
    overall_judgement = models.CharField(
        "overall effectiveness",
        max_length=40,
        choices=Judgement,
        blank=True,
        help_text="Blank for ungraded visits.",
    )
    theme = models.CharField(max_length=200, blank=True, help_text="A focused visit's theme, e.g. 'Front door'.")
    finding = models.CharField(
        max_length=300,
        blank=True,
        help_text="For ungraded visits: the headline finding as reported, e.g. 'positive progress'.",
    )
    report_url = models.URLField("report address", blank=True)
    source_note = models.TextField(
        blank=True,
        help_text="Where these facts come from and how sure they are (verified, inferred).",
    )

    objects = SlugNaturalKeyManager.from_queryset(InspectionQuerySet)()

    history = HistoricalRecords(excluded_fields=["year"])

    class Meta:
        ordering = [models.F("started_on").desc(nulls_last=True), "slug"]
        constraints = [
            _choice_constraint("kind", InspectionKind, name="inspection_kind_valid"),
            _choice_constraint(
                "overall_judgement", Judgement, allow_blank=True, name="inspection_overall_judgement_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=InspectionKind.ungraded()) | Q(overall_judgement=""),
                name="inspection_ungraded_visit_has_no_judgement",
            ),
            models.CheckConstraint(condition=partial_date_shape("started_on"), name="inspection_started_on_shape"),
            models.CheckConstraint(condition=partial_date_shape("ended_on"), name="inspection_ended_on_shape"),
            models.CheckConstraint(condition=partial_date_shape("published_on"), name="inspection_published_on_shape"),
            models.CheckConstraint(
                condition=partial_date_not_before("ended_on", "started_on"), name="inspection_ends_after_it_starts"
            ),
        ]
        indexes = [models.Index(fields=["authority", "started_on"], name="inspection_authority_start")]

    def __str__(self):
        when = self.started_on or self.published_on or "date unknown"
        return f"{self.authority.name}: {self.get_kind_display()}, {when}"

    def get_absolute_url(self):
        return record_path("articles:inspection_detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    @property
    def is_ungraded(self):
        return self.kind in self.Kind.ungraded()

    @property
    def overall(self):
        return Judgement(self.overall_judgement) if self.overall_judgement else None

    @property
    def on_site(self) -> str:
        if self.started_on and self.ended_on and self.ended_on != self.started_on:
            return f"{self.started_on} – {self.ended_on}"
        return str(self.started_on or "dates unknown")

    def clean(self):
        if self.is_ungraded and self.overall_judgement:
            raise ValidationError({"overall_judgement": "Ungraded visits carry no overall judgement."})


class JudgementArea(models.TextChoices):
    # 2013 looked-after-children inspections
    CAPACITY_TO_IMPROVE = "capacity-to-improve", "Capacity to improve"
    OUTCOMES_FOR_LOOKED_AFTER_CHILDREN = (
        "outcomes-for-looked-after-children",
        "Outcomes for looked after children",
    )
    QUALITY_OF_PROVISION = "quality-of-provision", "Quality of provision"
    LEADERSHIP_AND_MANAGEMENT = "leadership-and-management", "Leadership and management"
    # Single inspection framework (2013–2017)
    HELP_AND_PROTECTION = "help-and-protection", "Children who need help and protection"
    LOOKED_AFTER_AND_PERMANENCE = (
        "looked-after-and-permanence",
        "Children looked after and achieving permanence",
    )
    ADOPTION_PERFORMANCE = "adoption-performance", "Adoption performance"
    CARE_LEAVERS = "care-leavers", "Care leavers"
    LEADERSHIP_MANAGEMENT_GOVERNANCE = (
        "leadership-management-governance",
        "Leadership, management and governance",
    )
    # ILACS (2018–)
    IMPACT_OF_LEADERS = "impact-of-leaders", "The impact of leaders on social work practice"
    CHILDREN_IN_CARE_AND_CARE_LEAVERS = (
        "children-in-care-and-care-leavers",
        "Children in care and care leavers (one judgement, before 2023)",
    )
    CHILDREN_IN_CARE = "children-in-care", "Children in care"


class InspectionJudgement(VersionedModel):
    """The grade an inspection gave one area of a council's work."""

    Area = JudgementArea

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="judgements")
    area = models.CharField(max_length=40, choices=JudgementArea)
    judgement = models.CharField(max_length=40, choices=Judgement)
    position = models.PositiveSmallIntegerField(
        default=0, validators=[SMALLINT_MAX], help_text="Order in which the report lists the areas."
    )
    # "help-and-protection:inadequate": one value per area and grade, for the per-area facet.
    area_judgement = models.GeneratedField(
        expression=Concat("area", models.Value(":"), "judgement"),
        output_field=models.CharField(max_length=81),
        db_persist=True,
    )

    class Manager(models.Manager):
        def get_by_natural_key(self, inspection_slug, area):
            return self.get(inspection__slug=inspection_slug, area=area)

    objects = Manager()

    history = HistoricalRecords(excluded_fields=["area_judgement"])

    class Meta:
        ordering = ["inspection", "position", "area"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "area"], name="judgement_one_per_area"),
            _choice_constraint("area", JudgementArea, name="judgement_area_valid"),
            _choice_constraint("judgement", Judgement, name="judgement_value_valid"),
        ]

    def __str__(self):
        return f"{self.get_area_display()}: {self.get_judgement_display()}"

    def natural_key(self):
        return (*self.inspection.natural_key(), self.area)

    natural_key.dependencies = ["articles.inspection"]

    @property
    def grade(self):
        return Judgement(self.judgement)


class ArticleQuerySet(SearchableQuerySet):
    fts_relation = "search_index"
    fts_table = "articles_article_fts"
    snippet_column = 2  # body
    pg_vector = "{table}.search_vector"
    pg_snippet_source = "{table}.body"

    def as_links(self):
        """Only what a link to each article shows (its headline, publisher and date): for record pages' lists."""
        return self.select_related("publisher").only(*ARTICLE_LINK_FIELDS)

    def published(self):
        """What the public may see: the one place that decides it."""
        return self.filter(published_condition())

    def on_record(self):
        """What has a public page: the published, and the withdrawn, whose pages say so."""
        return self.filter(Q(published_condition()) | Q(status=ArticleStatus.WITHDRAWN))

    def visible_to(self, user):
        """Staff also preview drafts at their public address; nobody else ever sees one."""
        return self.all() if previews_drafts(user) else self.on_record()

    def with_list_details(self):
        """Annotate what a list shows of each article, in the page's own query rather than one more
        query per relation: its speakers (slug and name, in the order they first speak) and its
        inspections' overall judgements and authorities. Strings joined with ASCII separators."""
        vendor = connections[self.db].vendor
        concat = (
            "STRING_AGG({value}, chr(30) ORDER BY {order})"
            if vendor == "postgresql"
            else ("GROUP_CONCAT({value}, char(30))")
        )
        separator = "chr(31)" if vendor == "postgresql" else "char(31)"
        speakers = (
            "(SELECT " + concat.format(value=f"p.slug || {separator} || p.name", order="s.first") + " FROM "
            "(SELECT speaker_id, MIN(position) AS first FROM people_statement "
            "WHERE article_id = {table}.id GROUP BY speaker_id ORDER BY first) s "
            "JOIN people_person p ON p.id = s.speaker_id)"
        )
        inspections = (
            "(SELECT " + concat.format(value=f"i.overall_judgement || {separator} || a.slug", order="i.id") + " FROM "
            "articles_article_inspections ai JOIN articles_inspection i ON i.id = ai.inspection_id "
            "JOIN articles_localauthority a ON a.id = i.authority_id WHERE ai.article_id = {table}.id)"
        )
        return self.annotate(
            listed_speakers=OwnTableSQL(speakers, [], output_field=models.TextField()),
            listed_inspections=OwnTableSQL(inspections, [], output_field=models.TextField()),
        )


class ArticleKind(models.TextChoices):
    NEWS_REPORT = "news-report", "News report"
    PRESS_RELEASE = "press-release", "Press release"
    FEATURE = "feature", "Feature"
    OPINION = "opinion", "Opinion"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    # Taken down, but kept on record: its page stays and says so, with the reason.
    WITHDRAWN = "withdrawn", "Withdrawn"


class Article(VersionedModel):
    """A page as its publisher published it, without the page's furniture."""

    Kind = ArticleKind

    Status = ArticleStatus

    headline = models.CharField(max_length=300)
    headline_inferred = models.BooleanField(
        default=False,
        help_text="Tick when the page does not show the headline and it was inferred (say how in the provenance note).",
    )
    slug = models.SlugField(max_length=120, unique=True)
    # No index of its own: article_facet_columns (status, publisher, …) finds a publisher's articles
    # (SQLite skips through its three statuses). A lone publisher index tempted SQLite to count one
    # year's articles by publisher in publisher order, reading all 100k rows to skip a sort: 330 ms
    # at 100k articles, against 1.5 ms from the facet index.
    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="articles", db_index=False)
    byline = models.CharField(max_length=200, blank=True, help_text="As printed; blank when the page names no author.")
    authors = models.ManyToManyField(
        "people.Person", blank=True, related_name="articles_written", help_text="The people the byline names."
    )
    published_on = PartialDateField(
        "publication date", help_text="YYYY, YYYY-MM or YYYY-MM-DD, as precise as known; blank when unknown."
    )
    published_on_inferred = models.BooleanField(
        "publication date inferred",
        default=False,
        help_text="Tick when the page shows no date and it was inferred (say how in the provenance note).",
    )
    year = models.GeneratedField(
        expression=partial_date_year("published_on"),
        output_field=models.IntegerField(null=True),
        db_persist=True,
    )
    kind = models.CharField(max_length=20, choices=ArticleKind, default=ArticleKind.NEWS_REPORT)
    source_url = models.URLField("original address", max_length=500, blank=True)
    retrieved_on = models.DateField("retrieved", null=True, blank=True, help_text="When the archive copied the page.")
    standfirst = models.TextField(blank=True, help_text="The summary printed under the headline, if any.")
    body = models.TextField(help_text="The article's text as published: paragraphs separated by a blank line.")
    inspections = models.ManyToManyField(Inspection, blank=True, related_name="articles")
    people_mentioned = models.ManyToManyField(
        "people.Person",
        blank=True,
        related_name="articles_mentioning",
        help_text="People and bodies the article names without quoting them.",
    )
    status = models.CharField(max_length=20, choices=ArticleStatus, default=ArticleStatus.DRAFT)
    withdrawal_note = models.TextField(
        blank=True, help_text="Shown to readers of a withdrawn article: why and when it was withdrawn."
    )
    editor_note = models.TextField(
        "editor's note", blank=True, help_text="Shown to readers: errors in the original, corrections, context."
    )
    provenance_note = models.TextField(
        blank=True, help_text="How the publisher, address, date and headline were established."
    )
    # Not auto_now: fixture loads save raw rows, and load_archive sets these itself.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SlugNaturalKeyManager.from_queryset(ArticleQuerySet)()

    history = HistoricalRecords(excluded_fields=["year"], m2m_fields=["inspections", "authors", "people_mentioned"])

    class Meta:
        # The id breaks ties: every SQLite index entry ends with it, so (status, published_on)
        # serves this order without sorting, even at page 2,500.
        ordering = [models.F("published_on").desc(nulls_last=True), "-id"]
        constraints = [
            _choice_constraint("kind", ArticleKind, name="article_kind_valid"),
            _choice_constraint("status", ArticleStatus, name="article_status_valid"),
            models.CheckConstraint(condition=partial_date_shape("published_on"), name="article_published_on_shape"),
            models.CheckConstraint(condition=~Q(body=""), name="article_has_body"),
            models.CheckConstraint(
                condition=~Q(status=ArticleStatus.WITHDRAWN) | ~Q(withdrawal_note=""),
                name="article_withdrawal_explained",
                violation_error_message="A withdrawn article needs a withdrawal note saying why.",
            ),
        ]
        permissions = [("publish_article", "Can publish and withdraw articles")]
        indexes = [
            models.Index(fields=["status", "published_on"], name="article_status_date"),
            # A covering index for the facets: it holds every small facet column, so any count,
            # filtered on some of them and grouped on another, reads it alone and never the table.
            # (Narrower per-facet indexes tempted SQLite into reading the table for the filters
            # to skip a sort: kind within one publisher took 160 ms at 100k, and 7 ms from this.)
            models.Index(fields=["status", "publisher", "year", "kind"], name="article_facet_columns"),
            # The same columns led by kind, for counts filtered by a kind (and perhaps a publisher):
            # from the index above, the year facet of one publisher's news reports read every
            # published article's entry (14 ms at 100k), and from this one its own few (1 ms).
            models.Index(fields=["status", "kind", "publisher", "year"], name="article_facet_columns_kind"),
            # Statements and inspections ask whether their article is published for each of up to
            # a million rows: this small index answers it without reading the article (and its body).
            models.Index(fields=["id", "status"], name="article_id_status"),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        self.updated_at = timezone.now()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return record_path("articles:article_detail", self.slug)

    def natural_key(self):
        return (self.slug,)

    # The next two read what ArticleQuerySet.with_list_details() annotates; without it they fail
    # loudly rather than run a query per article.
    @property
    def speakers(self) -> list[tuple[str, str]]:
        """(slug, name) of everyone quoted, once each, in the order they first speak."""
        return [tuple(item.split("\x1f", 1)) for item in (self.listed_speakers or "").split("\x1e") if item]

    @property
    def covered(self) -> list[tuple[str, str]]:
        """(overall judgement, authority slug) of each inspection the article covers."""
        pairs = [tuple(item.split("\x1f", 1)) for item in (self.listed_inspections or "").split("\x1e")]
        return [pair for pair in pairs if len(pair) == 2]

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.body.replace("\r\n", "\n").split("\n\n") if p.strip()]

    @property
    def first_paragraph(self) -> str:
        """``paragraphs[0]``, or "" for an empty body, without splitting the rest of the body (a card's teaser)."""
        body = self.body.replace("\r\n", "\n")
        start = 0
        while True:
            end = body.find("\n\n", start)
            paragraph = (body[start:] if end < 0 else body[start:end]).strip()
            if paragraph or end < 0:
                return paragraph
            start = end + 2


class ArticleSearchIndex(models.Model):
    """SQLite's FTS5 index of articles, created and kept in step by a migration's triggers.

    Not used on PostgreSQL, where a generated tsvector column does the same work.
    """

    article = models.OneToOneField(
        Article, primary_key=True, db_column="rowid", on_delete=models.DO_NOTHING, related_name="search_index"
    )
    match = FTS5MatchField(db_column="articles_article_fts")
    rank = models.FloatField()

    class Meta:
        managed = False
        db_table = "articles_article_fts"

    def __str__(self):
        return f"Search index entry for article {self.pk}"
