"""Every page, as editors and viewers see it, at 1366x900 and on a phone (390x844), in
light and dark: no sideways scroll, no control off screen, 15+ queue rows on a laptop,
zero serious or critical axe-core violations, zero CSP violations. Screenshots go to
var/screenshots/ for a person to look at.

A page added later (stats, calendar, share links) is one more entry in PAGES."""

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils import timezone

from accounts.models import EDITOR, VIEWER
from alerts.models import ReportRecipient
from alerts.services import reports
from alerts.services import send as alert_send
from alerts.services.detect import alerts_detect
from alerts.unsubscribe import unsubscribe_token
from posts.models import (
    Activity,
    BulkAction,
    CalendarNote,
    Delivery,
    Post,
    SavedView,
    StatsSample,
    SyncState,
)
from sharing.services import share_link_create
from tests import factories as f
from tests.conftest import make_user

# slow: each case visits every page (a minute or more), so they start first.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.visual,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = (ROOT / "tests" / "vendor" / "axe-4.14.1.min.js").read_text()

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
SCHEMES = ("light", "dark")


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[dict], str]
    roles: tuple[str, ...] = (EDITOR, VIEWER)
    # Run after loading (open the drawer, ...); returns nothing, may assert.
    then: Callable[[object], None] | None = None
    # Controls inside these may scroll within their box (wide tables).
    scrollers: tuple[str, ...] = field(default=(".table-scroll",))
    status: int = 200
    # axe checks only this part (the page behind it is a page of its own in PAGES).
    axe_scope: str | None = None


def open_drawer(page) -> None:
    page.locator("#post-rows .col-message a").first.click()
    page.wait_for_selector("#drawer.open #post-detail")
    page.wait_for_timeout(200)  # the slide-in transition
    close = page.locator("#drawer .drawer-close")
    assert close.is_visible()
    box = close.bounding_box()
    viewport = page.viewport_size
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], box
    # Full-screen on a phone: the page behind it is out of the tab order.
    behind = page.evaluate("document.querySelector('body > header').inert")
    assert behind is (viewport["width"] <= 760)


def open_new_post_drawer(page) -> None:
    page.click("text=New post")
    page.wait_for_selector("#drawer.open #post-form")
    page.wait_for_timeout(200)
    assert page.locator("#drawer .drawer-close").is_visible()
    # Writing a new message: the list of existing ones stays out of the way.
    assert not page.locator("#drawer #message-results").is_visible()
    page.click("#drawer label:has-text('Use an existing message')")
    assert page.locator("#drawer #message-results").is_visible()
    assert not page.locator("#drawer textarea[name=text]").is_visible()


def row_actions_by_keyboard(page) -> None:
    """Tab from a row's message reaches its actions, which show on focus; Enter opens Move."""
    row = page.locator("#post-rows tbody tr:has(.row-move)").first
    row.locator(".col-message a").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Move", focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "no visible focus on the row action"
    assert row.locator(".row-actions").evaluate("e => getComputedStyle(e).opacity") == "1"
    page.keyboard.press("Enter")
    assert row.locator("input[name=when]").is_visible()
    page.wait_for_timeout(50)


def open_calendar_drawer(page) -> None:
    # An editor's drawer shows "Move to…" for an unsent post; a viewer's has none.
    movable = page.locator('#calendar-body .chip[draggable="true"]')
    (movable if movable.count() else page.locator("#calendar-body .chip")).first.click()
    page.wait_for_selector("#drawer.open #calendar-drawer")
    page.wait_for_timeout(200)  # the slide-in transition
    assert page.locator("#drawer .drawer-close").is_visible()


def open_note(page) -> None:
    """A calendar note opens by keyboard and says its whole span."""
    summary = page.locator("#calendar-body .note > summary").first
    summary.focus()
    page.keyboard.press("Enter")
    body = page.locator("#calendar-body .note[open] .note-body").first
    assert body.is_visible() and body.locator(".note-span").inner_text()


