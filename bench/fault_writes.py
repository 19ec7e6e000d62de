"""The write scenarios of `python -m bench.faults`, table (b): a reschedule and a create
with each fault on the write itself (or on the read before it), and what the next sync
decides for an answer that was lost.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from bench.common import table
from bench.fault_probe import BLOCK_SECONDS, HANG_MS, SKIP, FaultProbe, quiet_after


class WriteFaults(FaultProbe):
    """Table (b): each row one write through `posts.services`, then the settling sync."""

    def reschedule_row(
        self, label: str, fault: dict[str, Any] | None, *, block: bool = False
    ) -> list[Any]:
        from posts import services
        from posts.models import Post

        post = self.candidates(1)[0]
        wanted = post.start_at + timedelta(hours=1)
        old_start = post.start_at
        client = self.write_client()
        last_id = self.last_activity_id()
        posts_before = self.sandbox.state()["counts"]["posts"]
        self.faults(fault)
        if block:
            self.sandbox.control("POST", "block", {"seconds": BLOCK_SECONDS})

        def reschedule() -> str:
            services.post_reschedule(
                user=self.user,
                post=post,
                start_at=wanted,
                expected_modified=post.modified,
                client=client,
            )
            return "Rescheduled."

        step = self.step(client, reschedule, wait=quiet_after(fault))
        words = step.outcome.split(": ", 1)[1] if step.error else step.outcome
        if block:
            self.unblock()
        first_outcome = self.activities_text(last_id)
        settle_step, _ = self.settle_sync()
        decided = self.activities_text(last_id)
        final = Post.objects.get(id=post.id).start_at
        oktopost_has = (
            "new time" if final == wanted else ("old time" if final == old_start else str(final))
        )
        return [
            "reschedule",
            label,
            words,
            step.client_calls,
            step.endpoints_text(),
            first_outcome + (f" → {decided}" if decided != first_outcome else ""),
            settle_step.client_calls,
            f"Oktopost has the {oktopost_has}; audit {decided}",
            f"{self.sandbox.state()['counts']['posts'] - posts_before} posts",
        ]

    def create_row(
        self,
        label: str,
        fault: dict[str, Any] | None,
        *,
        block: bool = False,
        resubmit: bool = False,
    ) -> list[Any]:
        from django.utils import timezone

        from posts import services
        from posts.models import Message, Post, Profile
        from posts.services import create as service_create

        profiles = [
            p.oktopost_id for p in Profile.objects.filter(network="LinkedIn", status="valid")[:2]
        ]
        campaign = (
            Post.objects.exclude(campaign_id=None).values_list("campaign_id", flat=True).first()
        )
        text = f"Fault bench: {label} {secrets.token_hex(3)}"
        key = secrets.token_urlsafe(12)
        client = self.write_client()
        # The compose builds its own interactive client; hand it this one to count.
        saved = service_create.interactive_client
        service_create.interactive_client = lambda: client
        state_before = self.sandbox.state()["counts"]
        last_id = self.last_activity_id()
        self.faults(fault)
        if block:
            self.sandbox.control("POST", "block", {"seconds": BLOCK_SECONDS})

        def compose() -> str:
            post, created = services.post_compose(
                user=self.user,
                submit_key=key,
                message=None,
                profile_ids=profiles,
                start_at=timezone.now() + timedelta(days=6, minutes=len(self.used)),
                network="LinkedIn",
                campaign_id=campaign,
                text=text,
            )
            already = "" if created else "This form was already submitted: "
            return f"{already}Scheduled: LinkedIn post {post.oktopost_id} (…)"

        try:
            step = self.step(client, compose, wait=quiet_after(fault))
        finally:
            service_create.interactive_client = saved
        words = step.outcome.split(": ", 1)[1] if step.error else step.outcome
        if block:
            self.unblock()
        first = self.activities_text(last_id)
        settle_step, _ = self.settle_sync()
        state_after = self.sandbox.state()["counts"]
        made_posts = state_after["posts"] - state_before["posts"]
        made_messages = state_after["messages"] - state_before["messages"]
        message_ids = list(Message.objects.filter(text=text).values_list("oktopost_id", flat=True))
        mirrored = Post.objects.filter(message_id__in=message_ids).count()
        decided = self.activities_text(last_id)
        again = ""
        if resubmit:
            # The same form sent again (reload, back + submit): the same one-time key.
            again_client = self.write_client()
            saved = service_create.interactive_client
            service_create.interactive_client = lambda: again_client
            try:
                second = self.step(again_client, compose)
            finally:
                service_create.interactive_client = saved
            again_words = second.outcome.split(": ", 1)[1] if second.error else second.outcome
            again = f"; resubmit with the same key: {second.client_calls} calls, “{again_words}”"
        dup = max(0, made_posts - 1) + max(0, made_messages - 1)
        return [
            "create",
            label,
            words + again,
            step.client_calls,
            step.endpoints_text(),
            first + (f" → {decided}" if decided and decided != first else ""),
            settle_step.client_calls,
            f"Oktopost: +{made_posts} post, +{made_messages} message; mirror {mirrored} post",
            f"{dup}",
        ]

    def write_rows(self) -> None:
        hang = f"slow:{HANG_MS}"
        rows = [
            self.reschedule_row("none (baseline)", None),
            self.reschedule_row("500 on the read before the write", {"next": ["500"]}),
            self.reschedule_row("hang on the read before the write", {"next": [hang]}),
            self.reschedule_row("500 on the write", {"next": [SKIP, "500"]}),
            self.reschedule_row("HTML 502 page on the write", {"next": [SKIP, "html"]}),
            self.reschedule_row("dropped connection on the write", {"next": [SKIP, "drop"]}),
            self.reschedule_row("truncated JSON answer to the write", {"next": [SKIP, "truncate"]}),
            self.reschedule_row("hang on the write (acts late)", {"next": [SKIP, hang]}),
            self.reschedule_row(
                "answer lost after acting (after_write_delay)",
                {"after_write_delay_ms": HANG_MS},
            ),
            self.reschedule_row(f"429 + block ({BLOCK_SECONDS} s)", None, block=True),
            self.create_row("none (baseline)", None, resubmit=True),
            self.create_row("500 on POST /post", {"next": [SKIP, "500"]}, resubmit=True),
            self.create_row("HTML 502 page on POST /post", {"next": [SKIP, "html"]}),
            self.create_row("dropped connection on POST /post", {"next": [SKIP, "drop"]}),
            self.create_row("truncated JSON answer to POST /post", {"next": [SKIP, "truncate"]}),
            self.create_row(
                "answer to POST /post lost after acting (hang)",
                {"next": [SKIP, hang]},
                resubmit=True,
            ),
            self.create_row(
                "answer to POST /message lost after acting (after_write_delay)",
                {"after_write_delay_ms": HANG_MS},
                resubmit=True,
            ),
            self.create_row(f"429 + block ({BLOCK_SECONDS} s)", None, block=True, resubmit=True),
        ]
        print(
            "\n(b) Writes: `posts.services.post_reschedule` (reads the post, then writes) and "
            "`posts.services.post_compose` (POST /message, then POST /post)\n"
        )
        print(
            table(
                [
                    "write",
                    "fault",
                    "the editor is told",
                    "client.calls",
                    "sandbox log (status)",
                    "audit → after the next sync",
                    "settling sync's calls",
                    "afterwards",
                    "duplicates in Oktopost",
                ],
                rows,
            )
        )
        print(f"\nFinal check: {self.mirror_text()}")
