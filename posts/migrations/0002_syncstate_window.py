from django.db import migrations, models


def progress_to_window(apps, schema_editor) -> None:
    """A run cut short before this migration kept its window in last_result: move it."""
    SyncState = apps.get_model("posts", "SyncState")
    for state in SyncState.objects.all():
        result = state.last_result or {}
        if isinstance(result, dict) and "window" in result:
            state.window = result.pop("window")
            state.last_result = result
            state.save(update_fields=["window", "last_result"])


def window_to_progress(apps, schema_editor) -> None:
    SyncState = apps.get_model("posts", "SyncState")
    for state in SyncState.objects.exclude(window=None):
        state.last_result = {"window": state.window}
        state.save(update_fields=["last_result"])


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="syncstate",
            name="window",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(progress_to_window, window_to_progress),
        # "bulk_cancel" was never written: a bulk cancel records one "cancel" per post.
        migrations.AlterField(
            model_name="activity",
            name="action",
            field=models.CharField(
                choices=[
                    ("message_create", "Created message"),
                    ("create", "Created post"),
                    ("reschedule", "Rescheduled"),
                    ("profiles", "Changed profiles"),
                    ("cancel", "Cancelled"),
                    ("bulk_shift", "Bulk shift"),
                    ("bulk_move", "Bulk move"),
                ],
                max_length=20,
            ),
        ),
    ]
