"""Downloads of exactly what a list shows: every row of it, with its filters, as CSV or JSON.

Both are streamed: rows are read from the database in chunks and written as
they come, so a hundred thousand rows never sit in memory. Each download opens
with what it is: the list, its filters, when it was made and the permalink of
the view, so a file found later says where it came from.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

CHUNK = 2000


class _Line:
    """A file-like object whose write returns the text, for csv.writer in a generator."""

    def write(self, value):
        return value


def cell(value) -> str:
    """One CSV cell: lists joined with "; ", mappings as "key: value" pairs, blanks for None."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{key}: {item}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return "; ".join(cell(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# Every character a reader may take for the end of a line: CR and LF, which csv readers and pandas
# split on, and the rest of what str.splitlines splits on (vertical tab, form feed, the separators).
LINE_BREAKS = re.compile(r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+")


def comment_line(text: str) -> str:
    """One line of the CSV's preamble: "#" first, and never more than one line, whatever it states.

    Written as is, not through csv.writer: the writer quotes a value holding a quote or a comma,
    and a line starting with '"' is not a comment to pandas' comment="#" or R's comment.char="#".
    A line break in a filter (a search for "a<newline>b") would end the comment and start a data
    row of the searcher's text, so every break becomes a space; the permalink states it exactly.
    """
    return "# " + LINE_BREAKS.sub(" ", text) + "\r\n"  # csv.writer's line ending, as the rows have


def describe_filters(filterset) -> dict[str, list[str]]:
    """The filters applied, by parameter, as the canonical query states them."""
    return {key: values for key, values in filterset.canonical_params(include_sort=True)}


def filename(title: str, extension: str) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return f"inspection-archive-{title.lower().replace(' ', '-')}-{stamp}.{extension}"


def csv_response(*, title, filterset, permalink, columns, rows: Iterable[dict]) -> StreamingHttpResponse:
    def lines() -> Iterator[str]:
        # Every cell quoted: readers told that "#" starts a comment (pandas' comment="#") end a row's
        # fields at a "#" outside quotes, and "Ward #3" would be read as "Ward " and a row cut short.
        writer = csv.writer(_Line(), quoting=csv.QUOTE_ALL)
        filters = describe_filters(filterset)
        stated = "; ".join(f"{key} = {', '.join(values)}" for key, values in filters.items()) or "none"
        # Lines starting with "#" before the header: most tools read them as comments
        # (pandas: comment="#"; R: comment.char="#"); the header row follows them.
        yield comment_line(f"Inspection Archive: {title}")
        yield comment_line(f"Filters: {stated}")
        yield comment_line(f"Exported: {timezone.now().isoformat(timespec='seconds')}")
        yield comment_line(f"Permalink: {permalink}")
        yield writer.writerow(columns)
        for row in rows:
            yield writer.writerow([cell(row.get(column)) for column in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(title, "csv")}"'
    return response


def json_response(*, title, filterset, permalink, count, rows: Iterable[dict]) -> StreamingHttpResponse:
    def pieces() -> Iterator[str]:
        head = {
            "title": f"Inspection Archive: {title}",
            "filters": describe_filters(filterset),
            "exported_at": timezone.now().isoformat(timespec="seconds"),
            "permalink": permalink,
            "count": count,
        }
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "results": ['
        for index, row in enumerate(rows):
            yield ("," if index else "") + "\n" + json.dumps(row, ensure_ascii=False)
        yield "\n]}\n"

    response = StreamingHttpResponse(pieces(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename(title, "json")}"'
    return response
