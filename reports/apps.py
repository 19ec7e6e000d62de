from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _triggers_back(sender, using: str = "default", **kwargs) -> None:
    """After every migrate: the rollup's triggers exist (see reports/triggers.py)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from reports import triggers

    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if ("reports", "0002_engagement_index") in applied:
        triggers.ensure(connection)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Stats review"

    def ready(self) -> None:
        post_migrate.connect(_triggers_back, sender=self)
