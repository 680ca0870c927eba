from django.contrib import admin
from django.db import models


class EditorAdmin(admin.ModelAdmin):
    """Defaults shared by every admin page of the archive."""

    # An address typed without a scheme is taken as https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    show_facets = admin.ShowFacets.ALWAYS
