"""What visitors and editors do, start to finish, in a real browser."""

import csv
import io

from playwright.sync_api import expect

from tests.browser.helpers import screenshot


def test_a_visitor_narrows_articles_follows_a_quote_and_downloads_csv(page):
    page.goto("/articles/")
    page.locator(".facet").filter(has_text="Publisher").get_by_role("link", name="LocalGov").click()
    page.locator(".facet").filter(has_text="Year").get_by_role("link").first.click()
    page.get_by_label("Search articles").fill("inadequate")
    page.get_by_label("Search articles").press("Enter")
    assert "publisher=localgov" in page.url and "year=" in page.url and "q=inadequate" in page.url
    screenshot(page, "journey-narrowed")
    cards = page.locator("ol.cards > li.card")
    assert cards.count() >= 1
    headline = cards.first.locator("h2 a").inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    text = download_info.value.path().read_text(encoding="utf-8")
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("# ")))
    assert [row["headline"] for row in rows][0] == headline
    assert all(row["publisher"] == "localgov" for row in rows)
    cards.first.locator("h2 a").click()
    quote = page.locator("figure.statement").first
    speaker = quote.locator("figcaption a").first.inner_text()
    quote.locator("figcaption a").first.click()
    assert page.locator("h1").inner_text().endswith(speaker)
    screenshot(page, "journey-speaker")


def choose(page, select_id: str, text: str) -> None:
    """Pick a value in an admin autocomplete box as an editor does: open it, type, click the match."""
    page.locator(f"#{select_id} + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def test_an_editor_adds_an_article_with_two_statements_and_publishes_it(editor_page, browser, archive_server):
    page = editor_page
    page.goto("/admin/articles/article/add/")
    page.get_by_label("Headline:").fill("Browser-made report on a council")
    page.get_by_label("Slug:").fill("browser-made-report")
    page.get_by_label("Body:").fill(
        'First paragraph.\n\nThe director said it was "a turning point" for the service.'
        '\n\nA minister called it "welcome news".'
    )
    choose(page, "id_publisher", "LocalGov")
    page.get_by_label("Status:").select_option("published")
    for index, (words, speaker) in enumerate([("a turning point", "Simon Hackett"), ("welcome news", "Ofsted")]):
        # Django draws this control as a link with the role of a button.
        page.get_by_role("button", name="Add another Statement").click()
        page.locator(f"#id_statements-{index}-position").fill(str(index + 1))
        page.locator(f"#id_statements-{index}-words").fill(words)
        choose(page, f"id_statements-{index}-speaker", speaker)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    screenshot(page, "journey-editor-saved")
    public = browser.new_context(base_url=archive_server).new_page()
    public.goto("/articles/?q=turning")
    public.get_by_role("link", name="Browser-made report on a council").click()
    expect(public.get_by_text("a turning point").first).to_be_visible()
    assert public.locator("figure.statement").count() == 2
    screenshot(public, "journey-public-sees-it")
