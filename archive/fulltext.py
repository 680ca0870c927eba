"""ORM pieces for the search indexes the migrations create (see archive.search for the queries)."""

import secrets

from django.db import connections, models
from django.db.models import BooleanField, FloatField, Lookup, TextField
from django.db.models.expressions import RawSQL

from archive.search import (
    MARK_END,
    MARK_START,
    PG_CONFIG,
    PG_JOINER_STAND_INS,
    PG_JOINERS,
    SearchQuery,
    parse,
)


class FTS5MatchField(TextField):
    """FTS5's hidden column named after its table: ``<table> MATCH '<query>'`` searches every column."""


@FTS5MatchField.register_lookup
class FullTextMatch(Lookup):
    lookup_name = "fts"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", [*lhs_params, *rhs_params]


class OwnTableSQL(RawSQL):
    """Raw SQL in which ``{table}`` stands for the model's own table under the alias the query
    gives it: in a subquery of the same table Django renames it (U0), and a hard-coded table
    name would silently refer to the outer query instead."""

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"({self.sql.format(table=alias)})", self.params


def vendor_of(queryset) -> str:
    return connections[queryset.db].vendor


def as_query(query) -> SearchQuery:
    return query if isinstance(query, SearchQuery) else parse(query)


class SearchableQuerySet(models.QuerySet):
    """``.search(q)`` over an FTS5 index (SQLite) or a tsvector column (PostgreSQL).

    Subclasses name the SQLite index relation (an unmanaged model joined one to
    one), the snippet column, and the PostgreSQL vector column.
    """

    fts_relation = ""  # e.g. "search_index"
    fts_table = ""  # e.g. "articles_article_fts"
    snippet_column = 0  # FTS5 column index the snippet is cut from
    pg_vector = ""  # e.g. "{table}.search_vector"
    pg_snippet_source = ""  # e.g. "{table}.body"

    def search(self, query):
        parsed = as_query(query)
        if not parsed:
            return self
        if vendor_of(self) == "postgresql":
            return self._search_postgresql(parsed)
        return self._search_sqlite(parsed)

    def _search_sqlite(self, parsed):
        queryset = self
        if parsed.include:
            # An alias, not an annotation: the rank is computed only where it sorts, never for a
            # page of rows that is already known (bm25 reads statistics of the whole index).
            queryset = queryset.filter(**{f"{self.fts_relation}__match__fts": parsed.fts5()}).alias(
                search_rank=models.F(f"{self.fts_relation}__rank")
            )
        if parsed.exclude:
            index = self.model._meta.get_field(self.fts_relation).related_model
            excluded = index.objects.filter(match__fts=parsed.fts5_excluded()).values("pk")
            queryset = queryset.exclude(pk__in=excluded)
        return queryset

    def _pg_term_match(self, term) -> tuple[str, list]:
        """SQL true for a row that has one term: here in its vector (statements add the speaker)."""
        sql, params = SearchQuery.pg_tsquery(term)
        return f"{self.pg_vector} @@ {sql}", params

    def _pg_condition(self, parsed):
        """Every included term and none of the excluded ones, as on SQLite, asked of each term on
        its own: a term may be found wherever the subclass looks (a statement's words or its
        speaker's name), and an excluded one nowhere. One tsquery of all the terms would ask
        this of a single vector, where an exclusion cannot reach the speaker's name.

        The configuration keeps every word, so a term is in a vector if the text has it. A word
        PostgreSQL's parser reads as no word at all ("²", which FTS5 indexes as a digit) gives an
        empty tsquery, which matches no row: as on SQLite, where no row has it, it then finds
        nothing and excludes nothing.
        """
        parts, params = [], []
        for term in parsed.include:
            sql, term_params = self._pg_term_match(term)
            parts.append(f"({sql})")
            params += term_params
        for term in parsed.exclude:
            sql, term_params = self._pg_term_match(term)
            parts.append(f"NOT ({sql})")
            params += term_params
        return " AND ".join(parts), params

    def _search_postgresql(self, parsed):
        sql, params = self._pg_condition(parsed)
        queryset = self.filter(OwnTableSQL(sql, params, output_field=BooleanField()))
        if parsed.include:
            query_sql, query_params = parsed.included_tsquery()
            queryset = queryset.alias(
                search_rank=OwnTableSQL(
                    f"-ts_rank({self.pg_vector}, {query_sql})", query_params, output_field=FloatField()
                )
            )
        return queryset

    def by_relevance(self):
        """Best match first (bm25 and negated ts_rank both sort ascending); needs .search() first."""
        if "search_rank" not in self.query.annotations:
            return self
        return self.order_by("search_rank", "pk")

    def having_keys(self, keys):
        """These rows only (a page whose keys are known), found by key rather than by scanning matches."""
        queryset = self.filter(pk__in=keys)
        if "search_rank" in self.query.annotations and vendor_of(self) != "postgresql":
            # Constrained on the FTS5 table's rowid as well, FTS5 looks each row up; constrained on
            # the article's key alone, SQLite reads every match first.
            queryset = queryset.filter(**{f"{self.fts_relation}__pk__in": keys})
        return queryset

    def with_snippets(self, query):
        """Annotate ``search_snippet``: a passage with the matches between MARK_START and MARK_END.

        Stored text may itself hold the marker characters, and would then read as marks (unbalanced
        ones, too). So the engine marks matches with tokens made for this query, which no stored
        text can know; then the marker characters are removed from the passage, and only then do
        the tokens become markers.

        PostgreSQL's vectors were made of the text split at all punctuation, as FTS5 splits it, but
        ts_headline parses the text as it is, where "2016-17" is 2016 and -17 and "ofsted.gov.uk" is
        one word: no match there would be found in the passage. So the characters the parser joins
        words with are replaced by control characters, which it splits at (any already in the
        text are removed first), and put back in the passage it returns.
        """
        parsed = as_query(query)
        if not parsed.include:
            return self
        token = secrets.token_hex(16)
        opening, closing = f"{token}o", f"{token}c"
        if vendor_of(self) == "postgresql":
            sql, params = parsed.included_tsquery()
            options = f"StartSel={opening}, StopSel={closing}, MaxWords=35, MinWords=15, MaxFragments=1"
            split = f"translate(translate({self.pg_snippet_source}, %s, ''), %s, %s)"
            marked = f"translate(ts_headline(%s::regconfig, {split}, {sql}, %s), %s, %s)"
            stand_ins = [PG_JOINER_STAND_INS, PG_JOINERS, PG_JOINER_STAND_INS]
            marked_params = [PG_CONFIG, *stand_ins, *params, options, PG_JOINER_STAND_INS, PG_JOINERS]
            expression = OwnTableSQL
        else:
            marked = f"snippet({self.fts_table}, %s, %s, %s, '…', 32)"
            marked_params = [self.snippet_column, opening, closing]
            expression = RawSQL
        unforged = f"replace(replace({marked}, %s, ''), %s, '')"
        as_markers = f"replace(replace({unforged}, %s, %s), %s, %s)"
        return self.annotate(
            search_snippet=expression(
                as_markers,
                [*marked_params, MARK_START, MARK_END, opening, MARK_START, closing, MARK_END],
                output_field=TextField(),
            )
        )
