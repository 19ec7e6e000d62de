// Date and time boxes written the page's way. Pages write dates and times in the user's
// convention (<html data-clock="24|12" data-date-order="dmy|mdy">, core/clock.py). The
// browser's own date and time boxes follow the browser's language instead; where the two
// differ, each box becomes a text box in the page's convention. The original input stays
// in the form, hidden, holding what the server reads ("2026-12-06", "18:25",
// "2026-12-06T18:25"); what cannot be read is sent as typed, and the server says why.
"use strict";

(() => {
  const root = document.documentElement;
  const page = {
    hour12: root.dataset.clock === "12",
    monthFirst: root.dataset.dateOrder === "mdy",
  };
  const language = navigator.language || "en-US";
  const hourCycle = new Intl.DateTimeFormat(language, { hour: "numeric" }).resolvedOptions()
    .hourCycle;
  const order = new Intl.DateTimeFormat(language, {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  })
    .formatToParts(new Date(2026, 11, 6))
    .map((part) => part.type);
  const browser = {
    hour12: hourCycle === "h12" || hourCycle === "h11",
    monthFirst: order.indexOf("month") < order.indexOf("day"),
  };
  const redoTimes = page.hour12 !== browser.hour12;
  const redoDates = page.monthFirst !== browser.monthFirst;
  if (!redoTimes && !redoDates) return;

  const two = (n) => String(n).padStart(2, "0");

  function showDate(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!m) return iso || "";
    return page.monthFirst ? `${m[2]}/${m[3]}/${m[1]}` : `${m[3]}/${m[2]}/${m[1]}`;
  }
  function readDate(text) {
    const t = text.trim();
    let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
    let year, month, day;
    if (m) [, year, month, day] = m.map(Number);
    else {
      m = /^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$/.exec(t);
      if (!m) return null;
      const [, a, b, y] = m.map(Number);
      [year, month, day] = page.monthFirst ? [y, a, b] : [y, b, a];
    }
    const when = new Date(Date.UTC(year, month - 1, day));
    if (when.getUTCMonth() !== month - 1 || when.getUTCDate() !== day) return null;
    return `${year}-${two(month)}-${two(day)}`;
  }
  function showTime(value) {
    const m = /^(\d{2}):(\d{2})/.exec(value || "");
    if (!m) return value || "";
    const hour = Number(m[1]);
    if (!page.hour12) return `${m[1]}:${m[2]}`;
    return `${hour % 12 || 12}:${m[2]} ${hour < 12 ? "AM" : "PM"}`;
  }
  function readTime(text) {
    const m = /^(\d{1,2})(?:[:.](\d{2}))?\s*([ap])?\.?\s*m?\.?$/i.exec(text.trim());
    if (!m) return null;
    let hour = Number(m[1]);
    const minute = Number(m[2] || 0);
    if (m[3]) {
      if (hour < 1 || hour > 12) return null;
      hour = (hour % 12) + (m[3].toLowerCase() === "p" ? 12 : 0);
    } else if (m[2] === undefined) return null;
    if (hour > 23 || minute > 59) return null;
    return `${two(hour)}:${two(minute)}`;
  }

  const kinds = {
    date: {
      placeholder: () => (page.monthFirst ? "mm/dd/yyyy" : "dd/mm/yyyy"),
      show: showDate,
      read: readDate,
    },
    time: {
      placeholder: () => (page.hour12 ? "h:mm AM" : "HH:MM"),
      show: showTime,
      read: readTime,
    },
    "datetime-local": {
      placeholder: () => `${kinds.date.placeholder()} ${kinds.time.placeholder()}`,
      show: (value) => {
        const [day, hour] = (value || "").split("T");
        return day ? `${showDate(day)} ${showTime(hour)}`.trim() : "";
      },
      read: (text) => {
        const m = /^(\S+)[\s,]+(.+)$/.exec(text.trim());
        if (!m) return null;
        const day = readDate(m[1]);
        const hour = readTime(m[2]);
        return day && hour ? `${day}T${hour}` : null;
      },
    },
  };

  function redo(input) {
    const kind = kinds[input.type];
    if (!kind || input.dataset.clockText) return;
    if (input.type === "time" && !redoTimes) return;
    if (input.type === "date" && !redoDates) return;
    const shown = document.createElement("input");
    shown.type = "text";
    shown.autocomplete = "off";
    shown.className = "clock-text";
    shown.placeholder = kind.placeholder();
    shown.value = kind.show(input.value);
    shown.required = input.required;
    shown.disabled = input.disabled;
    ["aria-label", "aria-invalid", "aria-describedby", "title"].forEach((name) => {
      if (input.hasAttribute(name)) shown.setAttribute(name, input.getAttribute(name));
    });
    if (input.id) {
      shown.id = input.id;
      input.id = `${input.id}-value`;
    }
    input.dataset.clockText = "on";
    input.type = "hidden";
    input.after(shown);
    shown.addEventListener("input", () => {
      input.value = kind.read(shown.value) || shown.value.trim();
    });
    shown.addEventListener("blur", () => {
      if (!shown.value.trim()) return;
      const value = kind.read(shown.value);
      if (value) shown.value = kind.show(value);
      shown.setAttribute("aria-invalid", String(!value));
    });
  }

  function redoAll(root) {
    const selector = "input[type=date], input[type=time], input[type=datetime-local]";
    if (root.matches && root.matches(selector)) redo(root);
    if (root.querySelectorAll) root.querySelectorAll(selector).forEach(redo);
  }

  document.addEventListener("DOMContentLoaded", () => redoAll(document));
  document.addEventListener("htmx:load", (event) => redoAll(event.target));
})();
