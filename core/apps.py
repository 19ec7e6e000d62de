from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # SQLite opens its file but never makes the folder it goes in (VAR_DIR by
        # default, which settings no longer create at import); every other part of the
        # local state makes its own folder when it first writes.
        for database in settings.DATABASES.values():
            if database["ENGINE"] == "django.db.backends.sqlite3":
                for name in (database["NAME"], database.get("TEST", {}).get("NAME")):
                    if name and str(name) != ":memory:" and not str(name).startswith("file:"):
                        Path(name).parent.mkdir(parents=True, exist_ok=True)
