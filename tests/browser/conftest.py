"""Headless Chromium (the Debian package) driven by Playwright against a live server.

With CI=true a missing browser fails the run; elsewhere the tests are skipped with
the reason, so a laptop without Chromium can still run everything else.
"""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qualitas.web.settings")
os.environ.setdefault("QUALITAS_ENV", "test")
# Playwright's sync API runs an event loop in this thread; the live server's database
# work happens in its own thread, and the test's set-up runs before any page loads.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("QUALITAS_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_configure(config):
    import django

    django.setup()


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    # Anything the Content-Security-Policy blocks is reported as an error: every
    # journey also checks that the pages work under the policy.
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " console.error('CSP violation: ' + e.violatedDirective + ' '"
        " + (e.blockedURI || 'inline') + ' at ' + e.documentURI); });"
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error"
            and ("CSP violation" in m.text or "Content Security Policy" in m.text)
            else None
        ),
    )
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def demo(transactional_db, settings):
    """The demonstration data, with its accounts allowed to sign in."""
    from qualitas.web.demo import load

    settings.DEMO_MODE = True
    load.build(lambda _: None)


def sign_in(page, username: str, password: str = "demo") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
