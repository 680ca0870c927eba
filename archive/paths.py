"""Addresses of the archive's records, from a pattern reversed once rather than reversed each time.

A list or person page links to a few hundred records, and Django's ``reverse()`` looks the
pattern up, checks each argument against its converter and quotes it every time: a fifth of a
person page's time. Each detail page's pattern is reversed once per script prefix, with a marker
for each argument, and an address is that pattern with the markers replaced. Only arguments made
of slug characters (letters, digits, hyphens and underscores, which need no quoting and which the
slug and int converters accept) are put in this way; any other goes through ``reverse()``, which
quotes it or raises as it always does.
"""

import re
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import quote_plus

from django.urls import get_script_prefix, reverse

SLUG_CHARACTERS = re.compile(r"[-a-zA-Z0-9_]+")
_is_slug = SLUG_CHARACTERS.fullmatch
# Digits, so that every converter the detail pages use (slug, int) accepts the marker.
MARKER = "9{}0471138059"


@lru_cache(maxsize=64)
def _pieces(viewname: str, arity: int, prefix: str) -> tuple[str, ...]:
    """The reversed address split around its arguments: literal, argument, literal, …"""
    markers = [MARKER.format(index) for index in range(arity)]
    address = reverse(viewname, args=markers)
    pieces = re.split("|".join(map(re.escape, markers)), address) if markers else [address]
    if len(pieces) != arity + 1:
        raise ValueError(f"{viewname}: each argument must appear once in its address")
    return tuple(pieces)


# The script prefix, read once for a batch of addresses (see same_prefix), else None.
_batch_prefix: ContextVar[str | None] = ContextVar("record_path_prefix", default=None)


@contextmanager
def same_prefix():
    """Addresses made inside share one reading of the script prefix.

    Reading it (an asgiref Local) was half of what an address cost, and a person page makes a
    hundred. A block of code that makes addresses without handling a request in between cannot
    see the prefix change, so it is read once for the block.
    """
    token = _batch_prefix.set(get_script_prefix())
    try:
        yield
    finally:
        _batch_prefix.reset(token)


def record_path(viewname: str, *args) -> str:
    """``reverse(viewname, args=args)`` for a record's detail page, or a page that takes no arguments."""
    texts = [str(arg) for arg in args]
    for text in texts:
        if not _is_slug(text):
            return reverse(viewname, args=args)
    pieces = _pieces(viewname, len(texts), _batch_prefix.get() or get_script_prefix())
    if len(texts) == 1:  # most records' pages: one slug
        return f"{pieces[0]}{texts[0]}{pieces[1]}"
    parts = [pieces[0]]
    for text, literal in zip(texts, pieces[1:], strict=True):
        parts += [text, literal]
    return "".join(parts)


# The characters quote_plus never changes: text made only of them (slugs, years, most values) is its own quoting.
URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")


def quoted(text: str) -> str:
    """``quote_plus(text)``, without its calls for text it would leave as it is."""
    return text if URL_SAFE.fullmatch(text) else quote_plus(text)


def encode_pairs(pairs) -> str:
    """``urllib.parse.urlencode(pairs)`` for (name, value) pairs of text, the same string (a test holds the two
    to it): a list page encodes some eighty pairs into its links, nearly all needing no quoting, and urlencode's
    checks and quote_plus's three calls a string were a twentieth of the page's time."""
    return "&".join(f"{quoted(name)}={quoted(value)}" for name, value in pairs)


def query_with(query_dict, **changes) -> str:
    """The query string of ``query_dict`` (a QueryDict) with some parameters changed, as ``{% querystring %}``
    makes it: a value of None removes the parameter, an iterable (not a string) gives all its values,
    anything else its one value; a parameter already there keeps its place, a new one comes last.

    Django's tag, and ``QueryDict.copy()``, copy the parameters deeply for every link; here they are
    read into a plain dict of lists, and encoded as ``QueryDict.urlencode`` encodes them (a test holds
    the two to the same output). "" when there are no parameters before or after.
    """
    params = dict(query_dict.lists())
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        elif isinstance(value, Iterable) and not isinstance(value, str):
            params[key] = list(value)
        else:
            params[key] = [value]
    if not params and not query_dict:
        return ""
    return "?" + encode_pairs((key, str(value)) for key, values in params.items() for value in values)
