from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count

from archive.admin import EditorAdmin, VersionedInline
from articles.admin import editable_by
from articles.data_quality import QuoteNotInBody, SpeakerWithoutRoleThen
from people.models import Person, Role, Statement


class RoleInline(VersionedInline, admin.TabularInline):
    model = Role
    fk_name = "person"
    extra = 0
    autocomplete_fields = ["organisation"]
    fields = ["title", "organisation", "started_on", "ended_on", "source_note"]


@admin.register(Person)
class PersonAdmin(EditorAdmin):
    list_display = ["name", "honorific", "kind", "current_roles", "statement_total"]
    list_filter = ["kind", "roles__organisation"]
    search_fields = ["name", "slug", "description", "roles__title"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RoleInline]
    view_on_site = True
    recovered_with = ((Role, "person_id"),)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(statement_count=Count("statements", distinct=True))
        return queryset.prefetch_related("roles")

    @admin.display(description="Roles")
    def current_roles(self, person):
        return "; ".join(role.title for role in person.roles.all()) or "—"

    @admin.display(description="Statements", ordering="statement_count")
    def statement_total(self, person):
        return person.statement_count


@admin.register(Role)
class RoleAdmin(EditorAdmin):
    list_display = ["person", "title", "organisation", "started_on", "ended_on"]
    list_filter = ["organisation"]
    list_select_related = ["person", "organisation"]
    search_fields = ["person__name", "title", "organisation__name"]
    autocomplete_fields = ["person", "organisation"]


@admin.register(Statement)
class StatementAdmin(EditorAdmin):
    list_display = ["__str__", "speaker", "role_as_printed", "kind", "article", "position"]
    list_filter = [QuoteNotInBody, SpeakerWithoutRoleThen, "kind", "article__publisher", "article__status", "speaker"]
    list_select_related = ["speaker", "article"]
    search_fields = ["words", "speaker__name", "role_as_printed", "article__headline"]
    autocomplete_fields = ["article", "speaker", "responds_to"]
    date_hierarchy = "article__created_at"
    view_on_site = True

    # A statement belongs to its article: once that is published, only editors change it.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and editable_by(request.user, obj and obj.article)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and editable_by(request.user, obj and obj.article)

    def save_model(self, request, obj, form, change):
        if not editable_by(request.user, obj.article):
            raise PermissionDenied("Only editors change the statements of published articles.")
        super().save_model(request, obj, form, change)
