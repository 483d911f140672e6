"""Every main page, as every role, in Chromium: axe-core's WCAG 2.2 A and AA rules
find nothing serious or critical, and on a 390 px phone screen nothing scrolls
sideways.

The pages are the URL x role matrix's (tests/web/test_url_matrix.py): each GET page
a role may open, so a new page is checked here as soon as it is in the matrix. One
world, one browser context per role, one tab reused for every page keeps the run to
a few minutes on a busy machine.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.browser.conftest import _unavailable
from tests.web.conftest import world  # noqa: F401
from tests.web.governance_world import gov  # noqa: F401
from tests.web.projects.conftest import pworld  # noqa: F401
from tests.web.test_url_matrix import OK, ROLES, ROUTES, ctx  # noqa: F401

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Files and machine answers, not pages a person reads: CSV, PDF, PowerPoint, SVG,
# PNG, JSON and the favicon.
NOT_PAGES = {
    "healthz",
    "favicon",
    "board:csv",
    "board:system_csv",
    "data:template",
    "evidence:export",
    "meetings:pdf",
    "meetings:pptx",
    "projects:export",
    "projects:diagram_svg",
    "projects:diagram_png",
    "api:schema",
    "jobs:download",
    # A fragment of jobs:detail that htmx polls, not a page of its own.
    "jobs:status",
    # Only forwards the form on to measures:entry, checked itself.
    "data:entry",
}
# Pages that anyone may open without signing in.
PUBLIC = ("accounts:login", "notifications:unsubscribe")


def _pages(c: dict, persona: str) -> list[tuple[str, str]]:
    """(name, path) of every page ``persona`` may open, from the URL matrix."""
    out = []
    for key, route in ROUTES.items():
        if (
            route.method != "get"
            or route.api
            or key in NOT_PAGES
            or route.expect[persona] != OK
        ):
            continue
        out.append((key, reverse(key, kwargs=route.kw(c)) + route.query))
    return out


def _axe_problems(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return r.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({id: v.id, help: v.help,
                              where: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
        }""",
        WCAG_TAGS,
    )
    return [f"{v['id']} ({v['help']}) at {json.dumps(v['where'])}" for v in result]


def _sideways(page) -> str:
    """What makes the page wider than the screen ('' when it fits): the widest
    elements whose right edge is past the screen's."""
    return page.evaluate(
        """() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(
            () => {
                const over = document.scrollingElement.scrollWidth - window.innerWidth;
                if (over <= 0) { done(""); return; }
                const culprits = [...document.body.querySelectorAll("*")]
                    .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
                                   && ![...e.children].some((c) =>
                                       c.getBoundingClientRect().right
                                       > window.innerWidth + 1))
                    .slice(0, 3)
                    .map((e) => e.tagName.toLowerCase()
                                + (e.className && typeof e.className === "string"
                                   ? "." + e.className.trim().split(/ +/).join(".") : ""));
                done(over + " px wider than a phone, past the edge: " + culprits.join(", "));
            })))"""
    )


def _check(page, name: str, path: str, who: str, problems: list[str]) -> None:
    page.set_viewport_size(DESKTOP)
    response = page.goto(path)
    # Charts draw after the page loads; check them as people see them.
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".every((c) => c.classList.contains('chart--ready') || c.textContent)"
    )
    assert response is not None
    if response.status != 200 or "text/html" not in response.headers.get(
        "content-type", ""
    ):
        problems.append(f"{path} ({name}) as {who}: answered {response.status}")
        return
    for found in _axe_problems(page):
        problems.append(f"{path} ({name}) as {who}: {found}")
    page.set_viewport_size(PHONE)
    wider = _sideways(page)
    if wider:
        problems.append(f"{path} ({name}) as {who}: {wider}")


def test_every_page_is_accessible_and_fits_a_phone_for_every_role(
    chromium,
    live_server,
    ctx,  # noqa: F811
):
    if not AXE.exists():
        _unavailable(
            f"axe-core is not installed at {AXE} (cd tests/browser/axe && npm ci)"
        )
    problems: list[str] = []
    visited = 0
    for persona in ("anonymous", *ROLES):
        # The site's Content-Security-Policy allows no inline or injected scripts,
        # rightly; axe-core has to be injected into each page to inspect it, so
        # this context alone bypasses the policy. Other browser tests run under it.
        context = chromium.new_context(base_url=live_server.url, bypass_csp=True)
        if persona != "anonymous":
            client = Client()
            client.force_login(ctx["personas"][persona])
            name = settings.SESSION_COOKIE_NAME
            context.add_cookies(
                [
                    {
                        "name": name,
                        "value": client.cookies[name].value,
                        "url": live_server.url,
                    }
                ]
            )
        page = context.new_page()
        page.set_default_timeout(15000)
        pages = (
            [(k, reverse(k, kwargs=ROUTES[k].kw(ctx))) for k in PUBLIC]
            if persona == "anonymous"
            else _pages(ctx, persona)
        )
        for name, path in pages:
            _check(page, name, path, persona, problems)
            visited += 1
        context.close()
    assert visited > 100
    assert not problems, "\n".join(problems)