def compose_with_preview(page) -> None:
    """Typing and picking profiles redraws the preview: one card per network, the text
    folded where LinkedIn folds it."""
    page.check("input[name=source][value=new]")
    page.select_option("select[name=network]", "LinkedIn")
    for network in ("LinkedIn", "Twitter"):
        page.locator(f"input[name=profiles][data-network={network}]:not([disabled])").first.check()
    page.fill("textarea[name=text]", "Our spring launch is here. " * 14)
    page.fill("input[name=link_url]", "https://example.com/spring")
    page.wait_for_selector("#compose-preview .net-twitter .net-over")
    assert page.locator("#compose-preview .net-linkedin .net-fold").count() == 1


PAGES = [
    Page("queue", lambda d: "/posts/"),
    Page("queue-tag", lambda d: f"/posts/?tag={d['tag']}"),
    Page("drawer", lambda d: "/posts/", then=open_drawer, axe_scope="#drawer"),
    Page(
        "new-post-drawer",
        lambda d: "/posts/",
        roles=(EDITOR,),
        then=open_new_post_drawer,
        axe_scope="#drawer",
    ),
    Page(
        "row-actions",
        lambda d: "/posts/",
        roles=(EDITOR,),
        then=row_actions_by_keyboard,
        axe_scope="#post-rows tbody tr:has(input[name=when])",
    ),
    Page("detail", lambda d: f"/posts/{d['sent']}/"),
    Page("detail-pending", lambda d: f"/posts/{d['pending']}/"),
    Page("new-post", lambda d: "/posts/new/", roles=(EDITOR,), then=compose_with_preview),
    Page("cancel", lambda d: f"/posts/{d['pending']}/cancel/", roles=(EDITOR,)),
    Page("bulk", lambda d: f"/posts/bulk/{d['bulk']}/", roles=(EDITOR,)),
    Page("activity", lambda d: "/activity/"),
    Page("calendar-week", lambda d: "/calendar/"),
    Page("calendar-month", lambda d: "/calendar/?view=month"),
    Page(
        "calendar-note",
        lambda d: "/calendar/",
        then=open_note,
        axe_scope="#calendar-body .note[open]",
    ),
    Page("calendar-drawer", lambda d: "/calendar/", then=open_calendar_drawer, axe_scope="#drawer"),
    Page("time-zone", lambda d: "/accounts/time-zone/"),
    Page("stats", lambda d: "/stats/?range=30d"),
    Page("stats-tag", lambda d: f"/stats/?range=30d&tag={d['tag']}"),
    Page("share-links", lambda d: "/share/", roles=(EDITOR,)),
    Page(
        "share-new", lambda d: "/share/new/?page=stats&network=LinkedIn&range=7d", roles=(EDITOR,)
    ),
    Page("share-new-queue", lambda d: "/share/new/?page=queue&preset=attention", roles=(EDITOR,)),
    Page("alerts", lambda d: "/alerts/"),
    Page("alert-settings", lambda d: "/alerts/settings/"),
    Page("email-reports", lambda d: "/alerts/reports/?query=network%3DLinkedIn"),
    Page("oktopost-connection", lambda d: "/webhooks/", roles=(EDITOR,)),
    Page("not-found", lambda d: "/posts/004999999999999/", status=404),
    Page("forbidden", lambda d: "/posts/new/", roles=(VIEWER,), status=403),
]
ANONYMOUS_PAGES = [
    Page("login", lambda d: "/accounts/login/", roles=()),
    Page("shared-stats", lambda d: f"/s/{d['share_stats']}/", roles=()),
    Page("shared-queue", lambda d: f"/s/{d['share_queue']}/", roles=()),
    Page("unsubscribe", lambda d: f"/alerts/unsubscribe/{d['unsubscribe']}/", roles=()),
]


