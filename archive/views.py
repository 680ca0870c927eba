import hashlib

from django.conf import settings
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from archive import exports


class ArchivePaginator(Paginator):
    """Pages that cost the same at page 1 and page 2,500.

    It is told its count (which the FilterSet may have cached) instead of
    counting again, and it finds a page's rows late: the database sorts and
    skips primary keys only, and the columns a page shows (joined names,
    snippets, aggregated details) are computed for that page's rows alone.
    """

    def __init__(self, *args, count: int, cached=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = count
        # cached(part, compute): the FilterSet's per-revision cache, for the page's keys.
        self.cached = cached

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        keys = self.object_list.values("pk")[bottom:top]
        sorted_rows = self.object_list.filter(pk__in=models.Subquery(keys))
        if self.cached is None:
            return self._get_page(sorted_rows, number, self)
        # Sorting a large result (by relevance, say) costs more than showing a page of it: the
        # keys of a page are kept with the counts, so the same page asked for again sorts nothing.
        fetched = None

        def sort_and_fetch():
            nonlocal fetched
            fetched = list(sorted_rows)
            return [row.pk for row in fetched]

        ordering = hashlib.blake2b(repr(self.object_list.query.order_by).encode(), digest_size=8).hexdigest()
        page_keys = self.cached(f"page:{ordering}:{self.per_page}:{number}", sort_and_fetch)
        if fetched is not None:
            return self._get_page(fetched, number, self)
        # The order is known: the rows are fetched unsorted (no ranking computed) and put in it here.
        rows = self.object_list.order_by()
        rows = rows.having_keys(page_keys) if hasattr(rows, "having_keys") else rows.filter(pk__in=page_keys)
        position = {key: index for index, key in enumerate(page_keys)}
        return self._get_page(sorted(rows, key=lambda row: position[row.pk]), number, self)


# Detail pages list at most this many related items, and link to the full, filterable list.
DETAIL_LIST_LIMIT = 50


def first_and_total(queryset) -> tuple:
    """The first DETAIL_LIST_LIMIT rows of a related list, and how many there are in all."""
    return queryset[:DETAIL_LIST_LIMIT], queryset.count()


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
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            return self.invalid(request, filterset, output)
        if download:
            return self.download(request, filterset, download)
        paginator = ArchivePaginator(
            self.decorate(filterset.qs, filterset),
            self.page_size or settings.ARCHIVE_PAGE_SIZE,
            count=filterset.total,
            cached=filterset.cached_counts,
        )
        try:
            number = self.page_number(request.GET.get("page"), paginator)
        except BadPage:
            return self.invalid(request, filterset, output, page_error="The page must be a whole number from 1.")
        if number > paginator.num_pages:
            return self.invalid(
                request, filterset, output, status=404, page_error=f"There are only {paginator.num_pages} pages."
            )
        page = paginator.page(number)
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

    def feed_url(self, filterset) -> str:
        if not self.feed_url_name:
            return ""
        return reverse(self.feed_url_name) + filterset.canonical_query()

    @staticmethod
    def download_url(request, kind: str) -> str:
        query = request.GET.copy()
        for name in ("page", "format"):
            query.pop(name, None)
        query["download"] = kind
        return f"?{query.urlencode()}"

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
        def link(number):
            query = request.GET.copy()
            query["page"] = number
            query["format"] = "json"
            return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

        return {
            "count": page.paginator.count,
            "results": [
                self.result_as_json(obj) | {"url": request.build_absolute_uri(obj.get_absolute_url())} for obj in page
            ],
            "facets": filterset.facets_as_json(),
            "next": link(page.next_page_number()) if page.has_next() else None,
            "previous": link(page.previous_page_number()) if page.has_previous() else None,
        }
