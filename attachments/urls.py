from django.urls import path

from attachments import views

app_name = "attachments"

urlpatterns = [
    path("upload/", views.file_upload, name="upload"),
    path("files/<str:key>/", views.file_state, name="file"),
    path("files/<str:key>/retry/", views.file_retry, name="retry"),
    path("library/", views.library, name="library"),
    path("by-address/", views.media_by_url, name="by_url"),
    path("thumb/<str:media_id>/", views.thumbnail, name="thumbnail"),
    # Oktopost's fetcher: no login, only a valid, unexpired signature.
    path("source/<str:signed>/<str:file_name>", views.source, name="source"),
]
