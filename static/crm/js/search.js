/* One-box search (CUS-9): results as you type, in a dropdown under the box.
 *
 * No inline script (CSP script-src 'self'). The listeners are delegated on
 * the document, so they keep working when Turbo swaps the page body; the
 * script itself is loaded once, in the head.
 *
 * Typing waits DELAY ms, then fetches /search/?q=...&partial=1 (an HTML
 * fragment rendered by the server) into the dropdown. Enter submits the
 * form to the full results page, or follows the highlighted result. Arrow
 * keys move through the results; Escape or leaving the box closes it.
 */
(function () {
  "use strict";

  if (window.crmSearchLoaded) return; // once, whatever Turbo does with the head
  window.crmSearchLoaded = true;

  var DELAY = 200;
  var MIN_LENGTH = 2;
  var timer = null;
  var controller = null;
  var lastQuery = null;

  function parts(element) {
    var form = element && element.closest ? element.closest("[data-crm-search]") : null;
    if (!form) return null;
    return {
      form: form,
      input: form.querySelector("input[name=q]"),
      results: form.querySelector(".crm-search__results"),
    };
  }

  function options(box) {
    return Array.prototype.slice.call(box.results.querySelectorAll("[role=option]"));
  }

  function close(box) {
    if (!box || !box.results) return;
    box.results.hidden = true;
    box.input.setAttribute("aria-expanded", "false");
    box.input.removeAttribute("aria-activedescendant");
    options(box).forEach(function (option) {
      option.classList.remove("crm-search__item--active");
    });
  }

  function open(box) {
    box.results.hidden = false;
    box.input.setAttribute("aria-expanded", "true");
  }

  function fetchResults(box) {
    var query = box.input.value.trim();
    if (query.length < MIN_LENGTH) {
      lastQuery = null;
      box.results.innerHTML = "";
      close(box);
      return;
    }
    if (query === lastQuery && box.results.innerHTML) {
      open(box);
      return;
    }
    if (controller) controller.abort();
    controller = typeof AbortController === "function" ? new AbortController() : null;
    var url = box.input.getAttribute("data-partial-url") || box.form.getAttribute("action");
    url += (url.indexOf("?") < 0 ? "?" : "&") + "partial=1&q=" + encodeURIComponent(query);
    fetch(url, {
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        if (!response.ok) throw new Error("search failed: " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (box.input.value.trim() !== query) return; // typed on meanwhile
        lastQuery = query;
        box.results.innerHTML = html;
        options(box).forEach(function (option, index) {
          option.id = "crm-search-option-" + index;
        });
        if (html.trim() && document.activeElement === box.input) open(box);
        else close(box);
      })
      .catch(function (error) {
        if (error && error.name === "AbortError") return;
        close(box);
      });
  }

  function move(box, step) {
    var items = options(box);
    if (!items.length) return;
    var current = items.findIndex(function (item) {
      return item.classList.contains("crm-search__item--active");
    });
    var next = current < 0 ? (step > 0 ? 0 : items.length - 1) : current + step;
    if (next < 0) next = items.length - 1;
    if (next >= items.length) next = 0;
    items.forEach(function (item) {
      item.classList.remove("crm-search__item--active");
      item.setAttribute("aria-selected", "false");
    });
    items[next].classList.add("crm-search__item--active");
    items[next].setAttribute("aria-selected", "true");
    items[next].scrollIntoView({ block: "nearest" });
    box.input.setAttribute("aria-activedescendant", items[next].id);
  }

  document.addEventListener("input", function (event) {
    var box = parts(event.target);
    if (!box || event.target !== box.input) return;
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetchResults(box);
    }, DELAY);
  });

  document.addEventListener("focusin", function (event) {
    var box = parts(event.target);
    if (box && event.target === box.input && box.results.innerHTML.trim()) {
      if (box.input.value.trim() === lastQuery) open(box);
    }
  });

  // A click on a result keeps the focus in the box (some browsers do not
  // focus links), so the dropdown is not closed before the click lands.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(".crm-search__results")) {
      event.preventDefault();
    }
  });

  document.addEventListener("focusout", function (event) {
    var box = parts(event.target);
    if (!box) return;
    // Close once the focus has left the box and its results (not when it
    // moves from the input to a result link).
    setTimeout(function () {
      if (!box.form.contains(document.activeElement)) close(box);
    }, 150);
  });

  document.addEventListener("keydown", function (event) {
    var box = parts(event.target);
    if (!box) return;
    if (event.key === "Escape") {
      close(box);
      box.input.focus();
      return;
    }
    if (event.target !== box.input) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (box.results.hidden) fetchResults(box);
      move(box, event.key === "ArrowDown" ? 1 : -1);
      event.preventDefault();
    } else if (event.key === "Enter") {
      var active = box.results.hidden
        ? null
        : box.results.querySelector(".crm-search__item--active");
      if (active) {
        event.preventDefault();
        close(box);
        active.click();
      }
      // otherwise the form submits: the full results page
    }
  });

  document.addEventListener("submit", function (event) {
    var box = parts(event.target);
    if (!box) return;
    clearTimeout(timer);
    if (controller) controller.abort();
    if (!box.input.value.trim()) event.preventDefault();
    close(box);
  });

  // A page restored by Turbo (or the back button) starts with the box closed.
  function reset() {
    clearTimeout(timer);
    lastQuery = null;
    document.querySelectorAll("[data-crm-search]").forEach(function (form) {
      var box = parts(form);
      if (box && box.results) {
        box.results.innerHTML = "";
        close(box);
      }
    });
  }
  document.addEventListener("turbo:load", reset);
  document.addEventListener("DOMContentLoaded", reset);
  document.addEventListener("turbo:before-cache", reset);
})();
