from django.urls import path

from inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.connection, name="connection"),
    path("oktopost/", views.oktopost_webhook, name="oktopost"),
]
