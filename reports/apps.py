from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _triggers_back(sender, using: str = "default", **kwargs) -> None:
    """After every migrate: the rollup's and the message sums' triggers exist (see
    reports/triggers.py, reports/message_bounds.py, reports/message_keys.py)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from reports import message_bounds, message_keys, triggers

    connection = connections[using]
    applied = MigrationRecorder(connection).applied_migrations()
    if ("reports", "0002_engagement_index") in applied:
        triggers.ensure(connection)
    if ("reports", "0006_message_engagement") in applied:
        message_bounds.ensure(connection)
    if ("reports", "0007_message_key_sums") in applied:
        message_keys.ensure(connection)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Stats review"

    def ready(self) -> None:
        post_migrate.connect(_triggers_back, sender=self)
