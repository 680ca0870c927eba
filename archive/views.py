import hashlib

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject
from django.views import View

from archive import exports, keyset
from archive.facets import kept
from archive.paths import query_with, record_path
from archive.prepared import PreparedQuery


class ArchivePaginator(Paginator):
    """Pages that cost the same at page 1 and page 2,500.

    It is told its count (which the FilterSet may have cached) instead of
    counting again, and it finds a page's rows late: the database sorts and
    skips primary keys only, and the columns a page shows (joined names,
    snippets, aggregated details) are computed for that page's rows alone.
    """

    def __init__(self, *args, count: int, cached=None, fetch_rows=None, decorate=None, ordered_like=None, **kwargs):
        # ordered_like: a queryset in the list's order, built more cheaply than the list (when the
        # list itself is given lazily, to be built only if a page's keys must be found).
        self.ordered_like = ordered_like
        super().__init__(*args, **kwargs)
        if self.ordered_like is None:
            self.ordered_like = self.object_list
        # decorate(queryset): the rows with what the page shows of them, applied only to the
        # queries that read a page's rows (not to those that sort, seek or count keys).
        self.decorate = decorate or (lambda queryset: queryset)
        self.count = count
        # cached(part, compute): the FilterSet's per-revision cache, for the page's keys.
        self.cached = cached
        # fetch_rows(keys): the rows with these keys, in any order, or None (then read through the list).
        self.fetch_rows = fetch_rows
        # The list's order as plain columns, when it can be paged by keyset (archive/keyset.py).
        self.terms = keyset.ordering_terms(self.ordered_like)

    def _check_object_list_is_ordered(self):
        # Checked on the stand-in, which has the list's order, so that a lazy list stays unbuilt.
        object_list = self.object_list
        self.object_list = self.ordered_like
        try:
            super()._check_object_list_is_ordered()
        finally:
            self.object_list = object_list

    def page(self, number, *, after: str | None = None, before: str | None = None):
        """Page ``number``: sought from a cursor when the link that asked for it carried one."""
        number = self.validate_number(number)
        cursor = after or before
        values = keyset.decode(cursor, self.terms, self.ordered_like.model) if self.terms and number > 1 else None
        page = None
        if values is not None:
            page = self._sought_page(number, values, cursor, backwards=not after)
        if page is None:
            page = self._numbered_page(number)
        page.object_list = list(page.object_list)
        if self.terms and page.object_list:
            # The Next and Previous links seek from this page's last and first rows.
            page.next_cursor = keyset.encode(page.object_list[-1], self.terms)
            page.previous_cursor = keyset.encode(page.object_list[0], self.terms)
        else:
            page.next_cursor = page.previous_cursor = None
        return page

    def _sought_page(self, number, values, cursor: str, *, backwards: bool):
        """The page after (or before) the cursor's row, or None if nothing is there (a stale cursor)."""

        def seek_and_fetch():
            keys = []
            for part in keyset.seek(self.object_list.order_by(), self.terms, values, backwards=backwards):
                keys += part.values_list("pk", flat=True)[: self.per_page - len(keys)]
                if len(keys) >= self.per_page:
                    break
            return keys[::-1] if backwards else keys

        ordering = keyset.fingerprint(self.terms)
        direction = "before" if backwards else "after"
        if self.cached is None:
            keys = seek_and_fetch()
        else:
            spot = hashlib.blake2b(cursor.encode(), digest_size=8).hexdigest()
            keys = self.cached(f"seek:{ordering}:{self.per_page}:{direction}:{spot}", seek_and_fetch)
        if not keys:
            return None
        return self._get_page(self._rows_in_order(keys), number, self)

    def _rows_in_order(self, page_keys):
        """A page's rows, fetched by key without sorting (no ranking computed), put in the page's order."""
        rows = self.fetch_rows(page_keys) if self.fetch_rows else None
        if rows is None:
            rows = self.decorate(self.object_list.order_by())
            rows = rows.having_keys(page_keys) if hasattr(rows, "having_keys") else rows.filter(pk__in=page_keys)
        return in_order_of(page_keys, rows)

    def _numbered_page(self, number):
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)

        def sorted_rows():
            if self.terms and bottom > self.count - top:
                # Nearer the end than the start (Last, say): counted back from the end in the reversed
                # order, the database skips fewer rows; the rows come out in the list's order below.
                # (Spelled out from the terms: Django's reverse() leaves a related model's ordering as is.)
                backwards = self.object_list.order_by(*keyset.ordering(self.terms, backwards=True))
                keys = backwards.values("pk")[self.count - top : self.count - bottom]
            else:
                keys = self.object_list.values("pk")[bottom:top]
            return self.decorate(self.object_list.filter(pk__in=models.Subquery(keys)))

        if self.cached is None:
            return self._get_page(sorted_rows(), number, self)
        # Sorting a large result (by relevance, say) costs more than showing a page of it: the
        # keys of a page are kept with the counts, so the same page asked for again sorts nothing.
        fetched = None

        def sort_and_fetch():
            nonlocal fetched
            fetched = list(sorted_rows())
            return [row.pk for row in fetched]

        ordering = hashlib.blake2b(repr(self.ordered_like.query.order_by).encode(), digest_size=8).hexdigest()
        page_keys = self.cached(f"page:{ordering}:{self.per_page}:{number}", sort_and_fetch)
        if fetched is not None:
            return self._get_page(fetched, number, self)
        return self._get_page(self._rows_in_order(page_keys), number, self)


