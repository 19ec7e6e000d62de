"""A set of triggers that keeps a table of sums exact, and the three things every such
set needs: made with its sums by a migration (`forward`), dropped (`backward`), and made
again with every sum recomputed when one trigger was lost (`ensure`: SQLite drops a
table's triggers when a later migration remakes the table; `reports.apps` calls it at
every start). reports/message_bounds.py and reports/message_keys.py each hold one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class TriggerSet:
    # Per database vendor: the names of the triggers made there, the statements that
    # drop them (and their functions), and those that drop, make and refill.
    names: Callable[[str], list[str]]
    drop: Callable[[str], list[str]]
    remake: Callable[[str], list[str]]

    def forward(self, apps, schema_editor) -> None:
        for sql in self.remake(schema_editor.connection.vendor):
            schema_editor.execute(sql, params=None)

    def backward(self, apps, schema_editor) -> None:
        for sql in self.drop(schema_editor.connection.vendor):
            schema_editor.execute(sql, params=None)

    def ensure(self, conn) -> bool:
        """The triggers exist; if one was lost, they are made again and every sum
        recomputed, in one transaction. True then."""
        names = self.names(conn.vendor)
        marks = ", ".join(["%s"] * len(names))
        with conn.cursor() as cursor:
            if conn.vendor == "sqlite":
                where = f"sqlite_master WHERE type = 'trigger' AND name IN ({marks})"
            else:
                where = f"pg_trigger WHERE tgname IN ({marks})"
            sql = f"SELECT COUNT(*) FROM {where}"  # noqa: S608 (placeholders only)
            cursor.execute(sql, names)
            if cursor.fetchone()[0] == len(names):
                return False
        with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
            for sql in self.remake(conn.vendor):
                cursor.execute(sql)
        return True
