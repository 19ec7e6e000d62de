"""The heatmap's values in the rollup (reports/heat.py): per quarter of each row's hour,
the engagement of its sent posts. Every hour with posts is marked dirty: its rows lack
them, so the heatmap reads those hours from the posts until the worker recomputes them."""

from django.db import migrations, models

from reports.triggers import forward


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_rollup_rated"),
    ]

    operations = [
        *(
            migrations.AddField(
                model_name="hourrollup",
                name=f"heat{n}",
                field=models.TextField(null=True),
            )
            for n in range(4)
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
