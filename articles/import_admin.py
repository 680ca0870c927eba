"""The admin's page for import_article: paste or upload a scraped page, review what was found, save a draft."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from archive.dates import PartialDate
from articles.importer import ImportError_
from articles.importing import import_page
from articles.models import Article, Publisher

MAX_PAGE_BYTES = 2_000_000


class ImportForm(forms.Form):
    publisher = forms.ModelChoiceField(Publisher.objects.order_by("name"), to_field_name="slug")
    url = forms.URLField(label="Original address", required=False, assume_scheme="https")
    date = forms.CharField(
        label="Date", required=False, help_text="YYYY, YYYY-MM or YYYY-MM-DD, only if the page shows none."
    )
    page_text = forms.CharField(label="Page text", widget=forms.Textarea(attrs={"rows": 16}), required=False)
    page_file = forms.FileField(label="…or a text file", required=False)

    def clean_date(self):
        value = self.cleaned_data["date"].strip()
        if value:
            try:
                PartialDate.parse(value)
            except ValueError as error:
                raise forms.ValidationError("Write the date as YYYY, YYYY-MM or YYYY-MM-DD.") from error
        return value

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("page_file")
        if upload is not None:
            if upload.size > MAX_PAGE_BYTES:
                raise forms.ValidationError("The file is larger than a page of text can be (2 MB).")
            cleaned["data"], cleaned["name"] = upload.read(), upload.name
        elif cleaned.get("page_text", "").strip():
            cleaned["data"], cleaned["name"] = cleaned["page_text"].encode("utf-8"), "pasted text"
        else:
            raise forms.ValidationError("Paste the page's text or choose a file.")
        return cleaned


def import_view(model_admin, request):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    context = {**model_admin.admin_site.each_context(request), "opts": Article._meta, "title": "Import an article"}
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = import_page(
                data["data"], data["name"], publisher=data["publisher"].slug, url=data["url"], date=data["date"] or None
            )
        except ImportError_ as error:
            form.add_error(None, f"{data['name']}: {error}.")
        else:
            if "save" in request.POST:
                return save_draft(request, result)
            context["result"] = result
            # The text goes back in the form, so "Save as draft" imports exactly what was reviewed.
            form = ImportForm(initial={**request.POST.dict(), "page_text": data["data"].decode("utf-8", "replace")})
    context["form"] = form
    return render(request, "admin/articles/article/import.html", context)


def save_draft(request, result):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "imported.json"
        path.write_text(json.dumps(result.fixture, ensure_ascii=False), encoding="utf-8")
        try:
            call_command("load_archive", str(path), stdout=io.StringIO())
        except CommandError as error:
            messages.error(request, f"Not saved: {error}")
            return HttpResponseRedirect(request.get_full_path())
    slug = next(entry["fields"]["slug"] for entry in result.fixture if entry["model"] == "articles.article")
    article = Article.objects.get(slug=slug)
    messages.success(request, f"Saved “{article.headline}” as a draft: check it, then publish.")
    return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))