@pytest.fixture
def world(transactional_db, monkeypatch) -> dict:
    """Enough posts to fill a laptop screen, in every state a row can be in."""
    now = timezone.now()
    editor, viewer = make_user("erin", EDITOR), make_user("vera", VIEWER)
    editor.time_zone = viewer.time_zone = "Europe/Berlin"
    editor.save()
    viewer.save()
    camps = [f.campaign(name) for name in ("Spring launch", "Hiring 2026", "Webinar series")]
    profs = [
        f.profile("LinkedIn", "Acme company page"),
        f.profile("LinkedIn", "Acme careers"),
        f.profile("Twitter", "Acme on X"),
        f.profile("Facebook", "Acme Facebook"),
    ]
    texts = [
        "Our spring launch is here: every detail of the new release, explained in full.",
        "We are hiring engineers who like hard problems and kind colleagues.",
        "Join the webinar on Thursday: how teams plan a quarter of social posts.",
        "Five things we learned shipping a dashboard that social teams use every day.",
    ]
    made: dict[str, object] = {"editor": editor, "viewer": viewer}
    messages = []
    for i in range(40):
        sent = i % 2 == 0
        prof = profs[i % len(profs)]
        msg = f.message(texts[i % len(texts)], prof.network, camps[i % 3])
        messages.append(msg)
        post = f.post(
            status=("complete" if i % 6 else "incomplete") if sent else "pending",
            network=prof.network,
            start_at=now + timedelta(hours=(-3 - i) if sent else (5 + i)),
            profiles=[prof, profs[(i + 1) % 2]] if prof.network == "LinkedIn" else [prof],
            msg=msg,
            camp=camps[i % 3],
            created_by=f"00A00000000000{i % 4}",
            counters_at=None if i == 2 else now - timedelta(minutes=20),
            clicks=1234 * i if sent else 0,
            likes=37 * i if sent else 0,
            impressions=98765 * i if sent else 0,
            stats_at=now - timedelta(hours=1) if sent and i % 4 == 0 else None,
        )
        if sent and i % 6 == 0:
            Delivery.objects.filter(post=post).update(status="failed", error="Duplicate content")
        made.setdefault("sent" if sent else "pending", post.oktopost_id)
    made["tag"] = f.tag("product launch", messages=messages[::3]).oktopost_id
    f.tag("careers", messages=messages[1::4])
    calendar_notes(now, camps[0])
    # Oktopost refuses this key its users: every page's status bar says so in words.
    SyncState.objects.create(
        name="catalog:users",
        last_error="Oktopost: AuthError: GET /user -> HTTP 403",
        last_error_at=now - timedelta(minutes=5),
        last_result={"refused": "forbidden", "status": 403},
    )
    SavedView.objects.create(owner=editor, name="LinkedIn, next 7 days", query="network=LinkedIn")
    SavedView.objects.create(
        owner=viewer, name="Needs attention", query="preset=attention", shared=True
    )
    sent = Post.objects.get(oktopost_id=made["sent"])
    for hours, clicks, likes, impressions in ((30, 0, 0, 0), (20, 40, 3, 900), (2, 95, 11, 4200)):
        StatsSample.objects.create(
            post=sent,
            at=now - timedelta(hours=hours),
            clicks=clicks,
            likes=likes,
            impressions=impressions,
        )
    for page in ("stats", "queue"):
        made[f"share_{page}"] = share_link_create(
            page=page, query="network=LinkedIn", label=f"LinkedIn {page}", user=editor
        ).token
    made["unsubscribe"] = email_reports(editor, viewer, camps[0])
    cancelled = Post.objects.filter(status="pending").last()
    Post.objects.filter(id=cancelled.id).update(deleted_at=now)
    made["bulk"] = BulkAction.objects.create(
        user=editor,
        kind="shift",
        params={"minutes": 30},
        post_ids=[made["pending"]],
        results=[{"post": made["pending"], "ok": True, "message": "Moved by 30 minutes"}],
        finished=now,
    ).id
    Activity.objects.create(
        user=editor,
        action="reschedule",
        outcome="ok",
        post_oktopost_id=made["pending"],
        before={"start_at": (now + timedelta(hours=5)).isoformat(), "profiles": []},
        after={"start_at": (now + timedelta(hours=6)).isoformat(), "profiles": []},
        answer="OK",
    )
    # The partly failed posts above become alerts in both users' bells (nothing queued).
    monkeypatch.setattr(alert_send, "enqueue", lambda *args: True)
    alerts_detect()
    return made


