from django.urls import path

from alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.alert_list, name="list"),
    path("read/", views.alerts_read, name="read"),
    path("<int:notification_id>/open/", views.alert_open, name="open"),
    path("settings/", views.alert_settings, name="settings"),
    path("address/<str:signed>/", views.address_confirm, name="address_confirm"),
    path("addresses/<int:preference_id>/allow/", views.address_allow, name="address_allow"),
    path("webhooks/", views.webhook_add, name="webhook_add"),
    path("webhooks/<int:webhook_id>/", views.webhook_change, name="webhook_change"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:subscription_id>/", views.report_change, name="report_change"),
    path("reports/policy/", views.report_policy, name="report_policy"),
    path("unsubscribe/<str:token>/", views.report_unsubscribe, name="unsubscribe"),
]
