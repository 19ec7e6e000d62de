"""Calendar notes (issue 25): Oktopost's custom calendar events, shown on the calendar."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0009_tags"),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarNote",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("oktopost_id", models.CharField(max_length=32, unique=True)),
                ("title", models.CharField(blank=True, max_length=500)),
                ("description", models.TextField(blank=True)),
                ("color", models.CharField(blank=True, max_length=32)),
                ("start_at", models.DateTimeField()),
                ("end_at", models.DateTimeField(null=True)),
                ("campaign_ids", models.JSONField(default=list)),
                ("created", models.DateTimeField(null=True)),
                ("modified", models.DateTimeField(null=True)),
                ("raw", models.JSONField(default=dict)),
                ("synced_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["start_at", "id"],
                "indexes": [models.Index(fields=["start_at", "id"], name="note_start_id")],
            },
        ),
    ]
