"""Every page type is valid HTML by the W3C Nu HTML Checker (vnu-jar, run on Java)."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
SEED = "sandwells-childrens-services-to-be-transferred-to-a-trust"
PUBLIC = [
    "/",
    "/articles/",
    "/articles/?publisher=localgov&kind=news-report&q=trust",
    f"/articles/{SEED}/",
    "/statements/",
    f"/statements/{SEED}/1/",
    "/people/",
    "/people/simon-hackett/",
    "/inspections/",
    "/inspections/sandwell-2022-05-ilacs-standard/",
    "/authorities/",
    "/authorities/sandwell/",
    "/publishers/",
    "/publishers/localgov/",
    "/articles/?year=not-a-year",
]


def checker() -> list[str]:
    java = shutil.which("java")
    missing = "Java is not installed" if not java else f"vnu-jar is not installed at {VNU} (npm ci)"
    if java and VNU.exists():
        return [java, "-jar", str(VNU)]
    if os.environ.get("ARCHIVE_BROWSER_TESTS") == "required":
        pytest.fail(f"The HTML checker is required here, but {missing}.", pytrace=False)
    pytest.skip(f"HTML checker skipped: {missing} (CI sets ARCHIVE_BROWSER_TESTS=required).")


def test_every_page_type_is_valid_html(tmp_path):
    command = checker()
    client = Client()
    pages = {url: client.get(url) for url in PUBLIC}
    # The admin pages the archive adds: recovering a deleted record.
    editor = Client()
    editor.force_login(get_user_model().objects.create_superuser("vnu", "vnu@example.org", "a-long-test-password"))
    person = PersonFactory()
    person_pk = person.pk
    person.delete()
    record = person.history.model.objects.get(id=person_pk, history_type="-")
    pages["/admin/people/person/recover/"] = editor.get("/admin/people/person/recover/")
    pages["recover-confirm"] = editor.get(f"/admin/people/person/recover/{record.history_id}/")
    pages["/admin/articles/article/import/"] = editor.get("/admin/articles/article/import/")
    page_text = (ROOT / "tests" / "import_pages" / "news_site.txt").read_text()
    pages["import-review"] = editor.post(
        "/admin/articles/article/import/", {"publisher": "localgov", "page_text": page_text, "preview": "1"}
    )
    files = []
    for index, (url, response) in enumerate(pages.items()):
        assert response.status_code in (200, 400), url
        path = tmp_path / f"page-{index:02d}.html"
        path.write_bytes(response.content)
        files.append((path, url))
    result = subprocess.run(
        [*command, "--errors-only", "--format", "json", *[str(path) for path, _ in files]],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    where = {path.name: url for path, url in files}
    errors = [
        f"{where.get(message.get('url', '').rsplit('/', 1)[-1])}:{message.get('lastLine')}: {message['message']}"
        for message in messages
        if message.get("type") == "error"
    ]
    assert errors == []
