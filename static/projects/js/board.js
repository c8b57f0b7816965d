/* <crm-board>: drag a deal card onto another column (or onto Won / Lost /
 * Abandoned) to move the deal. The card's data-move-url receives a POST with
 * the stage id; the server runs the same stage service as every other move
 * and answers JSON. On success the board reloads (counts and sums come from
 * the server); on refusal its message is shown and nothing moves. Losing a
 * deal asks for the loss reason first. Without this script every card keeps
 * its small form (select + button).
 */
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("crm-board")) {
    return;
  }

  function csrfToken(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  class CrmBoard extends HTMLElement {
    connectedCallback() {
      if (this.ready) {
        return;
      }
      this.ready = true;
      this.dragged = null;
      this.message = document.querySelector("[data-testid=board-message]");
      this.addEventListener("dragstart", this.onDragStart.bind(this));
      this.addEventListener("dragend", this.onDragEnd.bind(this));
      this.addEventListener("dragover", this.onDragOver.bind(this));
      this.addEventListener("dragleave", this.onDragLeave.bind(this));
      this.addEventListener("drop", this.onDrop.bind(this));
    }

    target(event) {
      return event.target.closest ? event.target.closest("[data-column]") : null;
    }

    onDragStart(event) {
      var card = event.target.closest ? event.target.closest("[data-card]") : null;
      if (!card) {
        return;
      }
      this.dragged = card;
      card.setAttribute("aria-grabbed", "true");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.getAttribute("data-card"));
    }

    onDragEnd() {
      if (this.dragged) {
        this.dragged.removeAttribute("aria-grabbed");
      }
      this.querySelectorAll(".crm-board__column--over").forEach(function (el) {
        el.classList.remove("crm-board__column--over");
      });
    }

    onDragOver(event) {
      var column = this.target(event);
      if (!column || !this.dragged) {
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      column.classList.add("crm-board__column--over");
    }

    onDragLeave(event) {
      var column = this.target(event);
      if (column && !column.contains(event.relatedTarget)) {
        column.classList.remove("crm-board__column--over");
      }
    }

    onDrop(event) {
      var column = this.target(event);
      var card = this.dragged;
      this.onDragEnd();
      this.dragged = null;
      if (!column || !card) {
        return;
      }
      event.preventDefault();
      if (card.closest("[data-column]") === column) {
        return;
      }
      var stage = column.getAttribute("data-column");
      var self = this;
      if (column.getAttribute("data-stage-kind") === "lost") {
        this.askLossReason(function (reason) {
          self.move(card, stage, reason);
        });
        return;
      }
      this.move(card, stage, "");
    }

    askLossReason(then) {
      var dialog = this.querySelector("dialog[data-loss-dialog]");
      if (!dialog || !dialog.showModal) {
        then("");
        return;
      }
      var select = dialog.querySelector("select[name=loss_reason]");
      select.value = "";
      dialog.addEventListener(
        "close",
        function () {
          if (dialog.returnValue === "confirm" && select.value) {
            then(select.value);
          }
        },
        { once: true }
      );
      dialog.showModal();
    }

    show(text) {
      if (this.message) {
        this.message.textContent = text;
        this.message.hidden = !text;
      }
    }

    move(card, stage, lossReason) {
      var body = new URLSearchParams();
      body.set("stage", stage);
      if (lossReason) {
        body.set("loss_reason", lossReason);
      }
      var self = this;
      card.setAttribute("aria-busy", "true");
      fetch(card.getAttribute("data-move-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "X-CSRFToken": csrfToken(card),
          "Content-Type": "application/x-www-form-urlencoded",
        },
        body: body.toString(),
      })
        .then(function (response) {
          return response
            .json()
            .catch(function () {
              return { ok: false, error: response.statusText || String(response.status) };
            })
            .then(function (data) {
              return { status: response.status, data: data };
            });
        })
        .then(function (result) {
          card.removeAttribute("aria-busy");
          if (result.data && result.data.ok) {
            window.location.reload();
          } else {
            self.show((result.data && result.data.error) || String(result.status));
          }
        })
        .catch(function (error) {
          card.removeAttribute("aria-busy");
          self.show(String(error));
        });
    }
  }

  window.customElements.define("crm-board", CrmBoard);
})();
