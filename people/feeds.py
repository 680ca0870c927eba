from archive.feeds import FEED_LENGTH, FilteredFeed
from people.filters import StatementFilterSet
from people.models import Statement


class StatementFeed(FilteredFeed):
    filterset_class = StatementFilterSet
    list_url_name = "people:statement_list"
    feed_url_name = "people:statement_feed"
    noun = "statements"

    def get_queryset(self):
        return Statement.objects.published()

    def items(self, filterset):
        newest = filterset.qs.select_related("speaker", "article", "article__publisher")
        return newest.order_by("-article__created_at", "-article_id", "position")[:FEED_LENGTH]

    def item_title(self, statement):
        return str(statement)

    def item_description(self, statement):
        said = f"“{statement.words}”" if statement.kind == Statement.Kind.DIRECT else statement.words
        role = f", {statement.role_as_printed}" if statement.role_as_printed else ""
        article = statement.article
        return f"{statement.speaker.name}{role}: {said} (in “{article.headline}”, {article.publisher.name})"

    def item_link(self, statement):
        return statement.get_absolute_url()

    def item_pubdate(self, statement):
        return statement.article.created_at

    def item_author_name(self, statement):
        return statement.speaker.name
