from django.core.management.base import BaseCommand, CommandError

from oktopost.errors import OktopostError
from posts import sync
from posts.connection import get_client
from posts.status import catalog_gaps


class Command(BaseCommand):
    help = "Run one sync pass with Oktopost in the foreground and say what it did."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--full", action="store_true", help="read every post, not just changes")

    def handle(self, *args: object, full: bool = False, **options: object) -> None:
        client = get_client(max_wait=sync.SYNC_MAX_WAIT)
        try:
            result = sync.posts_sync(full=full, client=client)
        except sync.SyncBusy as exc:
            raise CommandError("Another sync is running; try again when it has finished.") from exc
        except OktopostError as exc:
            raise CommandError(f"Oktopost failed: {exc}. Progress so far is kept.") from exc
        self.stdout.write(
            f"{result.kind} sync: {result.created} posts created, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.deleted} marked deleted; "
            f"{result.messages} messages, {result.postlogs} postlogs fetched; "
            f"{result.pages} pages; {result.calls} API calls used."
        )
        # Posts are mirrored either way; say which names could not be read, and why.
        for gap in catalog_gaps():
            self.stdout.write(gap.words)
