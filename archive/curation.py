"""Editing that loses nothing: a version number on every curated record, and history.

Two members of staff who open the same record and both save would, in a plain
Django admin, silently lose the first one's work. Every curated model carries
a ``version`` that rises with each save; a form remembers the version it was
shown, and a save made from an older version is refused (``StaleEdit``) with
what changed meanwhile. The check runs under the row's lock (PostgreSQL's
SELECT … FOR UPDATE; SQLite's IMMEDIATE transactions let one writer in at a
time), so two saves cannot both pass it.

History itself is django-simple-history's: every save and delete made through
the ORM gets a row in the model's historical table, with who made it.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from simple_history.utils import get_history_manager_for_model, get_m2m_field_name

# Change reasons of the history rows fixture loads write; anything else is a curator's edit.
FIXTURE_CHANGE_REASON_PREFIX = "Loaded from "
# Bookkeeping, not content: left out of diffs and of "what changed" messages.
BOOKKEEPING_FIELDS = {"version", "created_at", "updated_at"}


class StaleEdit(Exception):
    """A save made from a version of the record that is no longer the current one."""

    def __init__(self, instance, seen: int | None, current: int | None):
        self.instance, self.seen, self.current = instance, seen, current
        what = "deleted" if current is None else f"saved as version {current}"
        super().__init__(
            f"{instance._meta.verbose_name.capitalize()} “{instance}” was {what} by someone else "
            f"after you opened version {seen}; nothing was saved."
        )


class VersionedModel(models.Model):
    """A record whose saves are numbered, so an edit made from an old version can be refused."""

    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Rises with every save; an edit made from an older one is refused."
    )

    class Meta:
        abstract = True

    # Set by an edit form to the version it showed; None means "whatever is current" (scripts, loads).
    expected_version: int | None = None

    def save(self, *args, **kwargs):
        if self._state.adding:
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            current = (
                type(self)
                ._base_manager.using(using)
                .select_for_update()
                .filter(pk=self.pk)
                .values_list("version", flat=True)
                .first()
            )
            if self.expected_version is not None and self.expected_version != current:
                raise StaleEdit(self, self.expected_version, current)
            self.version = (current or 0) + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            super().save(*args, **kwargs)
        self.expected_version = None  # checked once: a later save of this object is a new edit
        return None


def history_of(instance_or_model):
    return get_history_manager_for_model(instance_or_model)


def record_history(instance, *, created: bool, reason: str, date) -> None:
    """A history row for a write that bypassed the ORM's signals (a fixture load's raw save).

    The same row simple-history writes for an ORM save, links (many-to-many) included, so later
    diffs and recoveries start from what was loaded.
    """
    (row,) = history_of(instance).bulk_history_create(
        [instance], update=not created, default_change_reason=reason, default_date=date
    )
    for field in getattr(row, "_history_m2m_fields", []):
        link_history = getattr(row, field.name).model
        through = getattr(instance, field.name).through
        names = [f.name for f in through._meta.fields]
        links = through.objects.filter(**{get_m2m_field_name(field): instance})
        link_history.objects.bulk_create(
            [link_history(history=row, **{name: getattr(link, name) for name in names}) for link in links]
        )


def versions_of(instance):
    """A record's history rows, newest first."""
    model = type(instance)
    return (
        history_of(model)
        .filter(**{model._meta.pk.attname: instance.pk})
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )


def deleted_rows(model):
    """History rows of deletions whose record is still gone."""
    existing = model._base_manager.values("pk")
    return history_of(model).filter(history_type="-").exclude(**{f"{model._meta.pk.attname}__in": existing})


def describe_value(value) -> str:
    if value in (None, ""):
        return "(blank)"
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def changes_since(instance, seen_version: int) -> list[str]:
    """What was changed in a record after the version an editor opened, one line per field.

    Read from its history: the historical row of the version seen against the newest one.
    """
    model = type(instance)
    rows = versions_of(instance)
    newest = rows.first()
    if newest is None:
        return []
    if newest.history_type == "-":
        who = newest.history_user or "someone"
        return [f"It was deleted by {who} at {newest.history_date:%Y-%m-%d %H:%M}."]
    seen = rows.filter(version=seen_version).first()
    who = newest.history_user or "an import or script"
    header = f"Saved by {who} at {newest.history_date:%Y-%m-%d %H:%M} (version {newest.version}):"
    if seen is None:
        return [header]
    delta = newest.diff_against(seen, excluded_fields=BOOKKEEPING_FIELDS)
    lines = [header]
    for change in delta.changes:
        label = model._meta.get_field(change.field).verbose_name
        lines.append(f"{label}: {describe_value(change.old)} → {describe_value(change.new)}")
    return lines


class VersionedFormMixin(forms.ModelForm):
    """Carries the version a form was shown with, and refuses a save made from an older one."""

    version_seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    # The history admin's revert form shows an old version's values: it is based on the current one.
    based_on_current_version = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and isinstance(self.instance, VersionedModel):
            version = self.instance.version
            if self.based_on_current_version:
                version = (
                    type(self.instance)
                    ._base_manager.filter(pk=self.instance.pk)
                    .values_list("version", flat=True)
                    .first()
                )
            self.fields["version_seen"].initial = version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None or not isinstance(self.instance, VersionedModel):
            return cleaned
        seen = cleaned.get("version_seen")
        if seen is None:
            raise ValidationError(
                "This form did not say which version of the record it was based on; reload the page.",
                code="no_version",
            )
        current = (
            type(self.instance)._base_manager.filter(pk=self.instance.pk).values_list("version", flat=True).first()
        )
        if current != seen:
            lines = changes_since(self.instance, seen)
            raise ValidationError(
                [
                    ValidationError(
                        "Someone else changed this record after you opened it, so your changes were not saved "
                        "(nothing was overwritten). Open it again to see the current version, then redo your edit.",
                        code="stale",
                    ),
                    *(ValidationError(line, code="stale_detail") for line in lines),
                ]
            )
        self.instance.expected_version = seen
        return cleaned
