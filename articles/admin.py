from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.urls import path

from archive.admin import EditorAdmin, VersionedInline
from articles.data_quality import ArticlesWithoutInspections, StaleDrafts
from articles.import_admin import import_view
from articles.models import Article, ArticleStatus, Inspection, InspectionJudgement, LocalAuthority, Publisher
from people.models import Statement


def can_publish(user) -> bool:
    return user.has_perm("articles.publish_article")


def editable_by(user, article) -> bool:
    """Contributors edit drafts only; editors edit everything."""
    return article is None or can_publish(user) or article.status == ArticleStatus.DRAFT


admin.site.site_header = "Inspection Archive: curation"
admin.site.site_title = "Inspection Archive admin"
admin.site.index_title = "Curate the archive"


class StatementInline(VersionedInline, admin.StackedInline):
    model = Statement
    extra = 0
    autocomplete_fields = ["speaker", "responds_to"]
    fields = [("position", "kind"), ("speaker", "role_as_printed"), "words", "responds_to"]
    ordering = ["position"]

    # A published article's statements are part of it: only those who may publish change them.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and editable_by(request.user, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and editable_by(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and editable_by(request.user, obj)


@admin.register(Article)
class ArticleAdmin(EditorAdmin):
    list_display = ["headline", "publisher", "published_on_display", "kind", "status", "statement_count", "updated_at"]
    list_filter = [
        "status",
        ArticlesWithoutInspections,
        StaleDrafts,
        "kind",
        "publisher",
        "published_on_inferred",
        "headline_inferred",
        "year",
    ]
    list_select_related = ["publisher"]
    search_fields = ["headline", "standfirst", "body", "byline", "slug"]
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["publisher", "inspections", "authors", "people_mentioned"]
    readonly_fields = ["created_at", "updated_at"]
    # Publication dates may be partial (a year or a month), so browse by when the archive added the article.
    date_hierarchy = "created_at"
    inlines = [StatementInline]
    view_on_site = True
    fieldsets = [
        (None, {"fields": ["headline", "headline_inferred", "slug", "kind"]}),
        ("Workflow", {"fields": ["status", "withdrawal_note"]}),
        (
            "Source",
            {
                "fields": [
                    "publisher",
                    "byline",
                    "authors",
                    ("published_on", "published_on_inferred"),
                    "source_url",
                    "retrieved_on",
                    "provenance_note",
                ]
            },
        ),
        ("Text", {"fields": ["standfirst", "body", "editor_note"]}),
        ("Links", {"fields": ["inspections", "people_mentioned"]}),
        ("Record", {"fields": ["created_at", "updated_at", "version"], "classes": ["collapse"]}),
    ]
    recovered_with = ((Statement, "article_id"),)

    def get_urls(self):
        view = self.admin_site.admin_view(lambda request: import_view(self, request))
        return [path("import/", view, name="articles_article_import"), *super().get_urls()]

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), "version"]
        if not can_publish(request.user):
            readonly += ["status", "withdrawal_note"]  # a contributor's article stays a draft
        return readonly

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and editable_by(request.user, obj)

    def save_model(self, request, obj, form, change):
        # Enforced here as well as by the read-only field: a revert from history could otherwise
        # restore "published" for someone who may not publish.
        if not can_publish(request.user):
            before = Article._base_manager.filter(pk=obj.pk).values_list("status", flat=True).first()
            if obj.status != ArticleStatus.DRAFT or (change and before != ArticleStatus.DRAFT):
                raise PermissionDenied("Only editors publish, withdraw or change published articles.")
        super().save_model(request, obj, form, change)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(statement_total=Count("statements"))

    @admin.display(description="Published", ordering="published_on")
    def published_on_display(self, article):
        date = str(article.published_on) if article.published_on else "—"
        return f"{date} (inferred)" if article.published_on_inferred else date

    @admin.display(description="Statements", ordering="statement_total")
    def statement_count(self, article):
        return article.statement_total


class JudgementInline(VersionedInline, admin.TabularInline):
    model = InspectionJudgement
    extra = 0
    fields = ["position", "area", "judgement"]
    ordering = ["position"]


@admin.register(Inspection)
class InspectionAdmin(EditorAdmin):
    list_display = ["__str__", "kind", "started_on", "published_on", "overall_judgement", "authority"]
    list_filter = ["kind", "overall_judgement", "year", "authority__region"]
    list_select_related = ["authority"]
    search_fields = ["slug", "authority__name", "theme", "finding", "source_note"]
    autocomplete_fields = ["authority"]
    inlines = [JudgementInline]
    view_on_site = True
    recovered_with = ((InspectionJudgement, "inspection_id"),)
    fieldsets = [
        (None, {"fields": ["authority", "kind", "slug"]}),
        ("Dates", {"fields": [("started_on", "ended_on"), "published_on"]}),
        ("Outcome", {"fields": ["overall_judgement", "theme", "finding"]}),
        ("Source", {"fields": ["report_url", "source_note"]}),
    ]


@admin.register(Publisher)
class PublisherAdmin(EditorAdmin):
    list_display = ["name", "kind", "website", "article_total"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    view_on_site = True

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(description="Articles", ordering="article_count")
    def article_total(self, publisher):
        return publisher.article_count


@admin.register(LocalAuthority)
class LocalAuthorityAdmin(EditorAdmin):
    list_display = ["name", "ons_code", "region", "status"]
    list_filter = ["region", "status"]
    search_fields = ["name", "ons_code", "slug"]
    prepopulated_fields = {"slug": ["name"]}
