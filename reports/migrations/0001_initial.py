"""The hourly rollup, its dirty hours, and the triggers on posts_post that keep them
honest (SQLite and PostgreSQL each get their own SQL). Every hour that already has
posts is marked dirty here, so the page is exact before the worker first runs."""

from django.db import migrations, models

from reports.triggers import backward, forward


class Migration(migrations.Migration):
    initial = True

    dependencies = [("posts", "0007_stats_cover_index")]

    operations = [
        migrations.CreateModel(
            name="DirtyHour",
            fields=[
                ("hour", models.BigIntegerField(primary_key=True, serialize=False)),
                ("token", models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="HourRollup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hour", models.BigIntegerField()),
                ("network", models.CharField(max_length=32)),
                ("status", models.CharField(max_length=16)),
                ("deleted", models.BooleanField()),
                ("posts", models.BigIntegerField()),
                ("clicks", models.BigIntegerField()),
                ("conversions", models.BigIntegerField()),
                ("comments", models.BigIntegerField()),
                ("likes", models.BigIntegerField()),
                ("shares", models.BigIntegerField()),
                ("impressions", models.BigIntegerField()),
                ("sent", models.BigIntegerField()),
                ("partly", models.BigIntegerField()),
                ("failed", models.BigIntegerField()),
                ("unfetched", models.BigIntegerField()),
                ("unfetched_stats", models.BigIntegerField()),
                ("oldest_counters_at", models.DateTimeField(null=True)),
                ("oldest_stats_at", models.DateTimeField(null=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("hour", "network", "status", "deleted"), name="rollup_hour_key"
                    )
                ],
                "indexes": [
                    models.Index(
                        fields=[
                            "hour", "network", "status", "deleted", "posts",
                            "clicks", "conversions", "comments", "likes", "shares", "impressions",
                            "sent", "partly", "failed", "unfetched", "unfetched_stats",
                            "oldest_counters_at", "oldest_stats_at",
                        ],
                        name="rollup_cover",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
