"""Each attached file gets a random key, which pages and the compose form use instead of
its row id (issue 23: ids one editor could count through to reach another's uploads).
Added empty, filled row by row (one random key each), then made unique."""

from django.db import migrations, models

import attachments.models


def fill_keys(apps, schema_editor):
    LocalFile = apps.get_model("attachments", "LocalFile")
    for local in LocalFile.objects.filter(key__isnull=True).only("id"):
        LocalFile.objects.filter(id=local.id).update(key=attachments.models.new_key())


class Migration(migrations.Migration):
    dependencies = [("attachments", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="localfile",
            name="key",
            field=models.CharField(max_length=32, null=True, editable=False),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="localfile",
            name="key",
            field=models.CharField(
                default=attachments.models.new_key, editable=False, max_length=32, unique=True
            ),
        ),
    ]
