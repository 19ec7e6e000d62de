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
