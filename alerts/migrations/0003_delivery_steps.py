"""Messages at most once where the channel cannot say (issue 22): each dispatch gets a key
that stays the same on every try (the webhook's Idempotency-Key, the mail's Message-ID),
the claim names its sender, and a try records how far it got (`step`), so that a try
that ended between handing the message over and the answer counts as "maybe sent".

The key is unique, so rows made before this get one each (Django evaluates a callable
default once per AddField: every row would share it, and receivers that drop repeated
keys would drop all but one of them)."""

import uuid

from django.db import migrations, models


def give_each_dispatch_a_key(apps, schema_editor) -> None:
    Dispatch = apps.get_model("alerts", "Dispatch")
    for dispatch_id in Dispatch.objects.values_list("id", flat=True).iterator():
        Dispatch.objects.filter(id=dispatch_id).update(key=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0002_verified_addresses"),
    ]

    operations = [
        migrations.AddField(
            model_name="attempt",
            name="maybe",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="dispatch",
            name="claim",
            field=models.UUIDField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="dispatch",
            name="key",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(give_each_dispatch_a_key, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="dispatch",
            name="key",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name="dispatch",
            name="maybe_sent",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="dispatch",
            name="step",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "No try under way"),
                    ("trying", "Being tried, nothing handed over yet"),
                    ("handed", "Handed over, no answer yet"),
                ],
                default="",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="dispatch",
            name="state",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting"),
                    ("sent", "Sent"),
                    ("maybe", "Maybe sent"),
                    ("failed", "Failed, kept"),
                ],
                default="pending",
                max_length=8,
            ),
        ),
    ]
