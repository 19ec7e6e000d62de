// oktodash's small bit of JavaScript. Loaded from 'self' only; nothing inline (strict CSP).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Close the user menu when clicking elsewhere.
  document.addEventListener("click", (event) => {
    document.querySelectorAll("details.dropdown[open]").forEach((menu) => {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
});

// Refresh the status bar every 30 s, only while the tab is visible.
setInterval(() => {
  if (document.visibilityState === "visible") {
    document.body.dispatchEvent(new CustomEvent("status-refresh"));
  }
}, 30000);

// The phone menu (navigation and the user menu): a button that shows and hides it.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-nav-toggle]");
  if (!toggle) return;
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  toggle.closest(".shell-nav").classList.toggle("menu-open", open);
});

// The post drawer: htmx loads a post into #drawer; show it, move focus into it, and
// close on ✕ or Escape, giving focus back to what opened it.
let drawerOpener = null;
document.addEventListener("htmx:beforeRequest", (event) => {
  const target = event.detail.target;
  if (target && target.id === "drawer") drawerOpener = event.detail.elt;
});
document.addEventListener("htmx:afterSwap", (event) => {
  // A history restore fires afterSwap without a target.
  const drawer = event.detail.target;
  if (drawer && drawer.id === "drawer") {
    drawer.classList.add("open");
    document.body.classList.add("drawer-open");
    pageBehindDrawer(true);
    const heading = drawer.querySelector("h2");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }
});
// On a phone the drawer covers the page: what is behind it leaves the tab order.
const phone = window.matchMedia("(max-width: 760px)");
function pageBehindDrawer(inert) {
  document
    .querySelectorAll("body > header, body > footer, main > :not(#drawer)")
    .forEach((el) => {
      el.inert = inert && phone.matches;
    });
}
function closeDrawer(drawer) {
  pageBehindDrawer(false);
  drawer.classList.remove("open");
  drawer.replaceChildren();
  document.body.classList.remove("drawer-open");
  if (drawerOpener && document.contains(drawerOpener)) drawerOpener.focus();
  drawerOpener = null;
}
document.addEventListener("click", (event) => {
  const close = event.target.closest("[data-drawer-close]");
  const drawer = document.getElementById("drawer");
  if (close && drawer && drawer.contains(close)) {
    event.preventDefault();
    closeDrawer(drawer);
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const drawer = document.getElementById("drawer");
  if (drawer && drawer.classList.contains("open")) {
    closeDrawer(drawer);
    return;
  }
  document.querySelectorAll("details[open]").forEach((menu) => {
    if (menu.contains(document.activeElement)) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    }
  });
});

// Live rows poll for changes; a hidden tab does not need them.
document.addEventListener("htmx:beforeRequest", (event) => {
  if (document.hidden && event.detail.elt.hasAttribute("data-live")) {
    event.preventDefault();
  }
});

// Bulk changes: "Select all on this page", and the bar that counts the ticked rows and
// leads to the bulk form.
const bulkBoxes = () => document.querySelectorAll('input[name="post"][form="bulk-form"]');
function bulkCount() {
  const bar = document.getElementById("bulk-bar");
  if (!bar) return;
  const ticked = Array.from(bulkBoxes()).filter((box) => box.checked).length;
  bar.hidden = ticked === 0;
  document.body.classList.toggle("bulk-selecting", ticked > 0);
  bar.querySelector("[data-bulk-count]").textContent =
    ticked === 1 ? "1 post selected" : `${ticked} posts selected`;
  const all = document.querySelector("[data-select-all]");
  if (all) all.checked = ticked > 0 && ticked === bulkBoxes().length;
}
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-select-all]")) {
    bulkBoxes().forEach((box) => {
      box.checked = event.target.checked;
    });
  }
  if (event.target.matches('[data-select-all], input[name="post"][form="bulk-form"]')) bulkCount();
});
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-bulk-clear]")) {
    bulkBoxes().forEach((box) => {
      box.checked = false;
    });
    bulkCount();
  } else if (event.target.closest("[data-bulk-open]")) {
    const section = document.querySelector("details.bulk-toggle");
    if (!section) return;
    section.open = true;
    const form = document.getElementById("bulk-form");
    const scope = form.querySelector('select[name="scope"]');
    if (scope) scope.value = "selected";
    form.scrollIntoView({ block: "nearest" });
    form.querySelector('select[name="action"]').focus();
  }
});
// New rows (a filter, another page) come unticked; a page shown again may keep ticks.
document.addEventListener("htmx:afterSettle", bulkCount);
window.addEventListener("pageshow", bulkCount);

