/* qualitas: draw SPC charts with vega-embed, and small progressive enhancements.
   Every page works without JavaScript; this only adds the interactive chart and
   row links. */
(function () {
  "use strict";

  function drawCharts(root) {
    if (typeof vegaEmbed === "undefined") { return; }
    // Each chart carries its Vega-Lite spec as JSON in its data-chart attribute.
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) { return; }
      var spec = JSON.parse(el.dataset.chart);
      el.dataset.drawn = "1";
      vegaEmbed(el, spec, {
        actions: { export: true, source: false, compiled: false, editor: false },
        renderer: "svg",
        tooltip: { theme: "light" },
        // Expressions through Vega's interpreter, not compiled with Function():
        // the Content-Security-Policy allows no eval.
        ast: true,
        expr: vega.expressionInterpreter
      }).then(function (result) {
        el.classList.add("chart--ready");
        // vega-embed's menu (save as SVG or PNG) opens from an icon with no text.
        var menu = el.querySelector("details > summary");
        if (menu) { menu.setAttribute("aria-label", "Save the chart as an image"); }
        // The menu is a control, and a control may not sit inside an image: the
        // drawing itself becomes the image, with the box's description.
        var drawing = el.querySelector("svg");
        if (drawing && el.getAttribute("role") === "img") {
          drawing.setAttribute("role", "img");
          drawing.setAttribute("aria-label", el.getAttribute("aria-label"));
          el.removeAttribute("role");
          el.removeAttribute("aria-label");
        }
        // On a narrow screen the chart scrolls within its box; start at the newest
        // points, which are the ones people come to see.
        showLatest(el);
        window.addEventListener("resize", function () { showLatest(el); });
        var periodInput = document.querySelector("[data-chart-period-input]");
        if (periodInput) {
          result.view.addEventListener("click", function (event, item) {
            if (item && item.datum && item.datum.period) {
              periodInput.value = item.datum.period.slice(0, 7);
              periodInput.dispatchEvent(new Event("change"));
              periodInput.focus();
            }
          });
        }
      }).catch(function (err) {
        el.textContent = "The chart could not be drawn: " + err;
      });
    });
  }

  function showLatest(el) {
    for (var box = el; box && box !== document.body; box = box.parentElement) {
      var overflow = getComputedStyle(box).overflowX;
      if ((overflow === "auto" || overflow === "scroll") && box.scrollWidth > box.clientWidth) {
        box.scrollLeft = box.scrollWidth;
      }
    }
  }

  function rowLinks(root) {
    root.querySelectorAll("tr[data-href]").forEach(function (row) {
      row.classList.add("clickable");
      row.addEventListener("click", function (event) {
        if (event.target.closest("a, button, input, select, textarea")) { return; }
        window.location = row.dataset.href;
      });
    });
  }

  function enhance(root) { drawCharts(root); rowLinks(root); }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (event) { enhance(event.target); });
})();
