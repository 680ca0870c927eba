from archive.facets import FacetedFilterSet, FacetFilter, SortFilter, year_value
from people.models import Person, PersonKind, Statement, StatementKind


class StatementFilterSet(FacetedFilterSet):
    speaker = FacetFilter(
        field_name="speaker__slug",
        label_field="speaker__name",
        label="Speaker",
        group_by="speaker",
        find_url_name="people:person_list",
    )
    publisher = FacetFilter(
        field_name="article__publisher__slug",
        label_field="article__publisher__name",
        label="Publisher",
        group_by="article__publisher",
        find_url_name="articles:publisher_list",
    )
    year = FacetFilter(field_name="article__year", label="Year", coerce=year_value, order="value_desc")
    kind = FacetFilter(field_name="kind", label="Kind", choices=StatementKind)
    sort = SortFilter(
        fields=(("article__published_on", "date"), ("speaker__name", "speaker")),
        field_labels={"article__published_on": "Date", "speaker__name": "Speaker"},
        label="Sort",
    )

    class Meta:
        model = Statement
        fields = []


class PersonFilterSet(FacetedFilterSet):
    organisation = FacetFilter(
        field_name="roles__organisation__slug",
        label_field="roles__organisation__name",
        label="Organisation",
        many=True,
        group_by="roles__organisation",
        # Organisations are people-list records: found there by name, each links to its members here.
        find_url_name="people:person_list",
    )
    # A title as printed is free text with no list of its own; the people list's search matches
    # role titles (PersonQuerySet.search), so searching it for a title finds everyone who held it.
    role = FacetFilter(
        field_name="roles__title", label="Role as printed", many=True, find_url_name="people:person_list"
    )
    kind = FacetFilter(field_name="kind", label="Kind", choices=PersonKind)
    sort = SortFilter(
        fields=(("name", "name"), ("statement_count", "statements")),
        field_labels={"name": "Name", "statement_count": "Statements"},
        label="Sort",
    )

    class Meta:
        model = Person
        fields = []
