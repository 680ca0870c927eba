from django.contrib import admin
from django.db.models import Count

from archive.admin import EditorAdmin
from articles.models import Article, Inspection, InspectionJudgement, LocalAuthority, Publisher
from people.models import Statement

admin.site.site_header = "Inspection Archive: curation"
admin.site.site_title = "Inspection Archive admin"
admin.site.index_title = "Curate the archive"


class StatementInline(admin.StackedInline):
    model = Statement
    extra = 0
    autocomplete_fields = ["speaker", "responds_to"]
    fields = [("position", "kind"), ("speaker", "role_as_printed"), "words", "responds_to"]
    ordering = ["position"]


@admin.register(Article)
class ArticleAdmin(EditorAdmin):
    list_display = ["headline", "publisher", "published_on_display", "kind", "status", "statement_count", "updated_at"]
    list_filter = ["status", "kind", "publisher", "published_on_inferred", "headline_inferred", "year"]
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
        (None, {"fields": ["headline", "headline_inferred", "slug", "status", "kind"]}),
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
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(statement_total=Count("statements"))

    @admin.display(description="Published", ordering="published_on")
    def published_on_display(self, article):
        date = str(article.published_on) if article.published_on else "—"
        return f"{date} (inferred)" if article.published_on_inferred else date

    @admin.display(description="Statements", ordering="statement_total")
    def statement_count(self, article):
        return article.statement_total


class JudgementInline(admin.TabularInline):
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
