"""Real Chromium (Debian's package) driven by Playwright against pytest-django's live server."""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# The browser's language decides how its own date and time boxes write dates, and the
# Accept-Language oktodash reads for users who leave it "as my browser": British English
# writes them as pages do by default, 24-hour and day first. Every context gets it unless
# a test asks for another (locale="en-US" is an American browser).
LOCALE = "en-GB"


def _ensure_chromium() -> str:
    if not Path(CHROMIUM).exists():
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.fail(f"{CHROMIUM} is missing; install Debian's 'chromium' package")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    return CHROMIUM


# Every context a test opens reports the page's Content Security Policy violations to
# Python (an init script and a binding run outside the page's CSP), and the test fails at
# teardown if there was any: a blocked inline style or script is a broken page.
WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__oktodashCsp(
    e.violatedDirective + " " + (e.blockedURI || "inline") + " on " + e.documentURI +
      (e.sourceFile ? " from " + e.sourceFile + ":" + e.lineNumber + ":" + e.columnNumber : "") +
      (e.sample ? " (" + e.sample.slice(0, 80) + ")" : ""),
  );
});
"""


def watch_csp(context, violations: list[str]) -> None:
    context.expose_binding("__oktodashCsp", lambda _source, what: violations.append(what))
    context.add_init_script(WATCH_CSP)


class WatchedBrowser:
    """The session's Chromium, whose new contexts all watch for CSP violations."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self.csp_violations: list[str] = []
        self._contexts: list[object] = []

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        watch_csp(context, self.csp_violations)
        self._contexts.append(context)
        return context

    def flush(self) -> None:
        """Let reports still on their way from open pages arrive (one round trip each)."""
        for context in self._contexts:
            for page in context.pages:
                # A page that closed meanwhile has nothing more to report.
                with contextlib.suppress(PlaywrightError):
                    page.evaluate("0")

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls
    # made by the tests themselves are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    executable = _ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def british_by_default(**options):
            options.setdefault("locale", LOCALE)
            # Colours are checked right after a scheme switch: with motion allowed,
            # Pico's 0.2 s transitions were still running when axe read them (a CI run
            # failed on a contrast of 4.25 between two half-way colours).
            options.setdefault("reduced_motion", "reduce")
            return new_context(**options)

        browser.new_context = british_by_default
        yield browser
        browser.close()


@pytest.fixture
def chromium(chromium_browser) -> Iterator[WatchedBrowser]:
    watched = WatchedBrowser(chromium_browser)
    yield watched
    watched.flush()
    # A context a test left open keeps its pages polling a live server that is gone,
    # burning CPU for the rest of the session: close them all.
    for context in watched._contexts:
        with contextlib.suppress(PlaywrightError):
            context.close()
    assert watched.csp_violations == [], "Content Security Policy violations"


@pytest.fixture
def page(chromium, live_server) -> Iterator[object]:
    # prefers-reduced-motion: tests wait for what a page shows, not for its animations,
    # and a spinner left turning keeps the browser drawing.
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1400, "height": 900}, reduced_motion="reduce"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    # A script error shows up here; tests assert there are none. (CSP violations fail
    # every test through the `chromium` fixture.)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    chromium.flush()
    context.close()


def loaded_width(image, timeout: float = 10_000) -> int:
    """The natural width of the image `image` (a locator) once the browser has it: being in
    the page is not being loaded, and a busy machine shows the difference."""
    image.wait_for(timeout=timeout)
    handle = image.element_handle()
    image.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=handle, timeout=timeout
    )
    return handle.evaluate("img => img.naturalWidth")


def screenshot(page, name: str, *, full_page: bool = False) -> Path:
    """What the user sees (the viewport), or the whole page when asked."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def shots(page, name: str, *, full_page: bool = False) -> None:
    """The page as it is now, in light and in dark (pages follow prefers-color-scheme in
    CSS alone, so no reload): `name`-light.png and `name`-dark.png."""
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        screenshot(page, f"{name}-{scheme}", full_page=full_page)
    page.emulate_media(color_scheme="light")


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def open_details(page, summary: str) -> None:
    """Open a collapsed <details> section (filters, bulk changes) by its summary text."""
    section = page.locator(f"details:has(> summary:has-text('{summary}'))")
    if section.get_attribute("open") is None:
        section.locator("> summary").click()


def live_checks_settled(form) -> None:
    """Wait until the new-post form's live checks have answered the time typed last (their
    UTC line) and nothing else is on its way, so that the button is pressed on the form as
    it will stay. Waited for as long as any step of these tests (10 s)."""
    expect(form.locator("#create-checks .utc-hint")).to_be_visible(timeout=10_000)
    form.page.wait_for_function("() => !document.querySelector('.htmx-request')")


def open_compose_drawer(page, *, settle_ms: int | None = None):
    """The queue's "New post" drawer, opened from the queue: its form, once htmx has wired
    it. The drawer shows as the form is swapped in; htmx wires the form in its settle step
    after that, and what is typed or pressed before then is not htmx's (the preview's first
    answer comes only once it is wired). `settle_ms` stretches that step, as a loaded
    machine does."""
    page.goto("/posts/")
    if settle_ms is not None:
        page.evaluate(f"htmx.config.defaultSettleDelay = {int(settle_ms)}")
    page.click(".queue-head a:has-text('New post')")
    page.wait_for_selector("#drawer.open #post-form")
    page.wait_for_selector("#drawer #compose-preview .preview-title")
    return page.locator("#drawer #post-form")
