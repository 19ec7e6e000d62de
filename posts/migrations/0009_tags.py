"""Tags (issue 25): the account's tags, each message's tags as a (tag, message) table
the queue's tag filter reads by index, and when a message's tags were last read."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("posts", "0008_media"),
    ]

    operations = [
        migrations.CreateModel(
            name="Tag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("oktopost_id", models.CharField(max_length=32, unique=True)),
                ("name", models.CharField(blank=True, max_length=255)),
                ("created", models.DateTimeField(null=True)),
                ("last_used", models.DateTimeField(null=True)),
                ("raw", models.JSONField(default=dict)),
                ("synced_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"ordering": ["name"]},
        ),
        # Nullable without a default: SQLite adds the column in place, so the message
        # table and its full-text triggers (0004_message_search) are left as they are.
        migrations.AddField(
            model_name="message",
            name="tags_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.CreateModel(
            name="MessageTag",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="tag_links",
                        to="posts.message",
                        to_field="oktopost_id",
                    ),
                ),
                (
                    "tag",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="message_links",
                        to="posts.tag",
                        to_field="oktopost_id",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("tag", "message"), name="message_tag_tag_message"
                    )
                ],
            },
        ),
    ]
