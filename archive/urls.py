from django.contrib import admin
from django.urls import include, path

from archive import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("", include("articles.urls")),
    path("", include("people.urls")),
    path("admin/", admin.site.urls),
]
