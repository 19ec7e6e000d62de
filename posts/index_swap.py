"""Remaking an index of `posts_post` under the same name, for migrations that widen one
(issue 31): the queue's walks and counts read what they test from the index alone.

Migrations 0016 and 0017 run this code: change what it does and a database migrated
afresh differs from one migrated before. Give a new behaviour a new function."""

from __future__ import annotations

from django.db import models


def swap_indexes(apps, schema_editor, indexes: dict[str, list[str]]) -> None:
    """Each named index made again with `fields`.

    On PostgreSQL each index is built beside the old one without blocking the table
    (CONCURRENTLY: a plain DROP INDEX would lock `posts_post` against reads until the
    builds were done, some seconds each at 1M posts), then takes its name; the migration
    must not be atomic. SQLite has one writer and no such option: dropped and made again,
    then measured, since its planner statistics are kept per index and went with the old
    ones."""
    post = apps.get_model("posts", "Post")
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, fields in indexes.items():
        if postgres:
            building = models.Index(fields=fields, name=f"{name}_w")
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {building.name}")
            schema_editor.add_index(post, building, concurrently=True)
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            schema_editor.execute(f"ALTER INDEX {building.name} RENAME TO {name}")
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
            schema_editor.add_index(post, models.Index(fields=fields, name=name))
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("ANALYZE posts_post")


def swap_operations(before: dict[str, list[str]], after: dict[str, list[str]]) -> list:
    """The state change (the model's indexes as `after`) and the database's, both ways."""
    from django.db import migrations

    def forwards(apps, schema_editor) -> None:
        swap_indexes(apps, schema_editor, after)

    def backwards(apps, schema_editor) -> None:
        swap_indexes(apps, schema_editor, before)

    return [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                *(migrations.RemoveIndex(model_name="post", name=name) for name in after),
                *(
                    migrations.AddIndex(
                        model_name="post", index=models.Index(fields=fields, name=name)
                    )
                    for name, fields in after.items()
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
