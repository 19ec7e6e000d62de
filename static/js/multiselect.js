// Searchable multi-selects: every <select multiple> becomes a text box that filters its
// choices, with the chosen ones as removable chips. Keyboard: type to filter, ↓/↑ to move,
// Enter to tick or untick, Escape to close, Backspace in an empty box to drop the last.
// The native select stays in the form (what is submitted, what scripts and tests set);
// it is only hidden from sight and from the tab order. Nothing inline (strict CSP).
"use strict";

(() => {
  let counter = 0;

  // Lower case without accents, so "ne" finds "Nélson".
  const fold = (text) =>
    text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase();

  // The words of the select's <label> (its own text, not its options').
  function labelText(select) {
    const label = select.closest("label") || (select.id && document.querySelector(`label[for="${select.id}"]`));
    if (!label) return select.getAttribute("aria-label") || select.name;
    const words = [];
    label.childNodes.forEach((node) => {
      if (node.nodeType === Node.TEXT_NODE) words.push(node.textContent);
      else if (node.nodeType === Node.ELEMENT_NODE && node.matches("small, span, strong, em")) {
        words.push(node.textContent);
      }
    });
    return words.join(" ").replace(/\s+/g, " ").trim() || select.name;
  }

  function enhance(select) {
    if (select.dataset.multiselect === "on" || select.hasAttribute("data-native")) return;
    select.dataset.multiselect = "on";
    const id = `ms-${++counter}`;
    const name = labelText(select);

    const box = document.createElement("div");
    box.className = "ms";
    const chips = document.createElement("ul");
    chips.className = "ms-chips";
    chips.setAttribute("aria-label", `${name}: chosen`);
    const input = document.createElement("input");
    input.type = "text";
    input.className = "ms-input";
    input.autocomplete = "off";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", `${id}-list`);
    input.setAttribute("aria-label", name);
    input.placeholder = "Type to search…";
    const list = document.createElement("ul");
    list.className = "ms-list";
    list.id = `${id}-list`;
    list.hidden = true;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-multiselectable", "true");
    list.setAttribute("aria-label", name);
    const status = document.createElement("span");
    status.className = "ms-status visually-hidden";
    status.setAttribute("aria-live", "polite");
    box.append(chips, input, list, status);
    select.after(box);
    select.classList.add("ms-source");
    select.tabIndex = -1;
    select.setAttribute("aria-hidden", "true");

    let active = -1; // index into the shown options

    const shown = () => Array.from(list.children).filter((li) => !li.hidden);

    function choose(option, on) {
      option.selected = on;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      status.textContent = `${option.textContent.trim()} ${on ? "added" : "removed"}`;
    }

    function renderChips() {
      chips.replaceChildren(
        ...Array.from(select.selectedOptions).map((option) => {
          const li = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.className = "ms-chip";
          button.textContent = option.textContent.trim();
          button.setAttribute("aria-label", `Remove ${option.textContent.trim()}`);
          button.addEventListener("click", (event) => {
            event.preventDefault();
            choose(option, false);
            input.focus();
          });
          li.append(button);
          return li;
        }),
      );
      chips.hidden = select.selectedOptions.length === 0;
    }

    function renderList() {
      const query = fold(input.value.trim());
      list.replaceChildren(
        ...Array.from(select.options).map((option, index) => {
          const li = document.createElement("li");
          li.id = `${id}-o${index}`;
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", String(option.selected));
          li.textContent = option.textContent.trim();
          li.dataset.index = String(index);
          li.hidden = query !== "" && !fold(li.textContent).includes(query);
          return li;
        }),
      );
      const visible = shown();
      if (visible.length === 0) {
        const none = document.createElement("li");
        none.className = "ms-none";
        none.textContent = "Nothing matches";
        list.append(none);
      }
      active = visible.length ? Math.min(Math.max(active, 0), visible.length - 1) : -1;
      markActive();
    }

    function markActive() {
      const visible = shown().filter((li) => li.getAttribute("role") === "option");
      visible.forEach((li, i) => li.classList.toggle("ms-active", i === active));
      const current = visible[active];
      if (current) {
        input.setAttribute("aria-activedescendant", current.id);
        current.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function open() {
      if (!list.hidden) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      renderList();
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function toggleActive() {
      const current = shown().filter((li) => li.getAttribute("role") === "option")[active];
      if (!current) return;
      const option = select.options[Number(current.dataset.index)];
      choose(option, !option.selected);
    }

    input.addEventListener("focus", open);
    input.addEventListener("click", open);
    input.addEventListener("input", () => {
      active = 0;
      open();
      renderList();
    });
    // The search words are not a filter of their own: no change event for the form.
    input.addEventListener("change", (event) => event.stopPropagation());
    input.addEventListener("keydown", (event) => {
      const count = shown().filter((li) => li.getAttribute("role") === "option").length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        open();
        if (count) active = (active + (event.key === "ArrowDown" ? 1 : count - 1)) % count;
        markActive();
      } else if (event.key === "Enter") {
        // Enter ticks the highlighted choice; it does not submit the form.
        if (!list.hidden && active >= 0) {
          event.preventDefault();
          toggleActive();
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          event.stopPropagation();
          close();
        }
      } else if (event.key === "Backspace" && input.value === "" && select.selectedOptions.length) {
        const options = select.selectedOptions;
        choose(options[options.length - 1], false);
      }
    });
    // Clicking a choice keeps the focus in the box and does not reach the <label>.
    list.addEventListener("mousedown", (event) => event.preventDefault());
    list.addEventListener("click", (event) => {
      event.preventDefault();
      const li = event.target.closest("li[role=option]");
      if (!li) return;
      const option = select.options[Number(li.dataset.index)];
      choose(option, !option.selected);
      input.focus();
    });
    box.addEventListener("focusout", (event) => {
      if (!box.contains(event.relatedTarget)) close();
    });
    // Clicking the label's words goes to the search box, not to the hidden select.
    const label = select.closest("label");
    if (label) {
      label.addEventListener("click", (event) => {
        if (box.contains(event.target)) return;
        event.preventDefault();
        input.focus();
      });
    }
    // Whoever changes the select (this box, a script, a reset) redraws the chips.
    select.addEventListener("change", () => {
      renderChips();
      if (!list.hidden) renderList();
    });
    const form = select.form;
    if (form) form.addEventListener("reset", () => setTimeout(renderChips));
    renderChips();
  }

  function enhanceAll(root) {
    if (root.matches && root.matches("select[multiple]")) enhance(root);
    if (root.querySelectorAll) root.querySelectorAll("select[multiple]").forEach(enhance);
  }

  document.addEventListener("DOMContentLoaded", () => enhanceAll(document));
  // Forms that htmx brings in (drawers, dialogs) get the same boxes.
  document.addEventListener("htmx:load", (event) => enhanceAll(event.target));
})();