def email_reports(editor, viewer, campaign) -> str:
    """Scheduled reports (issue 30) on both users' pages, one paused, one to an outside
    address; the token of that address's unsubscribe link."""
    reports.policy_set(admin=make_superuser("root"), outside_allowed=True)
    for user in (editor, viewer):
        reports.subscription_create(
            owner=user,
            name="Spring launch, weekly for the board",
            query=f"campaign={campaign.oktopost_id}&network=LinkedIn",
            frequency="weekly",
            weekday=0,
            day=1,
            hour=8,
            time_zone="America/New_York",
            users=[editor, viewer],
            addresses=["chief.marketing.officer@partner-agency.example"],
        )
        paused = reports.subscription_create(
            owner=user, name="Every post, monthly", query="", frequency="monthly",
            weekday=0, day=1, hour=7, time_zone="UTC", users=[user], addresses=[],
        )  # fmt: skip
        reports.subscription_pause(subscription=paused, paused=True)
    outside = ReportRecipient.objects.exclude(address="").first()
    return unsubscribe_token(outside)


def make_superuser(name: str):
    user = make_user(name, None)
    user.is_superuser = True
    user.save()
    return user


def calendar_notes(now, campaign) -> None:
    """Notes on this week and month: a moment, a short span, a span over days, a long
    title, and two on one day."""
    today = timezone.localtime(now, timezone.get_fixed_timezone(60)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    notes = [
        ("Q3 launch day", "Press embargo lifts at 09:00 ET.", 1, 13, None, [campaign]),
        ("Content freeze", "Nothing new goes out.", 2, 0, timedelta(days=2), []),
        ("Webinar: planning a quarter of social posts", "", 0, 16, timedelta(hours=1), []),
        ("Customer story review", "Legal signs off.", 0, 10, None, []),
        ("Trade show: DataWorld", "Booth 42.", 12, 0, timedelta(days=3), []),
    ]
    for n, (title, text, day, hour, length, camps) in enumerate(notes, start=1):
        start = today + timedelta(days=day, hours=hour)
        CalendarNote.objects.create(
            oktopost_id=f"0CE00000000000{n}",
            title=title,
            description=text,
            start_at=start,
            end_at=start + length if length else None,
            campaign_ids=[c.oktopost_id for c in camps],
        )


def session_cookie(user, base_url: str) -> dict:
    # The engine the pages read sessions with (settings.SESSION_ENGINE).
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}


# Runs in the page before its own scripts: records CSP violations.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""

# Visible controls whose box leaves the viewport sideways (outside a scrolling box).
OFF_SCREEN = """
(scrollers) => {
  const width = document.documentElement.clientWidth;
  const out = [];
  const where = (r) => " @" + Math.round(r.left) + ".." + Math.round(r.right);
  const controls = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(controls)) {
    if (getComputedStyle(el).visibility === "hidden") continue;
    if (el.closest("[hidden], .visually-hidden, .skip-link")) continue;
    // The content of a closed <details> is not shown (its own summary is).
    const closed = el.closest("details:not([open])");
    if (closed && el !== closed.querySelector(":scope > summary")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (scrollers.some((s) => el.closest(s))) continue;
    if (r.left < -1 || r.right > width + 1) out.push(el.outerHTML.slice(0, 120) + where(r));
  }
  for (const s of scrollers) {
    for (const box of document.querySelectorAll(s)) {
      const r = box.getBoundingClientRect();
      if (r.width && (r.left < -1 || r.right > width + 1)) out.push(s + " box" + where(r));
    }
  }
  return out;
}
"""

