"""What each network takes as media, checked before anything is sent to Oktopost.

Pure: no Django, nothing of the project. Numbers come from the networks' own published
limits for posts made through their APIs; where we have no trustworthy number the limit
is None, and the form says "unknown" rather than guessing (Oktopost may refuse such a
post later, and then its words are shown). Oktopost documents none of these itself.
"""

from __future__ import annotations

from dataclasses import dataclass

MB = 1_000_000


@dataclass(frozen=True)
class Rules:
    takes_images: bool
    takes_video: bool
    takes_pdf: bool
    max_images: int | None  # images in one post
    image_bytes: int | None  # per image
    video_bytes: int | None
    video_seconds: int | None
    needs_media: bool = False  # Instagram and YouTube posts cannot be text only


RULES: dict[str, Rules] = {
    # X: 4 images of 5 MB, or one video of 512 MB and 140 s (media upload docs).
    "Twitter": Rules(True, True, False, 4, 5 * MB, 512 * MB, 140),
    # LinkedIn: multi-image posts of up to 20 images, one video (3 s to 30 min) of up to
    # 500 MB, or one document; an image's size limit is not published.
    "LinkedIn": Rules(True, True, True, 20, None, 500 * MB, 30 * 60),
    # Facebook: a page post takes up to 10 photos of 10 MB; video size/length limits for
    # pages vary by page, so unknown.
    "Facebook": Rules(True, True, False, 10, 10 * MB, None, None),
    # Instagram: a carousel of up to 10 items, JPEG images of 8 MB; a video's length
    # depends on feed/reel: unknown.
    "Instagram": Rules(True, True, False, 10, 8 * MB, None, None, needs_media=True),
    # YouTube: exactly one video; its size and length limits depend on the channel.
    "YouTube": Rules(False, True, False, 0, None, None, None, needs_media=True),
}


@dataclass(frozen=True)
class Item:
    kind: str  # "image", "video", "pdf"
    name: str
    size: int | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class Verdict:
    errors: tuple[str, ...]  # the post cannot go out like this
    unknown: tuple[str, ...]  # limits we cannot check, said once each


def _mb(n: int) -> str:
    return f"{n / MB:g} MB"


def check(network: str, items: list[Item]) -> Verdict:
    """Every reason `items` cannot be posted to `network`, and every limit we cannot
    check for it, in plain words."""
    rules = RULES.get(network)
    if rules is None:
        return Verdict((), (f"{network}'s media limits are unknown.",) if items else ())
    errors: list[str] = []
    unknown: list[str] = []
    images = [i for i in items if i.kind == "image"]
    videos = [i for i in items if i.kind == "video"]
    pdfs = [i for i in items if i.kind == "pdf"]
    if rules.needs_media and not items:
        errors.append(f"{network} posts need an image or a video.")
    if images and not rules.takes_images:
        errors.append(f"{network} does not take images; attach a video instead.")
    if videos and not rules.takes_video:
        errors.append(f"{network} does not take videos.")
    if pdfs and not rules.takes_pdf:
        errors.append(f"{network} does not take PDF documents; only LinkedIn does.")
    if len(videos) > 1:
        errors.append("Attach one video at most.")
    if len(pdfs) > 1:
        errors.append("Attach one PDF document at most.")
    kinds = {i.kind for i in items}
    if len(kinds) > 1:
        errors.append("Attach images, a video or a document, not a mix of them.")
    if images and rules.takes_images:
        if rules.max_images is not None and len(images) > rules.max_images:
            errors.append(
                f"{network} takes at most {rules.max_images} images; {len(images)} are attached."
            )
        if rules.image_bytes is None:
            unknown.append(f"{network}'s image size limit is unknown.")
        else:
            for image in images:
                if image.size is None:
                    unknown.append(f"The size of {image.name} is unknown.")
                elif image.size > rules.image_bytes:
                    errors.append(
                        f"{image.name} is {_mb(image.size)}; {network} takes images up to "
                        f"{_mb(rules.image_bytes)}."
                    )
    for video in videos if rules.takes_video else []:
        if rules.video_bytes is None:
            unknown.append(f"{network}'s video size limit is unknown.")
        elif video.size is None:
            unknown.append(f"The size of {video.name} is unknown.")
        elif video.size > rules.video_bytes:
            errors.append(
                f"{video.name} is {_mb(video.size)}; {network} takes videos up to "
                f"{_mb(rules.video_bytes)}."
            )
        if rules.video_seconds is None:
            unknown.append(f"{network}'s video length limit is unknown.")
        elif video.seconds is None:
            unknown.append(f"The length of {video.name} is unknown.")
        elif video.seconds > rules.video_seconds:
            errors.append(
                f"{video.name} lasts {video.seconds:.0f} s; {network} takes videos up to "
                f"{rules.video_seconds} s."
            )
    return Verdict(tuple(dict.fromkeys(errors)), tuple(dict.fromkeys(unknown)))


FIRST_COMMENT_LIMIT = 3000  # characters (API reference, posts: firstComment[text])
