from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("", views.approvals_page, name="page"),
    path("decide/", views.approvals_decide, name="decide"),
    path("links/", views.review_links, name="links"),
    path("links/<int:link_id>/revoke/", views.review_link_revoke, name="revoke"),
]
