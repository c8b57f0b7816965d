/* <crm-plotly><script type="application/json">{figure}</script></crm-plotly>:
 * draws a plotly figure built on the server (crm/charts.py) with the
 * plotly.min.js served from our static files. A custom element, so it also
 * draws after viewflow's Turbo navigations and cleans up when removed.
 */
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("crm-plotly")) {
    return;
  }

  class CrmPlotly extends HTMLElement {
    connectedCallback() {
      if (this.drawn || !window.Plotly) {
        return;
      }
      var source = this.querySelector('script[type="application/json"]');
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      var target = document.createElement("div");
      this.appendChild(target);
      this.drawn = true;
      window.Plotly.newPlot(target, figure.data || [], figure.layout || {}, {
        responsive: true,
        displaylogo: false,
      });
      this.target = target;
    }

    disconnectedCallback() {
      if (this.target && window.Plotly) {
        window.Plotly.purge(this.target);
      }
      this.drawn = false;
    }
  }

  window.customElements.define("crm-plotly", CrmPlotly);
})();
