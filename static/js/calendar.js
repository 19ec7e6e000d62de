// The calendar's drag and drop (native HTML5 drag events). Loaded from 'self' only;
// nothing inline (strict CSP). Without this file every chip still opens its post and
// every day links to the queue; the drawer's "Move to…" form moves a post by keyboard.
"use strict";

(() => {
  let dragged = null; // { chip, home, next }

  function body() {
    return document.getElementById("calendar-body");
  }

  function say(text, refused) {
    const live = document.getElementById("cal-live");
    if (!live) return;
    live.textContent = text;
    live.classList.toggle("refused", Boolean(refused));
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch {
      return "";
    }
  }

  function dropZone(target) {
    return target instanceof Element ? target.closest("[data-drop-date]") : null;
  }

  document.addEventListener("dragstart", (event) => {
    const chip = event.target instanceof Element ? event.target.closest(".chip[data-post]") : null;
    const cal = body();
    if (!chip || !cal || !cal.hasAttribute("data-can-move")) return;
    dragged = { chip, home: chip.parentElement, next: chip.nextSibling };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", chip.dataset.post);
    chip.classList.add("dragging");
  });

  document.addEventListener("dragend", () => {
    if (dragged) dragged.chip.classList.remove("dragging");
    document.querySelectorAll(".drop-hover").forEach((el) => el.classList.remove("drop-hover"));
  });

  document.addEventListener("dragover", (event) => {
    const zone = dropZone(event.target);
    if (!dragged || !zone) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-hover").forEach((el) => {
      if (el !== zone) el.classList.remove("drop-hover");
    });
    zone.classList.add("drop-hover");
  });

  document.addEventListener("drop", async (event) => {
    const zone = dropZone(event.target);
    if (!dragged || !zone) return;
    event.preventDefault();
    zone.classList.remove("drop-hover");
    const { chip, home, next } = dragged;
    dragged = null;
    chip.classList.remove("dragging");
    const form = new FormData();
    form.set("date", zone.dataset.dropDate);
    if (zone.dataset.dropHour !== undefined) form.set("hour", zone.dataset.dropHour);
    form.set("expected_modified", chip.dataset.modified || "");
    // Show the chip where it was dropped while Oktopost answers; put it back if refused.
    let list = zone.querySelector("ul.cal-chips");
    if (!list) {
      list = document.createElement("ul");
      list.className = "cal-chips";
      zone.appendChild(list);
    }
    const item = document.createElement("li");
    list.appendChild(item);
    item.appendChild(chip);
    chip.classList.add("moving");
    chip.setAttribute("aria-busy", "true");
    say("Moving…", false);
    let ok = false;
    let message = "Not moved: no answer from the server. Try again.";
    try {
      const response = await fetch(`${body().dataset.postUrl}${chip.dataset.post}/move/`, {
        method: "POST",
        body: form,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      });
      if (response.status === 403) {
        message = "Not moved: only editors can move posts.";
      } else {
        const answer = await response.json();
        ok = Boolean(answer.ok);
        message = answer.message || message;
      }
    } catch {
      // keep the message above
    }
    chip.classList.remove("moving");
    chip.removeAttribute("aria-busy");
    if (!ok) {
      // Snap back to where it was, and say why.
      home.insertBefore(chip, next && next.parentNode === home ? next : null);
      item.remove();
      chip.classList.add("refused");
      say(message, true);
      return;
    }
    say(message, false);
    // Redraw from the mirror: times, clashes and gaps as the server now sees them.
    if (window.htmx) {
      window.htmx.ajax("GET", window.location.href, { target: "#calendar-body", swap: "outerHTML" });
    }
  });
})();
