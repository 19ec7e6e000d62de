from django.core.management.base import BaseCommand

from posts import sync
from posts.connection import get_client


class Command(BaseCommand):
    help = "Refresh shares and impressions of the posts most due, within the API budget."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--limit", type=int, default=50, help="at most this many posts")

    def handle(self, *args: object, limit: int = 50, **options: object) -> None:
        if limit < 1:
            self.stderr.write("--limit must be at least 1")
            return
        result = sync.stats_refresh(limit=limit, client=get_client())
        tiers = ", ".join(f"{name}: {n}" for name, n in sorted(result.by_tier.items())) or "none"
        self.stdout.write(
            f"{result.refreshed} posts' stats refreshed ({tiers}); {result.deleted} gone from "
            f"Oktopost; {result.failed} failed; {result.calls} API calls used."
        )
        if result.stopped:
            self.stdout.write(f"Stopped early: {result.stopped}")
