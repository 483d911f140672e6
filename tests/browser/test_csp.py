"""The Content-Security-Policy in a real browser: it blocks script that is not one of
our files, while the charts and htmx still work (finding 7 of issue 11).

The other journeys check the pages raise no violation (their ``page`` fixture); this
test checks that the policy is really enforced, so that check means something.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_injected_inline_script_is_blocked_and_charts_and_htmx_still_work(
    chromium, live_server, demo
):
    context = chromium.new_context(base_url=live_server.url)
    violations: list[str] = []
    context.expose_function("reportViolation", lambda v: violations.append(v))
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (e) {"
        " window.reportViolation(e.violatedDirective); });"
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in(page, "qi-lead")
        page.goto("/measures/falls-per-1000-bed-days/at/RAE/")
        page.locator("#spc-chart svg").first.wait_for()
        # Vega draws through its interpreter, and htmx may not eval or run scripts.
        assert page.evaluate("htmx.config.allowEval") is False
        assert page.evaluate("htmx.config.allowScriptTags") is False
        assert violations == []

        # What an attacker's injected markup would do: an inline script.
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.injected = true;';"
            " document.body.appendChild(s); }"
        )
        page.wait_for_function("() => true")
        assert page.evaluate("window.injected === undefined")
        page.wait_for_timeout(200)  # the violation event is queued
        assert "script-src-elem" in violations or "script-src" in violations

        # htmx still posts a note and swaps the chart area in, redrawn.
        violations.clear()
        page.get_by_label("Month").fill("2025-08")
        page.get_by_label("What happened").fill("Checked under the policy")
        page.get_by_role("button", name="Add note").click()
        page.locator("li", has_text="Checked under the policy").wait_for()
        page.locator("#spc-chart svg").first.wait_for()
        assert violations == []
        assert errors == []
    finally:
        context.close()
