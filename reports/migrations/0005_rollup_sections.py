"""The later sections' figures in the rollup: the heatmap's values (reports/heat.py: per
quarter of each row's hour, the engagement of its sent posts) and each row's best sent
post by clicks, conversions and engagement (reports/best_hours.py). Every hour with
posts is marked dirty: its rows lack them, so those sections read those hours from the
posts until the worker recomputes them."""

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
        *(
            migrations.AddField(
                model_name="hourrollup",
                name=f"best_{name}",
                field=models.BigIntegerField(null=True),
            )
            for name in ("clicks", "conversions", "engagement")
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