def _looks(page, box: dict) -> bytes:
    return page.screenshot(clip=box, animations="disabled")


def test_a_form_works_by_keyboard_alone_with_focus_always_visible(
    page,
    live_server,
    world,  # noqa: F811
):
    """The data entry form, the one with a month picker: every tab stop shows where
    focus is, the picker's calendar button included, and the value is saved
    without a mouse."""
    from qualitas.web.measures.models import Observation

    client = Client()
    client.force_login(world["role_users"]["team_member"])
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )
    page.goto(reverse("measures:entry", kwargs={"code": "falls", "ods": "RAA"}))
    period = page.locator("#id_period")
    box = period.bounding_box()
    assert box is not None
    # The input and the 4 px focus outline around it.
    around = {
        "x": box["x"] - 6,
        "y": box["y"] - 6,
        "width": box["width"] + 12,
        "height": box["height"] + 12,
    }
    # The calendar button: the right-hand end of the input, inside its border.
    button = {
        "x": box["x"] + box["width"] - 34,
        "y": box["y"] + 4,
        "width": 30,
        "height": box["height"] - 8,
    }
    unfocused = _looks(page, around)

    # From the field before it (the skip link's target is the main content).
    page.locator("h1").click()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "id_period":
            break
    else:
        pytest.fail("Tab never reached the month")
    assert _looks(page, around) != unfocused, "no focus shown on the month"
    # Chromium's month field names the months: the first arrow press gives January.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Tab")  # the year
    page.keyboard.type("2025")
    year_stop = _looks(page, button)
    page.keyboard.press("Tab")  # the picker's calendar button
    assert page.evaluate("() => document.activeElement.id") == "id_period"
    assert period.input_value() == "2025-01"
    assert _looks(page, button) != year_stop, "no focus shown on the calendar button"

    # The other fields, each showing focus, then Save with Enter.
    typed = {"id_numerator": "40", "id_denominator": "9000"}
    for _ in range(10):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [document.activeElement.id, document.activeElement.tagName]"
        )
        el = page.evaluate_handle("() => document.activeElement").as_element()
        assert el is not None
        b = el.bounding_box()
        assert b is not None
        ring = {
            "x": max(b["x"] - 6, 0),
            "y": max(b["y"] - 6, 0),
            "width": b["width"] + 12,
            "height": b["height"] + 12,
        }
        shown = _looks(page, ring)
        page.evaluate("() => document.activeElement.blur()")
        assert _looks(page, ring) != shown, f"no focus shown on {focused}"
        el.focus()
        if focused[0] in typed:
            page.keyboard.type(typed[focused[0]])
        if focused[1] == "BUTTON":
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail("Tab never reached the Save button")
    page.wait_for_url("**/measures/falls/at/RAA/")  # saved, back at the chart
    saved = Observation.objects.totals().get(
        measure__code="falls", organisation__ods_code="RAA", period=dt.date(2025, 1, 1)
    )
    assert (saved.numerator, saved.denominator) == (40, 9000)


def test_on_a_phone_charts_open_at_their_newest_points_and_the_diagram_scrolls(
    page,
    live_server,
    world,  # noqa: F811
    pworld,  # noqa: F811
):
    client = Client()
    client.force_login(world["role_users"]["qi_lead"])
    name = settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )
    page.set_viewport_size(PHONE)

    page.goto(reverse("measures:chart", kwargs={"code": "falls", "ods": "RAA"}))
    page.locator("#spc-chart.chart--ready").wait_for()
    # The chart is wider than the phone, so its box scrolls, and it opens at the
    # right-hand end, where the newest points are.
    box = page.evaluate(
        """() => {
            const chart = document.querySelector("#spc-chart");
            return [chart.scrollWidth, chart.clientWidth, chart.scrollLeft];
        }"""
    )
    width, shown, left = box
    assert width > shown, "the chart fits the phone: nothing to scroll"
    assert left + shown >= width - 1, f"the chart opens at {left} of {width} px"
    assert _sideways(page) == ""

    # The driver diagram keeps its size (readable) and scrolls in its own frame.
    page.goto(reverse("projects:diagram", kwargs={"pk": pworld["project"].pk}))
    drawn, natural, frame = page.evaluate(
        """() => {
            const svg = document.querySelector(".diagram-frame svg");
            const frame = svg.closest(".diagram-frame");
            return [svg.getBoundingClientRect().width, svg.viewBox.baseVal.width,
                    getComputedStyle(frame).overflowX];
        }"""
    )
    assert drawn >= natural * 0.99, f"the diagram is shrunk to {drawn} of {natural} px"
    assert frame == "auto"
    assert _sideways(page) == ""
