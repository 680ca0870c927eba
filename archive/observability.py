"""Health and request logging for the processes behind a load balancer."""

from __future__ import annotations

import json
import logging
import time
import uuid

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

request_log = logging.getLogger("archive.requests")


@never_cache
@require_safe
def healthz(request):
    """200 when this process can reach its database, 503 when not: what a load balancer asks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT number FROM archive_archiverevision WHERE id = 1")
            revision = cursor.fetchone()[0]
    except DatabaseError as error:
        return JsonResponse({"status": "error", "database": type(error).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": "ok", "revision": revision})


class RequestLogMiddleware:
    """One structured (JSON) line per request: what was asked, the answer, how long it took.

    Each request gets an id, echoed in the X-Request-ID response header so a report of a
    failure can be found in the log. Query strings are logged, bodies and cookies never.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = uuid.uuid4().hex
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        user = getattr(request, "user", None)
        request_log.info(
            "request",
            extra={
                "event": {
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "query": request.META.get("QUERY_STRING", "")[:500],
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                    "remote_addr": request.META.get("REMOTE_ADDR"),
                }
            },
        )
        return response


class JsonLineFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
        }
        line |= getattr(record, "event", None) or {"message": record.getMessage()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
