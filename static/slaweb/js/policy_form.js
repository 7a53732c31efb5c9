// The SLA policy editor: a condition builder driven by the account's condition definitions
// (the same list GET /api/v2/slas/policies/definitions serves) and a priority × metric target
// grid. Both write the API's JSON into the form's `filter` and `policy_metrics` fields, which
// the server validates with the API's serializer; its errors come back keyed by condition row
// and target cell and are shown there. Before saving, the impact on open tickets and whether an
// earlier policy shadows this one are previewed.
//
// The group SLA policy editor uses it too, configured with "all" conditions only, a grid of
// one metric whose targets are `target` seconds, its own impact and shadowing URLs (the draft
// goes under `group_sla_policy`), words for the API's condition messages, and a message shown
// instead of a preview while no condition names a group. A page without an impact URL shows
// no preview.
//
// Loaded in <head>, it defines <policy-editor-ready>, an empty element the page places right
// after the editor's markup: the parser reaching it builds the rows there and then, before the
// browser draws anything below, so nothing moves once the page shows. The JSON fields come
// earlier in the page and are hidden by CSS; a <noscript> style shows them instead.
"use strict";

(function () {
    const UNIT_SECONDS = { days: 86400, hours: 3600, minutes: 60 };
    const SET_OPERATORS = ["includes", "not_includes"];
    const GROUP_TITLES = { ticket: "Ticket", requester: "Requester", organization: "Organization" };

    let config;
    let definitions; // field name -> definition item
    let readonly;
    let filterField;
    let metricsField;
    const conditions = { all: [], any: [] }; // each {field, operator, value, element}
    // The last errors from the server (the form or the preview), by row and cell.
    let serverErrors = { conditions: {}, targets: {}, filter: [], policy_metrics: [] };
    let metricOrder = []; // "priority:metric" keys in the order the policy lists them
    // Set by the page: group SLA policies have only "all" conditions and targets in `target`
    // seconds.
    let groups = ["all", "any"];
    let secondsKey = "target_in_seconds";
    let previews = true;
    let rowIds = 0;

    // Small helpers ---------------------------------------------------------------------

    function element(tag, attributes = {}, children = []) {
        const node = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes)) {
            if (name === "text") {
                node.textContent = value;
            } else if (name === "className") {
                node.className = value;
            } else if (value !== null && value !== undefined && value !== false) {
                node.setAttribute(name, value === true ? "" : value);
            }
        }
        children.forEach((child) => node.append(child));
        return node;
    }

    function same(a, b) {
        // Ids compare as text: 4 and "4" name the same record, as on the server.
        if (a === null || a === undefined || b === null || b === undefined) {
            return (a === null || a === undefined) && (b === null || b === undefined);
        }
        return String(a).trim() === String(b).trim();
    }

    function showErrors(list, messages) {
        if (!list) {
            return; // a read-only page shows a summary instead of the grid and its error list
        }
        list.replaceChildren(...messages.map((message) => element("li", { text: message })));
    }

    // The admin names its form after the model: policy_form, groupslapolicy_form.
    function editorForm() {
        return document.getElementById("policy-editor").closest("form");
    }

    function csrfToken() {
        const input = editorForm().querySelector("input[name=csrfmiddlewaretoken]");
        return input ? input.value : "";
    }

    // Conditions ------------------------------------------------------------------------

    function valueKind(definition) {
        if (!definition) {
            return "text";
        }
        return definition.values.type;
    }

    function defaultValue(definition, operator) {
        if (!definition) {
            return "";
        }
        if (definition.values.type === "list") {
            const first = definition.values.list[0];
            const value = first ? first.value : null;
            return SET_OPERATORS.includes(operator) ? [value] : value;
        }
        return "";
    }

    function fieldSelect(condition, id) {
        const select = element("select", { id, className: "policy-field" });
        const groups = new Map();
        config.definitions.forEach((item) => {
            // Duplicates of another field are not offered, unless this condition uses one.
            if (item.hidden && item.value !== condition.field) {
                return;
            }
            if (!groups.has(item.group)) {
                const label = GROUP_TITLES[item.group] || item.group;
                groups.set(item.group, element("optgroup", { label }));
            }
            groups
                .get(item.group)
                .append(element("option", { value: item.value, text: item.title }));
        });
        groups.forEach((group) => select.append(group));
        if (!definitions.has(condition.field)) {
            // A field the definitions no longer list (or a legacy one): keep it as it is.
            select.prepend(
                element("option", {
                    value: condition.field,
                    text: `${condition.field} (not in the definitions)`,
                }),
            );
        }
        select.value = condition.field;
        return select;
    }

    function operatorSelect(condition, id) {
        const definition = definitions.get(condition.field);
        const select = element("select", { id, className: "policy-operator" });
        const operators = definition ? definition.operators : [];
        operators.forEach((op) =>
            select.append(element("option", { value: op.value, text: op.title })),
        );
        if (!operators.some((op) => op.value === condition.operator)) {
            select.prepend(
                element("option", { value: condition.operator, text: condition.operator }),
            );
        }
        select.value = condition.operator;
        return select;
    }

    function listValueWidget(condition, definition, id) {
        const options = definition.values.list;
        const several = SET_OPERATORS.includes(condition.operator);
        const select = element("select", { id, className: "policy-value", multiple: several });
        const chosen = several
            ? Array.isArray(condition.value)
                ? condition.value
                : [condition.value]
            : [condition.value];
        const values = options.map((option) => option.value);
        options.forEach((option, index) => {
            const selected = chosen.some((value) => same(value, option.value));
            // Channels slaweb never sees are not offered, unless the condition already uses one.
            if (option.hidden && !selected) {
                return;
            }
            const node = element("option", { value: String(index), text: option.title });
            node.selected = selected;
            select.append(node);
        });
        chosen.forEach((value) => {
            if (!values.some((known) => same(known, value))) {
                // A value the account no longer has: shown, kept, and flagged by the server.
                values.push(value);
                const node = element("option", {
                    value: String(values.length - 1),
                    text: `${value} (unknown)`,
                });
                node.selected = true;
                select.append(node);
            }
        });
        select.addEventListener("change", () => {
            const picked = Array.from(select.selectedOptions).map(
                (node) => values[Number(node.value)],
            );
            condition.value = several ? picked : picked[0];
            changed();
        });
        return select;
    }

    function toLocalInput(value) {
        // "2024-05-01 09:30", "2024-05-01T09:30:00Z" -> "2024-05-01T09:30" for datetime-local.
        const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:00)?(Z|\+00:00)?$/.exec(
            String(value || "").trim(),
        );
        return match ? `${match[1]}T${match[2]}` : null;
    }

    function valueWidget(condition, id) {
        const definition = definitions.get(condition.field);
        const kind = valueKind(definition);
        if (kind === "list" && definition) {
            return listValueWidget(condition, definition, id);
        }
        let input;
        let write = (raw) => raw;
        if (kind === "date") {
            input = element("input", { id, type: "date", className: "policy-value" });
            input.value = condition.value || "";
        } else if (
            kind === "datetime" &&
            (condition.value === "" || toLocalInput(condition.value))
        ) {
            input = element("input", { id, type: "datetime-local", className: "policy-value" });
            input.value = toLocalInput(condition.value) || "";
            write = (raw) => raw.replace("T", " ");
        } else {
            const text = Array.isArray(condition.value)
                ? condition.value.join(" ")
                : condition.value;
            input = element("input", { id, type: "text", className: "policy-value" });
            input.value = text === null || text === undefined ? "" : String(text);
        }
        input.addEventListener("input", () => {
            condition.value = write(input.value);
            changed();
        });
        return input;
    }

    function hintFor(condition) {
        const definition = definitions.get(condition.field);
        if (condition.field === "current_tags") {
            return "Separate tags with spaces.";
        }
        if (definition && definition.values.type === "datetime") {
            return "Date and time in UTC.";
        }
        if (
            definition &&
            definition.values.type === "list" &&
            SET_OPERATORS.includes(condition.operator)
        ) {
            return "Choose one or more (Ctrl or ⌘ to pick several).";
        }
        return "";
    }

    function describeValue(condition) {
        const definition = definitions.get(condition.field);
        const values = Array.isArray(condition.value) ? condition.value : [condition.value];
        if (definition && definition.values.type === "list") {
            return values
                .map((value) => {
                    const option = definition.values.list.find((item) => same(item.value, value));
                    return option ? option.title : String(value);
                })
                .join(", ");
        }
        return values.map((value) => (value === null ? "-" : String(value))).join(" ");
    }

    function readonlyRow(condition) {
        const definition = definitions.get(condition.field);
        const operator =
            definition && definition.operators.find((op) => op.value === condition.operator);
        const field = definition ? definition.title : condition.field;
        const verb = operator ? operator.title.toLowerCase() : condition.operator;
        const text = `${field} ${verb} ${describeValue(condition)}`;
        return element("li", { className: "policy-readonly-condition", text });
    }

    function buildRow(group, condition) {
        if (readonly) {
            return readonlyRow(condition);
        }
        rowIds += 1;
        const base = `condition-${rowIds}`;
        const row = element("li", { className: "policy-condition" });
        const errors = element("ul", {
            className: "errorlist policy-errors",
            id: `${base}-errors`,
            "aria-live": "polite",
        });
        const fieldId = `${base}-field`;
        const operatorId = `${base}-operator`;
        const valueId = `${base}-value`;
        const field = fieldSelect(condition, fieldId);
        const operator = operatorSelect(condition, operatorId);
        const value = valueWidget(condition, valueId);
        const hint = element("p", {
            className: "policy-hint",
            id: `${base}-hint`,
            text: hintFor(condition),
        });
        [field, operator, value].forEach((control) =>
            control.setAttribute("aria-describedby", `${base}-errors ${base}-hint`),
        );
        const remove = element("button", {
            type: "button",
            className: "button policy-condition-remove",
            text: "Remove",
        });
        row.append(
            element("div", {}, [element("label", { for: fieldId, text: "Field" }), field]),
            element("div", {}, [element("label", { for: operatorId, text: "Operator" }), operator]),
            element("div", {}, [element("label", { for: valueId, text: "Value" }), value, hint]),
            remove,
            errors,
        );

        // An edited row's old errors no longer describe it; the preview that follows every
        // change puts back whatever is still wrong.
        row.addEventListener("input", () => forgetRowErrors(group, condition));
        row.addEventListener("change", () => forgetRowErrors(group, condition));
        field.addEventListener("change", () => {
            const definition = definitions.get(field.value);
            condition.field = field.value;
            condition.operator = definition ? definition.operators[0].value : condition.operator;
            condition.value = defaultValue(definition, condition.operator);
            replaceRow(group, condition, "policy-field");
            changed();
        });
        operator.addEventListener("change", () => {
            const wasSet = SET_OPERATORS.includes(condition.operator);
            condition.operator = operator.value;
            const isSet = SET_OPERATORS.includes(condition.operator);
            const definition = definitions.get(condition.field);
            if (definition && definition.values.type === "list" && wasSet !== isSet) {
                if (isSet) {
                    condition.value = [condition.value];
                } else {
                    condition.value = Array.isArray(condition.value)
                        ? (condition.value[0] ?? null)
                        : condition.value;
                }
                replaceRow(group, condition, "policy-operator");
            }
            changed();
        });
        remove.addEventListener("click", () => removeRow(group, condition));
        condition.element = row;
        condition.errors = errors;
        labelRows(group);
        return row;
    }

    function forgetRowErrors(group, condition) {
        const key = `${group}:${conditions[group].indexOf(condition)}`;
        if (serverErrors.conditions && serverErrors.conditions[key]) {
            delete serverErrors.conditions[key];
            placeErrors();
        }
    }

    function labelRows(group) {
        conditions[group].forEach((condition, index) => {
            const button =
                condition.element && condition.element.querySelector(".policy-condition-remove");
            if (button) {
                button.setAttribute(
                    "aria-label",
                    `Remove condition ${index + 1} from “${group === "all" ? "All" : "Any"}”`,
                );
            }
        });
    }

    function replaceRow(group, condition, focusClass) {
        const old = condition.element;
        const row = buildRow(group, condition);
        old.replaceWith(row);
        labelRows(group);
        // The row was rebuilt for the new field or operator; the focus stays where it was.
        row.querySelector(`.${focusClass}`).focus();
    }

    function listFor(group) {
        return document.querySelector(`.policy-condition-list[data-group="${group}"]`);
    }

    function addRow(group, condition) {
        serverErrors.conditions = {}; // keyed by index, so stale once rows move
        conditions[group].push(condition);
        listFor(group).append(buildRow(group, condition));
        labelRows(group);
    }

    function removeRow(group, condition) {
        const list = conditions[group];
        const index = list.indexOf(condition);
        list.splice(index, 1);
        serverErrors.conditions = {};
        condition.element.remove();
        labelRows(group);
        const next = list[index] || list[index - 1];
        if (next) {
            next.element.querySelector("select").focus();
        } else {
            document.querySelector(`.policy-add-condition[data-group="${group}"]`).focus();
        }
        changed();
    }

    function filterJSON() {
        const out = {};
        groups.forEach((group) => {
            out[group] = conditions[group].map(({ field, operator, value }) => ({
                field,
                operator,
                value,
            }));
        });
        return out;
    }

    // Targets ---------------------------------------------------------------------------

    function cells() {
        return Array.from(document.querySelectorAll(".policy-target-cell"));
    }

    function inputsOf(cell) {
        return Array.from(cell.querySelectorAll("input[data-unit]"));
    }

    function fillCell(cell, seconds) {
        let rest = seconds;
        inputsOf(cell).forEach((input) => {
            const size = UNIT_SECONDS[input.dataset.unit];
            const amount = Math.floor(rest / size);
            rest -= amount * size;
            input.value = amount ? String(amount) : "";
        });
        if (seconds && inputsOf(cell).every((input) => input.value === "")) {
            inputsOf(cell).find((input) => input.dataset.unit === "minutes").value = "0";
        }
        // Seconds the grid has no column for are kept until the cell is edited.
        cell.dataset.extraSeconds = String(rest);
        const extra = cell.querySelector(".policy-target-extra");
        extra.textContent = rest ? `and ${rest} s` : "";
    }

    function loadMetrics(metrics) {
        const business = {};
        metricOrder = [];
        (Array.isArray(metrics) ? metrics : []).forEach((item) => {
            if (!item || typeof item !== "object") {
                return;
            }
            const key = `${item.priority}:${item.metric}`;
            const cell = document.querySelector(`.policy-target-cell[data-key="${key}"]`);
            let seconds = Number(item[secondsKey]);
            if (!Number.isFinite(seconds) || item[secondsKey] === undefined) {
                seconds = Number(item.target) * 60;
            }
            if (cell && Number.isFinite(seconds)) {
                fillCell(cell, seconds);
                metricOrder.push(key);
            }
            if (item.business_hours === true) {
                business[item.priority] = true;
            }
        });
        document.querySelectorAll(".policy-hours").forEach((select) => {
            select.value = business[select.dataset.priority] ? "business" : "calendar";
        });
    }

    function cellSeconds(cell) {
        const inputs = inputsOf(cell);
        // A number input holding text that is not a number reports an empty value.
        if (inputs.some((input) => input.validity.badInput)) {
            return { error: "Use numbers of zero or more." };
        }
        if (inputs.every((input) => input.value.trim() === "")) {
            return { empty: true };
        }
        let total = Number(cell.dataset.extraSeconds || 0);
        for (const input of inputs) {
            const raw = input.value.trim();
            if (raw === "") {
                continue;
            }
            const amount = Number(raw);
            if (!Number.isFinite(amount) || amount < 0) {
                return { error: "Use numbers of zero or more." };
            }
            total += amount * UNIT_SECONDS[input.dataset.unit];
        }
        return { seconds: Math.round(total) };
    }

    function metricsJSON() {
        const business = {};
        document.querySelectorAll(".policy-hours").forEach((select) => {
            business[select.dataset.priority] = select.value === "business";
        });
        const byKey = new Map(cells().map((cell) => [cell.dataset.key, cell]));
        const keys = metricOrder.filter((key) => byKey.has(key));
        cells().forEach((cell) => {
            if (!keys.includes(cell.dataset.key)) {
                keys.push(cell.dataset.key);
            }
        });
        const out = [];
        const local = {};
        keys.forEach((key) => {
            const result = cellSeconds(byKey.get(key));
            if (result.empty) {
                return;
            }
            const [priority, metric] = key.split(":");
            if (result.error) {
                local[key] = [result.error];
            }
            out.push({
                priority,
                metric,
                [secondsKey]: result.error ? 0 : result.seconds,
                business_hours: business[priority],
            });
        });
        return { metrics: out, local };
    }

    // Errors ----------------------------------------------------------------------------

    // A cell holds one target, so the serializer's field names and second counts say less
    // there than plain words do.
    function cellMessage(message) {
        const text = message.replace(/^target[ _]in[ _]seconds: /, "").replace(/^target: /, "");
        const most = /less than or equal to (\d+)\.$/.exec(text);
        if (most) {
            return `Too long: a target can be at most ${Number(most[1]) / 86400} days.`;
        }
        if (/greater than or equal to 1\.$/.test(text)) {
            return "Too short: a target must be more than zero.";
        }
        return text;
    }

    function placeErrors(local = {}) {
        const placed = {
            ...serverErrors,
            targets: { ...serverErrors.targets },
        };
        for (const [key, messages] of Object.entries(local)) {
            placed.targets[key] = messages;
        }
        groups.forEach((group) => {
            conditions[group].forEach((condition, index) => {
                const messages = (placed.conditions || {})[`${group}:${index}`] || [];
                if (condition.errors) {
                    showErrors(condition.errors, messages);
                    condition.element.classList.toggle("errors", messages.length > 0);
                }
            });
        });
        cells().forEach((cell) => {
            const messages = ((placed.targets || {})[cell.dataset.key] || []).map(cellMessage);
            showErrors(cell.querySelector(".policy-errors"), messages);
            cell.classList.toggle("errors", messages.length > 0);
            inputsOf(cell).forEach((input) =>
                input.setAttribute("aria-invalid", messages.length ? "true" : "false"),
            );
        });
        showErrors(document.getElementById("policy-filter-errors"), placed.filter || []);
        showErrors(document.getElementById("policy-targets-errors"), placed.policy_metrics || []);
    }

    // The API answers 422 with Zendesk's details; turn them into the same places.
    function placedFromApi(details, sentMetrics) {
        const placed = { conditions: {}, targets: {}, filter: [], policy_metrics: [] };
        const words = config.conditionWords || {};
        (details.filter || []).forEach(({ description }) => {
            const text = description.replace(/^Filter: /, "");
            const match = /^(all|any)\[(\d+)\]: ([\s\S]*)$/.exec(text);
            if (match) {
                (placed.conditions[`${match[1]}:${match[2]}`] ||= []).push(
                    words[match[3]] || match[3],
                );
            } else {
                placed.filter.push(words[text] || text);
            }
        });
        (details.policy_metrics || []).forEach(({ description }) => {
            const match = /^Policy metrics\[(\d+)\]\.?([^:]*): ([\s\S]*)$/.exec(description);
            const item = match && sentMetrics[Number(match[1])];
            if (item) {
                const key = `${item.priority}:${item.metric}`;
                (placed.targets[key] ||= []).push(match[2] ? `${match[2]}: ${match[3]}` : match[3]);
            } else {
                placed.policy_metrics.push(description.replace(/^Policy metrics: /, ""));
            }
        });
        return placed;
    }

    // Writing the form, previewing the impact -------------------------------------------

    let previewTimer = null;
    let previewed = null; // the draft the preview on screen belongs to
    let previewRun = 0;

    function draft() {
        const { metrics, local } = metricsJSON();
        return { filter: filterJSON(), metrics, local };
    }

    function changed() {
        const { filter, metrics, local } = draft();
        if (filterField) {
            filterField.value = JSON.stringify(filter, null, 2);
        }
        if (metricsField) {
            metricsField.value = JSON.stringify(metrics, null, 2);
        }
        placeErrors(local);
        schedulePreview();
    }

    // The preview box says whether it shows the draft as it is now ("current") or an older one.
    function schedulePreview() {
        if (!previews) {
            return;
        }
        document.getElementById("policy-impact").dataset.state = "stale";
        document.getElementById("policy-confirm").textContent = "";
        window.clearTimeout(previewTimer);
        previewTimer = window.setTimeout(preview, 700);
    }

    function previewDone(key) {
        previewed = key;
        const box = document.getElementById("policy-impact");
        box.dataset.state = key === draftKey() ? "current" : "stale";
    }

    function draftKey() {
        const { filter, metrics } = draft();
        return JSON.stringify([filter, metrics, positionValue(), settingsValue()]);
    }

    function positionValue() {
        const input = document.getElementById("id_position");
        const number = input && input.value.trim() ? Number(input.value) : null;
        return Number.isInteger(number) && number > 0 ? number : null;
    }

    function settingsValue() {
        const input = document.getElementById("id_metric_settings");
        if (!input) {
            return undefined; // a policy kind without metric settings
        }
        try {
            const parsed = JSON.parse(input.value);
            return parsed && typeof parsed === "object" ? parsed : undefined;
        } catch (error) {
            return undefined;
        }
    }

    async function postJSON(url, payload) {
        const response = await fetch(url, {
            method: "POST",
            credentials: "same-origin",
            headers: {
                "Content-Type": "application/json",
                Accept: "application/json",
                "X-CSRFToken": csrfToken(),
            },
            body: JSON.stringify(payload),
        });
        let body = null;
        try {
            body = await response.json();
        } catch (error) {
            body = null;
        }
        return { response, body };
    }

    // The box keeps one shape (summary, three counts, a line for the link) whatever it says,
    // as the server drew it, so filling it in moves nothing below it.
    function showImpact(summary, impact = null) {
        const box = document.getElementById("policy-impact");
        box.querySelector(".policy-impact-summary").textContent = summary;
        box.querySelectorAll("[data-count] strong").forEach((count) => {
            count.textContent = impact ? String(impact[count.parentElement.dataset.count]) : "–";
        });
        const links = box.querySelector(".policy-impact-links");
        if (impact && impact.tickets.length) {
            const ids = impact.tickets.map((ticket) => ticket.id).join(",");
            const more = impact.truncated ? ` (the first ${impact.tickets.length})` : "";
            links.replaceChildren(
                element("a", {
                    href: `${config.ticketsUrl}?id__in=${ids}`,
                    text: `See the ${impact.tickets.length} changed tickets${more}`,
                }),
            );
        } else {
            links.replaceChildren();
        }
    }

    function impactSummary(impact) {
        const open = impact.open_tickets;
        if (!impact.changed_tickets) {
            return `Saving changes none of the ${open} open tickets.`;
        }
        return `Saving changes ${impact.changed_tickets} of the ${open} open tickets:`;
    }

    // Group SLA policies must name a group: without a condition there is nothing to preview.
    function lacksCondition(filter) {
        return Boolean(config.needsCondition) && !groups.some((group) => filter[group].length);
    }

    function showShadow(winner) {
        const box = document.getElementById("policy-shadow");
        if (!winner) {
            box.replaceChildren();
            return;
        }
        const title = (document.getElementById("id_title") || {}).value || "This policy";
        box.replaceChildren(
            element("p", {
                className: "policy-warning",
                text:
                    `“${title}” can never match: “${winner.title}” ` +
                    `(position ${winner.position}) comes earlier and catches every ` +
                    `${config.shadowCatches || "ticket"} it ` +
                    "would. Move it above, or narrow the earlier one.",
            }),
        );
    }

    async function preview() {
        window.clearTimeout(previewTimer);
        const run = ++previewRun;
        const key = draftKey();
        const { filter, metrics, local } = draft();
        const box = document.getElementById("policy-impact");
        if (Object.keys(local).length) {
            placeErrors(local);
            showImpact("Fix the targets marked in the grid to see the impact.");
            previewDone(key);
            return;
        }
        if (lacksCondition(filter)) {
            // Not an error yet: the admin has not got to the conditions.
            showShadow(null);
            showImpact(config.needsCondition);
            previewDone(key);
            return;
        }
        const title = (document.getElementById("id_title") || {}).value || "";
        const policy = {
            title: title.trim() ? title : "(untitled)",
            filter,
            policy_metrics: metrics,
        };
        const settings = settingsValue();
        if (settings) {
            policy.metric_settings = settings;
        }
        const position = positionValue();
        if (position) {
            policy.position = position;
        }
        const payload = { [config.impactKey || "sla_policy"]: policy };
        if (config.policyId) {
            payload.id = config.policyId;
        }
        box.setAttribute("aria-busy", "true");
        try {
            const [impact, shadow] = await Promise.all([
                postJSON(config.impactUrl, payload),
                postJSON(config.shadowingUrl, { filter, id: config.policyId, position }),
            ]);
            if (run !== previewRun) {
                return; // a newer preview is on its way
            }
            if (shadow.response.ok && shadow.body) {
                showShadow(shadow.body.shadowed_by);
            }
            if (impact.response.ok) {
                serverErrors = placedFromApi({}, metrics);
                placeErrors();
                showImpact(impactSummary(impact.body.impact), impact.body.impact);
            } else if (impact.response.status === 422 && impact.body) {
                serverErrors = placedFromApi(impact.body.details || {}, metrics);
                placeErrors();
                showImpact("Fix the errors marked above to see the impact.");
            } else {
                showImpact(
                    `The preview is not available (the server answered ${impact.response.status}).`,
                );
            }
            previewDone(key);
        } catch (error) {
            if (run === previewRun) {
                showImpact("The preview is not available: the server could not be reached.");
                previewDone(key);
            }
        } finally {
            if (run === previewRun) {
                box.removeAttribute("aria-busy");
            }
        }
    }

    // Start -----------------------------------------------------------------------------

    function parseField(field, fallback) {
        try {
            return JSON.parse(field.value);
        } catch (error) {
            return fallback;
        }
    }

    function start() {
        const source = document.getElementById("policy-editor-config");
        if (!source) {
            return;
        }
        config = JSON.parse(source.textContent);
        readonly = config.readonly;
        groups = config.groups || groups;
        secondsKey = config.secondsKey || secondsKey;
        previews = Boolean(config.impactUrl);
        definitions = new Map(config.definitions.map((item) => [item.value, item]));
        filterField = document.getElementById("id_filter");
        metricsField = document.getElementById("id_policy_metrics");
        if (!readonly && (!filterField || !metricsField)) {
            // Nothing to write into: leave the page to the JSON fields.
            document.getElementById("policy-editor").hidden = true;
            document
                .querySelectorAll(".policy-json-fields")
                .forEach((node) => node.classList.add("policy-json-shown"));
            return;
        }
        const initial = readonly
            ? config.initial || {}
            : {
                  filter: parseField(filterField, null),
                  policy_metrics: parseField(metricsField, null),
              };
        const filter = initial.filter && typeof initial.filter === "object" ? initial.filter : {};
        groups.forEach((group) => {
            (Array.isArray(filter[group]) ? filter[group] : []).forEach((item) => {
                if (item && typeof item === "object") {
                    addRow(group, {
                        field: String(item.field ?? ""),
                        operator: String(item.operator ?? ""),
                        value: item.value ?? null,
                    });
                }
            });
        });
        loadMetrics(initial.policy_metrics);
        serverErrors = { ...serverErrors, ...(config.errors || {}) };
        placeErrors();
        if (readonly) {
            return;
        }

        document.querySelectorAll(".policy-add-condition").forEach((button) => {
            button.addEventListener("click", () => {
                const group = button.dataset.group;
                const first = config.definitions.find((item) => !item.hidden);
                const condition = {
                    field: first.value,
                    operator: first.operators[0].value,
                    value: null,
                };
                condition.value = defaultValue(first, condition.operator);
                addRow(group, condition);
                condition.element.querySelector("select").focus();
                changed();
            });
        });
        cells().forEach((cell) => {
            inputsOf(cell).forEach((input) => {
                input.addEventListener("input", () => {
                    delete serverErrors.targets[cell.dataset.key];
                    cell.dataset.extraSeconds = "0";
                    cell.querySelector(".policy-target-extra").textContent = "";
                    changed();
                });
            });
        });
        document
            .querySelectorAll(".policy-hours")
            .forEach((select) => select.addEventListener("change", changed));
        if (previews) {
            document.getElementById("policy-impact-refresh").addEventListener("click", preview);
        }

        // Nothing is saved before its impact has been on screen: a save with an unseen draft
        // shows the preview first and asks for a second click.
        const form = editorForm();
        form.addEventListener("submit", (event) => {
            // Keep the JSON fields in step with the builder, whatever was typed last.
            const { filter: currentFilter, metrics, local } = draft();
            const invalid = Object.keys(local);
            if (invalid.length) {
                // Not a number: nothing the server could say about it helps more than this.
                event.preventDefault();
                placeErrors(local);
                const cell = document.querySelector(
                    `.policy-target-cell[data-key="${invalid[0]}"]`,
                );
                const inputs = inputsOf(cell);
                const wrong = inputs.find(
                    (input) => input.validity.badInput || Number(input.value) < 0,
                );
                (wrong || inputs[0]).focus();
                return;
            }
            filterField.value = JSON.stringify(currentFilter, null, 2);
            metricsField.value = JSON.stringify(metrics, null, 2);
            if (!previews || previewed === draftKey() || lacksCondition(currentFilter)) {
                return; // seen, or nothing to see: the server says what is missing
            }
            event.preventDefault();
            preview().then(() => {
                const confirm = document.getElementById("policy-confirm");
                confirm.textContent = "Review what saving would change, then save again.";
                confirm.closest("section").scrollIntoView({ block: "nearest" });
            });
        });
        // Position and advanced settings come later in the page; the preview needs them.
        whenParsed(() => {
            if (!previews) {
                return;
            }
            ["id_title", "id_position", "id_metric_settings"].forEach((id) => {
                const input = document.getElementById(id);
                if (input) {
                    input.addEventListener("change", schedulePreview);
                }
            });
            preview();
        });
    }

    function whenParsed(callback) {
        if (document.readyState === "loading") {
            document.addEventListener("DOMContentLoaded", callback);
        } else {
            callback();
        }
    }

    let started = false;
    function startOnce() {
        if (!started) {
            started = true;
            start();
        }
    }

    customElements.define(
        "policy-editor-ready",
        class extends HTMLElement {
            connectedCallback() {
                startOnce();
            }
        },
    );
    whenParsed(startOnce);
})();
