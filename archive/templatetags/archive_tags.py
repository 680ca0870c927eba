from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from archive.search import MARK_END, MARK_START

register = template.Library()


@register.filter
def highlight(snippet: str) -> str:
    """A search snippet as HTML: the text escaped first, then only the match markers made <mark>.

    The one place stored text becomes markup, and it cannot carry any of its own.
    """
    escaped = escape(snippet or "")
    return mark_safe(escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))  # noqa: S308
