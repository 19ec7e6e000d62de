from django.urls import path

from sharing import this_views, views

app_name = "sharing"

urlpatterns = [
    path("", views.links, name="links"),
    path("new/", views.create, name="create"),
    path("this/", this_views.share_this, name="this"),
    path("policy/", views.policy, name="policy"),
    path("<int:link_id>/revoke/", views.revoke, name="revoke"),
]
