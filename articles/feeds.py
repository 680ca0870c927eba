from archive.feeds import FEED_LENGTH, FilteredFeed
from articles.filters import ArticleFilterSet
from articles.models import Article


class ArticleFeed(FilteredFeed):
    filterset_class = ArticleFilterSet
    list_url_name = "articles:article_list"
    feed_url_name = "articles:article_feed"
    noun = "articles"

    def get_queryset(self):
        return Article.objects.published()

    def items(self, filterset):
        # Newest additions to the archive first, whatever the list's own sort.
        return filterset.qs.select_related("publisher").order_by("-created_at", "-pk")[:FEED_LENGTH]

    def item_title(self, article):
        return article.headline

    def item_description(self, article):
        return article.standfirst or (article.paragraphs[0] if article.paragraphs else "")

    def item_link(self, article):
        return article.get_absolute_url()

    def item_pubdate(self, article):
        return article.created_at  # when the archive added it: publication dates may be partial

    def item_updateddate(self, article):
        return article.updated_at

    def item_author_name(self, article):
        return article.byline or article.publisher.name

    def item_categories(self, article):
        return [article.get_kind_display(), article.publisher.name]
