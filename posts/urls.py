from django.urls import path

from posts import fix_views, new_views, preview_views, views

app_name = "posts"

urlpatterns = [
    path("", views.queue_view, name="queue"),
    path("status/", views.status, name="status"),
    path("new/", new_views.post_new, name="new"),
    path("new/checks/", new_views.post_new_checks, name="new_checks"),
    path("new/messages/", new_views.post_new_messages, name="new_messages"),
    path("new/preview/", preview_views.post_new_preview, name="new_preview"),
    path("bulk/", views.bulk_start, name="bulk_start"),
    path("bulk/<int:bulk_id>/", views.bulk_detail, name="bulk"),
    path("views/", views.saved_view_create, name="view_create"),
    path("views/<int:view_id>/delete/", views.saved_view_delete, name="view_delete"),
    path("<str:oktopost_id>/", views.post_detail, name="detail"),
    path("<str:oktopost_id>/row/", views.post_row, name="row"),
    path("<str:oktopost_id>/stats/", views.post_stats, name="stats"),
    path("<str:oktopost_id>/stats/refresh/", views.post_stats_refresh, name="stats_refresh"),
    path("<str:oktopost_id>/reschedule/", views.post_reschedule, name="reschedule"),
    path("<str:oktopost_id>/profiles/", views.post_profiles, name="profiles"),
    path("<str:oktopost_id>/cancel/", views.post_cancel, name="cancel"),
    path("<str:oktopost_id>/retry/", fix_views.post_retry, name="retry"),
    path("<str:oktopost_id>/duplicate/", fix_views.post_duplicate, name="duplicate"),
    path("<str:oktopost_id>/edit/", fix_views.post_edit, name="edit"),
    path("<str:oktopost_id>/post-now/", fix_views.post_now, name="post_now"),
    path("<str:oktopost_id>/first-comment/", views.post_first_comment, name="first_comment"),
]
