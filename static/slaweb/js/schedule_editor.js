// The schedule editor page: add and remove interval and holiday rows, keep each interval's
// stored minutes and the week chart in step with the inputs, and narrow the time zone list as
// one types. The server validates everything again; this only helps while editing.
(function () {
  "use strict";

  const WEEK = 10080;
  const DAY = 1440;
  const NOUNS = { intervals: "Interval", holidays: "Holiday" };

  const form = document.querySelector("[data-schedule-editor]");
  if (!form) {
    return;
  }
  const status = form.querySelector("[data-status]");

  function announce(text) {
    // Emptied first so that the same message twice is still read out.
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = text;
    }, 50);
  }

  function field(row, name) {
    return row.querySelector(`[name$="-${name}"]`);
  }

  function clockMinutes(value) {
    const match = /^(\d{2}):(\d{2})/.exec(value || "");
    return match ? Number(match[1]) * 60 + Number(match[2]) : null;
  }

  function liveRows(prefix) {
    const rows = form.querySelectorAll(`[data-rows="${prefix}"] > [data-row]`);
    return Array.from(rows).filter((row) => !row.hidden);
  }

  // [start, end] in minutes since Sunday 00:00, as the API stores it; null while incomplete.
  function intervalOf(row) {
    const startTime = clockMinutes(field(row, "start_time").value);
    const endTime = clockMinutes(field(row, "end_time").value);
    if (startTime === null || endTime === null) {
      return null;
    }
    const start = Number(field(row, "start_day").value) * DAY + startTime;
    let end = Number(field(row, "end_day").value) * DAY + endTime;
    if (end <= start) {
      end += WEEK;
    }
    return [start, end];
  }

  function refreshIntervals() {
    const tracks = new Map();
    for (const track of form.querySelectorAll("[data-week] [data-day]")) {
      track.replaceChildren();
      tracks.set(Number(track.dataset.day), track);
    }
    for (const row of liveRows("intervals")) {
      const interval = intervalOf(row);
      row.querySelector("[data-length]").textContent = interval
        ? lengthText(interval[1] - interval[0])
        : "";
      if (!interval) {
        continue;
      }
      // One bar per calendar day the interval touches; past the week end it wraps to Sunday.
      let [start, end] = interval;
      while (start < end) {
        const dayStart = Math.floor(start / DAY) * DAY;
        const stop = Math.min(end, dayStart + DAY);
        const bar = document.createElement("span");
        bar.className = "sched-week-bar";
        bar.style.left = `${((start - dayStart) / DAY) * 100}%`;
        bar.style.width = `${((stop - start) / DAY) * 100}%`;
        tracks.get(Math.floor(start / DAY) % 7).append(bar);
        start = stop;
      }
    }
    flagOverlaps();
  }

  function lengthText(minutes) {
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    if (hours && rest) {
      return `${hours} h ${rest} min`;
    }
    return hours ? `${hours} h` : `${rest} min`;
  }

  const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

  function clockText(minute) {
    const day = DAY_NAMES[Math.floor(minute / DAY) % 7];
    const clock = minute % DAY;
    const pad = (n) => String(n).padStart(2, "0");
    return `${day} ${pad(Math.floor(clock / 60))}:${pad(clock % 60)}`;
  }

  // Overlaps are flagged on both rows as soon as they exist, across the week end too (an
  // interval past Sunday 24:00 meets the start of the week again); touching is fine.
  function flagOverlaps() {
    const rows = liveRows("intervals");
    const spans = rows.map((row) => intervalOf(row));
    const found = rows.map(() => []);
    for (let i = 0; i < rows.length; i += 1) {
      for (let j = i + 1; j < rows.length; j += 1) {
        const a = spans[i];
        const b = spans[j];
        if (!a || !b) {
          continue;
        }
        const overlap = [0, WEEK, -WEEK].some(
          (shift) => a[0] < b[1] + shift && b[0] + shift < a[1],
        );
        if (overlap) {
          found[i].push(j);
          found[j].push(i);
        }
      }
    }
    rows.forEach((row, index) => {
      const note = row.querySelector("[data-overlap]");
      const text = found[index]
        .map((other) => {
          const name = rows[other].getAttribute("aria-label") || "another interval";
          const [start, end] = spans[other];
          return `Overlaps ${name.toLowerCase()} (${clockText(start)} to ${clockText(end)}).`;
        })
        .join(" ");
      if (note.textContent !== text) {
        note.textContent = text;
      }
      row.classList.toggle("has-overlap", text !== "");
    });
  }

  // A new interval follows the last one: the next day, the same hours.
  function prefillInterval(row) {
    const rows = liveRows("intervals");
    const last = rows[rows.length - 1];
    const values = {
      start_day: "1",
      start_time: "09:00",
      end_day: "1",
      end_time: "17:00",
    };
    if (last && intervalOf(last)) {
      const startDay = Number(field(last, "start_day").value);
      const span = (Number(field(last, "end_day").value) - startDay + 7) % 7;
      values.start_day = String((startDay + 1) % 7);
      values.end_day = String((startDay + 1 + span) % 7);
      values.start_time = field(last, "start_time").value;
      values.end_time = field(last, "end_time").value;
    }
    for (const [name, value] of Object.entries(values)) {
      field(row, name).value = value;
    }
  }

  function addRow(prefix) {
    const total = form.querySelector(`[name="${prefix}-TOTAL_FORMS"]`);
    const index = String(Number(total.value));
    const fragment = document.getElementById(`${prefix}-template`).content.cloneNode(true);
    for (const element of fragment.querySelectorAll("*")) {
      for (const attribute of ["id", "name", "for", "aria-describedby"]) {
        const value = element.getAttribute(attribute);
        if (value && value.includes("__prefix__")) {
          element.setAttribute(attribute, value.replaceAll("__prefix__", index));
        }
      }
    }
    const row = fragment.querySelector("[data-row]");
    // Numbered like the server numbers rows (removed ones keep their numbers), never twice.
    const number = Number(index) + 1;
    row.setAttribute("aria-label", `${NOUNS[prefix]} ${number}`);
    if (prefix === "intervals") {
      prefillInterval(row);
      field(row, "start_day").dataset.day = field(row, "start_day").value;
    }
    form.querySelector(`[data-rows="${prefix}"]`).append(row);
    total.value = String(Number(index) + 1);
    row.querySelector("input:not([type=hidden]), select").focus();
    refreshIntervals();
    announce(`${NOUNS[prefix]} ${number} added.`);
  }

  function removeRow(row) {
    const prefix = row.parentElement.dataset.rows;
    const rows = liveRows(prefix);
    const at = rows.indexOf(row);
    field(row, "DELETE").value = "on";
    row.hidden = true;
    const neighbour = rows[at + 1] || rows[at - 1];
    const next = neighbour
      ? neighbour.querySelector("[data-remove]")
      : form.querySelector(`[data-add="${prefix}"]`);
    next.focus();
    refreshIntervals();
    announce(`${NOUNS[prefix]} removed. Save to keep the change.`);
  }

  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add]");
    if (add) {
      addRow(add.dataset.add);
      return;
    }
    const remove = event.target.closest("[data-remove]");
    if (remove) {
      removeRow(remove.closest("[data-row]"));
    }
  });

  // Moving an interval's start day moves its end day with it, keeping the interval's length.
  function followStartDay(select) {
    const row = select.closest("[data-row]");
    const endDay = field(row, "end_day");
    const before = Number(select.dataset.day);
    const shift = Number(select.value) - before;
    endDay.value = String((Number(endDay.value) + shift + 7) % 7);
    select.dataset.day = select.value;
  }

  for (const kind of ["input", "change"]) {
    form.addEventListener(kind, (event) => {
      if (!event.target.closest('[data-rows="intervals"]')) {
        return;
      }
      if (kind === "change" && (event.target.name || "").endsWith("-start_day")) {
        followStartDay(event.target);
      }
      refreshIntervals();
    });
  }
  // The day each row starts on now, so that a change knows how far it moved.
  for (const select of form.querySelectorAll('[name$="-start_day"]')) {
    select.dataset.day = select.value;
  }

  const filter = form.querySelector("[data-tz-filter]");
  if (filter) {
    const select = document.getElementById(filter.getAttribute("aria-controls"));
    const count = form.querySelector("[data-tz-count]");
    const searchable = (option) => `${option.text} ${option.value}`.toLowerCase().replaceAll("_", " ");
    const firstMatch = () => Array.from(select.options).find((option) => !option.hidden);

    filter.addEventListener("input", () => {
      const words = filter.value.toLowerCase().replaceAll("_", " ").split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const option of select.options) {
        const text = searchable(option);
        option.hidden = !words.every((word) => text.includes(word));
        shown += option.hidden ? 0 : 1;
      }
      for (const group of select.querySelectorAll("optgroup")) {
        group.hidden = !Array.from(group.children).some((option) => !option.hidden);
      }
      const first = firstMatch();
      count.textContent = words.length
        ? `${shown} time zone${shown === 1 ? "" : "s"} match${shown === 1 ? "es" : ""}` +
          (first ? `; Enter picks ${first.text}.` : ".")
        : "";
    });

    filter.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        // Enter picks the first match instead of submitting the form.
        event.preventDefault();
        const first = firstMatch();
        if (first) {
          select.value = first.value;
          select.dispatchEvent(new Event("change", { bubbles: true }));
          announce(`Time zone set to ${first.text}.`);
        }
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  refreshIntervals();
})();
