from django.urls import path

from people import views
from people.feeds import StatementFeed

app_name = "people"

urlpatterns = [
    path("people/", views.PersonListView.as_view(), name="person_list"),
    path("people/<slug:slug>/", views.person_detail, name="person_detail"),
    path("statements/", views.StatementListView.as_view(), name="statement_list"),
    path("statements/feed.atom", StatementFeed(), name="statement_feed"),
    path("statements/<slug:article_slug>/<int:position>/", views.statement_detail, name="statement_detail"),
]
