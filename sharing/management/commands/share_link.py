"""Share links for operators: create (prints the full URL), list, revoke.

manage.py share_link create --page stats --query "range=7d&network=LinkedIn" --days 30
manage.py share_link list
manage.py share_link revoke 12
"""

import zoneinfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from posts.selectors import queue_choices
from sharing import scope, selectors, services


class Command(BaseCommand):
    help = "Create, list or revoke read-only share links."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="make a link and print its URL")
        create.add_argument("--page", choices=["stats", "queue"], required=True)
        create.add_argument("--query", default="", help="the view's query string")
        create.add_argument("--days", type=int, default=services.DEFAULT_DAYS)
        create.add_argument("--label", default="")
        create.add_argument("--time-zone", default=settings.TIME_ZONE)
        create.add_argument(
            "--base-url",
            default=getattr(settings, "SITE_URL", "") or "http://127.0.0.1:8000",
            help="where the site is served, for the printed URL",
        )
        actions.add_parser("list", help="every link and its state")
        revoke = actions.add_parser("revoke", help="revoke a link for good")
        revoke.add_argument("id", type=int)

    def handle(self, *args: object, **options: object) -> None:
        action = options["action"]
        if action == "create":
            self._create(options)
        elif action == "list":
            self._list()
        else:
            if not services.share_link_revoke(link_id=options["id"]):
                raise CommandError(f"No active share link with id {options['id']}.")
            self.stdout.write(f"Revoked share link {options['id']}.")

    def _create(self, options: dict) -> None:
        try:
            zone = zoneinfo.ZoneInfo(options["time_zone"])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"Unknown time zone {options['time_zone']!r}.") from None
        found = scope.canonical(options["page"], options["query"], zone, queue_choices())
        if found.problems:
            raise CommandError("Could not share that view: " + " ".join(found.problems))
        label = options["label"] or f"{options['page']} {found.query or '(everything)'}"[:120]
        try:
            created = services.share_link_create(
                page=options["page"],
                query=found.query,
                label=label,
                days=options["days"],
                time_zone=options["time_zone"],
            )
        except services.ShareError as exc:
            raise CommandError(str(exc)) from None
        path = reverse("share:page", args=[created.token])
        self.stdout.write(options["base_url"].rstrip("/") + path)

    def _list(self) -> None:
        for link in selectors.share_links_list():
            used = f"{link.last_used_at:%Y-%m-%d %H:%M}" if link.last_used_at else "never"
            self.stdout.write(
                f"{link.id}\t{link.state}\t{link.page}\t{link.label}\t"
                f"expires {link.expires_at:%Y-%m-%d %H:%M}\tused {link.use_count} times "
                f"(last {used})\t?{link.query}"
            )
