"""The compose preview: where each network cuts the text, and the partial the form asks for."""

import pytest

from posts import previews
from posts.networks import NETWORK_LIMITS
from posts.previews import FirstComment, PreviewMedia, preview
from tests import factories

# --- cutting text ----------------------------------------------------------------------


@pytest.mark.parametrize("network", ["LinkedIn", "Facebook", "Instagram", "YouTube"])
def test_text_over_the_limit_is_cut_exactly_at_it(network: str) -> None:
    limit = NETWORK_LIMITS[network]
    text = "a" * (limit + 7)
    p = preview(network, text=text)
    assert len(p.shown) + len(p.rest) == limit
    assert p.over == "a" * 7
    assert p.over_by == 7


@pytest.mark.parametrize("network", ["LinkedIn", "Facebook", "Instagram", "YouTube", "Twitter"])
def test_text_at_the_limit_is_whole(network: str) -> None:
    p = preview(network, text="b" * NETWORK_LIMITS[network])
    assert p.over == ""
    assert p.shown + p.rest == "b" * NETWORK_LIMITS[network]


def test_x_counts_each_link_as_23_and_cuts_after_weighted_characters() -> None:
    link = "https://example.com/" + "x" * 100  # 120 characters, counted as 23
    text = link + " " + "c" * 300
    p = preview("Twitter", text=text)
    # 23 for the link, 1 space, then 256 c's fit in 280.
    assert p.shown == link + " " + "c" * 256
    assert p.over == "c" * 44
    assert p.used == 23 + 1 + 300


def test_x_never_splits_a_link_at_its_limit() -> None:
    text = "d" * 270 + " https://example.com/page"
    p = preview("Twitter", text=text)
    assert p.shown.startswith("d" * 270)
    assert "https://example.com/page" in p.over
    assert "https://" not in p.shown


def test_x_appends_the_link_when_the_text_lacks_it() -> None:
    p = preview("Twitter", text="Read this", link_url="https://example.com/a")
    assert p.shown == "Read this https://example.com/a"
    assert p.used == len("Read this ") + 23
    assert p.link is not None and p.link.domain == "example.com"


def test_linkedin_folds_after_about_210_characters_at_a_word() -> None:
    words = ("word " * 100).strip()
    p = preview("LinkedIn", text=words)
    assert p.folded
    assert len(p.shown) <= 210
    assert p.shown.endswith("word")
    assert p.shown + " " + p.rest == words


def test_linkedin_folds_after_three_lines() -> None:
    p = preview("LinkedIn", text="one\ntwo\nthree\nfour\nfive")
    assert p.shown == "one\ntwo\nthree"
    assert p.rest == "four\nfive"


def test_instagram_folds_at_125_and_needs_media() -> None:
    p = preview("Instagram", text="e" * 200, link_url="https://example.com")
    assert p.shown == "e" * 125
    assert p.link is None
    assert any("clickable" in n for n in p.notes)
    assert any("without an image" in n for n in p.notes)
    with_image = preview("Instagram", text="hi", media=(PreviewMedia("image", "/t.png"),))
    assert not any("without an image" in n for n in with_image.notes)


def test_short_text_is_not_folded() -> None:
    p = preview("Facebook", text="Hello")
    assert (p.shown, p.rest, p.over, p.folded) == ("Hello", "", "", False)


def test_media_beyond_what_the_feed_shows_is_counted() -> None:
    media = tuple(PreviewMedia("image", f"/m{i}.png") for i in range(6))
    p = preview("LinkedIn", text="x", media=media)
    assert len(p.media) == 4 and p.extra_media == 2


def test_first_comment_only_on_linkedin() -> None:
    comment = FirstComment("More in the comments")
    assert preview("LinkedIn", text="x", first_comment=comment).first_comment == comment
    other = preview("Facebook", text="x", first_comment=comment)
    assert other.first_comment is None
    assert any("LinkedIn posts only" in n for n in other.notes)


def test_link_card_takes_only_https_images() -> None:
    p = preview(
        "LinkedIn", text="x", link_url="https://www.example.com/a", image_url="http://e.com/i.png"
    )
    assert p.link is not None and p.link.image_url == "" and p.link.domain == "example.com"
    assert any("https" in n for n in p.notes)


def test_fold_at_without_limits_keeps_everything() -> None:
    assert previews.fold_at("abc", None, None) == 3


# --- the partial -----------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_partial_shows_one_card_per_selected_network(editor_client) -> None:
    li = factories.profile("LinkedIn", "Acme page")
    x = factories.profile("Twitter", "Acme X")
    response = editor_client.get(
        "/posts/new/preview/",
        {"text": "f" * 300, "profiles": [li.oktopost_id, x.oktopost_id], "source": "new"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "LinkedIn preview" in body and "X (Twitter) preview" in body
    assert "Acme page" in body and "Acme X" in body
    assert "20 characters over X (Twitter)\u2019s limit of 280" in body
    assert "LinkedIn shows about 3 lines or 210 characters" in body


@pytest.mark.django_db
def test_preview_partial_reads_an_existing_message(editor_client) -> None:
    msg = factories.message(text="From the library", network="Facebook")
    response = editor_client.get(
        "/posts/new/preview/", {"source": "existing", "message": msg.oktopost_id}
    )
    body = response.content.decode()
    assert "Facebook preview" in body and "From the library" in body


@pytest.mark.django_db
def test_preview_of_an_existing_message_shows_its_own_media(editor_client) -> None:
    msg = factories.message(text="With a picture", network="LinkedIn")
    msg.media = [{"id": "026000000000077", "type": "Image", "name": "team.png"}]
    msg.save()
    body = editor_client.get(
        "/posts/new/preview/", {"source": "existing", "message": msg.oktopost_id}
    ).content.decode()
    assert '<img src="/attachments/thumb/026000000000077/" alt="team.png"' in body


@pytest.mark.django_db
def test_preview_partial_without_a_network_says_what_to_do(editor_client) -> None:
    body = editor_client.get("/posts/new/preview/", {"network": "Nope", "text": "x"}).content
    assert b"Pick a network or a profile" in body


@pytest.mark.django_db
def test_preview_partial_escapes_what_was_typed(editor_client) -> None:
    body = editor_client.get(
        "/posts/new/preview/", {"network": "LinkedIn", "text": "<script>alert(1)</script>"}
    ).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;" in body


@pytest.mark.django_db
def test_preview_partial_is_for_editors_only(viewer_client) -> None:
    assert viewer_client.get("/posts/new/preview/", {"network": "LinkedIn"}).status_code == 403
