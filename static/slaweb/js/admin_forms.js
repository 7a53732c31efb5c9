// Shared by the admin's editing forms (policies, schedules, notification rules, objectives,
// backtest, the ticket page's reply): a warning before leaving a form with unsaved changes,
// and field errors that go away as soon as the field is corrected, instead of staying beside
// a value that is now fine.
//
// A form takes part when it has `data-unsaved-warning`, or is the admin's change form
// (`#content-main form[id$="_form"]`). Changes made by scripts count too: a page script calls
// `slawebForms.markDirty(form)` after rewriting a field.
"use strict";

(function () {
    const dirty = new WeakSet();
    const submitting = new WeakSet();

    function watched() {
        return Array.from(
            document.querySelectorAll('form[data-unsaved-warning], #content-main form[id$="_form"]'),
        );
    }

    function markDirty(form) {
        if (form) {
            dirty.add(form);
        }
    }

    function markClean(form) {
        dirty.delete(form);
    }

    function anyDirty() {
        return watched().some((form) => dirty.has(form) && !submitting.has(form));
    }

    // A field's errors, as Django draws them: the row with class "errors" and its errorlist.
    // On a line of several fields each has a "fieldBox", its errorlist just before it.
    function fieldRow(control) {
        return control.closest(".fieldBox.errors, .form-row.errors, [data-field-errors]");
    }

    function errorLists(row) {
        if (row.classList.contains("fieldBox")) {
            return row.parentElement.querySelectorAll(":scope > ul.errorlist");
        }
        return row.querySelectorAll("ul.errorlist");
    }

    function hasValue(control) {
        if (control.type === "checkbox" || control.type === "radio") {
            const name = control.name;
            return Array.from(control.form.elements).some((c) => c.name === name && c.checked);
        }
        return String(control.value || "").trim() !== "";
    }

    function fixed(control) {
        const row = fieldRow(control);
        if (!row || !control.checkValidity()) {
            return;
        }
        // A required field left empty is still wrong; anything else is the server's to judge
        // again on save, and the message no longer describes what is in the field.
        if (control.required && !hasValue(control)) {
            return;
        }
        // Emptied rather than removed: page scripts may fill the same list again.
        errorLists(row).forEach((list) => {
            list.replaceChildren();
            list.hidden = true;
        });
        row.classList.remove("errors");
        const line = row.closest(".form-row.errors");
        if (line && !line.querySelector(".fieldBox.errors")) {
            line.classList.remove("errors");
        }
        row.removeAttribute("data-field-errors");
        control.removeAttribute("aria-invalid");
        const form = control.form;
        if (form && !form.querySelector(".errors ul.errorlist li, ul.errorlist.nonfield li")) {
            form.querySelectorAll("p.errornote").forEach((note) => note.remove());
        }
    }

    function start() {
        watched().forEach((form) => {
            ["input", "change"].forEach((kind) =>
                form.addEventListener(kind, (event) => {
                    if (event.target.name === "csrfmiddlewaretoken") {
                        return;
                    }
                    markDirty(form);
                    if (event.target.matches("input, select, textarea")) {
                        fixed(event.target);
                    }
                }),
            );
            form.addEventListener("submit", (event) => {
                // Leaving by saving is on purpose. Another handler may still stop this submit
                // (a check, a preview first): then the form is watched again.
                submitting.add(form);
                window.setTimeout(() => {
                    if (event.defaultPrevented) {
                        submitting.delete(form);
                    }
                }, 0);
            });
        });
        window.addEventListener("beforeunload", (event) => {
            if (anyDirty()) {
                event.preventDefault();
                // Older browsers show the prompt only when returnValue is set.
                event.returnValue = "";
            }
        });
    }

    window.slawebForms = { markDirty, markClean };
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
})();
