"""Whole public pages, kept per archive revision for visitors who are not signed in.

Most requests to a public archive are the same few pages asked again: the lists, a shared
filtered link, an article someone posted. Their counts and keys are already cached per filter
state (``facets.cached_counts``); rendering the page still costs most of a request. A page is
therefore kept whole, under its address and the archive's revision number, which every write to
the archive raises (database triggers, in the writer's transaction): after a change, whichever
process made it, no request can read a page made before it. A page is never stale; an old
revision's pages just go unused until the cache drops them.

Only what any visitor would be shown is kept: GET requests without a session or messages cookie
(staff, who can preview drafts, always get a freshly made page), answers of 200 that set no
cookie, use no CSRF token, write no session, vary on no cookie, are not streamed (downloads) and
do not ask not to be stored. Headers
added per request (the request id, the log line) come from middleware outside this one.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import MiddlewareNotUsed
from django.utils.cache import cc_delim_re, patch_vary_headers

from archive.models import ArchiveRevision

PAGE_CACHE = "pages"
# Addresses that must always be computed: the admin (signed-in staff), the health check (it tests
# the database), and the login form.
NEVER_KEPT = ("/admin/", "/healthz", "/accounts/")


class VisitorPageCacheMiddleware:
    def __init__(self, get_response):
        if not settings.ARCHIVE_PAGE_CACHE:
            raise MiddlewareNotUsed("ARCHIVE_PAGE_CACHE is off")
        self.get_response = get_response

    def __call__(self, request):
        if not self.may_serve_from_cache(request):
            return self.get_response(request)
        key = self.key(request)
        cache = caches[PAGE_CACHE]
        response = cache.get(key)
        if response is not None:
            # As a freshly made page says (the view reads the session to know who is asking), so
            # that no shared HTTP cache hands this page to someone signed in.
            patch_vary_headers(response, ["Cookie"])
            return response
        response = self.get_response(request)
        if self.may_keep(request, response):
            cache.set(key, response)
        return response

    @staticmethod
    def may_serve_from_cache(request) -> bool:
        return (
            request.method == "GET"
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and "messages" not in request.COOKIES  # django.contrib.messages' cookie storage
            and not request.path.startswith(NEVER_KEPT)
        )

    @staticmethod
    def may_keep(request, response) -> bool:
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        # A page holding a CSRF token, or one that wrote to a session, is this visitor's alone.
        session = getattr(request, "session", None)
        if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") or (session is not None and session.modified):
            return False
        vary = {header.strip().lower() for header in cc_delim_re.split(response.get("Vary", "")) if header}
        cache_control = response.get("Cache-Control", "").lower()
        return (
            "cookie" not in vary
            and "*" not in vary
            and "no-store" not in cache_control
            and ("private" not in cache_control)
        )

    @staticmethod
    def key(request) -> str:
        # The absolute address: host and scheme appear in canonical links, feeds and JSON-LD.
        address = hashlib.blake2b(request.build_absolute_uri().encode(), digest_size=16).hexdigest()
        # Read here first, once a request: the counts and kept lists the page is made of use the same number.
        return f"archive:page:{ArchiveRevision.of_request(request)}:{address}"
