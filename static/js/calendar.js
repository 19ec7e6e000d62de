// The calendar's drag and drop (native HTML5 drag events), drafts dropped from the tray,
// "+N more" focus and clicks on empty days. Loaded from 'self' only; nothing inline
// (strict CSP). Without this file every chip still opens its post, every day links to
// the queue, "+" starts a post; the drawer's "Move to…" form moves a post and the tray's
// "Schedule…" form schedules a draft, by keyboard or by tap (touch screens do not drag).
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

  // A draft dropped on a day (or an hour) is not scheduled yet: its tray form opens with
  // that day (and hour, keeping the minutes) filled in, to confirm or change the time.
  function confirmDraft(draft, zone) {
    const item = draft.closest(".tray-item");
    const form = item ? item.querySelector("form.schedule-form") : null;
    if (!form) return;
    form.elements.date.value = zone.dataset.dropDate;
    const time = form.elements.time;
    if (zone.dataset.dropHour !== undefined) {
      const minutes = (time.value || "00:00").slice(3, 5) || "00";
      time.value = `${zone.dataset.dropHour.padStart(2, "0")}:${minutes}`;
    }
    item.querySelector("details").open = true;
    const day = new Date(`${zone.dataset.dropDate}T12:00:00`);
    const words = day.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" });
    const text = `Schedule for ${words} at ${time.value}? Change the time if you like, then press Schedule.`;
    form.querySelector(".schedule-confirm").textContent = text;
    say(text, false);
    item.classList.add("confirming");
    form.querySelector("button[type=submit]").focus();
  }

  // "+N more" swapped in place: focus goes to the first post that was not shown before.
  document.addEventListener("htmx:afterSettle", () => {
    const first = document.querySelector("[data-first-new]");
    if (!first) return;
    first.removeAttribute("data-first-new");
    const chip = first.querySelector(".chip");
    if (chip) chip.focus();
  });

  // A day's empty hours are one tab stop; the arrows move up and down among them (the
  // one focused becomes the tab stop), so Tab crosses a week in seven steps, not 168.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const link = event.target instanceof Element ? event.target.closest("a.slot-new") : null;
    if (!link) return;
    const day = link.parentElement.dataset.dropDate;
    const all = [...document.querySelectorAll(`.slot[data-drop-date="${day}"] > a.slot-new`)];
    const next = all[all.indexOf(link) + (event.key === "ArrowDown" ? 1 : -1)];
    if (!next) return;
    event.preventDefault();
    link.setAttribute("tabindex", "-1");
    next.setAttribute("tabindex", "0");
    next.focus();
  });

  // A click on the empty part of a month's day starts a post that day (the day's "+",
  // the same link a keyboard reaches).
  document.addEventListener("click", (event) => {
    const el = event.target instanceof Element ? event.target : null;
    const cell = el ? el.closest(".month-day") : null;
    if (!cell || el.closest("a, button, summary, details, input, label, .chip")) return;
    const start = cell.querySelector("a.day-new");
    if (start) start.click();
  });

  document.addEventListener("dragstart", (event) => {
    const el = event.target instanceof Element ? event.target : null;
    const draft = el ? el.closest(".chip[data-draft]") : null;
    if (draft) {
      dragged = { draft };
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", draft.dataset.draft);
      draft.classList.add("dragging");
      return;
    }
    const chip = el ? el.closest(".chip[data-post]") : null;
    const cal = body();
    if (!chip || !cal || !cal.hasAttribute("data-can-move")) return;
    dragged = { chip, home: chip.parentElement, next: chip.nextSibling };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", chip.dataset.post);
    chip.classList.add("dragging");
  });

  document.addEventListener("dragend", () => {
    if (dragged) (dragged.chip || dragged.draft).classList.remove("dragging");
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
    if (dragged.draft) {
      const draft = dragged.draft;
      dragged = null;
      draft.classList.remove("dragging");
      confirmDraft(draft, zone);
      return;
    }
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
