"""Each message's engagement over all its posts (reports/message_bounds.py), summed
from the posts once here and kept exact from then on by triggers on posts_post."""

from django.db import migrations, models

from reports.message_bounds import backward, forward


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_rollup_sections"),
    ]

    operations = [
        migrations.CreateModel(
            name="MessageEngagement",
            fields=[
                (
                    "message_id",
                    models.CharField(max_length=32, primary_key=True, serialize=False),
                ),
                ("engagement", models.BigIntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(fields=["engagement", "message_id"], name="message_engagement")
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
