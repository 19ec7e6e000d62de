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

// The post drawer: htmx loads a post into #drawer; show it, and close on × or Escape.
document.addEventListener("htmx:afterSwap", (event) => {
  // A history restore fires afterSwap without a target.
  if (event.detail.target && event.detail.target.id === "drawer") {
    event.detail.target.classList.add("open");
  }
});
document.addEventListener("click", (event) => {
  const close = event.target.closest("[data-drawer-close]");
  const drawer = document.getElementById("drawer");
  if (close && drawer && drawer.contains(close)) {
    event.preventDefault();
    drawer.classList.remove("open");
    drawer.replaceChildren();
  }
});
document.addEventListener("keydown", (event) => {
  const drawer = document.getElementById("drawer");
  if (event.key === "Escape" && drawer && drawer.classList.contains("open")) {
    drawer.classList.remove("open");
    drawer.replaceChildren();
  }
});

// Live rows poll for changes; a hidden tab does not need them.
document.addEventListener("htmx:beforeRequest", (event) => {
  if (document.hidden && event.detail.elt.hasAttribute("data-live")) {
    event.preventDefault();
  }
});

// "Select all on this page" for bulk changes.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-select-all]")) {
    document.querySelectorAll('input[name="post"][form="bulk-form"]').forEach((box) => {
      box.checked = event.target.checked;
    });
  }
});

// Do not replace a live row while the editor is typing in it.
document.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  if (elt.hasAttribute("data-live") && elt.contains(document.activeElement)) {
    event.preventDefault();
  }
});
