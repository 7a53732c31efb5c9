// The ticket page: times in the viewer's own time zone, and a reply form that cannot be sent
// twice. The badges tick and refresh through countdown.js (loaded first).
"use strict";

(function () {
  // The server wrote each time in the viewer's profile zone; the browser's own zone is the one
  // the viewer lives in. Same format as the server's ("Thu 15 Jan 2026, 10:00").
  const countdown = window.slawebCountdown;
  if (countdown) {
    for (const el of document.querySelectorAll("time.local-time")) {
      const ms = Date.parse(el.getAttribute("datetime"));
      if (!Number.isNaN(ms)) el.textContent = countdown.localTime(ms, true);
    }
    for (const el of document.querySelectorAll(".viewer-zone")) el.textContent = countdown.viewerZone;
  }

  // Keep each target's stage in step with the badges countdown.js refreshes.
  const STAGES = { active: "Active", paused: "Paused", achieved: "Fulfilled" };
  document.addEventListener("sla:polled", (event) => {
    for (const ticket of event.detail.tickets) {
      for (const item of ticket.policy_metrics) {
        const cell = document.querySelector(
          `tr[data-metric="${item.metric}"][data-instance="${item.instance_id}"] [data-stage-cell]`,
        );
        if (!cell) continue;
        const text = STAGES[item.stage] || item.stage;
        const label = cell.firstChild;
        if (label && label.nodeType === Node.TEXT_NODE && label.textContent !== text) {
          label.textContent = text;
        }
      }
    }
  });

  const form = document.querySelector("form.ticket-form");
  if (!form) return;
  const body = form.querySelector("textarea");
  // Ctrl+Enter (or Cmd+Enter) sends from the reply box without reaching for the button.
  body?.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", () => {
    const button = form.querySelector('input[type="submit"]');
    // After this event the browser still sends the form; disabling stops a second click.
    setTimeout(() => {
      if (button) button.disabled = true;
    });
  });
})();
