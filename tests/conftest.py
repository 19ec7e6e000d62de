"""Standard users and clients, shared by every test file (healthchecks' owner/teammate/outsider)."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import EDITOR, VIEWER, User

pytest_plugins = ["tests.fixtures_sandbox", "tests.fixtures_browser"]

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def editor(db) -> User:
    return make_user("alice", EDITOR)


@pytest.fixture
def viewer(db) -> User:
    return make_user("victor", VIEWER)


@pytest.fixture
def outsider(db) -> User:
    """Logged in, but holding no role."""
    return make_user("olga", None)


@pytest.fixture
def editor_client(editor: User) -> Client:
    client = Client()
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    client = Client()
    client.force_login(viewer)
    return client
