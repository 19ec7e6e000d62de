from django.contrib import admin
from django.urls import include, path

from oktodash import views
from planner import views as planner_views
from posts import views as posts_views
from reports import views as reports_views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("calendar/", planner_views.calendar_view, name="calendar"),
    path("calendar/", include("planner.urls")),
    path("stats/", reports_views.stats_page, name="stats"),
    path("", include("reports.urls")),
    path("share/", include("sharing.urls")),
    path("s/", include("sharing.public_urls")),
    path("accounts/", include("accounts.urls")),
    path("posts/", include("posts.urls")),
    path("activity/", posts_views.activity, name="activity"),
    path("alerts/", include("alerts.urls")),
    path("approvals/", include("approvals.urls")),
    path("r/", include("approvals.public_urls")),
    path("attachments/", include("attachments.urls")),
    path("webhooks/", include("inbox.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "oktodash.views.not_found"
handler500 = "oktodash.views.server_error"
