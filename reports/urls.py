from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.stats_page, name="stats"),
    path("export.csv", views.stats_export, name="export"),
    path("part/<slug:name>/", views.stats_part, name="part"),
]
