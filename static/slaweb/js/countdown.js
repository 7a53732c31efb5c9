// SLA badges that tick (spec §4.2) and a poll that keeps their data current.
//
// The server renders every badge with its absolute breach time; this script recomputes the
// text and colour every second from that time, so nothing waits for the network. It polls
// the JSON endpoint named by #sla-live[data-poll-url] for the tickets on the page, often
// while someone is working, rarely when the tab is hidden or nobody has touched it for a while.
"use strict";

(function () {
  const AMBER_SECONDS = 15 * 60;
  const IDLE_AFTER_MS = 2 * 60 * 1000;

  // Spec §4.2 rounding, as the engine's remaining_display: minutes up to 90 minutes, hours up
  // to 36.5 hours, days beyond, each to the nearest unit with the exact half rounding down.
  function remaining(breachMs, nowMs) {
    const seconds = Math.floor((breachMs - nowMs) / 1000);
    const magnitude = Math.abs(seconds);
    let unit = "d";
    let size = 86400;
    if (magnitude <= 90 * 60) {
      unit = "m";
      size = 60;
    } else if (magnitude <= 36 * 3600 + 1800) {
      unit = "h";
      size = 3600;
    }
    const whole = Math.floor(magnitude / size);
    const rest = magnitude - whole * size;
    const value = whole + (2 * rest > size ? 1 : 0);
    return { unit, value: seconds < 0 ? -value : value, seconds };
  }

  // What a badge shows: {text, colour} for its stage, breach time and flags. A target changed
  // after its breach (Zendesk's "Now") shows how late it is like any breach, counted from the
  // deadline the current target gives: "-14d" says what "Now" hid (tickets/admin/ticket_page.py
  // badge_view has the same rule; the tooltip says the target changed).
  function display(badge, nowMs) {
    if (!badge.stage || badge.stage === "achieved") return { text: "", colour: "none" };
    if (badge.stage === "paused") return { text: "paused", colour: badge.breached ? "red" : "green" };
    if (!badge.breachAt) return { text: "", colour: "none" };
    const breachMs = Date.parse(badge.breachAt);
    const { unit, value } = remaining(breachMs, nowMs);
    const left = breachMs - nowMs;
    const past = left < 0;
    // "-0m" in the first half-minute after a breach: the sign says the time has passed.
    const text = `${past && value === 0 ? "-" : ""}${value}${unit}`;
    let colour = "green";
    if (past || badge.breached) colour = "red";
    else if (left / 1000 <= AMBER_SECONDS) colour = "amber";
    return { text, colour };
  }

  // The viewer's own time zone: the browser's.
  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

  const DATE_PARTS = new Intl.DateTimeFormat("en-GB", {
    timeZone: viewerZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });

  // "Tue 1 Dec, 14:05" (with the year when asked) in the viewer's zone, as the server writes
  // it in ticket_page.py local_time.
  function localTime(ms, withYear) {
    const parts = {};
    for (const part of DATE_PARTS.formatToParts(new Date(ms))) parts[part.type] = part.value;
    const day = `${parts.weekday} ${parts.day} ${parts.month}${withYear ? ` ${parts.year}` : ""}`;
    return `${day}, ${parts.hour}:${parts.minute}`;
  }

  function yearOf(ms) {
    const year = DATE_PARTS.formatToParts(new Date(ms)).find((part) => part.type === "year");
    return year ? year.value : "";
  }

  // "First reply: breached Tue 1 Dec, 14:05 (Europe/Berlin)", as ticket_page.py badge_tooltip.
  function tooltip(badge, label, nowMs) {
    if (!badge.stage || badge.stage === "achieved") return label;
    if (badge.stage === "paused") return `${label}: paused${badge.breached ? ", already breached" : ""}`;
    if (!badge.breachAt) return `${label}: no deadline (the schedule has no business hours left)`;
    const breachMs = Date.parse(badge.breachAt);
    const when = `${localTime(breachMs, yearOf(breachMs) !== yearOf(nowMs))} (${viewerZone})`;
    if (breachMs > nowMs && !badge.breached) return `${label}: due ${when}`;
    const changed = badge.now ? " (the target changed after the breach)" : "";
    return `${label}: breached ${when}${changed}`;
  }

  const live = document.getElementById("sla-live");
  let offsetMs = 0; // server clock minus this clock

  function serverNow() {
    return Date.now() + offsetMs;
  }

  function readBadge(el) {
    return {
      stage: el.dataset.stage || "",
      breachAt: el.dataset.breachAt || "",
      breached: el.dataset.breached === "true",
      now: el.dataset.now === "true",
    };
  }

  const COLOURS = ["green", "amber", "red", "none"];

  function render(el, nowMs) {
    const badge = readBadge(el);
    const { text, colour } = display(badge, nowMs);
    const textEl = el.querySelector(".sla-badge__text");
    if (textEl && textEl.textContent !== text) textEl.textContent = text;
    for (const name of COLOURS) {
      el.classList.toggle(`sla-badge--${name}`, name === colour);
    }
    el.classList.toggle("sla-badge--paused", badge.stage === "paused");
    const title = tooltip(badge, el.dataset.label || "", nowMs);
    if (title && el.title !== title) el.title = title;
  }

  function tick() {
    const nowMs = serverNow();
    for (const el of document.querySelectorAll(".sla-badge[data-ticket]")) render(el, nowMs);
  }

  function applyItem(el, item) {
    el.dataset.stage = item ? item.stage : "";
    el.dataset.breachAt = item && item.breach_at ? item.breach_at : "";
    el.dataset.breached = item && item.breached ? "true" : "false";
    el.dataset.now = item && item.now ? "true" : "false";
    if (item) {
      el.dataset.metric = item.metric;
      el.dataset.instance = String(item.instance_id);
    }
    const label = el.querySelector(".sla-badge__metric");
    const text = item ? item.label : "";
    if (label && label.textContent !== text) label.textContent = text;
    el.dataset.label = text;
    if (!item) el.removeAttribute("title");
  }

  function applyPoll(body) {
    for (const ticket of body.tickets) {
      const badges = document.querySelectorAll(`.sla-badge[data-ticket="${ticket.id}"]`);
      for (const el of badges) {
        if (el.dataset.role === "target") {
          const item = ticket.policy_metrics.find(
            (m) => m.metric === el.dataset.metric && String(m.instance_id) === el.dataset.instance,
          );
          if (item) applyItem(el, item);
        } else {
          applyItem(el, ticket.badge);
        }
      }
      if (live.dataset.ticket === String(ticket.id) && live.dataset.version !== String(ticket.version)) {
        const notice = document.getElementById("ticket-changed");
        if (notice) notice.hidden = false;
      }
    }
    document.dispatchEvent(new CustomEvent("sla:polled", { detail: body }));
  }

  function ticketIds() {
    const ids = new Set();
    if (live.dataset.ticket) ids.add(live.dataset.ticket);
    for (const el of document.querySelectorAll(".sla-badge[data-ticket]")) ids.add(el.dataset.ticket);
    return [...ids];
  }

  // Polling: every activeMs while in use, idleMs after IDLE_AFTER_MS without input, and
  // hiddenMs while the tab is hidden; coming back polls at once if the data is stale.
  const activeMs = 1000 * Number(live?.dataset.pollActive || 15);
  const idleMs = 1000 * Number(live?.dataset.pollIdle || 60);
  const hiddenMs = 1000 * Number(live?.dataset.pollHidden || 300);
  let lastInput = Date.now();
  let lastPoll = Date.now();
  let timer = null;
  let inFlight = false;
  // A poll asked for while one is on its way runs right after it: that answer may predate
  // the change the caller knows about.
  let again = false;

  function interval() {
    if (document.hidden) return hiddenMs;
    return Date.now() - lastInput > IDLE_AFTER_MS ? idleMs : activeMs;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(poll, Math.max(0, delay));
  }

  async function poll() {
    const ids = ticketIds();
    if (inFlight) {
      again = true;
      return;
    }
    if (!ids.length) return schedule(interval());
    inFlight = true;
    const url = new URL(live.dataset.pollUrl, window.location.href);
    url.searchParams.set("ids", ids.join(","));
    const sent = Date.now();
    try {
      const response = await fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok) {
        const body = await response.json();
        const received = Date.now();
        offsetMs = Date.parse(body.now) - (sent + received) / 2;
        applyPoll(body);
        tick();
      }
    } catch (error) {
      // Offline or the server restarting: the badges keep ticking and the next poll retries.
    } finally {
      inFlight = false;
      lastPoll = Date.now();
      schedule(again ? 0 : interval());
      again = false;
    }
  }

  function wake() {
    const wasIdle = Date.now() - lastInput > IDLE_AFTER_MS;
    lastInput = Date.now();
    if (wasIdle && Date.now() - lastPoll > activeMs) schedule(0);
  }

  window.slawebCountdown = {
    remaining,
    display,
    tooltip,
    localTime,
    viewerZone,
    interval,
    poll: () => schedule(0),
    polling: () => inFlight,
    sinceLastPoll: () => Date.now() - lastPoll,
  };

  if (!live) return;
  if (live.dataset.serverNow) offsetMs = Date.parse(live.dataset.serverNow) - Date.now();
  tick();
  // Tick on the second boundary so every badge changes together.
  setTimeout(() => {
    tick();
    setInterval(tick, 1000);
  }, 1000 - (serverNow() % 1000));
  for (const name of ["keydown", "pointerdown", "pointermove", "wheel", "touchstart"]) {
    window.addEventListener(name, wake, { passive: true });
  }
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && Date.now() - lastPoll > activeMs) schedule(0);
    else schedule(interval());
  });
  schedule(interval());
})();