ROWS_IN_VIEW = """
() => [...document.querySelectorAll("#post-rows tbody tr")].filter((tr) => {
  const r = tr.getBoundingClientRect();
  return r.top >= 0 && r.bottom <= window.innerHeight;
}).length
"""

AXE_RUN = """
async ([colourOnly, scope]) => {
  const context = scope ? { include: [scope] } : document;
  const options = { resultTypes: ["violations"] };
  if (colourOnly) {
    options.runOnly = { type: "rule", values: ["color-contrast", "link-in-text-block"] };
  }
  const serious = (result) => result.violations.filter(
    (v) => v.impact === "serious" || v.impact === "critical");
  // Without a selector for every node checked, axe takes a third less time; a page
  // with something to report is checked again with them, for the report.
  let found = serious(await axe.run(context,
    { ...options, selectors: false, ancestry: false, xpath: false }));
  if (found.length) found = serious(await axe.run(context, options));
  const node = (n) => n.target.join(" ") + " :: " + n.failureSummary.slice(0, 160);
  return found.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                             nodes: v.nodes.slice(0, 3).map(node) }));
}
"""


def watch_errors(page) -> list[str]:
    """Script errors and console errors (a CSP violation is one too) of this page."""
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(f"{m.text} @ {m.location.get('url', '')}") if m.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def check_page(page, label: str, spec: Page, problems: list[str], size: str, scheme: str) -> None:
    if scheme == "light":
        # Layout is the same in both schemes: it is measured once, in light.
        scroll = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if scroll[0] > scroll[1]:
            problems.append(f"{label}: page scrolls sideways ({scroll[0]} px wide in {scroll[1]})")
        off = page.evaluate(OFF_SCREEN, list(spec.scrollers))
        if off:
            problems.append(f"{label}: controls off screen: {off[:4]}")
        if spec.name == "queue" and size == "desktop":
            rows = page.evaluate(ROWS_IN_VIEW)
            ROWS_SEEN[label] = rows
            if rows < 15:
                problems.append(f"{label}: only {rows} queue rows in the viewport")
        page.evaluate(AXE)
    # Dark differs from light only in colour: the other rules ran in light already.
    violations = page.evaluate(AXE_RUN, [scheme == "dark", spec.axe_scope])
    if violations:
        problems.append(f"{label}: axe: {json.dumps(violations, indent=1)}")
    csp = page.evaluate("window.__csp")
    if csp:
        problems.append(f"{label}: CSP violations: {csp}")
    # The queue as the screen shows it (rows in view); other pages whole.
    whole = spec.name not in VIEWPORT_ONLY
    page.screenshot(path=str(SCREENSHOTS / f"{label}.png"), full_page=whole)


VIEWPORT_ONLY = {"queue", "drawer", "new-post-drawer", "row-actions", "calendar-drawer"}
ROWS_SEEN: dict[str, int] = {}


