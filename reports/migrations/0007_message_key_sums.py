"""Each message's posts and engagement per network, source, media kind, creator and target
profile (reports/message_keys.py), summed from the posts once here and kept exact from
then on by triggers on posts_post and posts_delivery."""

from django.db import migrations, models

from reports.message_keys import backward, forward


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_message_engagement"),
    ]

    operations = [
        migrations.CreateModel(
            name="MessageKeySum",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "dim",
                        "key",
                        "message_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("dim", models.CharField(max_length=8)),
                ("key", models.CharField(max_length=64)),
                ("message_id", models.CharField(max_length=32)),
                ("posts", models.BigIntegerField()),
                ("engagement", models.BigIntegerField()),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["dim", "key", "-engagement", "message_id"],
                        name="message_key_engagement",
                    ),
                    models.Index(
                        fields=["dim", "key", "-posts", "message_id"], name="message_key_posts"
                    ),
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
