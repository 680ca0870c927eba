"""Stored cross-site scripting: hostile text in every text field, loaded through fixtures and the admin,
never reaches public or admin HTML as markup; and the few places that mark HTML safe are known."""

import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client

from articles.models import Article, Inspection, LocalAuthority, Publisher
from people.models import Person, Role, Statement
from tests.admin_forms import admin_form_data

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<a href=javascript:alert(1)>x</a>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    '" onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</script><script>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<base href=//x.example/>",
    "<link rel=stylesheet href=//x.example/x.css>",
    "<style>@import'//x.example/x.css';</style>",
    "<div style=background:url(javascript:alert(1))>",
    "<marquee onstart=alert(1)>",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<!--<img src=--><img src=x onerror=alert(1)//-->",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\u003cscript\u003ealert(1)\u003c/script\u003e",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "{{ settings.SECRET_KEY }}",
]
FOREIGN_ELEMENTS = {
    "iframe",
    "object",
    "embed",
    "base",
    "marquee",
    "isindex",
    "video",
    "audio",
    "source",
    "math",
    "style",
    "frame",
    "frameset",
    "applet",
    "noscript",
}


class Inspector(HTMLParser):
    """Every element and attribute a browser would build from the page, checked for anything executable."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems, self.script = [], None

    def handle_starttag(self, tag, attrs):
        attributes = {name.lower(): (value or "") for name, value in attrs}
        if tag in FOREIGN_ELEMENTS:
            self.problems.append(f"<{tag}>")
        for name, value in attributes.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in {"href", "src", "action", "formaction", "data", "xlink:href"}:
                target = "".join(value.split()).lower()
                if target.startswith(("javascript:", "vbscript:", "data:text/html")) or target.startswith("//x."):
                    self.problems.append(f"<{tag} {name}={value[:40]}>")
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        if tag == "link" and attributes.get("href", "").startswith(("//", "http://x", "https://x")):
            self.problems.append(f"<link href={attributes['href'][:40]}>")
        if tag == "script":
            kind = attributes.get("type", "")
            if kind in {"application/ld+json", "application/json"}:
                self.script = "data"
            elif attributes.get("src", "").startswith(("/static/", "/admin/jsi18n/")):
                self.script = "ours"
            else:
                self.problems.append(f"<script {attributes}>")
                self.script = "foreign"

    def handle_data(self, data):
        if self.script == "ours" and data.strip():
            self.problems.append("inline code in a script element")

    def handle_endtag(self, tag):
        if tag == "script":
            self.script = None


def text_fields(model):
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField))
        and not field.choices
        and not isinstance(field, (models.SlugField, models.URLField))
        and field.name not in {"published_on", "started_on", "ended_on", "ons_code", "words"}
        and not type(field).__name__.startswith("PartialDate")
    ]


def test_the_corpus_is_large_enough():
    assert len(PAYLOADS) >= 30


def assert_inert(html: str, where: str):
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    assert inspector.problems == [], f"{where}: {inspector.problems[:5]}"
    assert settings.SECRET_KEY not in html, where


def hostile_fixture(tmp_path, index: int):
    payload = PAYLOADS[index]
    body = f"First paragraph {payload}.\n\nThey said {payload} loudly."
    publisher, person, article = f"xss-pub-{index}", f"xss-person-{index}", f"xss-article-{index}"
    ons_code, inspection = f"X9{index:07d}", f"xss-inspection-{index}"
    objects = [
        {
            "model": "articles.localauthority",
            "fields": {"ons_code": ons_code, "slug": f"xss-authority-{index}", "name": payload, "region": payload},
        },
        {
            "model": "articles.inspection",
            "fields": {
                "slug": inspection,
                "authority": [ons_code],
                "kind": "ilacs-focused-visit",
                "started_on": "2019-06",
                "theme": payload,
                "finding": payload[:300],
                "source_note": payload,
            },
        },
        {
            "model": "articles.publisher",
            "fields": {"slug": publisher, "name": payload, "kind": "news", "website": "", "description": payload},
        },
        {
            "model": "people.person",
            "fields": {
                "slug": person,
                "name": payload,
                "honorific": payload[:50],
                "kind": "individual",
                "description": payload,
            },
        },
        {
            "model": "articles.article",
            "fields": {
                "slug": article,
                "headline": payload,
                "publisher": [publisher],
                "byline": payload[:200],
                "authors": [[person]],
                "inspections": [[inspection]],
                "published_on": "2020-01",
                "kind": "news-report",
                "standfirst": payload,
                "body": body,
                "status": "published",
                "editor_note": payload,
                "provenance_note": payload,
            },
        },
        {
            "model": "people.statement",
            "fields": {
                "article": [article],
                "position": 1,
                "speaker": [person],
                "role_as_printed": payload[:300],
                "kind": "direct",
                "words": payload,
                "responds_to": [inspection],
            },
        },
        {
            "model": "people.role",
            "fields": {"person": [person], "title": payload[:200], "organisation": None, "source_note": payload},
        },
    ]
    path = tmp_path / f"xss-{index}.json"
    path.write_text(json.dumps(objects), encoding="utf-8")
    return path


def test_the_fixture_fills_every_free_text_field():
    # A new text field on these models must be added to the fixture above.
    assert set(text_fields(Article)) <= {
        "headline",
        "byline",
        "standfirst",
        "body",
        "editor_note",
        "provenance_note",
        "withdrawal_note",
    }
    assert set(text_fields(Person)) <= {"name", "honorific", "description"}
    assert set(text_fields(Statement)) <= {"role_as_printed"}
    assert set(text_fields(Role)) <= {"title", "source_note"}
    assert set(text_fields(Publisher)) <= {"name", "description"}
    assert set(text_fields(LocalAuthority)) <= {"name", "region"}
    assert set(text_fields(Inspection)) <= {"theme", "finding", "source_note"}


def test_stored_payloads_are_inert_on_public_and_admin_pages(tmp_path):
    editor = Client()
    editor.force_login(get_user_model().objects.create_superuser("x", "x@example.org", "a-long-test-password"))
    public = Client()
    for index in range(len(PAYLOADS)):
        call_command("load_archive", str(hostile_fixture(tmp_path, index)), stdout=io.StringIO())
    article = Article.objects.get(slug="xss-article-0")
    statement = Statement.objects.get(article=article)
    pages = {
        "home": "/",
        "article list": "/articles/",
        "article search": "/articles/?q=alert",
        "statement list": "/statements/",
        "people": "/people/",
        "publishers": "/publishers/",
        "article feed": "/articles/feed.atom",
        "statement feed": "/statements/feed.atom",
    }
    for index in range(len(PAYLOADS)):
        slug = f"xss-article-{index}"
        pages[f"article {index}"] = f"/articles/{slug}/"
        pages[f"statement {index}"] = f"/statements/{slug}/1/"
        pages[f"person {index}"] = f"/people/xss-person-{index}/"
        pages[f"publisher {index}"] = f"/publishers/xss-pub-{index}/"
        pages[f"inspection {index}"] = f"/inspections/xss-inspection-{index}/"
        pages[f"authority {index}"] = f"/authorities/xss-authority-{index}/"
        # Chosen, each value is named in the list's controls as a link that removes it.
        pages[f"articles chosen {index}"] = (
            f"/articles/?publisher=xss-pub-{index}&person=xss-person-{index}&authority=xss-authority-{index}"
        )
        pages[f"statements chosen {index}"] = f"/statements/?speaker=xss-person-{index}&publisher=xss-pub-{index}"
    for where, url in pages.items():
        response = public.get(url)
        assert response.status_code == 200, where
        assert_inert(response.content.decode(), where)
    admin_pages = [
        f"/admin/articles/article/{article.pk}/change/",
        "/admin/articles/article/",
        "/admin/articles/article/?q=alert",
        f"/admin/articles/article/{article.pk}/history/",
        f"/admin/people/statement/{statement.pk}/change/",
        "/admin/people/statement/",
        "/admin/people/person/",
        "/admin/articles/publisher/",
    ]
    for url in admin_pages:
        response = editor.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url)


def test_payloads_saved_through_the_admin_are_inert():
    editor = Client()
    editor.force_login(get_user_model().objects.create_superuser("y", "y@example.org", "a-long-test-password"))
    publisher = Publisher.objects.get(slug="localgov")
    url = f"/admin/articles/publisher/{publisher.pk}/change/"
    for payload in PAYLOADS:
        data = admin_form_data(editor.get(url))
        data["description"] = payload
        assert editor.post(url, data).status_code == 302, payload
        assert Publisher.objects.get(pk=publisher.pk).description == payload  # stored as typed
        for page in (f"/publishers/{publisher.slug}/", url, f"/admin/articles/publisher/{publisher.pk}/history/"):
            assert_inert(editor.get(page).content.decode(), f"{page} with {payload!r}")


def test_script_addresses_are_refused_by_fixtures(tmp_path):
    path = tmp_path / "bad-url.json"
    fields = {"slug": "bad-url", "name": "Bad", "kind": "news", "website": "javascript:alert(1)", "description": ""}
    path.write_text(json.dumps([{"model": "articles.publisher", "fields": fields}]))
    with pytest.raises(CommandError, match="website: Enter a valid URL"):
        call_command("load_archive", str(path), stdout=io.StringIO())
    assert not Publisher.objects.filter(slug="bad-url").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/articles/", "/statements/", "/people/", "/inspections/"])
def test_requested_parameters_are_inert_in_the_list_controls(client, url):
    # Every parameter but the search is carried into the next search as a hidden input.
    for payload in PAYLOADS[:12]:
        response = client.get(url, {payload: payload, "q": "care"})
        assert response.status_code == 200
        assert_inert(response.content.decode(), f"{url} with {payload[:30]!r}")
    # The search itself is shown back in the search box and in the link that removes it.
    for payload in PAYLOADS:
        response = client.get(url, {"q": payload})
        assert response.status_code == 200, payload
        html = response.content.decode()
        assert "Search: “" in html, payload
        assert_inert(html, f"{url} searching {payload[:30]!r}")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/articles/", "/statements/", "/people/", "/inspections/"])
def test_requested_parameters_are_inert_in_the_page_links(client, settings, url):
    # Every link to another page (First, Previous, Next, Last) carries the request's parameters.
    settings.ARCHIVE_PAGE_SIZE = 1
    for payload in PAYLOADS[:12]:
        response = client.get(url, {payload: payload, "page": 2})
        assert response.status_code == 200
        html = response.content.decode()
        assert 'rel="prev"' in html and 'rel="next"' in html, url
        assert_inert(html, f"{url} page 2 with {payload[:30]!r}")


def test_the_inspector_finds_what_it_looks_for():
    for html in ["<img src=x onerror=alert(1)>", "<a href=' javascript:x'>", "<script>alert(1)</script>", "<iframe>"]:
        inspector = Inspector()
        inspector.feed(html)
        assert inspector.problems, html


# Every place that marks text as safe HTML, and why each is safe. A new one must be reviewed and added.
SAFE_ALLOW_LIST = {
    (
        "archive/templatetags/archive_tags.py",
        "highlight",
    ): "escapes the snippet, then turns only its markers into <mark>",
    ("archive/templatetags/archive_tags.py", "judgement"): "a constant string",
    ("archive/templatetags/archive_tags.py", "facet_nav"): "every value passes html.escape",
    ("archive/templatetags/archive_tags.py", "article_cards"): "every stored value passes html.escape or highlight",
    ("archive/templatetags/archive_tags.py", "json_ld"): "JSON with <, > and & escaped, as json_script does",
    ("archive/templatetags/archive_tags.py", "article_link_items"): "every stored value passes html.escape",
    ("archive/templatetags/archive_tags.py", "statement_figure"): "every stored value passes html.escape",
    ("archive/templatetags/archive_tags.py", "statements_with_findings"): "every stored value passes html.escape",
    ("archive/templatetags/archive_tags.py", "person_timeline_svg"): "every stored value passes html.escape",
    ("archive/templatetags/archive_tags.py", "person_statement_table"): "labels pass html.escape; the rest are numbers",
    ("archive/templatetags/archive_tags.py", "inspection_summary"): "every stored value passes html.escape",
    ("archive/templatetags/archive_tags.py", "kept_filters"): "every requested name and value passes html.escape",
    ("archive/templatetags/archive_tags.py", "list_controls"): "every requested or stored value passes html.escape",
    ("archive/templatetags/archive_tags.py", "pagination"): "the links pass html.escape; the rest are numbers",
}


def test_every_use_of_safe_html_is_on_the_allow_list():
    root = Path(settings.BASE_DIR)
    found = set()
    for path in [*root.glob("*/**/*.py"), *root.glob("templates/**/*.html")]:
        relative = path.relative_to(root).as_posix()
        if relative.startswith((".venv", "node_modules", "tests/", "bench/")):
            continue
        text = path.read_text(encoding="utf-8")
        assert "|safe" not in text and "autoescape off" not in text and "SafeString(" not in text, relative
        function = None
        for line in text.splitlines():
            match = re.match(r"def (\w+)", line)
            if match:
                function = match.group(1)
            if "mark_safe(" in line and not line.lstrip().startswith(("from ", "import ")):
                found.add((relative, function))
    assert found == set(SAFE_ALLOW_LIST)
