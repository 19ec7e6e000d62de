from django.urls import path

from planner import views

app_name = "planner"

urlpatterns = [
    path("day/", views.calendar_day, name="day"),
    path("post/<str:oktopost_id>/", views.calendar_post, name="post"),
    path("post/<str:oktopost_id>/move/", views.calendar_move, name="move"),
    path("post/<str:oktopost_id>/schedule/", views.calendar_schedule, name="schedule"),
]
