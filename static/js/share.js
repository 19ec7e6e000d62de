// The new-link form (templates/share/new.html). Loaded by that page only; nothing inline.
// The date boxes count only for "Custom dates", and the choice between fixed and rolling
// dates only for a range such as "Last 7 days": the other controls are switched off, so
// what is sent (and previewed) is what the form shows. Without script, the server
// ignores the date boxes unless "Custom dates" is chosen (sharing/forms.py).
"use strict";

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
