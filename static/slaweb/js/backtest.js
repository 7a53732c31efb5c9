// The backtest page: check the draft is JSON before sending it, and put the live policies
// back on request. The server validates and runs everything; this only saves a round trip.
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("backtest-form");
    var area = document.getElementById("backtest-policies");
    var errors = document.getElementById("backtest-errors");
    var reset = document.getElementById("backtest-reset");
    var live = document.getElementById("backtest-live");
    if (!form || !area || !errors) {
      return;
    }

    function showError(message) {
      errors.textContent = message;
      errors.hidden = false;
      area.setAttribute("aria-invalid", "true");
      area.focus();
    }

    form.addEventListener("submit", function (event) {
      var parsed;
      try {
        parsed = JSON.parse(area.value);
      } catch (error) {
        event.preventDefault();
        showError("The policies are not valid JSON: " + error.message);
        return;
      }
      if (!Array.isArray(parsed)) {
        event.preventDefault();
        showError("The policies must be a JSON list, [ ... ].");
        return;
      }
      area.removeAttribute("aria-invalid");
    });

    if (reset && live) {
      reset.addEventListener("click", function () {
        area.value = JSON.stringify(JSON.parse(live.textContent), null, 2);
        errors.hidden = true;
        errors.textContent = "";
        area.removeAttribute("aria-invalid");
        area.focus();
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
