// Report snapshots (analytics/includes/snapshot.html): while a snapshot is
// being computed, poll its JSON status every second and move the progress
// bar; when a newer computation has finished, reload the page to show it.
// While idle, look every 20 seconds whether deals changed (the "outdated"
// note) or a refresh finished on a worker. No inline script: CSP.
(function () {
  "use strict";

  var BUSY_MS = 1000;
  var IDLE_MS = 20000;

  function watch(card) {
    if (card.getAttribute("data-polling")) { return; }
    card.setAttribute("data-polling", "1");
    var url = card.getAttribute("data-status-url");
    var shown = card.getAttribute("data-computed-at") || "";
    var box = card.querySelector("[data-snapshot-progress]");
    var bar = box && box.querySelector("progress");
    var label = card.querySelector("[data-snapshot-status]");
    var stale = card.querySelector("[data-snapshot-stale]");

    function poll() {
      if (!document.body.contains(card)) { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          if ((data.computed_at || "") !== shown && !data.busy) {
            window.location.reload();
            return;
          }
          if (box) { box.hidden = !data.busy; }
          if (bar) { bar.value = data.progress; }
          if (label) { label.textContent = data.status_label; }
          if (stale) { stale.hidden = !data.stale; }
          window.setTimeout(poll, data.busy ? BUSY_MS : IDLE_MS);
        })
        .catch(function () { window.setTimeout(poll, IDLE_MS); });
    }
    var busy = card.getAttribute("data-busy") === "1";
    window.setTimeout(poll, busy ? BUSY_MS : IDLE_MS);
  }

  function init() {
    document.querySelectorAll("[data-snapshot][data-status-url]").forEach(watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("turbo:load", init);
})();
