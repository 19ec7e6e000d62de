"""The rollup's rows per campaign, creator, source, media and target profile (`dim`,
`key`), and the triggers that keep them exact: posts_post's now also watch the columns
those rows are keyed by, and posts_delivery gets its own (a target profile added or
removed changes its post's hour). Every hour with posts is marked dirty: its rows per
dimension do not exist yet, so the page reads those hours from the posts until the
worker has recomputed them."""

from django.db import migrations, models

from reports.triggers import forward


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_engagement_index")]

    operations = [
        migrations.RemoveConstraint(model_name="hourrollup", name="rollup_hour_key"),
        migrations.RemoveIndex(model_name="hourrollup", name="rollup_cover"),
        migrations.AddField(
            model_name="hourrollup",
            name="dim",
            field=models.CharField(default="", max_length=16),
        ),
        migrations.AddField(
            model_name="hourrollup",
            name="key",
            field=models.CharField(default="", max_length=64),
        ),
        migrations.AddConstraint(
            model_name="hourrollup",
            constraint=models.UniqueConstraint(
                fields=("dim", "hour", "network", "status", "deleted", "key"),
                name="rollup_dim_hour_key",
            ),
        ),
        migrations.AddIndex(
            model_name="hourrollup",
            index=models.Index(
                fields=[
                    "dim", "hour", "network", "status", "deleted", "key", "posts",
                    "clicks", "conversions", "comments", "likes", "shares", "impressions",
                    "sent", "partly", "failed", "unfetched", "unfetched_stats",
                    "oldest_counters_at", "oldest_stats_at",
                ],
                name="rollup_dim_cover",
            ),
        ),
        migrations.AddIndex(
            model_name="hourrollup",
            index=models.Index(
                fields=[
                    "dim", "key", "hour", "network", "status", "deleted", "posts",
                    "clicks", "conversions", "comments", "likes", "shares", "impressions",
                    "sent", "partly", "failed", "unfetched", "unfetched_stats",
                    "oldest_counters_at", "oldest_stats_at",
                ],
                name="rollup_key_cover",
            ),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]  # fmt: skip
