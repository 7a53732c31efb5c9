// The notification rule form shows only the fields that apply to the chosen trigger and
// channel, as the API's validation reads them. Hidden fields are emptied when the form is
// sent, so a value typed before switching trigger is not sent for a rule it does not fit.
"use strict";

(function () {
    const TARGET_TRIGGERS = ["warning_before", "warning_percent", "breach"];
    const OBJECTIVE_TRIGGERS = ["objective_below", "budget_burn"];
    // Group ownership time is scoped by group SLA policy and holding group, never by an SLA
    // policy; the ticket's own metrics the other way round.
    const GROUP_METRIC = "group_ownership_time";

    // Field name -> whether it applies, given the trigger, the channel and the metric.
    const APPLIES = {
        lead_amount: (t) => t === "warning_before",
        lead_unit: (t) => t === "warning_before",
        percent: (t) => t === "warning_percent",
        policy: (t, c, m) => TARGET_TRIGGERS.includes(t) && m !== GROUP_METRIC,
        metric: (t) => TARGET_TRIGGERS.includes(t),
        group_policy: (t, c, m) => TARGET_TRIGGERS.includes(t) && m === GROUP_METRIC,
        group: (t, c, m) => TARGET_TRIGGERS.includes(t) && m === GROUP_METRIC,
        priority: (t) => TARGET_TRIGGERS.includes(t),
        objective: (t) => OBJECTIVE_TRIGGERS.includes(t),
        burn_rate: (t) => t === "budget_burn",
        webhook_url: (t, c) => c === "webhook",
        new_webhook_secret: (t, c) => c === "webhook",
        recipients: (t, c) => c === "email" && !OBJECTIVE_TRIGGERS.includes(t),
        email_addresses_text: (t, c) => c === "email",
        hold_for_business_hours: (t, c) => c === "email" && !OBJECTIVE_TRIGGERS.includes(t),
        combine_warnings: (t, c) =>
            c === "email" && ["warning_before", "warning_percent"].includes(t),
        set_priority: (t) => t === "breach",
        set_group: (t) => t === "breach",
        add_tag: (t) => t === "breach",
    };

    function start() {
        const form = document.querySelector("#notificationrule_form");
        if (!form) {
            return;
        }
        const trigger = form.querySelector("[name=trigger]");
        const channel = form.querySelector("[name=channel]");
        const metric = form.querySelector("[name=metric]");
        if (!trigger || !channel) {
            return; // read-only: everything is shown as saved
        }

        function rowOf(name) {
            return form.querySelector(`.form-row .field-${name}, .form-row.field-${name}`);
        }

        function applies(name) {
            return APPLIES[name](trigger.value, channel.value, metric ? metric.value : "");
        }

        function update() {
            for (const name of Object.keys(APPLIES)) {
                const box = rowOf(name);
                if (!box) {
                    continue;
                }
                // Lead time and its unit share a row: it shows when either applies.
                const row = box.closest(".form-row");
                const names = Array.from(row.querySelectorAll("[name]"))
                    .map((input) => input.name)
                    .filter((n) => n in APPLIES);
                row.hidden = !names.some(applies);
            }
            // A section with nothing that applies goes too, heading and all.
            form.querySelectorAll("fieldset.module").forEach((fieldset) => {
                const rows = Array.from(fieldset.querySelectorAll(".form-row"));
                fieldset.hidden = rows.length > 0 && rows.every((row) => row.hidden);
            });
        }

        trigger.addEventListener("change", update);
        channel.addEventListener("change", update);
        if (metric) {
            metric.addEventListener("change", update);
        }
        form.addEventListener("submit", () => {
            for (const name of Object.keys(APPLIES)) {
                if (applies(name)) {
                    continue;
                }
                form.querySelectorAll(`[name="${name}"]`).forEach((input) => {
                    if (input.type === "checkbox" || input.type === "radio") {
                        input.checked = false;
                    } else if (input.tagName === "SELECT") {
                        input.value = input.querySelector('option[value=""]') ? "" : input.value;
                    } else {
                        input.value = "";
                    }
                });
            }
        });
        update();
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
