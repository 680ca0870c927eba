from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models, router, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from archive.curation import StaleEdit, VersionedFormMixin, deleted_rows

VERSION_FIELD = "version_seen"


class VersionedAdminForm(VersionedFormMixin, forms.ModelForm):
    pass


def _with_version_field(fieldsets):
    """The fieldsets with the hidden version field in the first one, where the form will post it."""
    if any(VERSION_FIELD in admin.utils.flatten_fieldsets([fieldset]) for fieldset in fieldsets):
        return fieldsets
    (name, options), *rest = fieldsets
    return [(name, {**options, "fields": [*options["fields"], VERSION_FIELD]}), *rest]


class VersionedInline:
    """Inline rows carry their versions too: a row someone else changed meanwhile is refused."""

    form = VersionedAdminForm

    def get_fieldsets(self, request, obj=None):
        return _with_version_field(super().get_fieldsets(request, obj))


class EditorAdmin(SimpleHistoryAdmin):
    """Defaults shared by every admin page of the archive: history, versions, recovery."""

    form = VersionedAdminForm
    # An address typed without a scheme is taken as https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_facets = admin.ShowFacets.ALWAYS
    change_list_template = "admin/archive/change_list.html"

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets  # a new record has no version to compare
        return _with_version_field(fieldsets)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if getattr(request, "_archive_reverting", False):
            # The revert form shows an old version's values but replaces the current one.
            form = type(form.__name__, (form,), {"based_on_current_version": True})
        return form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleEdit as error:
            # Only when another save slipped in between this form's check and its write: the
            # transaction has rolled back, so nothing of this save was kept.
            messages.error(request, str(error))
            return HttpResponseRedirect(request.get_full_path())

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        request._archive_reverting = True
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().history_form_view(request, object_id, version_id, extra_context)
        except StaleEdit as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.get_full_path())

    # --- recovering deleted records ---------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        recover = [
            path(
                "recover/",
                self.admin_site.admin_view(self.recover_list_view),
                name=f"{opts.app_label}_{opts.model_name}_recover_list",
            ),
            path(
                "recover/<int:history_id>/",
                self.admin_site.admin_view(self.recover_view),
                name=f"{opts.app_label}_{opts.model_name}_recover",
            ),
        ]
        return recover + super().get_urls()

    def has_recover_permission(self, request) -> bool:
        # Restoring undoes a deletion, so it is for those who may delete.
        return self.has_delete_permission(request) and self.has_add_permission(request)

    def deleted_records(self):
        """The last history row of each record that no longer exists, newest deletion first."""
        return deleted_rows(self.model).select_related("history_user").order_by("-history_date", "-history_id")

    def recover_list_view(self, request):
        if not self.has_recover_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": f"Recover deleted {opts.verbose_name_plural}",
            "opts": opts,
            "records": self.deleted_records()[:200],
        }
        return render(request, "admin/archive/recover_list.html", context)

    def recover_view(self, request, history_id):
        if not self.has_recover_permission(request):
            raise PermissionDenied
        record = get_object_or_404(self.deleted_records(), history_id=history_id)
        opts = self.model._meta
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "title": f"Recover {opts.verbose_name} “{record.instance}”",
                "opts": opts,
                "record": record,
                "fields": [
                    (field.verbose_name, getattr(record, field.attname))
                    for field in self.model._meta.concrete_fields
                    if hasattr(record, field.attname)
                ],
            }
            return render(request, "admin/archive/recover_confirm.html", context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            restored = self.restore(request, record)
        messages.success(request, f"{opts.verbose_name.capitalize()} “{restored}” was recovered.")
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[restored.pk]))

    def restore(self, request, record):
        """Put a deleted record back as it was, with the many-to-many links it had."""
        instance = record.instance
        instance._history_user = request.user
        instance._change_reason = f"Recovered from its deletion on {record.history_date:%Y-%m-%d %H:%M}"
        instance.save()
        # Links are gone by the time the deletion is recorded: take them from the version before it.
        linked = record.prev_record or record
        for field in getattr(record, "_history_m2m_fields", []):
            through_rows = getattr(linked, field.name).all()
            target = field.m2m_reverse_field_name()
            getattr(instance, field.name).set([getattr(row, f"{target}_id") for row in through_rows])
        self.restore_dependants(request, record, instance)
        return instance

    def restore_dependants(self, request, record, instance):
        """Records deleted with this one (inline rows cascaded away), restored with it."""
        window = timedelta(seconds=10)  # a cascade deletes dependants moments before their parent
        for model, foreign_key in self.recovered_with:
            deleted = (
                deleted_rows(model)
                .filter(**{foreign_key: instance.pk})
                .filter(history_date__range=(record.history_date - window, record.history_date + window))
                .order_by(model._meta.pk.attname, "-history_date")
            )
            seen = set()
            for row in deleted:
                key = getattr(row, model._meta.pk.attname)
                if key in seen:
                    continue
                seen.add(key)
                dependant = row.instance
                dependant._history_user = request.user
                dependant._change_reason = f"Recovered with {instance._meta.verbose_name} “{instance}”"
                dependant.save()

    # (model, foreign key attname) of rows deleted in cascade with this one, recovered with it.
    recovered_with: tuple = ()
