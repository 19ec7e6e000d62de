from django.apps import AppConfig


class PlannerConfig(AppConfig):
    """The calendar (issue 14): week and month views of the mirror, drag to reschedule."""

    name = "planner"
    verbose_name = "Calendar"
