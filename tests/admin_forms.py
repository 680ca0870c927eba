"""Reading an admin change page's form back as the browser would post it."""

import datetime

from django.db.models import Model


def _as_post_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, (list, tuple)):
        return [_as_post_value(item) for item in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return str(value)


def _add_form(data: dict, form):
    for name in form.fields:
        value = _as_post_value(form[name].value())
        if value is not None:
            data[form.add_prefix(name)] = value


def admin_form_data(response) -> dict:
    """The data the change page's form (main form and every inline) would submit, unchanged."""
    data = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    return data


def form_errors(response) -> str:
    """Every error the admin page shows, main form and inlines, as one text."""
    if response.context is None:
        return ""
    errors = response.context.get("errors") or []
    texts = [str(error) for error in errors]
    return " ".join(texts)
