// The backtest page. The draft policy list is the JSON in the "Advanced" textarea, which is what
// the form sends; the builder above it reads and writes that JSON, so a draft can be made by
// adding a policy (title and targets) or removing one, without writing JSON. The server
// validates and runs everything; this checks the JSON is a list before sending it.
(function () {
  "use strict";

  function start() {
    var form = document.getElementById("backtest-form");
    var area = document.getElementById("backtest-policies");
    var areaErrors = document.getElementById("backtest-policies-errors");
    var details = document.getElementById("backtest-json");
    var reset = document.getElementById("backtest-reset");
    var live = document.getElementById("backtest-live");
    var builder = document.getElementById("backtest-builder");
    if (!form || !area || !areaErrors) {
      return;
    }

    function listErrors(list, messages) {
      list.hidden = messages.length === 0;
      list.replaceChildren.apply(
        list,
        messages.map(function (message) {
          var item = document.createElement("li");
          item.textContent = message;
          return item;
        }),
      );
    }

    function showAreaError(message) {
      details.open = true;
      listErrors(areaErrors, [message]);
      area.setAttribute("aria-invalid", "true");
      area.closest(".backtest__field").classList.add("errors");
      area.focus();
    }

    function clearAreaError() {
      listErrors(areaErrors, []);
      area.removeAttribute("aria-invalid");
      area.closest(".backtest__field").classList.remove("errors");
    }

    function draft() {
      try {
        var parsed = JSON.parse(area.value);
        return Array.isArray(parsed) ? parsed : null;
      } catch (error) {
        return null;
      }
    }

    function writeDraft(list) {
      area.value = JSON.stringify(list, null, 2);
      clearAreaError();
      if (window.slawebForms) {
        window.slawebForms.markDirty(form);
      }
      drawDraft();
    }

    form.addEventListener("submit", function (event) {
      var parsed;
      try {
        parsed = JSON.parse(area.value);
      } catch (error) {
        event.preventDefault();
        showAreaError("The draft policies are not valid JSON: " + error.message);
        return;
      }
      if (!Array.isArray(parsed)) {
        event.preventDefault();
        showAreaError("The draft policies must be a JSON list, [ ... ].");
        return;
      }
      clearAreaError();
    });

    // The group SLA policy draft: blank (left out) or a JSON list.
    var groupArea = document.getElementById("backtest-group-policies");
    var groupErrors = document.getElementById("backtest-group-policies-errors");
    var liveGroups = document.getElementById("backtest-live-groups");
    if (groupArea && groupErrors) {
      form.addEventListener("submit", function (event) {
        var problem = null;
        if (groupArea.value.trim()) {
          try {
            if (!Array.isArray(JSON.parse(groupArea.value))) {
              problem = "The draft group SLA policies must be a JSON list, [ ... ].";
            }
          } catch (error) {
            problem = "The draft group SLA policies are not valid JSON: " + error.message;
          }
        }
        listErrors(groupErrors, problem ? [problem] : []);
        groupArea.closest(".backtest__field").classList.toggle("errors", Boolean(problem));
        if (problem) {
          event.preventDefault();
          groupArea.setAttribute("aria-invalid", "true");
          document.getElementById("backtest-group-json").open = true;
          groupArea.focus();
        } else {
          groupArea.removeAttribute("aria-invalid");
        }
      });
    }

    if (reset && live) {
      reset.addEventListener("click", function () {
        if (groupArea && liveGroups) {
          var groups = JSON.parse(liveGroups.textContent);
          groupArea.value = groups.length ? JSON.stringify(groups, null, 2) : "";
        }
        writeDraft(JSON.parse(live.textContent));
        area.focus();
      });
    }

    // The builder ------------------------------------------------------------------------

    if (!builder) {
      return;
    }
    builder.hidden = false;
    var list = document.getElementById("backtest-draft-list");
    var title = document.getElementById("backtest-new-title");
    var titleErrors = document.getElementById("backtest-new-title-errors");
    var targets = document.getElementById("backtest-new-targets");
    var targetErrors = document.getElementById("backtest-new-targets-errors");
    var position = document.getElementById("backtest-new-position");

    function isCatchAll(policy) {
      var filter = (policy && policy.filter) || {};
      return !(filter.all && filter.all.length) && !(filter.any && filter.any.length);
    }

    function drawDraft() {
      var policies = draft();
      if (!policies) {
        list.replaceChildren();
        var note = document.createElement("li");
        note.textContent = "The JSON below is not a list of policies; fix it there.";
        list.append(note);
        position.replaceChildren();
        return;
      }
      list.replaceChildren.apply(
        list,
        policies.map(function (policy, index) {
          var item = document.createElement("li");
          var name = (policy && policy.title) || "(untitled)";
          var text = document.createElement("span");
          text.textContent =
            name + (policy && policy.id ? "" : " (new)") + (isCatchAll(policy) ? " — catch-all" : "");
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "button backtest__remove";
          remove.textContent = "Remove";
          remove.setAttribute("aria-label", "Remove “" + name + "” from the draft");
          remove.addEventListener("click", function () {
            var current = draft() || [];
            current.splice(index, 1);
            writeDraft(current);
          });
          item.append(text, " ", remove);
          return item;
        }),
      );
      // Before the catch-all by default: a policy after it could never match.
      var choices = policies.map(function (policy, index) {
        var name = (policy && policy.title) || "(untitled)";
        return [index, "before “" + name + "”" + (isCatchAll(policy) ? " (catch-all)" : "")];
      });
      choices.push([policies.length, "last"]);
      position.replaceChildren.apply(
        position,
        choices.map(function (choice) {
          var option = document.createElement("option");
          option.value = String(choice[0]);
          option.textContent = choice[1];
          return option;
        }),
      );
      var last = policies[policies.length - 1];
      position.value = String(last && isCatchAll(last) ? policies.length - 1 : policies.length);
    }

    document.getElementById("backtest-add-target").addEventListener("click", function () {
      var rows = targets.querySelectorAll("[data-target-row]");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.querySelector('[data-target="amount"]').value = "";
      targets.append(copy);
      copy.querySelector("select").focus();
    });

    document.getElementById("backtest-add-policy").addEventListener("click", function () {
      var problems = false;
      var name = title.value.trim();
      listErrors(titleErrors, name ? [] : ["Give the policy a title."]);
      title.toggleAttribute("aria-invalid", !name);
      problems = !name;
      var metrics = [];
      var seen = {};
      var targetProblems = [];
      targets.querySelectorAll("[data-target-row]").forEach(function (row) {
        var amount = row.querySelector('[data-target="amount"]');
        var raw = amount.value.trim();
        amount.removeAttribute("aria-invalid");
        if (!raw) {
          return;
        }
        var number = Number(raw);
        if (!Number.isInteger(number) || number < 1) {
          amount.setAttribute("aria-invalid", "true");
          targetProblems.push("A target must be a whole number of 1 or more.");
          return;
        }
        var priority = row.querySelector('[data-target="priority"]').value;
        var metric = row.querySelector('[data-target="metric"]').value;
        var key = priority + ":" + metric;
        if (seen[key]) {
          targetProblems.push("Each priority and metric can have one target.");
          return;
        }
        seen[key] = true;
        metrics.push({
          priority: priority,
          metric: metric,
          target_in_seconds: number * Number(row.querySelector('[data-target="unit"]').value),
          business_hours: row.querySelector('[data-target="business"]').checked,
        });
      });
      if (!metrics.length && !targetProblems.length) {
        targetProblems.push("Give at least one target: a priority, a metric and a time.");
      }
      listErrors(targetErrors, targetProblems);
      if (problems || targetProblems.length) {
        (name ? targets.querySelector("input[aria-invalid], input") : title).focus();
        return;
      }
      var current = draft();
      if (!current) {
        showAreaError("Fix the draft's JSON first: it must be a list of policies.");
        return;
      }
      var at = Number(position.value);
      current.splice(at, 0, {
        title: name,
        filter: { all: [], any: [] },
        policy_metrics: metrics,
      });
      writeDraft(current);
      title.value = "";
      targets.querySelectorAll('[data-target="amount"]').forEach(function (input) {
        input.value = "";
      });
      list.children[at].setAttribute("tabindex", "-1");
      list.children[at].focus();
    });

    area.addEventListener("input", drawDraft);
    drawDraft();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
