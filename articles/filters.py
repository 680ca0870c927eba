from archive.dates import partial_date_span_of_years
from archive.facets import FacetedFilterSet, FacetFilter, SortFilter, year_value
from articles.models import (
    Article,
    ArticleKind,
    AuthorityStatus,
    Inspection,
    InspectionKind,
    Judgement,
    JudgementArea,
    LocalAuthority,
    Publisher,
    PublisherKind,
)


class ArticleFilterSet(FacetedFilterSet):
    publisher = FacetFilter(
        field_name="publisher__slug",
        label_field="publisher__name",
        label="Publisher",
        group_by="publisher",
        find_url_name="articles:publisher_list",
    )
    year = FacetFilter(
        field_name="year",
        label="Year",
        coerce=year_value,
        order="value_desc",
        rows_condition=lambda years: partial_date_span_of_years("published_on", years),
    )
    kind = FacetFilter(field_name="kind", label="Kind", choices=ArticleKind)
    person = FacetFilter(
        field_name="statements__speaker__slug",
        label_field="statements__speaker__name",
        label="Person quoted",
        many=True,
        group_by="statements__speaker",
        find_url_name="people:person_list",
    )
    judgement = FacetFilter(
        field_name="inspections__overall_judgement",
        label="Inspection judgement",
        choices=Judgement,
        many=True,
        order="choices",
    )
    authority = FacetFilter(
        field_name="inspections__authority__slug",
        label_field="inspections__authority__name",
        label="Local authority",
        many=True,
        group_by="inspections__authority",
        find_url_name="articles:authority_list",
    )
    sort = SortFilter(
        fields=(("published_on", "date"), ("headline", "headline")),
        field_labels={"published_on": "Date", "headline": "Headline"},
        label="Sort",
    )

    class Meta:
        model = Article
        fields = []


def area_judgement_choices():
    return [
        (f"{area.value}:{grade.value}", f"{area.label}: {grade.label}") for area in JudgementArea for grade in Judgement
    ]


class AreaJudgementChoices:
    """Labels and validation for "area:judgement" values (a TextChoices-like view of the pairs)."""

    choices = area_judgement_choices()
    values = [value for value, _ in choices]
    _labels = dict(choices)

    def __init__(self, value):
        if value not in self._labels:
            raise ValueError(value)
        self.label = self._labels[value]


class InspectionFilterSet(FacetedFilterSet):
    judgement = FacetFilter(
        field_name="overall_judgement", label="Overall judgement", choices=Judgement, order="choices"
    )
    kind = FacetFilter(field_name="kind", label="Kind", choices=InspectionKind, order="choices")
    year = FacetFilter(field_name="year", label="Year", coerce=year_value, order="value_desc")
    # Free text with no list of its own: the authorities list's search matches regions, and each
    # authority found links to its inspections.
    region = FacetFilter(
        field_name="authority__region", label="Ofsted region", order="value", find_url_name="articles:authority_list"
    )
    authority = FacetFilter(
        field_name="authority__slug",
        label_field="authority__name",
        label="Local authority",
        group_by="authority",
        find_url_name="articles:authority_list",
    )
    area = FacetFilter(
        field_name="judgements__area_judgement",
        label="Judgement by area",
        choices=AreaJudgementChoices,
        many=True,
        order="choices",
    )
    sort = SortFilter(
        fields=(("started_on", "date"), ("published_on", "published")),
        field_labels={"started_on": "Date on site", "published_on": "Date published"},
        label="Sort",
    )

    class Meta:
        model = Inspection
        fields = []


class PublisherFilterSet(FacetedFilterSet):
    kind = FacetFilter(field_name="kind", label="Kind", choices=PublisherKind)
    sort = SortFilter(
        fields=(("name", "name"), ("article_count", "articles")),
        field_labels={"name": "Name", "article_count": "Articles"},
        label="Sort",
    )

    class Meta:
        model = Publisher
        fields = []


class AuthorityFilterSet(FacetedFilterSet):
    # Free text: this list's own search matches regions, so searching it for one lists its authorities.
    region = FacetFilter(
        field_name="region", label="Ofsted region", order="value", find_url_name="articles:authority_list"
    )
    latest = FacetFilter(field_name="latest_judgement", label="Latest judgement", choices=Judgement, order="choices")
    status = FacetFilter(field_name="status", label="Status", choices=AuthorityStatus, order="choices")
    sort = SortFilter(fields=(("name", "name"),), field_labels={"name": "Name"}, label="Sort")

    class Meta:
        model = LocalAuthority
        fields = []
