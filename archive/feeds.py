"""Atom feeds of any list, filtered as the list is: a saved search that tells you when something new arrives."""

from django.contrib.syndication.views import Feed
from django.core.exceptions import BadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

FEED_LENGTH = 50


class FilteredFeed(Feed):
    """The newest additions to a list, narrowed by the list's own filters (same parameters)."""

    feed_type = Atom1Feed
    filterset_class = None
    list_url_name = ""
    noun = ""  # "articles", "statements"

    def get_queryset(self):
        raise NotImplementedError

    def get_object(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        if not filterset.is_valid():
            problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items())
            raise BadRequest(f"This feed's filters are not valid: {problems}")
        return filterset

    def describe(self, filterset) -> str:
        parts = [f"{label}: {option.label}" for label, option in filterset.active_filters]
        if filterset.search_text:
            parts.append(f"search “{filterset.search_text}”")
        return "; ".join(parts)

    def title(self, filterset):
        described = self.describe(filterset)
        return f"Inspection Archive: new {self.noun}" + (f" ({described})" if described else "")

    def subtitle(self, filterset):
        return f"The {FEED_LENGTH} {self.noun} most recently added to the Inspection Archive that match this view."

    def link(self, filterset):
        return reverse(self.list_url_name) + filterset.canonical_query()

    def feed_url(self, filterset):
        return reverse(self.feed_url_name) + filterset.canonical_query()
