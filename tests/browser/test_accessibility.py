"""Every page type passes axe-core's WCAG 2.2 AA rules in Chromium, and works by keyboard and without JavaScript."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT
from tests.browser.helpers import axe_violations, screenshot

SEED = "sandwells-childrens-services-to-be-transferred-to-a-trust"
PAGES = {
    "home": "/",
    "article-list": "/articles/",
    "article-list-filtered": "/articles/?publisher=localgov&kind=news-report&q=trust",
    "article": f"/articles/{SEED}/",
    "statement-list": "/statements/",
    "statement": f"/statements/{SEED}/1/",
    "person-list": "/people/",
    "person": "/people/simon-hackett/",
    "inspection-list": "/inspections/",
    "inspection": "/inspections/sandwell-2022-05-ilacs-standard/",
    "authority-list": "/authorities/",
    "authority": "/authorities/sandwell/",
    "publisher-list": "/publishers/",
    "publisher": "/publishers/localgov/",
    "bad-filter": "/articles/?year=not-a-year",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_accessibility_violations(audit_page, name):
    page = audit_page
    response = page.goto(PAGES[name])
    assert response.status == (400 if name == "bad-filter" else 200)
    screenshot(page, name)
    assert axe_violations(page) == []


@pytest.mark.audit
def test_admin_recovery_pages_have_no_accessibility_violations(editor_page):
    page = editor_page
    page.goto("/admin/people/person/add/")
    page.get_by_label("Name:").fill("Short-lived Person")
    page.get_by_label("Slug:").fill("short-lived-person")
    page.get_by_role("button", name="Save and continue editing").click()
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Yes, I’m sure").click()
    page.goto("/admin/people/person/recover/")
    screenshot(page, "admin-recover-list")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Review and recover").first.click()
    screenshot(page, "admin-recover-confirm")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Recover this person").click()
    expect(page.get_by_text("was recovered")).to_be_visible()
    page.goto("/admin/articles/article/import/")
    page.get_by_label("Publisher:").select_option("localgov")
    page.get_by_label("Page text:").fill((ROOT / "tests" / "import_pages" / "news_site.txt").read_text())
    page.get_by_role("button", name="Review what was found").click()
    expect(page.get_by_role("heading", name="What was found")).to_be_visible()
    screenshot(page, "admin-import-review")
    assert axe_violations(page) == []


def test_the_first_tab_reaches_a_visible_skip_link(page):
    page.goto("/articles/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({text: document.activeElement.textContent.trim(), href: document.activeElement.getAttribute('href'),"
        " outline: getComputedStyle(document.activeElement).outlineStyle,"
        " visible: document.activeElement.getBoundingClientRect().height > 0})"
    )
    assert focused["text"] == "Skip to content" and focused["href"] == "#main"
    assert focused["outline"] != "none" and focused["visible"]
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_every_control_works_without_javascript(browser, archive_server):
    context = browser.new_context(base_url=archive_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/articles/")
    page.locator(".facet").filter(has_text="Publisher").get_by_role("link").first.click()
    assert "publisher=" in page.url
    page.get_by_label("Search articles").fill("trust")
    page.get_by_label("Search articles").press("Enter")
    assert "q=trust" in page.url and "publisher=" in page.url  # the search keeps the facet
    page.get_by_role("link", name="Headline", exact=True).click()
    assert "sort=headline" in page.url
    context.close()