class RowsByKey:
    """Rows read by primary key through a prepared query (archive/prepared.py), compiled once per size.

    Once a page's keys are known (cached with the counts), building and compiling its queryset again
    was a fifth of a filtered list page's time. ``rows()`` gives the rows with what the page shows of
    them (joined relations, the fields it reads), unfiltered: the keys were chosen already. Called with
    no keys, or more than the largest size (no page shows so many), it gives None, and the caller reads
    them otherwise.

    A query is compiled for a few sizes only, the keys padded to the next one by repeating the last:
    on PostgreSQL each is a statement prepared on every connection, and psycopg keeps at most 100 of
    them a connection; one per number of keys, for every list and detail page, would keep it
    preparing statements and throwing them away.
    """

    SIZES = (1, 2, 5, 10, 20, 50, 100)

    def __init__(self, rows):
        self.rows = rows
        self.prepared: dict[int, PreparedQuery] = {}

    def __call__(self, keys) -> list | None:
        if not keys or len(keys) > self.SIZES[-1]:
            return None
        size = next(size for size in self.SIZES if size >= len(keys))
        query = self.prepared.get(size)
        if query is None:
            query = PreparedQuery(lambda *markers: self.rows().filter(pk__in=markers), *[int] * size)
            self.prepared[size] = query
        return query(*keys, *[keys[-1]] * (size - len(keys)))


def in_order_of(keys, rows) -> list:
    """The rows, in the order of their keys."""
    position = {key: index for index, key in enumerate(keys)}
    return sorted(rows, key=lambda row: position[row.pk])


# Detail pages list at most this many related items, and link to the full, filterable list.
DETAIL_LIST_LIMIT = 50


def kept_for_revision(request, key: str, compute):
    """``compute()``, kept per archive revision: never read again once anything in the archive changed."""
    from archive.models import ArchiveRevision

    return kept(f"archive:kept:{ArchiveRevision.of_request(request)}:{key}", compute)


def first_and_total(request, key: str, first_rows, count, rows_by_key: RowsByKey) -> tuple[list, int]:
    """The first rows of a record's related list, and how many there are in all, whatever their number.

    Finding them sorts and counts the whole list: an authority's 80,000 statements, a prolific
    speaker's 68,000, hundreds of milliseconds at 100k articles on every visit. Their keys and the
    total are kept per archive revision (as a list page's counts are), so once found, a page reads
    its rows by key and counts nothing. ``key`` names the record and the list; ``first_rows()``
    gives the first rows, in order; ``count(n)`` the total, given that ``n`` rows came first.
    """
    found = None

    def find():
        nonlocal found
        found = list(first_rows())
        return [row.pk for row in found], count(len(found))

    keys, total = kept_for_revision(request, key, find)
    if found is None:
        rows = rows_by_key(keys) if keys else []
        found = in_order_of(keys, rows) if rows is not None else list(first_rows())
    return found, total


