from django.urls import path

from articles import views
from articles.feeds import ArticleFeed

app_name = "articles"

urlpatterns = [
    path("articles/", views.ArticleListView.as_view(), name="article_list"),
    path("articles/feed.atom", ArticleFeed(), name="article_feed"),
    path("articles/<slug:slug>/", views.article_detail, name="article_detail"),
    path("inspections/", views.InspectionListView.as_view(), name="inspection_list"),
    path("inspections/<slug:slug>/", views.inspection_detail, name="inspection_detail"),
    path("authorities/", views.AuthorityListView.as_view(), name="authority_list"),
    path("authorities/<slug:slug>/", views.authority_detail, name="authority_detail"),
    path("publishers/", views.PublisherListView.as_view(), name="publisher_list"),
    path("publishers/<slug:slug>/", views.publisher_detail, name="publisher_detail"),
]
