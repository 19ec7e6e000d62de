// Share links' pages. Loaded by the new-link form (templates/share/new.html) and by the
// "Share this view" button (templates/share/button.html); nothing inline (strict CSP).
"use strict";

// --- the new-link form -------------------------------------------------------------
// The date boxes count only for "Custom dates", and the choice between fixed and rolling
// dates only for a range such as "Last 7 days": the other controls are switched off, so
// what is sent (and previewed) is what the form shows. Without script, the server
// ignores the date boxes unless "Custom dates" is chosen (sharing/forms.py).
function shareRangeSync() {
  const range = document.querySelector("#share-form select[name=range]");
  if (!range) return;
  const custom = range.value === "";
  document.querySelectorAll("#share-form [data-custom-date]").forEach((input) => {
    input.disabled = !custom;
  });
  document.querySelectorAll("#share-form [data-date-rule]").forEach((input) => {
    input.disabled = custom;
  });
}

// In the capture phase: before htmx, listening on the form, reads the values.
document.addEventListener(
  "change",
  (event) => {
    if (event.target.matches("#share-form select[name=range]")) shareRangeSync();
  },
  true,
);
document.addEventListener("DOMContentLoaded", shareRangeSync);

// --- "Share this view" -------------------------------------------------------------
// The dialog is filled from /share/this/ with the page's address as it is now (the
// queue changes its address as filters change, without reloading), then shown as a
// modal. Without script the button is a plain link to the same dialog as a page.
document.addEventListener("click", (event) => {
  const open = event.target.closest("[data-share-open]");
  const dialog = document.getElementById("share-dialog");
  if (open && dialog && window.htmx && dialog.showModal) {
    event.preventDefault();
    const query = new URLSearchParams({
      page: open.dataset.sharePage,
      query: window.location.search.replace(/^\?/, ""),
    });
    const body = document.getElementById("share-dialog-body");
    body.replaceChildren(Object.assign(document.createElement("p"), { textContent: "Loading…" }));
    dialog.showModal();
    window.htmx.ajax("GET", `${open.dataset.shareOpen}?${query}`, {
      target: "#share-dialog-body",
      swap: "innerHTML",
    });
    return;
  }
  if (event.target.closest("[data-share-close]") && dialog) {
    dialog.close();
    return;
  }
  // A click on the backdrop (the dialog element itself, outside its article) closes it.
  if (dialog && event.target === dialog) dialog.close();
});

// After the dialog's content arrives: focus what comes next (the label, or the new link).
document.addEventListener("htmx:afterSwap", (event) => {
  if (event.target.id !== "share-dialog-body") return;
  const next = event.target.querySelector("#new-link-url, input[name=label], [role=alert]");
  if (next) {
    if (next.matches("[role=alert]")) next.tabIndex = -1;
    next.focus();
    if (next.id === "new-link-url") next.select();
  }
});
