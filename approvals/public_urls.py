"""/r/<token>/: a review link's page and its decisions, without login."""

from django.urls import path

from approvals import views

app_name = "review"

urlpatterns = [
    path("<str:token>/", views.review_page, name="page"),
    path("<str:token>/decide/", views.review_decide, name="decide"),
]
