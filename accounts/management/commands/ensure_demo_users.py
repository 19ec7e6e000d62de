"""Create the demo editor and viewer once; later runs keep them and their passwords."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import APPROVER, EDITOR, VIEWER, User

DEMO_USERS = (("editor", EDITOR), ("viewer", VIEWER), ("approver", APPROVER))


class Command(BaseCommand):
    help = "Create the demo users 'editor' and 'viewer' if missing and print how to log in."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--credentials-file",
            type=Path,
            default=None,
            help="where the demo passwords are kept (default: var/demo-users.txt)",
        )

    def handle(self, *args: object, **options: object) -> None:
        path = options["credentials_file"] or Path(settings.VAR_DIR) / "demo-users.txt"
        known = _read_passwords(path)
        with transaction.atomic():
            for username, role in DEMO_USERS:
                user = User.objects.filter(username=username).first()
                if user is None:
                    password = secrets.token_urlsafe(9)
                    user = User.objects.create_user(username=username, password=password)
                    user.groups.add(Group.objects.get_or_create(name=role)[0])
                    known[username] = password
                    self.stdout.write(f"Created demo {role} {username!r}.")
        _write_passwords(path, known)
        self.stdout.write(f"Demo logins (kept in {path}):")
        for username, role in DEMO_USERS:
            password = known.get(username, "(set before; unchanged)")
            self.stdout.write(f"  {role:<7} user: {username:<8} password: {password}")


def _read_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split(" ", 1) for line in path.read_text().splitlines() if " " in line)
    return {name: password for name, password in pairs}


def _write_passwords(path: Path, known: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text("".join(f"{name} {password}\n" for name, password in known.items()))
