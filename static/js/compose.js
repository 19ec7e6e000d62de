// The new-post form's media: send a chosen file at once (with a progress bar), remove an
// attachment, keep the first comment's picture choices in step with the attached images,
// and show the LinkedIn first comment only when a LinkedIn profile is ticked.
// Loaded on every page (base.html), as the form also opens in the drawer; listeners are
// bound once, on the document.
"use strict";

(() => {
  if (window.oktodashCompose) return;
  window.oktodashCompose = true;

  const form = () => document.getElementById("compose-form");

  // Tell the live checks (and the previews) that the attachments changed.
  const changed = () => {
    const target = document.getElementById("attached-files");
    if (target) target.dispatchEvent(new Event("change", { bubbles: true }));
  };

  const linkedInToggle = () => {
    const fieldset = document.getElementById("first-comment");
    const f = form();
    if (!fieldset || !f) return;
    const ticked = f.querySelectorAll('input[name="profiles"]:checked');
    const linkedIn = Array.from(ticked).some((box) => box.dataset.network === "LinkedIn");
    fieldset.hidden = !linkedIn;
    fieldset.disabled = !linkedIn;
  };

  // Ticked profiles of one network say which network the message is for (the server
  // infers it too; this keeps the live checks and the preview in step).
  const networkFromProfiles = () => {
    const f = form();
    const select = f && f.querySelector('select[name="network"]');
    if (!select || select.value) return;
    const ticked = f.querySelectorAll('input[name="profiles"]:checked');
    const networks = new Set(Array.from(ticked, (box) => box.dataset.network));
    if (networks.size !== 1) return;
    select.value = networks.values().next().value;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };

  const commentChoices = () => {
    const select = document.querySelector("[data-comment-media]");
    const f = form();
    if (!select || !f) return;
    const chosen = select.value;
    const images = Array.from(f.querySelectorAll('input[name="media"]')).filter(
      (input) => input.dataset.kind === "image" && (input.type === "hidden" || input.checked),
    );
    select.replaceChildren(new Option("No image", ""));
    const seen = new Set();
    images.forEach((input) => {
      if (seen.has(input.value)) return;
      seen.add(input.value);
      select.add(new Option(input.dataset.name || input.value, input.value));
    });
    select.value = seen.has(chosen) ? chosen : "";
  };

  const refresh = () => {
    linkedInToggle();
    commentChoices();
  };

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input.matches && input.matches("[data-upload-input]") && input.files.length) {
      const upload = document.getElementById("upload-form");
      const bar = document.getElementById("upload-progress");
      if (bar) {
        bar.hidden = false;
        bar.querySelector("progress").value = 0;
        bar.querySelector("[data-progress-words]").textContent = `Uploading ${input.files[0].name}…`;
      }
      htmx.trigger(upload, "upload");
      return;
    }
    if (input.name === "profiles") networkFromProfiles();
    if (input.name === "profiles" || input.name === "media") refresh();
  });

  document.addEventListener("htmx:xhr:progress", (event) => {
    if (!event.target.matches || !event.target.matches("#upload-form")) return;
    const bar = document.getElementById("upload-progress");
    const { loaded, total } = event.detail;
    if (!bar || !total) return;
    const percent = Math.round((loaded / total) * 100);
    bar.querySelector("progress").value = percent;
    bar.querySelector("[data-progress-words]").textContent =
      percent < 100 ? `Uploading… ${percent}%` : "Uploaded; handing it to Oktopost…";
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    if (!event.target.matches || !event.target.matches("#upload-form")) return;
    const bar = document.getElementById("upload-progress");
    if (bar) bar.hidden = true;
    const input = document.querySelector("[data-upload-input]");
    if (input) input.value = "";
  });

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.target.closest && event.target.closest("#post-form, #attached-files, #media-library")) {
      refresh();
      if (event.target.closest("#attached-files")) changed();
    }
  });

  document.addEventListener("htmx:load", refresh);

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-remove-attachment]");
    if (!button) return;
    button.closest(".attached").remove();
    refresh();
    changed();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", refresh);
  } else {
    refresh();
  }
})();
