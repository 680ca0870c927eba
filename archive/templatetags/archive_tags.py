import functools
import html
import json

from django import template
from django.template.base import render_value_in_context
from django.template.defaultfilters import pluralize
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from archive.paths import query_with, same_prefix
from archive.search import MARK_END, MARK_START
from articles.models import Judgement

register = template.Library()


@register.filter
def highlight(snippet: str) -> str:
    """A search snippet as HTML: the text escaped first, then only the match markers made <mark>.

    The one place stored text becomes markup, and it cannot carry any of its own.
    """
    escaped = escape(snippet or "")
    return mark_safe(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S308


@register.simple_tag(name="querystring", takes_context=True)
def querystring(context, query_dict=None, **kwargs):
    """Django's ``{% querystring %}``, the same string, without copying the QueryDict deeply
    (``archive.paths.query_with``): a list page has a dozen such links."""
    return query_with(context.request.GET if query_dict is None else query_dict, **kwargs)


# What a new search does not carry over from the list it is made on: the old search and the
# place in the old results.
NOT_KEPT_BY_A_SEARCH = frozenset({"q", "page", "after", "before"})


@register.simple_tag(takes_context=True)
def kept_filters(context):
    """Hidden inputs carrying the list's other parameters (its filters and sort) into a new search.

    Read here rather than as ``request.GET.lists`` in the template: the template engine looks a
    name up as a key first, so a parameter called "lists" took its place and broke the page.
    """
    return mark_safe(  # noqa: S308 -- names and values escaped
        "".join(
            f'<input type="hidden" name="{html.escape(key)}" value="{html.escape(value)}">'
            for key, values in context.request.GET.lists()
            if key not in NOT_KEPT_BY_A_SEARCH
            for value in values
        )
    )


@functools.cache
def _choice_labels(field) -> dict:
    return dict(field.flatchoices)


def _display(instance, name: str) -> str:
    """``instance.get_<name>_display()`` as text, with the field's labels read once rather than on each
    call (Django builds a dict of them every time: a tenth of the person page's statements' cost)."""
    field = instance._meta.get_field(name)
    value = getattr(instance, field.attname)
    return str(_choice_labels(field).get(value, value))


@register.simple_tag
def judgement(value, label):
    """A judgement badge: its colour class is keyed by the value, its text is the label."""
    if not value:
        return mark_safe('<span class="judgement judgement--none">Not graded</span>')
    return mark_safe(  # noqa: S308 -- both escaped
        f'<span class="judgement judgement--{html.escape(str(value))}">{html.escape(str(label))}</span>'
    )


# The facet sidebar is built here rather than in a template: it holds up to a hundred links per
# facet, and the template engine's per-node cost made it most of a list page's rendering time.
# Every value is escaped with html.escape (quotes included), which is what Django's escape does,
# without its lazy-string wrapper that cost more than the escaping on hundreds of small strings.


def _facet_option(option) -> str:
    count_word = "result" if option.count == 1 else "results"
    selected = ' class="selected"' if option.selected else ""
    note = '<span class="visually-hidden">(selected: follow to remove)</span>' if option.selected else ""
    return (
        f'<li><a href="{html.escape(option.query)}" rel="nofollow"{selected}><span class="box" aria-hidden="true">'
        f'</span><span class="label">{html.escape(str(option.label))}</span><span class="count">{int(option.count)}'
        f'<span class="visually-hidden"> {count_word}</span></span>{note}</a></li>'
    )


def _find_any_other(facet, of_records: bool) -> str:
    """The way to a value the facet leaves out: the list where it can be found (FacetFilter.find_url_name).

    A value that is a record (a person, a publisher) is found on its own list, whose entry links back
    to this list narrowed to it. A value of free text (a role as printed, a region) has no list of its
    own: it is found by a list's search, which matches it.
    """
    if not facet.find_url:
        return ""
    href = html.escape(facet.find_url)
    if of_records:
        return f' <a href="{href}">Find any other</a>, then follow its link to this list.'
    return f' <a href="{href}">Search for any other</a>: that list\'s search matches these values too.'


def _facet(facet, of_records: bool) -> str:
    if not facet.listed:
        body = '<p class="hint">None in these results.</p>'
    else:
        body = "<ul>" + "".join(_facet_option(option) for option in facet.listed) + "</ul>"
        if facet.more_query:
            label = html.escape(str(facet.label)).lower()
            every = f"the {len(facet.options)} with most results" if facet.truncated else f"all {len(facet.options)}"
            body += (
                f'<p class="hint"><a href="{html.escape(facet.more_query)}" rel="nofollow">Show more'
                f'<span class="visually-hidden"> {label} values</span></a>: {every}.</p>'
            )
        elif facet.truncated:
            find = _find_any_other(facet, of_records)
            body += f'<p class="hint">Only the {len(facet.listed)} with most results are listed.{find}</p>'
    return f'<div class="facet"><h3>{html.escape(str(facet.label))}</h3>{body}</div>'


@register.simple_tag
def facet_nav(filterset):
    """The list's facets as a navigation of links, each toggling one value (no JavaScript needed)."""
    filters = filterset.facet_filters
    facets = "".join(_facet(facet, of_records=bool(filters[facet.name].group_by)) for facet in filterset.facets)
    return mark_safe(  # noqa: S308 -- every stored or requested value above went through html.escape
        f'<nav class="facets" aria-label="Narrow the list"><h2 class="visually-hidden">Filters</h2>{facets}</nav>'
    )


# The controls above a list's results are built here for the facets' reason: as a template, their
# seventy-odd variable look-ups and tags were a tenth of a list page's time. Every requested or stored
# value is escaped with html.escape, as Django's autoescaping would escape it.
SEARCH_HELP = (
    'Words match their other forms (inspect, inspections). Use "quotes" for a phrase, a * for a prefix '
    "(safeguard*), and a minus to leave a word out (-trust)."
)
LEAVING_THE_PAGE = {"page": None, "after": None, "before": None}
# What ends each link that removes a choice: a cross to see, words to hear.
REMOVE = '<span aria-hidden="true">×</span><span class="visually-hidden">(remove)</span>'


@register.simple_tag(takes_context=True)
def list_controls(context):
    """A list's search form, its chosen filters (each a link removing it), its count, its sort and the
    links that take the view away (downloads, feed, JSON), above its results."""
    filterset, page = context["filter"], context["page_obj"]
    form = filterset.form
    typed = form["q"].value() if "q" in form.fields else None
    searched = form.cleaned_data.get("q") if hasattr(form, "cleaned_data") else None
    parts = [
        '<form class="search" method="get" role="search">'
        f'<label for="q">Search {html.escape(str(context.get("title", "")).lower())}</label>'
        '<div class="search-row">'
        f'<input type="search" id="q" name="q" value="{html.escape(str(typed)) if typed else ""}" maxlength="500"'
        ' aria-describedby="search-help">'
        f'{kept_filters(context)}<button type="submit">Search</button></div>'
        f'<p id="search-help" class="hint">{html.escape(SEARCH_HELP, quote=False)}</p></form>'
    ]
    active = filterset.active_filters
    if active or searched:
        removals = []
        if searched:
            removal = querystring(context, q=None, **LEAVING_THE_PAGE)
            removals.append(
                f'<li><a href="{html.escape(removal)}">Search: “{html.escape(str(searched))}” {REMOVE}</a></li>'
            )
        removals += [
            f'<li><a href="{html.escape(option.query)}" rel="nofollow">{html.escape(str(label))}: '
            f"{html.escape(str(option.label))} {REMOVE}</a></li>"
            for label, option in active
        ]
        parts.append(
            '<div class="active-filters"><h2 class="visually-hidden">Active filters</h2>'
            f"<ul>{''.join(removals)}</ul>"
            f'<a class="clear" href="{html.escape(context.request.path)}">Clear all</a></div>'
        )
    count, pages = page.paginator.count, page.paginator.num_pages
    where = (
        f", page {render_value_in_context(page.number, context)} of {render_value_in_context(pages, context)}"
        if pages > 1
        else ""
    )
    parts.append(
        '<div class="list-meta"><p class="result-count" role="status">'
        f"{render_value_in_context(count, context)} result{pluralize(count)}{where}</p>"
    )
    sort = form.fields.get("sort")
    current = filterset.sort_asked
    marked = ' aria-current="true"'
    orders = "".join(
        f'<li><a href="{html.escape(querystring(context, sort=value, **LEAVING_THE_PAGE))}"'
        f"{marked if current == value else ''}>{html.escape(str(label))}</a></li>"
        for value, label in (sort.choices if sort is not None else ())
        if value
    )
    parts.append(f'<nav class="sort" aria-label="Sort"><span>Sort:</span><ul>{orders}</ul></nav>')
    links = []
    downloads, feed_url = context.get("downloads"), context.get("feed_url")
    if downloads:
        links.append(
            f'<li><a href="{html.escape(downloads["csv"])}" download>Download CSV</a></li>'
            f'<li><a href="{html.escape(downloads["json"])}" download>Download JSON</a></li>'
        )
    if feed_url:
        links.append(f'<li><a href="{html.escape(feed_url)}" type="application/atom+xml">Atom feed</a></li>')
    as_json = html.escape(querystring(context, format="json"))
    links.append(f'<li><a class="json-link" href="{as_json}">JSON API</a></li>')
    parts.append(f'<ul class="take-away" aria-label="Take this view with you">{"".join(links)}</ul></div>')
    return mark_safe("".join(parts))  # noqa: S308 -- every requested or stored value above went through html.escape


@register.simple_tag(takes_context=True)
def pagination(context):
    """Links to the list's first, previous, next and last pages, and where the visitor is; nothing for one page.

    Next and Previous carry a cursor (archive/keyset.py), First and Last none. Built here for the
    reason the list controls are: an include of a dozen nodes, on every list page.
    """
    page = context["page_obj"]
    pages = page.paginator.num_pages
    if pages <= 1:
        return ""

    def link(rel, text, **params):
        href = html.escape(querystring(context, **params))
        return f'<li><a href="{href}"{rel}>{text}</a></li>'

    items = []
    if page.has_previous():
        items.append(link("", "First", page=1, after=None, before=None))
        previous = {"page": page.previous_page_number(), "before": page.previous_cursor, "after": None}
        items.append(link(' rel="prev"', "Previous", **previous))
    items.append(
        f'<li><span aria-current="page">Page {render_value_in_context(page.number, context)} of '
        f"{render_value_in_context(pages, context)}</span></li>"
    )
    if page.has_next():
        items.append(link(' rel="next"', "Next", page=page.next_page_number(), after=page.next_cursor, before=None))
        items.append(link("", "Last", page="last", after=None, before=None))
    return mark_safe(  # noqa: S308 -- the links went through html.escape; the numbers are formatted numbers
        f'<nav class="pagination" aria-label="Pages"><ul>{"".join(items)}</ul></nav>'
    )


_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data):
    """schema.org data in a <script type="application/ld+json">, escaped as json_script escapes it:
    no "<", ">" or "&" survives, so stored text cannot close the script element."""
    if not data:
        return ""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(_JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 -- escaped above


# The article list's cards, built here for the reason the facet sidebar is: twenty cards of a dozen
# template nodes each were most of what a list page took to make once its counts were cached.
# Every stored value goes through html.escape; a search snippet through highlight().


CARD_WORDS = 40
ELLIPSIS = " …"


def first_words(text: str, count: int) -> str:
    """``Truncator(text).words(count, truncate=" …")``: the first words, whitespace made single
    spaces, and " …" if any were left out; without Truncator's lazy text and regular expressions,
    and without splitting the words past ``count``."""
    words = text.split(maxsplit=count)
    if len(words) <= count:
        return " ".join(words)
    shown = " ".join(words[:count])
    return shown if shown.endswith(ELLIPSIS) else shown + ELLIPSIS


@functools.cache
def _judgement_badge(value: str) -> str:
    """A card's badge for an overall judgement, and the space after it: a handful of values, made once each."""
    grade = Judgement(value)  # a value that is not a judgement raises, as it always did
    return f"{judgement(grade.value, grade.label)} "


def _article_card(article) -> str:
    headline = html.escape(article.headline)
    inferred_headline = (
        ' <span class="inferred" title="The page does not show a headline; this one is inferred">'
        "headline inferred</span>"
        if article.headline_inferred
        else ""
    )
    if article.published_on:
        date = (
            f'<time datetime="{html.escape(article.published_on.isoformat())}">'
            f"{html.escape(str(article.published_on))}</time>"
        )
        if article.published_on_inferred:
            date += ' <span class="inferred">inferred</span>'
    else:
        date = "date unknown"
    # Only a search annotates a snippet.
    snippet = getattr(article, "search_snippet", "")
    if snippet:
        text = f'<p class="snippet">{highlight(snippet)}</p>'
    else:
        text = f"<p>{html.escape(first_words(article.first_paragraph, CARD_WORDS))}</p>"
    badges = "".join(_judgement_badge(value) for value, _ in article.covered if value)
    speakers = article.speakers
    # Escaped once, joined: the separator has nothing to escape, and a card names ten people or so.
    quotes = ("Quotes: " + html.escape(", ".join(name for _, name in speakers))) if speakers else ""
    return (
        f'<li class="card"><h2><a href="{html.escape(article.get_absolute_url())}">{headline}</a>{inferred_headline}'
        f'</h2><p class="meta">{html.escape(article.publisher.name)} · {date} · '
        f'{html.escape(_display(article, "kind"))}</p>{text}<p class="meta">{badges}{quotes}</p></li>'
    )


@register.simple_tag
def article_cards(articles):
    """The article list's results: one card per article, or a note that none match."""
    with same_prefix():
        cards = "".join(_article_card(article) for article in articles)
    if not cards:
        cards = '<li class="empty">No articles match. Remove a filter to see more.</li>'
    return mark_safe(f'<ol class="cards">{cards}</ol>')  # noqa: S308 -- stored values went through html.escape


# Record pages' lists of links to articles (a person's, an inspection's, an authority's, a publisher's):
# built here for the reason the cards are (four template lookups a link, fifty links a list).


def _article_link_item(article, with_publisher: bool) -> str:
    date = str(article.published_on) if article.published_on else "date unknown"
    publisher = f"{html.escape(article.publisher.name)}, " if with_publisher else ""
    return (
        f'<li><a href="{html.escape(article.get_absolute_url())}">{html.escape(article.headline)}</a>'
        f" · {publisher}{html.escape(date)}</li>"
    )


@register.simple_tag
def article_link_items(articles, with_publisher=True):
    """A list item for each article: a link to it by its headline, then its publisher and date."""
    with same_prefix():
        items = "".join(_article_link_item(article, with_publisher) for article in articles)
    return mark_safe(items)  # noqa: S308 -- every stored value went through html.escape


# A statement as a <figure>: built here for the reason the cards are. The person page shows up to
# fifty, and the template include's per-node cost was most of that page's time.


def _speaker_link(speaker) -> str:
    return f'<a href="{html.escape(speaker.get_absolute_url())}">{html.escape(speaker.display_name)}</a>'


def _statement_figure(statement, show_article: bool, speaker_link: str | None = None) -> str:
    """``speaker_link`` is the speaker's link when a list shows one person's statements (made once)."""
    words = html.escape(statement.words)
    if statement.kind == "direct":
        said = f"<blockquote><p>{words}</p></blockquote>"
    else:
        said = f'<p class="reported"><span class="visually-hidden">Reported: </span>{words}</p>'
    role = f', <span class="role">{html.escape(statement.role_as_printed)}</span>' if statement.role_as_printed else ""
    source = ""
    if show_article:
        article = statement.article
        date = str(article.published_on) if article.published_on else "date unknown"
        source = (
            f' · in <a href="{html.escape(article.get_absolute_url())}">{html.escape(article.headline)}</a>'
            f" ({html.escape(article.publisher.name)}, {html.escape(date)})"
        )
    return (
        f'<figure class="statement statement--{html.escape(statement.kind)}">{said}<figcaption>'
        f"{speaker_link or _speaker_link(statement.speaker)}{role}"
        f" · {html.escape(_display(statement, 'kind'))}{source}"
        f' · <a href="{html.escape(statement.get_absolute_url())}" class="permalink">Permalink'
        '<span class="visually-hidden"> to this statement</span></a></figcaption></figure>'
    )


@register.simple_tag
def statement_figure(statement, show_article=True):
    """One statement: the words (a blockquote, or marked as reported), who said it, and where."""
    return mark_safe(_statement_figure(statement, show_article))  # noqa: S308 -- every stored value escaped above


# The person page's statements, each beside what Ofsted found, and its timeline: built here for
# the reason the cards are (fifty statements and as many chart marks, a dozen template nodes each).


def _finding(inspection) -> str:
    if inspection is None:
        return ""
    return (
        f'<p class="finding-beside">What Ofsted found: <a href="{html.escape(inspection.get_absolute_url())}">'
        f"{html.escape(_display(inspection, 'kind'))}, {html.escape(inspection.authority.name)}, "
        f"{html.escape(inspection.on_site)}</a> — "
        f"{judgement(inspection.overall_judgement, _display(inspection, 'overall_judgement'))}</p>"
    )


# An inspection's outcome, on its own page and under each article about it: built here for the
# reason the cards are (an include per inspection, with a row per area, was a sixth of an article page).


@register.simple_tag
def inspection_summary(inspection, judgements):
    """The inspection's kind, authority, dates and overall judgement, and its judgement in each area."""
    published = str(inspection.published_on) if inspection.published_on else "date unknown"
    finding = f" “{html.escape(inspection.finding)}”" if inspection.finding else ""
    theme = f" · theme: {html.escape(inspection.theme)}" if inspection.theme else ""
    parts = [
        f'<div class="inspection-summary"><h3><a href="{html.escape(inspection.get_absolute_url())}">'
        f"{html.escape(_display(inspection, 'kind'))}</a>, {html.escape(inspection.authority.name)}</h3>"
        f'<p class="meta">On site {html.escape(inspection.on_site)} · report published {html.escape(published)}</p>'
        f"<p>Overall: {judgement(inspection.overall_judgement, _display(inspection, 'overall_judgement'))}"
        f"{finding}{theme}</p>"
    ]
    rows = "".join(
        f'<tr><th scope="row">{html.escape(_display(area, "area"))}</th>'
        f"<td>{judgement(area.judgement, _display(area, 'judgement'))}</td></tr>"
        for area in judgements
    )
    if rows:
        parts.append(
            '<table class="judgements"><caption class="visually-hidden">Judgements by area</caption>'
            '<thead><tr><th scope="col">Area</th><th scope="col">Judgement</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
        )
    parts.append("</div>")
    return mark_safe("".join(parts))  # noqa: S308 -- every stored value went through html.escape


@register.simple_tag
def statements_with_findings(statements):
    """One person's statements, each with the article it is in and the inspection it answered."""
    with same_prefix():
        speaker_link = _speaker_link(statements[0].speaker) if statements else None
        items = "".join(
            f"<li>{_statement_figure(statement, True, speaker_link)}{_finding(statement.responds_to)}</li>"
            for statement in statements
        )
    return mark_safe(f'<ol class="statements statements--with-findings">{items}</ol>')  # noqa: S308 -- escaped above


@register.simple_tag
def person_timeline_svg(person, timeline):
    """The person's roles (bars) and statements counted by year (marks) over time, as an SVG drawn on the server."""
    # Coordinates print as str() does, as the template engine printed them (en-gb, no thousands
    # separator); its add filter made whole numbers of the label and tick positions, so here.
    label_x = int(timeline["left"]) - 10
    parts = [
        f'<svg viewBox="0 0 {timeline["width"]} {timeline["height"]}" role="img" '
        'aria-labelledby="person-chart-title person-chart-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="person-chart-title">{html.escape(person.display_name)}: roles and statements over time</title>'
        '<desc id="person-chart-desc">One bar per role across the years it was held. Below, their statements '
        "counted by year, on one row for each overall judgement of the inspections they responded to and one for "
        "statements not about an inspection; a larger mark is more statements. The roles table and the table of "
        "statements by year on this page give the same information as text.</desc>"
    ]
    for bar in timeline["bars"]:
        open_bar = " role-bar--open" if bar.open_start or bar.open_end else ""
        parts.append(
            f'<text x="{label_x}" y="{bar.y}" class="row-label" text-anchor="end" dominant-baseline="middle">'
            f"{html.escape(Truncator(bar.label).chars(28))}</text>"
            f'<line x1="{bar.x1}" x2="{bar.x2}" y1="{bar.y}" y2="{bar.y}" class="role-bar{open_bar}">'
            f"<title>{html.escape(bar.label)}</title></line>"
        )
    parts += [
        f'<text x="{label_x}" y="{y}" class="row-label" text-anchor="end" dominant-baseline="middle">'
        f"{html.escape(label)}</text>"
        for label, y in timeline["rows"]
    ]
    for mark in timeline["marks"]:
        fill = "#ffffff" if mark.hollow else html.escape(mark.colour)
        hollow = ' class="hollow"' if mark.hollow else ""
        parts.append(
            f'<g class="mark"><title>{html.escape(mark.label)}</title>'
            f'<circle cx="{mark.x}" cy="{mark.y}" r="{mark.radius}" fill="{fill}"{hollow}/></g>'
        )
    axis_y = timeline["axis_y"]
    parts.append(f'<line x1="{timeline["left"]}" x2="{timeline["right"]}" y1="{axis_y}" y2="{axis_y}" class="axis"/>')
    tick_y = int(axis_y) + 18
    parts += [
        f'<text x="{x}" y="{tick_y}" class="tick" text-anchor="middle">{int(year)}</text>'
        for year, x in timeline["ticks"]
    ]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 -- every stored value went through html.escape


@register.simple_tag
def person_statement_table(timeline):
    """The chart's statement counts as a table: a row per year, a column per finding."""
    head = "".join(f'<th scope="col">{html.escape(label)}</th>' for label in timeline["table_columns"])
    rows = []
    for year, counts in timeline["table"]:
        cells = "".join(f"<td>{count}</td>" if count else "<td></td>" for count in counts)
        rows.append(f'<tr><th scope="row">{year}</th>{cells}</tr>')
    body = "".join(rows)
    return mark_safe(  # noqa: S308 -- the labels went through html.escape; years and counts are numbers
        f'<table class="data"><thead><tr><th scope="col">Year</th>{head}</tr></thead><tbody>{body}</tbody></table>'
    )
