"""/s/<token>/: the pages a share link opens, without login."""

from django.urls import path

from sharing import views

app_name = "share"

urlpatterns = [
    path("<str:token>/", views.share_page, name="page"),
    path("<str:token>/export.csv", views.share_export, name="export"),
    path("<str:token>/report.pdf", views.share_pdf, name="pdf"),
    path("<str:token>/part/<slug:name>/", views.share_part, name="part"),
]
