"""Admin filters that find records needing an editor's attention."""

from datetime import timedelta

from django.contrib import admin
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Length, StrIndex, Substr
from django.utils import timezone

from articles.models import ArticleStatus

STALE_DRAFT_DAYS = 30


class YesFilter(admin.SimpleListFilter):
    """A filter with one choice: show only the records with the problem."""

    choice_label = "Yes"

    def lookups(self, request, model_admin):
        return [("yes", self.choice_label)]

    def queryset(self, request, queryset):
        return self.problem(queryset) if self.value() == "yes" else queryset

    def problem(self, queryset):
        raise NotImplementedError


class ArticlesWithoutInspections(YesFilter):
    title = "without inspections"
    parameter_name = "no_inspections"
    choice_label = "Covers no inspection"

    def problem(self, queryset):
        return queryset.filter(inspections__isnull=True)


class StaleDrafts(YesFilter):
    title = "stale drafts"
    parameter_name = "stale_draft"
    choice_label = f"Drafts older than {STALE_DRAFT_DAYS} days"

    def problem(self, queryset):
        cutoff = timezone.now() - timedelta(days=STALE_DRAFT_DAYS)
        return queryset.filter(status=ArticleStatus.DRAFT, created_at__lt=cutoff)


class QuoteNotInBody(YesFilter):
    title = "quote check"
    parameter_name = "quote_missing"
    choice_label = "Words no longer in the article's body"

    def problem(self, queryset):
        # instr() / strpos() compare exactly (LIKE would ignore case and treat % and _ as wildcards).
        return queryset.annotate(found_at=StrIndex(F("article__body"), F("words"))).filter(found_at=0)


def role_held_on(date) -> Q:
    """A role (seen from Role) held on a partial date ("2019", "2019-05", "2019-05-06").

    Dates are compared at the coarser of the two precisions: a role "from 2019" covers an
    article of "2019-05", and one "until 2019-05" covers an article of "2019". An unknown
    start or end does not rule a date out.
    """
    started = Q(started_on__isnull=True) | Q(started_on__lte=Substr(date, 1, Length("started_on")))
    ended = Q(ended_on__isnull=True) | Q(ended_on__gte=Substr(date, 1, Length("ended_on")))
    return started & ended


class SpeakerWithoutRoleThen(YesFilter):
    title = "speaker's role"
    parameter_name = "no_role_then"
    choice_label = "Speaker held no recorded role at the time"

    def problem(self, queryset):
        from people.models import Role

        roles_then = Role.objects.filter(role_held_on(OuterRef("article__published_on")), person=OuterRef("speaker"))
        # Articles of unknown date cannot be checked, and are left out rather than flagged.
        return queryset.filter(article__published_on__isnull=False).filter(~Exists(roles_then))
