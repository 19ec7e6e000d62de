"""`manage.py oktopost_webhooks install|status|remove [--rotate]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.services import ServiceError
from inbox import services
from oktopost.errors import OktopostError


class Command(BaseCommand):
    help = "Register oktodash's webhook URL with Oktopost for the post events, show or remove it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["install", "status", "remove"])
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="install with a new secret (the old one is "
            "accepted for WEBHOOKS_MAX_AGE_SECONDS more)",
        )

    def handle(self, *args, action: str, rotate: bool, **options) -> None:
        try:
            if action == "install":
                report = services.webhooks_install(rotate=rotate)
                self.stdout.write(
                    f"Webhooks for {report.url}: {len(report.created)} created, "
                    f"{len(report.updated)} updated, {len(report.kept)} already there, "
                    f"{len(report.removed)} duplicates removed."
                    + (" New secret in use." if rotate else "")
                )
            elif action == "remove":
                removed = services.webhooks_remove()
                self.stdout.write(f"Removed {len(removed)} webhooks; the secret is forgotten.")
            else:
                self._status()
        except (ServiceError, OktopostError) as exc:
            raise CommandError(str(exc)) from exc

    def _status(self) -> None:
        status = services.webhooks_status(fresh=True)
        side = status.oktopost
        assert side is not None  # asked fresh
        if side.error:
            raise CommandError(side.error)
        registered = ", ".join(f"{e} {'yes' if ok else 'NO'}" for e, ok in side.registered.items())
        last = f"{status.last_event_at:%Y-%m-%d %H:%M:%S} UTC" if status.last_event_at else "never"
        state = "not installed" if not status.installed else "silent" if status.silent else "ok"
        self.stdout.write(
            f"Webhooks: {state}. URL {status.url}. Registered: {registered}. "
            f"Last event: {last}. Events in the last hour: {status.events_last_hour}; "
            f"deliveries Oktopost logged: {side.deliveries_last_hour}, "
            f"of which failed: {side.failures_last_hour}."
        )
