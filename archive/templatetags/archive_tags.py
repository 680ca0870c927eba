import html
import json

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from archive.search import MARK_END, MARK_START

register = template.Library()


@register.filter
def highlight(snippet: str) -> str:
    """A search snippet as HTML: the text escaped first, then only the match markers made <mark>.

    The one place stored text becomes markup, and it cannot carry any of its own.
    """
    escaped = escape(snippet or "")
    return mark_safe(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S308


@register.simple_tag
def judgement(value, label):
    """A judgement badge: its colour class is keyed by the value, its text is the label."""
    if not value:
        return mark_safe('<span class="judgement judgement--none">Not graded</span>')
    return format_html('<span class="judgement judgement--{}">{}</span>', value, label)


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


def _facet(facet) -> str:
    if not facet.options:
        body = '<p class="hint">None in these results.</p>'
    else:
        body = "<ul>" + "".join(_facet_option(option) for option in facet.options) + "</ul>"
        if facet.truncated:
            find = (
                f' <a href="{html.escape(facet.find_url)}">Find any other</a>, then follow its link to this list.'
                if facet.find_url
                else ""
            )
            body += f'<p class="hint">Only the {len(facet.options)} with most results are listed.{find}</p>'
    return f'<div class="facet"><h3>{html.escape(str(facet.label))}</h3>{body}</div>'


@register.simple_tag
def facet_nav(filterset):
    """The list's facets as a navigation of links, each toggling one value (no JavaScript needed)."""
    facets = "".join(_facet(facet) for facet in filterset.facets)
    return mark_safe(  # noqa: S308 -- every stored or requested value above went through html.escape
        f'<nav class="facets" aria-label="Narrow the list"><h2 class="visually-hidden">Filters</h2>{facets}</nav>'
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
        paragraphs = article.paragraphs
        first = paragraphs[0] if paragraphs else ""
        text = f"<p>{html.escape(Truncator(first).words(40, truncate=' …'))}</p>"
    badges = "".join(f"{judgement(item.value, item.label)} " for item in article.covered_judgements)
    speakers = article.speakers
    quotes = ("Quotes: " + ", ".join(html.escape(name) for _, name in speakers)) if speakers else ""
    return (
        f'<li class="card"><h2><a href="{html.escape(article.get_absolute_url())}">{headline}</a>{inferred_headline}'
        f'</h2><p class="meta">{html.escape(article.publisher.name)} · {date} · '
        f'{html.escape(str(article.get_kind_display()))}</p>{text}<p class="meta">{badges}{quotes}</p></li>'
    )


@register.simple_tag
def article_cards(articles):
    """The article list's results: one card per article, or a note that none match."""
    cards = "".join(_article_card(article) for article in articles)
    if not cards:
        cards = '<li class="empty">No articles match. Remove a filter to see more.</li>'
    return mark_safe(f'<ol class="cards">{cards}</ol>')  # noqa: S308 -- stored values went through html.escape


# A statement as a <figure>: built here for the reason the cards are. The person page shows up to
# fifty, and the template include's per-node cost was most of that page's time.


def _statement_figure(statement, show_article: bool) -> str:
    words = html.escape(statement.words)
    if statement.kind == "direct":
        said = f"<blockquote><p>{words}</p></blockquote>"
    else:
        said = f'<p class="reported"><span class="visually-hidden">Reported: </span>{words}</p>'
    speaker = statement.speaker
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
        f'<a href="{html.escape(speaker.get_absolute_url())}">{html.escape(speaker.display_name)}</a>{role}'
        f" · {html.escape(str(statement.get_kind_display()))}{source}"
        f' · <a href="{html.escape(statement.get_absolute_url())}" class="permalink">Permalink'
        '<span class="visually-hidden"> to this statement</span></a></figcaption></figure>'
    )


@register.simple_tag
def statement_figure(statement, show_article=True):
    """One statement: the words (a blockquote, or marked as reported), who said it, and where."""
    return mark_safe(_statement_figure(statement, show_article))  # noqa: S308 -- every stored value escaped above
