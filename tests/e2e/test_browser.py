"""A real Chromium against `rapport up`: charts, a keyboard-only pulse on a phone, clean console."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, Rapport

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 30_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WATERMELON = "FIN-ERP"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def desktop(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def _log_in(page, rapport: Rapport, email: str = "pm@example.com") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{rapport.url}/login")
    page.fill("#email", email)
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{rapport.url}/portfolio")


def _watch_for_errors(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Console errors (CSP violations land here) and uncaught exceptions, as they happen."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_portfolio_draws_plotly_charts_served_by_rapport(shared_rapport, desktop):
    page = desktop.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors = _watch_for_errors(page)
    _log_in(page, shared_rapport)
    page.wait_for_selector(".js-plotly-plot")
    blocks = page.locator("script[type='application/json'][data-chart]").count()
    assert blocks >= 1
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot').length === {blocks}",
        timeout=TIMEOUT_MS,
    )
    assert f"{shared_rapport.url}/vendor/plotly.min.js" in requests
    off_site = [url for url in requests if not url.startswith(shared_rapport.url)]
    assert off_site == [], "everything must be served by Rapport itself"
    assert errors == []


def _tab_to(page, predicate: str, limit: int = 60) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until `predicate` (JS, given the focused element `el`) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate}; }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def test_pulse_answered_on_a_phone_with_the_keyboard_only(shared_rapport, browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors = _watch_for_errors(page)
    link = shared_rapport.invitation_links()[-1]
    page.goto(link)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the pulse must fit a phone screen without sideways scrolling"

    groups = page.evaluate(
        "[...new Set([...document.querySelectorAll('form input[type=radio]')].map(i => i.name))]"
    )
    assert {"satisfaction", "trust", "communication", "partnership"} <= set(groups)
    chosen = {}
    for n, name in enumerate(groups):
        _tab_to(page, f"el.type === 'radio' && el.name === {name!r}")
        page.keyboard.press("Space")  # checks the first option of the group
        for _ in range(n % 4 + 1):
            page.keyboard.press("ArrowRight")  # moves to and checks the next option
        chosen[name] = page.evaluate("document.activeElement.value")
        assert page.is_checked(f"input[name={name}][value='{chosen[name]}']")
    _tab_to(page, "el.tagName === 'TEXTAREA'")
    page.keyboard.type("Clear updates this month, thank you. Keep the Friday demos going.")
    _tab_to(page, "el.tagName === 'BUTTON' && el.type === 'submit'")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{link}/thanks")
    assert "Thank you" in page.inner_text("h1")
    # The answers were saved as typed: reopening the link shows them.
    page.goto(link)
    assert "You already answered" in page.inner_text("main")
    for name, value in chosen.items():
        assert page.is_checked(f"input[name={name}][value='{value}']"), name
    assert errors == []
    context.close()


def test_project_page_has_no_console_errors(shared_rapport, desktop, tmp_path):
    page = desktop.new_page()
    errors = _watch_for_errors(page)
    _log_in(page, shared_rapport)
    for path in ("/portfolio", f"/projects/{WATERMELON}"):
        page.goto(f"{shared_rapport.url}{path}")
        page.wait_for_selector(".js-plotly-plot")
        page.wait_for_load_state("networkidle")
    page.locator("table a[href^='/relationships/']").first.click()
    page.wait_for_url("**/relationships/*")
    page.wait_for_selector(".js-plotly-plot")
    assert errors == [], "console errors (CSP violations?)"

    page.goto(f"{shared_rapport.url}/projects/{WATERMELON}")
    page.wait_for_selector(".js-plotly-plot")
    page.wait_for_function("!document.querySelector('[data-refresh-seconds]')", timeout=TIMEOUT_MS)
    page.wait_for_load_state("networkidle")
    shot = tmp_path / "screenshot.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("RAPPORT_WRITE_SCREENSHOT") == "1":
        target = REPO / "docs" / "screenshot.png"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, target)
    assert errors == []


def test_project_page_draws_themes_over_time(shared_rapport, desktop, tmp_path):
    page = desktop.new_page()
    errors = _watch_for_errors(page)
    _log_in(page, shared_rapport)
    page.goto(f"{shared_rapport.url}/projects/{WATERMELON}")
    page.wait_for_selector("#project-themes .main-svg")
    blocks = page.locator("script[type='application/json'][data-chart]").count()
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot').length === {blocks}",
        timeout=TIMEOUT_MS,
    )
    assert page.locator("#project-themes .heatmaplayer .hm").count() == 1
    assert "themes in comments per wave" in page.inner_text("#project-themes")
    assert page.locator("#themes details table tbody tr").count() >= 1
    page.locator("#themes").screenshot(path=str(tmp_path / "themes.png"))
    assert (tmp_path / "themes.png").stat().st_size > 5_000
    assert errors == []


def test_the_demo_viewer_reads_only_the_granted_projects(shared_rapport, desktop):
    page = desktop.new_page()
    errors = _watch_for_errors(page)
    _log_in(page, shared_rapport, "viewer@example.com")
    table = page.inner_text("main table")
    assert "FIN-ERP" in table and "DW-MOD" in table
    assert "CRM-ROLL" not in table and "HR-SELF" not in table
    page.goto(f"{shared_rapport.url}/projects/{WATERMELON}")
    page.wait_for_selector("#project-themes .main-svg")
    assert page.locator("form[action$='/status']").count() == 0  # read-only
    refused = page.goto(f"{shared_rapport.url}/projects/HR-SELF")
    assert refused is not None and refused.status == 404
    assert errors == [] or all("404" in e for e in errors)
