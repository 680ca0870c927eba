"""Hostile input, generated and fixed: no public URL ever answers 500 or more.

Every public URL is asked thousands of generated query strings (Hypothesis: known and unknown
keys, repeated keys, any Unicode including NUL and control characters, very long values) and a
fixed corpus of hostile values on every parameter it reads. The same runs on SQLite and on
PostgreSQL (where a NUL byte in a query parameter is a known 500 unless refused first).

CI (which sets CI=true) asks 1,000 generated query strings of each URL; a developer's run asks 150,
to keep `make test` quick. ARCHIVE_FUZZ_EXAMPLES overrides either.
"""

import os
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("ARCHIVE_FUZZ_EXAMPLES") or (1000 if os.environ.get("CI") else 150))
SEED = "sandwells-childrens-services-to-be-transferred-to-a-trust"
# Public URL → the parameters it reads.
PUBLIC = {
    "/": [],
    "/articles/": [
        "publisher",
        "year",
        "kind",
        "person",
        "judgement",
        "authority",
        "q",
        "sort",
        "page",
        "format",
        "download",
    ],
    "/statements/": ["speaker", "publisher", "year", "kind", "q", "sort", "page", "format", "download"],
    "/people/": ["organisation", "role", "kind", "q", "sort", "page", "format", "download"],
    "/inspections/": ["judgement", "kind", "year", "region", "authority", "area", "q", "sort", "page", "format"],
    "/authorities/": ["region", "latest", "status", "q", "sort", "page", "format", "download"],
    "/publishers/": ["kind", "q", "sort", "page", "format", "download"],
    "/articles/feed.atom": ["publisher", "year", "kind", "person", "judgement", "authority", "q"],
    "/statements/feed.atom": ["speaker", "publisher", "year", "kind", "q"],
    f"/articles/{SEED}/": ["cite"],
    f"/statements/{SEED}/1/": ["cite"],
    "/people/simon-hackett/": [],
    "/inspections/sandwell-2022-05-ilacs-standard/": [],
    "/authorities/sandwell/": [],
    "/publishers/localgov/": [],
    "/sitemap.xml": [],
    "/sitemap-articles.xml": ["p"],
    "/robots.txt": [],
    "/healthz": [],
}

HOSTILE = [
    "",
    " ",
    "\t",
    "\n",
    "\r\n",
    "\x00",
    "a\x00b",
    "\x00" * 10,
    "\x01\x02\x1f\x7f",
    "\ud800",
    "\udfff",
    "x\ud83d",
    "\ufeff",
    "\u202e\u200b\u200d",
    "\uffff",
    "😀" * 50,
    "Ⅻ",
    "２０１８",
    "١٢٣",
    "ß",
    "İ",
    "e\u0301",
    "x" * 60_000,
    "1" * 10_000,
    "-1",
    "0",
    "-0",
    "+1",
    "1.5",
    "1e309",
    "NaN",
    "Infinity",
    "-Infinity",
    str(10**30),
    str(-(10**30)),
    "9" * 40,
    "0x1F",
    "2018-13-45",
    "2018-02-30",
    "0000",
    "99999",
    "2018-1",
    "18",
    "' OR 1=1 --",
    "'; DROP TABLE articles_article; --",
    '" OR ""="',
    "1 UNION SELECT NULL--",
    "%",
    "%%",
    "_",
    "\\",
    "\\x00",
    "*",
    "NEAR(a b)",
    '"unbalanced',
    "a AND OR NOT b",
    "-",
    "--",
    "((((",
    "))))",
    "a:b",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{7*7}}",
    "${7*7}",
    "../../etc/passwd",
    "%00",
    "%2e%2e%2f",
    "last",
    "first",
    "none",
    "null",
    "undefined",
    "[]",
    "{}",
    "true",
]

ALL_KEYS = sorted({key for keys in PUBLIC.values() for key in keys} | {"unknown", "utm_source", "a[]", "page[1]"})


def encode(text: str) -> str:
    # As a browser would send it: UTF-8, percent-encoded; a lone surrogate goes as its raw bytes.
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def ask(client, url, pairs):
    query = "&".join(f"{encode(key)}={encode(value)}" for key, value in pairs)
    response = client.get(f"{url}?{query}" if query else url)
    if response.streaming:
        b"".join(response.streaming_content)  # a download's errors happen while it streams
    return response


def test_the_hostile_corpus_is_large_enough():
    assert len(HOSTILE) >= 60 and len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("url", list(PUBLIC))
def test_every_hostile_value_on_every_parameter_is_answered_without_a_server_error(url):
    client = Client()
    for key in PUBLIC[url] or ["q"]:
        for value in HOSTILE:
            response = ask(client, url, [(key, value)])
            assert response.status_code < 500, (url, key, repr(value[:30]), response.status_code)
        repeated = ask(client, url, [(key, value) for value in HOSTILE[:40]])
        assert repeated.status_code < 500, (url, key, "repeated")


@pytest.mark.parametrize("url", list(PUBLIC))
def test_raw_undecodable_query_strings_are_answered_without_a_server_error(url):
    client = Client()
    for raw in ["%ff%fe", "%ED%A0%80", "%00", "=%00", "&&&", "a=1&a", "%", "%zz", "page=%E2%80%AE1", "?=?"]:
        for key in PUBLIC[url][:3] or ["q"]:
            response = client.get(f"{url}?{key}={raw}")
            assert response.status_code < 500, (url, key, raw)


text = st.text(st.characters(codec="utf-8") | st.characters(min_codepoint=0, max_codepoint=0x1F), max_size=80)
huge = st.builds(lambda char, n: char * n, st.characters(codec="utf-8"), st.integers(1000, 70_000))
numbers = st.integers(-(10**31), 10**31).map(str)
values = st.one_of(text, numbers, huge, st.sampled_from(HOSTILE))
keys = st.one_of(st.sampled_from(ALL_KEYS), st.text(max_size=12))


@pytest.mark.parametrize("url", list(PUBLIC))
def test_generated_query_strings_never_cause_a_server_error(url):
    client = Client()
    known = PUBLIC[url] or ALL_KEYS

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    )
    @given(st.lists(st.tuples(st.one_of(st.sampled_from(known), keys), values), max_size=6))
    def check(pairs):
        response = ask(client, url, pairs)
        assert response.status_code < 500, (url, [(k, v[:40]) for k, v in pairs], response.status_code)

    check()


def test_percent_encoded_generated_values_never_cause_a_server_error():
    client = Client()

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(["/articles/", "/statements/", "/inspections/"]), st.binary(max_size=60))
    def check(url, raw):
        response = client.get(f"{url}?q={quote(raw, safe='')}&year={quote(raw[:8], safe='')}")
        assert response.status_code < 500, (url, raw)

    check()
