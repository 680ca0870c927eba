"""Addresses every page links to, reversed once per script prefix rather than on every page."""

from functools import lru_cache

from django.urls import get_script_prefix, reverse

# The header's links and the feeds detail pages offer: seven reverse() calls were a tenth of what
# an article page took to render.
SITE_PATHS = {
    "home": "home",
    "articles": "articles:article_list",
    "statements": "people:statement_list",
    "people": "people:person_list",
    "inspections": "articles:inspection_list",
    "authorities": "articles:authority_list",
    "publishers": "articles:publisher_list",
    "article_feed": "articles:article_feed",
    "statement_feed": "people:statement_feed",
}
# The lists the header links to, by URL name: the sitemap gives them, and archive/warming.py keeps them warm.
NAVIGATION_LISTS = tuple(
    SITE_PATHS[name] for name in ("articles", "statements", "people", "inspections", "authorities", "publishers")
)


@lru_cache(maxsize=16)
def _site_paths(prefix: str) -> dict[str, str]:
    return {name: reverse(viewname) for name, viewname in SITE_PATHS.items()}


def site_paths(request) -> dict:
    """``site_paths.articles`` and so on, for this request's script prefix."""
    return {"site_paths": _site_paths(get_script_prefix())}
