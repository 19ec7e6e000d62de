"""Reading back posts a test just sent in the sandbox, as an editor's call would."""

from collections.abc import Iterable

from django.db import transaction

from oktopost.client import OktopostClient
from posts import sync
from posts.models import Post
from posts.services.common import mirror_post


def read_back(client: OktopostClient, posts: Iterable[Post]) -> None:
    """Each post and its postlogs into the mirror. The sync reads them only while the
    background budget allows (never waiting), and a test's burst of creates can spend a
    minute's share: an interactive client is never refused for pace."""
    for post in posts:
        with transaction.atomic():
            mirror_post(client.post_get(post.oktopost_id))
        sync.postlogs_fetch(client, [Post.objects.get(id=post.id)])
