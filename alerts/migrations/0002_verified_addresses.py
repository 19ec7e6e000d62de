"""Alert mail goes only to verified addresses (issue 23): what each user confirmed and
what an admin allowed, and the one address a confirmation message is sent to.

Addresses saved before this start unconfirmed: until their owners confirm them, mail
goes to the account's own address."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="dispatch",
            name="to_address",
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="preference",
            name="email_allowed",
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="preference",
            name="email_allowed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="preference",
            name="email_confirmed",
            field=models.EmailField(blank=True, max_length=254),
        ),
    ]
