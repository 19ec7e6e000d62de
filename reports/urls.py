from django.urls import path

from reports import views

app_name = "reports"

# Mounted at the site's root (oktodash/urls.py): the queue's CSV is the queue's address
# with export.csv, though reports, not posts, writes it.
urlpatterns = [
    path("stats/", views.stats_page, name="stats"),
    path("stats/export.csv", views.stats_export, name="export"),
    path("stats/report.pdf", views.stats_pdf, name="pdf"),
    path("stats/part/<slug:name>/", views.stats_part, name="part"),
    path("posts/export.csv", views.queue_export, name="queue_export"),
]
