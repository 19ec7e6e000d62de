from django.urls import path

from posts import views

app_name = "posts"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("status/", views.status, name="status"),
]
