"""Which role made each link (issue 23): a link lives only while its creator holds it.
Links without a creator came from the command; the weekly digest's are labelled so."""

from django.db import migrations, models


def fill_made_as(apps, schema_editor):
    ShareLink = apps.get_model("sharing", "ShareLink")
    ShareLink.objects.filter(created_by__isnull=True).update(made_as="operator")
    ShareLink.objects.filter(
        created_by__isnull=False, label__startswith="Weekly digest for "
    ).update(made_as="viewer")


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="sharelink",
            name="made_as",
            field=models.CharField(
                choices=[
                    ("editor", "An editor, on the share page"),
                    ("viewer", "The weekly digest of a viewer or editor"),
                    ("operator", "An operator, with manage.py share_link"),
                ],
                default="editor",
                max_length=8,
            ),
        ),
        migrations.RunPython(fill_made_as, migrations.RunPython.noop),
    ]
