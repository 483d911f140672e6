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
