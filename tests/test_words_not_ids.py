"""Names and words, not raw ids or jargon (issue 29, item 14): a post's page and the
activity trail name posts and messages by their text; the id shows only in the field
someone copies it from; the activity page finds a post by the words of its message."""

from html.parser import HTMLParser

import pytest
from django.test import Client

from posts.models import Post
from tests import factories as f


class _Text(HTMLParser):
    """What a person reads: the text of the page, without tags, attributes or scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in ("script", "style", "title"):
            self.skip += 1

    def handle_endtag(self, tag) -> None:
        if tag in ("script", "style", "title") and self.skip:
            self.skip -= 1

    def handle_data(self, data) -> None:
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def posted(db, editor):
    return f.posts_with_a_trail(editor)


def test_a_posts_page_names_it_and_shows_its_id_only_to_copy(editor_client: Client, posted) -> None:
    post = posted["post"]
    html = editor_client.get(f"/posts/{post.oktopost_id}/").content.decode()
    text = visible_text(html)
    for raw in (post.oktopost_id, posted["hello"].oktopost_id, posted["launch"].oktopost_id):
        assert raw not in text, raw
    assert "Queued" not in text and " yes " not in f" {text} "
    assert "Waiting to send, in Oktopost's posting queue" in text
    assert "LinkedIn post in Spring launch" in text
    # The id where someone pastes it: a read-only field with Copy.
    assert f'readonly value="{post.oktopost_id}"' in html
    assert "Copy id" in text
    assert "<title>LinkedIn post: Hello LinkedIn people" in html


def test_the_activity_trail_names_posts_and_messages(editor_client: Client, posted) -> None:
    html = editor_client.get("/activity/").content.decode()
    text = visible_text(html)
    for raw in (posted["post"].oktopost_id, posted["hello"].oktopost_id):
        assert raw not in text, raw
    assert "Post id" not in html and "004…" not in html
    assert "LinkedIn post “Hello LinkedIn people, spring is here”" in text
    assert "Message “Hello LinkedIn people, spring is here” created" in text


def test_activity_finds_a_post_by_the_words_of_its_message(editor_client: Client, posted) -> None:
    text = visible_text(editor_client.get("/activity/?q=quiet").content.decode())
    assert "Twitter post “Quiet Twitter note about the launch”" in text
    assert "Hello LinkedIn" not in text


def test_activity_for_one_post_names_it(editor_client: Client, posted) -> None:
    post = posted["post"]
    text = visible_text(editor_client.get(f"/activity/?post={post.oktopost_id}").content.decode())
    assert "Only LinkedIn post “Hello LinkedIn people, spring is here” \u00d7" in text
    assert "Quiet Twitter note" not in text
    assert post.oktopost_id not in text


@pytest.mark.parametrize(
    "page", ["/posts/{id}/cancel/", "/posts/{id}/edit/", "/calendar/post/{id}/"]
)
def test_the_pages_that_change_a_post_name_it_not_its_id(
    editor_client: Client, posted, page: str
) -> None:
    """Before: "The LinkedIn post 004…", "Edit post 004…", "Move post 004…"."""
    post = posted["post"]
    response = editor_client.get(page.format(id=post.oktopost_id))
    assert response.status_code == 200
    html = response.content.decode()
    title = html.split("<title>")[1].split("</title>")[0]
    assert post.oktopost_id not in visible_text(html) + title


def test_a_post_whose_message_and_campaign_are_not_mirrored_yet_is_still_named(
    editor_client: Client, db
) -> None:
    """Post.name read `post.message` of a message the sync has not fetched yet: Django
    raised DoesNotExist there, and the cancel page answered 500."""
    post = f.post(status="pending")
    Post.objects.filter(id=post.id).update(
        message_id="005999999999999", campaign_id="002999999999999"
    )
    response = editor_client.get(f"/posts/{post.oktopost_id}/cancel/")
    assert response.status_code == 200
    assert Post.objects.get(id=post.id).name == "LinkedIn post (message not synced yet)"
