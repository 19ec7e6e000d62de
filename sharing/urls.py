from django.urls import path

from sharing import views

app_name = "sharing"

urlpatterns = [
    path("", views.links, name="links"),
    path("new/", views.create, name="create"),
    path("<int:link_id>/revoke/", views.revoke, name="revoke"),
]