def visit(chromium, live_server, user, pages: list[Page], data: dict, size: str) -> list[str]:
    """Every page `user` may open, at one size, in light then in dark; the problems seen.

    Each page is loaded once and seen in both schemes: the scheme is switched in place
    (`emulate_media`), as a device switching to dark mode does, since pages follow
    `prefers-color-scheme` in CSS alone."""
    problems: list[str] = []
    role = "anonymous" if user is None else ("editor" if user.is_editor else "viewer")
    # A phone is a touch screen: no hover, so row actions show in place.
    touch = size == "phone"
    context = chromium.new_context(
        base_url=live_server.url,
        viewport=SIZES[size],
        color_scheme="light",
        is_mobile=touch,
        has_touch=touch,
        # Animations off (prefers-reduced-motion): layout is what is checked, and a
        # spinning indicator otherwise keeps the browser drawing all the while.
        reduced_motion="reduce",
    )
    context.set_default_timeout(10_000)
    if user is not None:
        context.add_cookies([session_cookie(user, live_server.url)])
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors = watch_errors(page)
    for spec in pages:
        if user is not None and role not in spec.roles:
            continue
        page.emulate_media(color_scheme="light")
        response = page.goto(spec.url(data))
        assert response and response.status == spec.status, spec.name
        if spec.then:
            spec.then(page)
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            check_page(page, f"{spec.name}-{role}-{size}-{scheme}", spec, problems, size, scheme)
    if user is not None:
        page.emulate_media(color_scheme="light")
        check_menus(page, f"menu-{role}-{size}", size, problems)
    # The error pages' own status is expected; anything else is not.
    expected = tuple(f"{live_server.url}{spec.url(data)}" for spec in pages if spec.status != 200)
    errors = [
        e for e in errors if not (re.search(r"status of 40[34]\b", e) and e.endswith(expected))
    ]
    if errors:
        problems.append(f"{role}-{size}: console errors: {errors}")
    context.close()
    return problems


def check_menus(page, label: str, size: str, problems: list[str]) -> None:
    """The navigation and the user menu open and every item in them is on screen; on a
    phone they sit behind a button."""
    page.goto("/posts/")
    if size == "phone":
        assert not page.locator(".nav-links").is_visible()
        page.click("[data-nav-toggle]")
    for name in ("Queue", "Calendar", "Stats", "Activity"):
        link = page.locator(f".nav-links a:has-text('{name}')")
        assert link.is_visible(), f"{label}: {name} is not visible"
    page.click("#saved-views-menu summary")
    assert page.locator("#saved-views-menu a:has-text('Needs attention')").is_visible()
    off = page.evaluate(OFF_SCREEN, [])
    if off:
        problems.append(f"{label}: saved views off screen: {off[:4]}")
    page.keyboard.press("Escape")
    assert not page.locator("#saved-views-menu a:has-text('Needs attention')").is_visible()
    page.click("#user-menu summary")
    assert page.locator("#user-menu button:has-text('Log out')").is_visible()
    off = page.evaluate(OFF_SCREEN, [])
    if off:
        problems.append(f"{label}: menu items off screen: {off[:4]}")
    page.wait_for_timeout(300)  # Pico fades the dropdown in
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        page.screenshot(path=str(SCREENSHOTS / f"{label}-{scheme}.png"))


# One test per role and size (both schemes), so that they run in parallel.
# A viewer's pages are an editor's with fewer controls: viewers are seen on a desktop, the
# phone layout of those pages with an editor's fuller rows.
@pytest.mark.parametrize(
    ("role", "size"),
    [
        (EDITOR, "desktop"),
        (EDITOR, "phone"),
        (VIEWER, "desktop"),
        ("anonymous", "desktop"),
        ("anonymous", "phone"),
    ],
)
def test_every_page_at_both_sizes_in_light_and_dark_is_usable_and_accessible(
    chromium, live_server, world, role: str, size: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    started = time.time()
    if role == "anonymous":
        user, pages, who = None, ANONYMOUS_PAGES, "anonymous"
    else:
        user, pages = world["editor" if role == EDITOR else "viewer"], PAGES
        who = "editor" if role == EDITOR else "viewer"
    problems = visit(chromium, live_server, user, pages, world, size)
    if ROWS_SEEN:
        print("queue rows in view at 1366x900:", ROWS_SEEN)
    assert not problems, "\n".join(problems)
    expected = {
        f"{spec.name}-{who}-{size}-{scheme}"
        for spec in pages
        if user is None or role in spec.roles
        for scheme in SCHEMES
    }
    fresh = {
        p.stem
        for p in SCREENSHOTS.glob(f"*-{who}-{size}-*.png")
        if p.stat().st_mtime >= started - 1
    }
    assert expected <= fresh, f"no screenshot of {sorted(expected - fresh)}"
