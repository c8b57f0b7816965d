// Progress of an import (customers/import/job.html): polls the job's JSON
// endpoint every second and reloads the page when the job has finished.
(function () {
  "use strict";

  function start(box) {
    if (box.getAttribute("data-polling")) { return; }
    box.setAttribute("data-polling", "1");
    var url = box.getAttribute("data-import-progress");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-import-progress-text]");
    var status = document.querySelector("[data-import-status]");

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          bar.value = data.percent;
          text.textContent = data.processed + " / " + data.total;
          if (status) { status.textContent = data.status_label; }
          if (data.finished) {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setTimeout(poll, 1000);
  }

  function init() {
    document.querySelectorAll("[data-import-progress]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("turbo:load", init);
})();
