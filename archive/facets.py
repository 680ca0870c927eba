"""Disjunctive faceting on django-filter.

Several values of one facet combine with OR, different facets with AND, and
each value's count is computed with every *other* facet's filters applied but
not its own (as Elasticsearch's post_filter and Algolia's disjunctive facets
do): it is the number of results the value has on its own, which is what the
list shows when it is the facet's only choice, and how many it can add when
combined with others. Counts come from one grouped query per facet.
"""

from __future__ import annotations

import copy
import hashlib
import operator
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

import django_filters
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, models
from django.db.models import Count, F
from django.utils.functional import cached_property

from archive.paths import encode_pairs, query_with, quoted, record_path
from archive.search import TooManyTerms, parse

MAX_VALUES_PER_FACET = 50
MAX_VALUE_LENGTH = 200
MAX_QUERY_LENGTH = 500
MAX_QUERY_WORDS = 10
NOT_FOUND = "Not found"
# Where a visitor is in a list (a page number, a Next or Previous link's cursor): a link that changes
# what the list holds starts it again from the top.
PLACE_IN_LIST = frozenset({"page", "after", "before"})
# Each counted group's place in the facet's order, and how many rows all its groups hold.
RANK_AND_TOTAL = "ROW_NUMBER() OVER (ORDER BY {order}) AS facet_rank, SUM(g.facet_count) OVER () AS facet_total"
# The facets whose every counted value the page lists (its "Show more" links add one each).
SHOW_MORE_PARAM = "more"


