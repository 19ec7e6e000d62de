"""Media on messages and posts, LinkedIn first comments, the media records thumbnails
come from, and the queue's media filter index (issue 16)."""

import importlib

import django.utils.timezone
from django.db import migrations, models

# Adding columns to posts_message makes SQLite rebuild the table, which drops the
# full-text index's triggers (0004_message_search): create them again and rebuild.
_search = importlib.import_module("posts.migrations.0004_message_search")
_TRIGGERS_AGAIN = (
    "DROP TRIGGER IF EXISTS posts_message_fts_insert",
    "DROP TRIGGER IF EXISTS posts_message_fts_update",
    "DROP TRIGGER IF EXISTS posts_message_fts_delete",
    *_search.SQLITE_FORWARD[1:],
)


def _triggers_again(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for sql in _TRIGGERS_AGAIN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0007_stats_cover_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="MediaItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("oktopost_id", models.CharField(max_length=32, unique=True)),
                ("type", models.CharField(blank=True, max_length=16)),
                ("name", models.CharField(blank=True, max_length=255)),
                ("resource", models.URLField(blank=True, max_length=2000)),
                ("size", models.BigIntegerField(null=True)),
                ("status", models.CharField(blank=True, max_length=32)),
                ("created", models.DateTimeField(null=True)),
                ("synced_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.AddField(
            model_name="message",
            name="media",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="message",
            name="media_kind",
            field=models.CharField(blank=True, default="", max_length=8),
        ),
        migrations.AddField(
            model_name="post",
            name="first_comment",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="post",
            name="media_kind",
            field=models.CharField(
                blank=True,
                choices=[("", "Text only"), ("image", "Image"), ("video", "Video"), ("pdf", "PDF")],
                default="",
                max_length=8,
            ),
        ),
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
                    ("first_comment", "Changed first comment"),
                    ("media_upload", "Uploaded media"),
                    ("media_add", "Added media by address"),
                    ("bulk_shift", "Bulk shift"),
                    ("bulk_move", "Bulk move"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(fields=["media_kind", "start_at"], name="post_media_start"),
        ),
        migrations.RunPython(_triggers_again, migrations.RunPython.noop, elidable=False),
    ]