def first_and_total_of(request, key: str, queryset, rows_by_key: RowsByKey) -> tuple[list, int]:
    """``first_and_total`` of ``queryset()``: its first DETAIL_LIST_LIMIT rows; counted only if there may be more.

    ``queryset`` is a function making it, called only when the list's keys are not kept: building a
    filtered queryset costs a third of a millisecond, which a page made of kept keys need not spend.
    """
    limit = DETAIL_LIST_LIMIT
    return first_and_total(
        request,
        f"{key}:{limit}",
        lambda: queryset()[:limit],
        lambda shown: shown if shown < limit else queryset().count(),
        rows_by_key,
    )


class BadPage(Exception):
    """A page number that is not a positive whole number or "last"."""


class FacetedListView(View):
    """A list narrowed by a FacetedFilterSet, as an HTML page or as JSON.

    Subclasses give the public queryset, the FilterSet, the template, how to
    load a page's rows with their relations in bulk (``decorate``) and how one
    row reads in JSON (``result_as_json``).
    """

    filterset_class = None
    template_name = None
    title = ""
    page_size = None

    def get_queryset(self):
        raise NotImplementedError

    def decorate(self, queryset, filterset):
        """The page's rows with what they show: relations loaded in bulk, search snippets."""
        return queryset

    # A classmethod giving what a page's rows are read from once their keys are known: the public
    # rows with what ``decorate`` adds for a page without a search, and none of the filters (the
    # keys were chosen by them). A list whose rows need more than one query (a prefetch) or depend
    # on the request leaves it None and reads them through its FilterSet.
    page_rows = None
    _rows_by_key: dict[type, RowsByKey] = {}

    def rows_fetcher(self, filterset):
        """fetch(keys) → the rows with these keys, through a prepared query; None where there is none."""
        if filterset.search_text or self.page_rows is None:
            return None
        view = type(self)
        if view not in self._rows_by_key:
            self._rows_by_key[view] = RowsByKey(view.page_rows)
        return self._rows_by_key[view]

    def result_as_json(self, obj) -> dict:
        raise NotImplementedError

    # The columns of a download, in order: the keys of result_as_json, and the row's address.
    export_columns: list[str] = []
    # The name of the Atom feed of this list (it takes the same filters), if it has one.
    feed_url_name = ""
    # More chosen values than this (a search counting as one) and the page asks not to be indexed.
    INDEXED_SELECTIONS = 1

    def get(self, request, *args, **kwargs):
        output = request.GET.get("format", "html")
        if output not in {"html", "json"}:
            return HttpResponseBadRequest("format must be html or json.", content_type="text/plain")
        download = request.GET.get("download")
        if download not in (None, "csv", "json"):
            return HttpResponseBadRequest("download must be csv or json.", content_type="text/plain")
        filterset = self.filterset_for(request)
        if not filterset.is_valid():
            return self.invalid(request, filterset, output)
        if download:
            return self.download(request, filterset, download)
        paginator = self.paginator_for(filterset)
        try:
            number = self.page_number(request.GET.get("page"), paginator)
        except BadPage:
            return self.invalid(request, filterset, output, page_error="The page must be a whole number from 1.")
        if number > paginator.num_pages:
            return self.invalid(
                request, filterset, output, status=404, page_error=f"There are only {paginator.num_pages} pages."
            )
        # A Next or Previous link carries a cursor: that page is sought from it (archive/keyset.py).
        page = paginator.page(number, after=request.GET.get("after"), before=request.GET.get("before"))
        if output == "json":
            return JsonResponse(self.as_json(request, filterset, page), json_dumps_params={"ensure_ascii": False})
        context = {
            "filter": filterset,
            "page_obj": page,
            "title": self.title,
            "results": page.object_list,
            "canonical_url": request.build_absolute_uri(request.path + filterset.canonical_query()),
            "noindex": filterset.selected_count > self.INDEXED_SELECTIONS,
            "feed_url": self.feed_url(filterset),
            "downloads": self.export_columns
            and {
                "csv": self.download_url(request, "csv"),
                "json": self.download_url(request, "json"),
            },
        }
        return render(request, self.template_name, context)

    def filterset_for(self, request):
        return self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)

    def paginator_for(self, filterset) -> ArchivePaginator:
        return ArchivePaginator(
            # The filtered list is built only if a page's keys are not cached; its order is known
            # without it (FacetedFilterSet.ordered_queryset).
            SimpleLazyObject(lambda: filterset.qs),
            self.page_size or settings.ARCHIVE_PAGE_SIZE,
            ordered_like=filterset.ordered_queryset(),
            count=filterset.total_beside_facets(),
            cached=filterset.cached_counts,
            fetch_rows=self.rows_fetcher(filterset),
            decorate=lambda queryset: self.decorate(queryset, filterset),
        )

    # Facets each of whose values is also warmed as a list of its own (archive/warming.py): a facet of
    # a handful of values, each of which narrows the list least and so is counted longest on a first
    # visit (the statements of one kind: a second at a million statements).
    warmed_facets: tuple[str, ...] = ()

    @classmethod
    def warmed_states(cls) -> list[dict[str, str]]:
        """The filtered states warmed beside the unfiltered list: each value of each warmed facet alone."""
        return [
            {name: value}
            for name in cls.warmed_facets
            for value in cls.filterset_class.base_filters[name].choices.values
        ]

    def warm(self, request) -> None:
        """Compute and keep what the request's page is made of (counts, the page's keys), rendering nothing.

        archive/warming.py runs it for the unfiltered lists in the background, so that no visitor
        waits for their counts after a write or in a newly started process.
        """
        filterset = self.filterset_for(request)
        if filterset.is_valid():
            self.paginator_for(filterset).page(1)

    def feed_url(self, filterset) -> str:
        if not self.feed_url_name:
            return ""
        return record_path(self.feed_url_name) + filterset.canonical_query()

    @staticmethod
    def download_url(request, kind: str) -> str:
        return query_with(request.GET, page=None, format=None, download=kind)

    def export_row(self, obj, request) -> dict:
        row = self.result_as_json(obj)
        row.pop("snippet", None)
        return row | {"url": request.build_absolute_uri(obj.get_absolute_url())}

    def download(self, request, filterset, kind: str):
        """Every row of the filtered list, streamed in the list's order."""
        if not self.export_columns:
            return HttpResponseBadRequest("This list has no download.", content_type="text/plain")
        rows_queryset = self.decorate(filterset.qs, filterset)
        rows = (self.export_row(obj, request) for obj in rows_queryset.iterator(chunk_size=exports.CHUNK))
        permalink = request.build_absolute_uri(request.path + filterset.canonical_query(include_sort=True))
        if kind == "csv":
            return exports.csv_response(
                title=self.title, filterset=filterset, permalink=permalink, columns=self.export_columns, rows=rows
            )
        return exports.json_response(
            title=self.title, filterset=filterset, permalink=permalink, count=filterset.total, rows=rows
        )

    @staticmethod
    def page_number(raw, paginator) -> int:
        if raw in (None, ""):
            return 1
        if raw == "last":
            return paginator.num_pages
        if not raw.isascii() or not raw.isdigit() or len(raw) > 30 or int(raw) < 1:
            raise BadPage
        return int(raw)

    def invalid(self, request, filterset, output, *, status=400, page_error=None):
        errors = dict(filterset.errors.items())
        if page_error:
            errors["page"] = [page_error]
        messages = {field: [str(message) for message in field_errors] for field, field_errors in errors.items()}
        if output == "json":
            return JsonResponse({"errors": messages}, status=status)
        context = {"title": self.title, "errors": messages, "list_url": request.path}
        return render(request, "list_error.html", context, status=status)

    def as_json(self, request, filterset, page) -> dict:
        def link(number, **cursor):
            query = request.GET.copy()
            query["page"] = number
            query["format"] = "json"
            for name in ("after", "before"):
                query.pop(name, None)
                if cursor.get(name):
                    query[name] = cursor[name]
            return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

        return {
            "count": page.paginator.count,
            "results": [
                self.result_as_json(obj) | {"url": request.build_absolute_uri(obj.get_absolute_url())} for obj in page
            ],
            "facets": filterset.facets_as_json(),
            "next": link(page.next_page_number(), after=page.next_cursor) if page.has_next() else None,
            "previous": link(page.previous_page_number(), before=page.previous_cursor) if page.has_previous() else None,
        }