def reject_control_characters(text: str) -> None:
    """Refuse NUL bytes, other control characters and lone surrogates in user input."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs" or (category == "Cc" and char not in "\t\n\r"):
            raise ValidationError(f"contains a character that is not allowed (U+{ord(char):04X}).", code="bad_char")


class FacetValuesField(forms.Field):
    """Zero or more values of one facet, from repeated query parameters."""

    widget = forms.SelectMultiple

    def __init__(self, *, choices=None, coerce=str, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.valid_values = {str(value) for value, _ in choices} if choices else None
        self.coerce = coerce

    def to_python(self, value):
        if value in self.empty_values:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        values = [str(item).strip() for item in value]
        values = [item for item in values if item]
        if len(values) > MAX_VALUES_PER_FACET:
            raise ValidationError(f"Choose at most {MAX_VALUES_PER_FACET} values.", code="too_many")
        cleaned = []
        for item in values:
            if len(item) > MAX_VALUE_LENGTH:
                raise ValidationError("A value is too long.", code="too_long")
            reject_control_characters(item)
            if self.valid_values is not None and item not in self.valid_values:
                raise ValidationError(f"“{item}” is not one of the available choices.", code="invalid_choice")
            try:
                coerced = self.coerce(item)
            except (TypeError, ValueError) as error:
                raise ValidationError(f"“{item}” is not a valid value.", code="invalid") from error
            if coerced not in cleaned:
                cleaned.append(coerced)
        return cleaned


def year_value(text: str) -> int:
    year = int(text)
    if not 1000 <= year <= 9999:
        raise ValueError("not a four-digit year")
    return year


@dataclass
class FacetOption:
    value: object
    label: str
    count: int
    selected: bool
    query: str = ""  # the query string with this value toggled and page dropped

    def as_json(self):
        return {"value": self.value, "label": self.label, "count": self.count, "selected": self.selected}

    def __reduce__(self):
        # Cached counts are unpickled on every list page (some 300 options): as arguments, not as a
        # dataclass's state, that takes a third of the time. The query is made per request, never kept.
        return FacetOption, (self.value, self.label, self.count, self.selected)


@dataclass
class FacetResult:
    name: str
    label: str
    options: list[FacetOption] = field(default_factory=list)
    truncated: bool = False  # more values exist than are shown
    rows_counted: int | None = None  # how many results, when the facet's counts say (``FacetFilter.options_from``)
    find_url_name: str = ""  # the list where every value can be searched, when not all are shown
    # Per request, not cached: the options the page lists, the query of the link that lists them all,
    # and the address of the list that finds any value (it depends on the request's script prefix).
    listed: list[FacetOption] = field(default_factory=list)
    more_query: str = ""
    find_url: str = ""

    @property
    def selected(self):
        return [option for option in self.options if option.selected]


class CountedSide(NamedTuple):
    """The rows a facet is counted over, and its paths as seen from them."""

    queryset: models.QuerySet
    value: str  # the facet's value
    label: str | None  # its display name, if read from the rows
    group_by: str | None  # the foreign key grouped on, if any
    counted: str  # what each group counts (distinct, across a to-many relation)


class ConfiguredOnce:
    """A filter whose copy for each request may share its configuration with the class's filter.

    A FilterSet deep-copies its declared filters for every request, then sets the copy's
    ``parent`` and ``model``. These filters hold nothing else that changes after they are declared
    (their choices, paths and options are read, never written), so a shallow copy is the same
    copy: the deep one was a tenth of a list page's time before a row was read.
    """

    def __deepcopy__(self, memo):
        return copy.copy(self)


class FacetFilter(ConfiguredOnce, django_filters.Filter):
    """A filter whose values are also counted as a facet.

    ``field_name`` is the path filtered and grouped on; ``label_field`` an
    optional path to the value's display name, read in the same grouped query;
    ``choices`` a TextChoices class that both validates and labels values;
    ``many`` marks a path through a to-many relation, which is filtered by a
    subquery (no duplicate rows) and counted with DISTINCT.

    ``group_by`` names the foreign key (a path to a related model) to count on:
    rows are then grouped by the integer key alone, and the value (``slug``)
    and label (``name``) are joined onto the top groups only, which is far
    cheaper than grouping a million rows by two joined strings.
    """

    field_class = FacetValuesField

    def __init__(
        self,
        *,
        field_name,
        label,
        label_field=None,
        choices=None,
        coerce=str,
        many=False,
        order="count",
        group_by=None,
        value_attr="slug",
        label_attr="name",
        find_url_name="",
        rows_condition=None,
        **kwargs,
    ):
        self.group_by, self.value_attr, self.label_attr = group_by, value_attr, label_attr
        # values → a Q true of every row the filter selects, added where the list's rows are found
        # (not its counts), for an index in the list's order to serve: a year's range of dates.
        self.rows_condition = rows_condition
        self.find_url_name = find_url_name  # a list page whose search finds any value of this facet
        self.label_field = label_field
        self.coerce = coerce
        self.choices = choices
        self.many = many
        # "count": most results first; "value": alphabetical; "value_desc": newest year first; "choices": enum order
        self.order = order
        super().__init__(
            field_name=field_name,
            label=label,
            choices=choices.choices if choices else None,
            coerce=coerce,
            **kwargs,
        )

    def filter(self, qs, value):
        if not value:
            return qs
        lookup = {f"{self.field_name}__in": value}
        if self.group_by:
            # Compare keys, not joined slugs: the key is what the covering indexes hold.
            related = self._related_model(qs.model)
            keys = related._default_manager.filter(**{f"{self.value_attr}__in": value}).values("pk")
            lookup = {f"{self.group_by}__in": keys}
        if self.many:
            return qs.filter(pk__in=qs.model._default_manager.filter(**lookup).values("pk"))
        return qs.filter(**lookup)

    @property
    def names_chosen_values(self) -> bool:
        """Whether a chosen value is named by the archive's own rows (free text, a record's slug), not
        by its choices or as itself."""
        return self.choices is None and self.coerce is str

    def label_for(self, value, label_from_row=None) -> str:
        if label_from_row is NOT_FOUND:
            return NOT_FOUND
        if self.choices is not None:
            try:
                return self.choices(value).label
            except ValueError:
                return str(value)
        return str(label_from_row if label_from_row is not None else value)

    def _counted_side(self, qs) -> CountedSide:
        """Where this facet's values are grouped and counted.

        A value across a to-many relation (an article's speakers) is grouped on the related rows,
        kept to those of the listed results by a semi-join: "statements whose article is in the
        list". Grouping the list LEFT JOINed to its million related rows instead makes the
        database fetch the list's row for every related one, which at 100k articles took over a
        second for an unfiltered list; from the related side the covering indexes answer it.
        """
        if not self.many:
            return CountedSide(qs.order_by(), self.field_name, self.label_field, self.group_by, "pk")
        first, _, value_path = self.field_name.partition("__")
        relation = qs.model._meta.get_field(first)
        # The name by which the related model filters back to the listed one.
        back = relation.field.name if relation.auto_created else relation.related_query_name()
        related = relation.related_model._default_manager.filter(**{f"{back}__in": qs.order_by().values("pk")})

        def from_related(path):
            return path.partition("__")[2] if path else path

        return CountedSide(
            related.order_by(), value_path, from_related(self.label_field), from_related(self.group_by), back
        )

    def _grouped(self, qs, only=None):
        """Grouped rows with ``value``, ``label`` and ``facet_count``; ``only``: just these values."""
        side = self._counted_side(qs)
        counted = side.queryset if only is None else side.queryset.filter(**{f"{side.value}__in": only})
        columns = {"value": F(side.value)} | ({"label": F(side.label)} if side.label else {})
        return counted.values(**columns).annotate(facet_count=Count(side.counted, distinct=self.many))

    @staticmethod
    def _is_value(value) -> bool:
        # Groups without a value (no related row, a blank choice) are dropped after grouping:
        # excluding them in SQL would, across a to-many path, exclude whole results.
        return value not in (None, "")

    def _sorted_rows(self, rows):
        if self.order in ("value", "value_desc"):
            return sorted(rows, key=lambda row: row[self.field_name], reverse=self.order == "value_desc")
        if self.order == "choices" and self.choices is not None:
            position = {value: index for index, value in enumerate(self.choices.values)}
            return sorted(rows, key=lambda row: position.get(row[self.field_name], len(position)))
        return sorted(rows, key=lambda row: (-row["facet_count"], str(row.get(self.label_field, row[self.field_name]))))

    def _related_model(self, model):
        for name in self.group_by.split("__"):
            model = model._meta.get_field(name).related_model
        return model

    def _options_query(self, qs, selected, base_queryset, limit: int, *, only_chosen=False) -> tuple[str, list]:
        """One query for the whole facet: its top values, the chosen ones wherever they rank, and the
        chosen ones' labels (for those with no results here).

        Rows are (value, label, count, rank, total). The counted rows are numbered in the facet's order
        (``rank``) and come chosen first, then by rank, so that ``limit`` spare rows after the chosen
        ones hold every value of the top ``limit`` (three more for the empty and blank groups, dropped
        later); ``total`` is how many rows all the groups hold. The chosen values' labels follow as rows
        with no count: a chosen value may have no results with the other filters applied, or none at
        all. Asking for them apart took up to two more queries a facet, and a page with several such
        choices went past its budget.

        ``only_chosen``: the chosen values' counts and labels alone (no rank, no total), counting only
        their rows: for when the top values are already known (``FacetedFilterSet._count_facets``).
        """
        connection = connections[qs.db]
        quote = connection.ops.quote_name
        marks = ", ".join(["%s"] * len(selected))
        fetched = limit + 3 + len(selected)
        if self.group_by:
            side = self._counted_side(qs)
            related = self._related_model(qs.model)
            if only_chosen:
                chosen = related._default_manager.filter(**{f"{self.value_attr}__in": selected}).values("pk")
                side = side._replace(queryset=side.queryset.filter(**{f"{side.group_by}__in": chosen}))
            if self.many:
                # Distinct (key, result) pairs first, then counted per key: the same numbers as
                # COUNT(DISTINCT …) per group, which PostgreSQL computes by sorting within every group
                # (1.5 s for the speakers of 100k articles, 0.7 s this way; SQLite takes the same time).
                pairs = (
                    side.queryset.values(facet_key=F(side.group_by), counted_key=F(side.counted)).distinct().order_by()
                )
                pairs_sql, params = pairs.query.sql_with_params()
                grouped = f"SELECT p.facet_key, COUNT(*) AS facet_count FROM ({pairs_sql}) p GROUP BY p.facet_key"
            else:
                grouping = (
                    side.queryset.annotate(facet_key=F(side.group_by))
                    .values("facet_key")
                    .annotate(facet_count=Count(side.counted))
                    .order_by()
                )
                grouped, params = grouping.query.sql_with_params()
            params = list(params)
            # Grouped by the integer key alone; the value and label are joined onto the rows kept.
            table, key = quote(related._meta.db_table), quote(related._meta.pk.column)
            value, label = (quote(related._meta.get_field(name).column) for name in (self.value_attr, self.label_attr))
            names = (
                f" UNION ALL SELECT r.{value}, r.{label}, NULL, NULL, NULL FROM {table} r WHERE r.{value} IN ({marks})"
            )
            if only_chosen:
                sql = (
                    f"SELECT r.{value}, r.{label}, g.facet_count, NULL, NULL "
                    f"FROM ({grouped}) g JOIN {table} r ON r.{key} = g.facet_key{names}"
                )
                return sql, [*params, *selected]
            chosen_first = ""
            if selected:
                chosen_keys = f"SELECT {key} FROM {table} WHERE {value} IN ({marks})"
                chosen_first = f"CASE WHEN ranked.facet_key IN ({chosen_keys}) THEN 0 ELSE 1 END, "
                params += selected
            top = (
                f"SELECT g.facet_key, g.facet_count, {RANK_AND_TOTAL.format(order='g.facet_count DESC, g.facet_key')} "
                f"FROM ({grouped}) g"
            )
            sql = (
                f"SELECT r.{value}, r.{label}, t.facet_count, t.facet_rank, t.facet_total FROM "
                f"(SELECT * FROM ({top}) ranked ORDER BY {chosen_first}ranked.facet_rank LIMIT {fetched}) t "
                f"JOIN {table} r ON r.{key} = t.facet_key"
            )
            if selected:
                sql += names
                params += selected
            return sql, params

        grouped, params = self._grouped(qs, only=selected if only_chosen else None).order_by().query.sql_with_params()
        params = list(params)
        # A value with no label of its own is its label (NULL would be text to PostgreSQL, not the value's type).
        label = "g.label" if self.label_field else "g.value"
        order = {
            "count": f"g.facet_count DESC, {label}",
            "value_desc": "g.value DESC",
        }.get(self.order, "g.value")
        chosen_first = ""
        if only_chosen:
            sql = f"SELECT g.value, {label} AS label, g.facet_count, NULL, NULL FROM ({grouped}) g"
        elif selected:
            chosen_first = f"CASE WHEN ranked.value IN ({marks}) THEN 0 ELSE 1 END, "
            params += selected
        top = (
            f"SELECT g.value, {label} AS label, g.facet_count, {RANK_AND_TOTAL.format(order=order)} FROM ({grouped}) g"
        )
        if not only_chosen:
            ranked = f"SELECT * FROM ({top}) ranked ORDER BY {chosen_first}ranked.facet_rank LIMIT {fetched}"
            sql = f"SELECT * FROM ({ranked}) t"
        if selected and self.names_chosen_values:
            # A text value is named as the archive names it, or shown as not found: the address could
            # carry any text. (A year is checked as it is read, and shown as itself: finding whether any
            # article has it would scan them all when it has none.)
            named = (
                base_queryset.order_by()
                .filter(**{f"{self.field_name}__in": selected})
                .values(value=F(self.field_name), label=F(self.label_field or self.field_name))
                .distinct()
            )
            named_sql, named_params = named.query.sql_with_params()
            sql += f" UNION ALL SELECT n.value, n.label, NULL, NULL, NULL FROM ({named_sql}) n"
            params += named_params
        return sql, params

    def counts_each_row_once(self, model) -> bool:
        """Whether every row of ``model`` has exactly one value of this facet, never an empty one."""
        if self.many or (self.choices is None and not self.group_by):
            return False  # several values a row, or free text that may be blank
        for name in (self.group_by or self.field_name).split("__"):
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                return False  # a computed value (an authority's latest judgement)
            if field.null or not field.concrete or (field.blank and not field.is_relation):
                return False  # a row may have no value (an ungraded inspection's judgement is blank)
            if field.is_relation:
                if not field.many_to_one:
                    return False
                model = field.related_model
        return True

    def fetch(self, qs, selected, base_queryset, limit, *, only_chosen=False) -> list[tuple]:
        """The rows of ``_options_query``: one query."""
        sql, params = self._options_query(qs, list(selected), base_queryset, limit, only_chosen=only_chosen)
        with connections[qs.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    @staticmethod
    def top_of(fetched, limit) -> tuple[tuple, int]:
        """What a fetch says of the facet with none of its own values chosen: the counted rows that
        rank in its top ``limit`` and spares, as (value, label, count, rank) in rank order, and how
        many rows its groups hold. With values chosen the fetch has every such row too (see
        ``_options_query``), so this is the same whatever was chosen: it is kept and shared."""
        ranked = sorted(
            (row for row in fetched if row[2] is not None and row[3] is not None and row[3] <= limit + 3),
            key=operator.itemgetter(3),
        )
        total = next((int(row[4]) for row in fetched if row[4] is not None), 0)
        return tuple(tuple(row[:4]) for row in ranked), total

    def tells_what_is_left_out(self, top, selected, limit) -> bool:
        """Whether the kept top rows show if any value is left out once the chosen ones take their places.

        They hold the top ``limit`` values and spares. Chosen values fill places first, so with enough
        of them chosen (more than the spares allow: only with a limit under about 50, as at most 50
        values are chosen) no unchosen value may be left among the kept rows to show that more exist;
        then the facet is fetched with its chosen values, as from scratch."""
        rows, _ = top
        if len(rows) < limit + 3:
            return True  # every group was counted: nothing is beyond these rows
        others = [row for row in rows if row[0] not in selected and self._is_value(row[0])]
        return len(others) > max(limit - len(selected), 0)

    @staticmethod
    def holds(top, selected) -> bool:
        """Whether the kept top rows count every chosen value (then no query is needed)."""
        values = {row[0] for row in top[0]}
        return all(value in values for value in selected)

    def options_from(self, top, fetched, selected, limit):
        """The facet's options, truncated or not, and (with none of its values chosen) the number of
        rows listed: from its top rows (``top_of``) and whatever else a fetch found of the chosen values."""
        rows, total = top
        counted, labels = {}, {}
        for value, label, facet_count, rank, *_ in (*rows, *fetched):
            if facet_count is None:
                labels[value] = label
                continue
            if value not in counted and self._is_value(value):
                row = {self.field_name: value, self.label_field: label, "facet_count": facet_count}
                counted[value] = (float("inf") if rank is None else rank, row)
        ordered = [row for _, row in sorted(counted.values(), key=operator.itemgetter(0))]
        # The control lists at most ``limit`` values: every chosen one, wherever it ranks or at zero
        # (so that it can be removed), and the top of the rest in the room left.
        rows = [
            counted[value][1]
            if value in counted
            else {
                self.field_name: value,
                self.label_field: labels.get(value, NOT_FOUND) if self.names_chosen_values else None,
                "facet_count": 0,
            }
            for value in selected
        ]
        others = [row for row in ordered if row[self.field_name] not in selected]
        room = max(limit - len(rows), 0)
        truncated = len(others) > room
        rows += others[:room]
        options = [
            FacetOption(
                value=row[self.field_name],
                label=self.label_for(row[self.field_name], row.get(self.label_field)),
                count=row["facet_count"],
                selected=row[self.field_name] in selected,
            )
            for row in self._sorted_rows(rows)
        ]
        # With none of its own values chosen, a facet holding one value a row (or none: that group is
        # counted too) is counted over exactly the listed rows: their number is its groups' sum.
        return options, truncated, (total if not selected and not self.many else None)


class SortFilter(ConfiguredOnce, django_filters.OrderingFilter):
    """Sorting that pages stably on every database.

    Empty choices ("?sort=,") keep the default order instead of none; undated
    rows come last both ways (PostgreSQL would put NULLs first when
    descending); the primary key breaks ties so no row repeats or vanishes
    between pages.
    """

    RELEVANCE = "relevance"

    def build_choices(self, fields, labels):
        # Relevance first: it is the order of search results until another is chosen.
        return [(self.RELEVANCE, "Relevance"), *super().build_choices(fields, labels)]

    def filter(self, qs, value):
        chosen = [param for param in (value or []) if param]
        if not chosen:
            return qs
        if chosen[0] == self.RELEVANCE:
            return qs.by_relevance() if hasattr(qs, "by_relevance") else qs
        ordering = []
        for param in chosen:
            if param == self.RELEVANCE:
                continue
            expression = models.F(self.param_map[param.lstrip("-")])
            ordering.append(
                expression.desc(nulls_last=True) if param.startswith("-") else expression.asc(nulls_last=True)
            )
        # The tie-breaker runs the same way as the last choice, so an index can serve both.
        return qs.order_by(*ordering, "-pk" if chosen[-1].startswith("-") else "pk")


def kept(key: str, compute):
    """The cache's value for ``key``, or else ``compute()``'s, kept under it for ARCHIVE_FACET_CACHE_SECONDS.

    Every key it is given carries the archive revision, which any write raises: a kept value is never
    read once the archive has changed, and the old ones expire unread. (Django's ``get_or_set`` reads
    the cache a second time after computing.)
    """
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=settings.ARCHIVE_FACET_CACHE_SECONDS)
    return value


def limit_search_words(text: str) -> None:
    if len(set(text.lower().split())) > MAX_QUERY_WORDS:
        raise ValidationError(f"Search with at most {MAX_QUERY_WORDS} different words.", code="too_many_words")
    # Terms are counted as the search reads them too: quotes and minus signs part them without
    # spaces ('"a""b"', '-"a"-"b"'), and the parser refuses more than it will search.
    try:
        parse(text)
    except TooManyTerms as error:
        raise ValidationError(str(error), code="too_many_words") from error


class SearchFilter(ConfiguredOnce, django_filters.CharFilter):
    """The search box's filter: shallowly copied, as the facets are, and bound to its copy's FilterSet."""

    def __deepcopy__(self, memo):
        copied = copy.copy(self)
        # Setting the method again makes the copy's own FilterMethod, which calls the copy's parent
        # (the request's FilterSet); the one copied would call the class's filter's.
        copied.method = self.method
        return copied


class SharedFields(dict):
    """A filter form's fields, which every form made from its class shares rather than copies.

    A Django form deep-copies its class's fields (and their widgets, choices and validators) so that
    one form may change its own; a filter form never changes them: they are set when its class is
    made (``FacetedFilterSet.get_form_class``), then only read, to clean a request's values and to
    read them back. The deep copy was half of what making and cleaning a list's filters cost. Each
    form still gets a dict of its own, so adding or removing one of its fields touches no other.
    """

    def __deepcopy__(self, memo):
        return dict(self)


class FacetedFilterSet(django_filters.FilterSet):
    """A FilterSet whose FacetFilters are counted disjunctively, plus text search."""

    q = SearchFilter(method="filter_search", label="Search", max_length=MAX_QUERY_LENGTH)

    def filter_search(self, queryset, name, value):
        searched = queryset.search(value)
        # Best match first, unless the sort filter (applied after this one) asks otherwise.
        return searched.by_relevance() if hasattr(searched, "by_relevance") else searched

    def filter_queryset(self, queryset):
        """The listed rows: as django-filter filters them, and with each facet's ``rows_condition``.

        The rows are read in the list's order and a page of them is kept; found through the facet's
        own column, page 1 of an early year walked the date index through every later article (210
        ms at 100k articles on SQLite, 390 on PostgreSQL); bounded by its range of dates it reads
        its own (1 and 14 ms). The counts stay on the facet's column, which the covering indexes hold.
        """
        queryset = super().filter_queryset(queryset)
        for name, facet in self.facet_filters.items():
            value = self.form.cleaned_data.get(name)
            if value and facet.rows_condition:
                queryset = queryset.filter(facet.rows_condition(value))
        return queryset

    @property
    def search_text(self) -> str:
        return (self.form.cleaned_data.get("q") or "") if self.is_bound and self.is_valid() else ""

    def ordered_queryset(self):
        """The list in its order, without its facet filters: what the list is sorted and paged by.

        Only the search (which may order by relevance) and the sort decide a list's order; the
        facets only narrow it. A page whose keys are cached needs the order (to make its cursors)
        but not the filtered rows, and building the facets' filters was a twentieth of the page.
        """
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if not isinstance(self.filters[name], FacetFilter):
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def sort_asked(self) -> str:
        """The first sort the request names ("" for the list's default order), to mark its link."""
        value = self.form["sort"].value() if "sort" in self.form.fields else None
        return value[0] if value else ""

    def get_form_class(self):
        """The FilterSet's form class, made once: django-filter makes a new class, with new fields,
        for every request. Its fields depend only on the declared filters, and each form shares them
        (``SharedFields``)."""
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            if "q" in form_class.base_fields:
                form_class.base_fields["q"].validators += [reject_control_characters, limit_search_words]
            form_class.base_fields = SharedFields(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class

    @property
    def facet_filters(self) -> dict[str, FacetFilter]:
        return {name: f for name, f in self.filters.items() if isinstance(f, FacetFilter)}

    def queryset_without(self, excluded: str | None):
        """The list as filtered by everything but one facet (and not sorted)."""
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name == excluded or isinstance(self.filters[name], SortFilter):
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def _facet_top_key(self, name: str, limit: int) -> str:
        """What identifies one facet's top values: as ``_counts_cache_key``, with the facet's own filter left out."""
        digest = self._state_digest(without=name)
        return (
            f"archive:facet-top:{type(self).__module__}.{type(self).__name__}:{self._revision}:{digest}:{name}:{limit}"
        )

    def _state_digest(self, without: str | None = None) -> str:
        state = sorted(
            (name, sorted(map(str, value)) if isinstance(value, list) else str(value))
            for name, value in self.form.cleaned_data.items()
            if value and name != without and not isinstance(self.filters[name], SortFilter)
        )
        return hashlib.blake2b(repr(state).encode(), digest_size=16).hexdigest()

    @cached_property
    def _revision(self) -> int:
        from archive.models import ArchiveRevision

        if self.request is None or self.queryset.db != "default":
            return ArchiveRevision.current(self.queryset.db)
        return ArchiveRevision.of_request(self.request)

    @cached_property
    def _counts_cache_key(self) -> str:
        """What identifies this list's counts: the FilterSet, the archive revision and the filters.

        The revision number rises with every write to the archive (database triggers), so cached
        counts are never served after a change, whichever process made it. Readers see only
        committed revisions, and committed data with them; the counter is transactional, so a
        rolled-back write leaves no revision behind. Sorting and the page number do not change
        counts and are left out; the filters are taken as cleaned, so "?year=2019&year=2019" and
        "?year=02019" share one entry.
        """
        return f"archive:counts:{type(self).__module__}.{type(self).__name__}:{self._revision}:{self._state_digest()}"

    def cached_counts(self, part: str, compute):
        """Counts depend only on the filters and the data: computed once per filter state and revision.

        The unfiltered list is what most visitors see first; any filtered state that is asked for
        again (a shared link, the next page, a crawler) is served from the cache too.
        """
        return kept(f"{self._counts_cache_key}:{part}", compute)

    @cached_property
    def total(self) -> int:
        return self.cached_counts("total", lambda: self.qs.order_by().count())

    def total_beside_facets(self) -> int:
        """How many results, for a page that shows the facets: read off their counts when it can be.

        A facet with one value a row and none of its values chosen is counted over exactly the listed
        rows, so its query sums its groups as it counts them (``rows_counted``), cut short or not.
        Failing that, a facet that counts every result once (``FacetFilter.counts_each_row_once``)
        adds up to the results over its chosen values (it is counted without its own filter, and a
        row has only one value). Counting the results again would scan them a second time, a tenth
        of a second over a million statements, and one more query than a list page may make.
        """
        for result in self.facets:
            if result.rows_counted is not None:
                return result.rows_counted
        model = self.queryset.model
        for result in self.facets:
            if result.selected and self.facet_filters[result.name].counts_each_row_once(model):
                return sum(option.count for option in result.selected)
        return self.total

    @cached_property
    def facets(self) -> list[FacetResult]:
        results = self.cached_counts("facets", self._count_facets)
        # A facet lists its ARCHIVE_FACET_SHOWN values with most results, and any chosen value beyond
        # them (so that it can be removed), until its "Show more" link is followed: then all it counted.
        shown = settings.ARCHIVE_FACET_SHOWN
        expanded = set(self.data.getlist(SHOW_MORE_PARAM))
        for facet in results:
            if facet.name in expanded or len(facet.options) <= shown:
                facet.listed = facet.options
            else:
                facet.listed = facet.options[:shown] + [option for option in facet.options[shown:] if option.selected]
                more = [*self.data.getlist(SHOW_MORE_PARAM), facet.name]
                facet.more_query = query_with(self.data, **{SHOW_MORE_PARAM: more})
            toggle = self.toggler(facet.name)
            for option in facet.listed:
                option.query = toggle(option.value)
            if facet.truncated and facet.find_url_name:
                facet.find_url = record_path(facet.find_url_name)  # reversed once per script prefix
        return results

    def _count_facets(self) -> list[FacetResult]:
        """Each facet in one query at most, none when what it needs is kept.

        A facet's counts depend on the other facets' filters, not its own, so its top values are kept
        by the state of the others (``_facet_top_key``) as well as with the page's counts: the first
        visit to "one speaker's statements" finds the speaker facet's top values as the unfiltered
        list counted them (warmed in the background), and asks only for the chosen speaker's count if
        it is not among them, not for a million statements grouped again.
        """
        limit = settings.ARCHIVE_FACET_LIMIT
        results = []
        for name, facet in self.facet_filters.items():
            selected = list(self.form.cleaned_data.get(name) or [])
            queryset = self.queryset_without(name)
            key = self._facet_top_key(name, limit)
            top = cache.get(key)
            if top is None or not facet.tells_what_is_left_out(top, selected, limit):
                fetched = facet.fetch(queryset, selected, self.queryset, limit)
                if top is None:
                    top = facet.top_of(fetched, limit)
                    cache.set(key, top, timeout=settings.ARCHIVE_FACET_CACHE_SECONDS)
            elif selected and not facet.holds(top, selected):
                fetched = facet.fetch(queryset, selected, self.queryset, limit, only_chosen=True)
            else:
                fetched = []
            options, truncated, rows_counted = facet.options_from(top, fetched, selected, limit)
            results.append(
                FacetResult(
                    name=name,
                    label=facet.label,
                    options=options,
                    truncated=truncated,
                    rows_counted=rows_counted,
                    find_url_name=facet.find_url_name,
                )
            )
        return results

    def toggled_query(self, name: str, value) -> str:
        """The current query string with one facet value added or removed, the place in the list dropped."""
        return self.toggler(name)(value)

    def toggler(self, name: str):
        """A function giving the toggled query string for each value of one facet.

        The parameters around the facet's own are encoded once, not once per
        link: a list page has hundreds of these links.
        """
        before, after, seen = [], [], False
        for key, values in self.data.lists():
            if key == name:
                seen = True
            elif key not in PLACE_IN_LIST:
                (after if seen else before).extend((key, item) for item in values)
        before_text, after_text = encode_pairs(before), encode_pairs(after)
        # From the cleaned values, so "year=02018" is removed by the link for 2018.
        current = list(self.form.cleaned_data.get(name) or [])

        key = quoted(name)

        def pair(value) -> str:
            # encode_pairs' "name=value" for one value, the name quoted once for the facet's links.
            return f"{key}={quoted(str(value))}"

        chosen_now = "&".join(map(pair, current))

        def toggled(value) -> str:
            if value in current:
                own = "&".join(pair(v) for v in current if v != value)
            else:  # most links: one more value after those chosen
                own = f"{chosen_now}&{pair(value)}" if chosen_now else pair(value)
            encoded = "&".join(part for part in (before_text, own, after_text) if part)
            return f"?{encoded}" if encoded else "?"

        return toggled

    def canonical_params(self, *, include_sort: bool = False) -> list[tuple[str, list[str]]]:
        """The filters as (parameter, values), in a stable order: parameters and values sorted.

        Two addresses that show the same list ("?b=2&a=1", "?a=1&b=2&b=2", "?year=02019") have one
        canonical form, used for <link rel=canonical>, feeds and export permalinks.
        """
        if not self.is_bound or not self.is_valid():
            return []
        params = []
        for name, value in self.form.cleaned_data.items():
            if not value or (isinstance(self.filters[name], SortFilter) and not include_sort):
                continue
            values = [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]
            if not isinstance(self.filters[name], SortFilter):
                values = sorted(values)
            params.append((name, values))
        return sorted(params)

    def canonical_query(self, *, include_sort: bool = False) -> str:
        pairs = [(name, value) for name, values in self.canonical_params(include_sort=include_sort) for value in values]
        return f"?{encode_pairs(pairs)}" if pairs else ""

    @property
    def selected_count(self) -> int:
        """How many values are chosen, a search counting as one: deep combinations are not indexed."""
        return sum(len(values) for _, values in self.canonical_params())

    def facets_as_json(self) -> dict:
        return {facet.name: [option.as_json() for option in facet.options] for facet in self.facets}

    @property
    def active_filters(self) -> list[tuple[str, FacetOption]]:
        return [(facet.label, option) for facet in self.facets for option in facet.selected]