// Do not replace a live row while the editor is typing in it.
document.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  if (elt.hasAttribute("data-live") && elt.contains(document.activeElement)) {
    event.preventDefault();
  }
});

// "Copy" beside a value shown once (a new share link): the clipboard, or, where the
// page is not a secure context, the value selected for Ctrl-C.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  if (!field) return;
  const said = button.parentElement.querySelector("[data-copied]");
  try {
    await navigator.clipboard.writeText(field.value);
    if (said) { said.textContent = "Copied"; said.hidden = false; }
  } catch {
    field.select();
    if (said) { said.textContent = "Selected: press Ctrl-C (⌘-C) to copy"; said.hidden = false; }
  }
});

// A request htmx makes that fails (oktodash answers with an error, or cannot be reached)
// swaps nothing in: say so in words where the user looks, whatever is open (a toast
// above the drawer), rather than leave a form that seems to do nothing. Background
// refreshes (live rows, the status bar) fail quietly: they try again by themselves.
const quietRequest = (elt) => elt.closest("[data-live], #status-bar") !== null;
let failedElt = null;
function requestError(elt, words) {
  let box = document.getElementById("request-error");
  if (!box) {
    box = document.createElement("div");
    box.id = "request-error";
    box.className = "request-error";
    box.setAttribute("role", "alert");
    const text = document.createElement("p");
    const log = document.createElement("a");
    // In a new tab: what was entered here stays for sending again.
    log.textContent = "Open the activity log (new tab)";
    log.target = "_blank";
    log.rel = "noopener";
    log.hidden = true;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "secondary";
    close.textContent = "Dismiss";
    close.addEventListener("click", () => hideRequestError(box));
    box.append(text, log, close);
    document.body.append(box);
  }
  box.querySelector("p").textContent = words;
  // Where the words send the user: the navigation's own link to the activity log.
  const activity = document.querySelector(".nav-links a[href$='/activity/']");
  const log = box.querySelector("a");
  log.hidden = !(activity && words.includes("activity log"));
  if (activity) log.href = activity.href;
  box.hidden = false;
  failedElt = elt;
  // Room under the page and the drawer as tall as the words, so that a form's last
  // lines (its button) scroll above them rather than stay under them.
  document.body.style.setProperty("--request-error-room", `${box.offsetHeight + 24}px`);
  document.body.classList.add("request-failed");
}
function hideRequestError(box) {
  box.hidden = true;
  document.body.classList.remove("request-failed");
}
// Not kept in htmx's history snapshot: brought back by the back button, the words would
// be stale and their Dismiss button dead (its listener is not part of the snapshot).
document.addEventListener("htmx:beforeHistorySave", () => {
  const box = document.getElementById("request-error");
  if (box) {
    box.remove();
    document.body.classList.remove("request-failed");
    failedElt = null;
  }
});
function failedWords(verb, status) {
  const sending = verb !== "get";
  const kept = sending
    ? "What you entered is still here. The activity log shows whether anything was done; " +
      "check it before sending again."
    : "Nothing on this page changed; try again in a moment.";
  if (!status) return `oktodash could not be reached (the connection failed). ${kept}`;
  if (status === 403) {
    return "oktodash refused this request: your session may have ended, or your role " +
      "does not allow it. Reload the page to see (you may need to log in again).";
  }
  return `oktodash could not finish this (it answered with error ${status}). ${kept}`;
}
document.addEventListener("htmx:responseError", (event) => {
  const elt = event.detail.elt;
  if (quietRequest(elt)) return;
  requestError(elt, failedWords(event.detail.requestConfig.verb, event.detail.xhr.status));
});
for (const name of ["htmx:sendError", "htmx:timeout"]) {
  document.addEventListener(name, (event) => {
    const elt = event.detail.elt;
    if (quietRequest(elt)) return;
    requestError(elt, failedWords(event.detail.requestConfig.verb, 0));
  });
}
// The words stay until the same thing succeeds (tried again, or a progress view's next
// poll once oktodash answers again).
document.addEventListener("htmx:afterRequest", (event) => {
  const box = document.getElementById("request-error");
  if (box && !box.hidden && event.detail.successful && event.detail.elt === failedElt) {
    hideRequestError(box);
  }
});
