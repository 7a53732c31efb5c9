// The SLA policy list: drag rows by their handle (SortableJS) or use each row's Up and Down
// buttons; every change is saved at once through the admin's reorder view, which refuses it
// (409) when the order on the server is no longer the one this page started from.
"use strict";

(function () {
    const bar = document.getElementById("policy-order");
    const table = document.getElementById("result_list");
    if (!bar || !table) {
        return;
    }
    const body = table.tBodies[0];
    const status = document.getElementById("policy-order-status");
    const url = bar.dataset.reorderUrl;
    const csrfToken = bar.dataset.csrfToken;

    const rows = () => Array.from(body.rows).filter((row) => row.querySelector(".policy-order"));
    const idOf = (row) => Number(row.querySelector(".policy-order").dataset.policyId);
    const titleOf = (row) => row.querySelector(".policy-order").dataset.policyTitle;
    const currentIds = () => rows().map(idOf);

    let saved = currentIds(); // the order the server has, as far as this page knows
    let saving = false;
    let queued = null; // a message for a save that waits for the one in flight
    let stopped = false; // after a conflict the page reloads; nothing more is sent

    function say(message, kind) {
        status.textContent = message;
        status.dataset.kind = kind;
    }

    function refresh() {
        const all = rows();
        all.forEach((row, index) => {
            const cell = row.querySelector("td.field-position");
            if (cell) {
                cell.textContent = String(index + 1);
            }
            row.querySelector('[data-move="up"]').disabled = stopped || index === 0;
            row.querySelector('[data-move="down"]').disabled = stopped || index === all.length - 1;
        });
    }

    function arrange(ids) {
        const byId = new Map(rows().map((row) => [idOf(row), row]));
        ids.forEach((id) => {
            const row = byId.get(id);
            if (row) {
                body.appendChild(row);
            }
        });
        refresh();
    }

    function showShadows(shadowed) {
        body.querySelectorAll(".policy-matching").forEach((cell) => {
            const winner = shadowed[cell.dataset.policyId];
            cell.classList.toggle("policy-shadowed", Boolean(winner));
            cell.textContent = winner ? `Never matches: “${winner}” comes first` : "";
        });
    }

    async function send(order) {
        const response = await fetch(url, {
            method: "POST",
            credentials: "same-origin",
            headers: {
                "Content-Type": "application/json",
                Accept: "application/json",
                "X-CSRFToken": csrfToken,
            },
            body: JSON.stringify({ order, expected: saved }),
        });
        let answer = {};
        try {
            answer = await response.json();
        } catch (error) {
            answer = {};
        }
        return { response, answer };
    }

    async function save(message) {
        if (stopped) {
            return;
        }
        if (saving) {
            queued = message;
            return;
        }
        const order = currentIds();
        if (order.join(",") === saved.join(",")) {
            return;
        }
        saving = true;
        say(`${message} Saving…`, "busy");
        try {
            const { response, answer } = await send(order);
            if (response.status === 409) {
                stopped = true;
                sortable.option("disabled", true);
                refresh();
                say(
                    `${answer.error || "Another admin changed the order."} ` +
                        "Reloading to show the current order…",
                    "error",
                );
                window.setTimeout(() => window.location.reload(), 1500);
                return;
            }
            if (!response.ok) {
                throw new Error(answer.error || `The server answered ${response.status}.`);
            }
            saved = answer.order;
            showShadows(answer.shadowed || {});
            if (queued === null) {
                say(`${message} Saved.`, "success");
            }
        } catch (error) {
            queued = null;
            arrange(saved);
            const reason =
                error instanceof TypeError ? "The server could not be reached." : error.message;
            say(`The order was not saved: ${reason} The previous order is back.`, "error");
        } finally {
            saving = false;
        }
        if (queued !== null) {
            const next = queued;
            queued = null;
            save(next);
        }
    }

    function moved(row) {
        const position = rows().indexOf(row) + 1;
        refresh();
        save(`Moved “${titleOf(row)}” to position ${position}.`);
    }

    body.addEventListener("click", (event) => {
        const button = event.target.closest(".policy-move");
        if (!button || button.disabled) {
            return;
        }
        const row = button.closest("tr");
        const all = rows();
        const index = all.indexOf(row);
        const up = button.dataset.move === "up";
        const neighbour = all[up ? index - 1 : index + 1];
        if (!neighbour) {
            return;
        }
        body.insertBefore(row, up ? neighbour : neighbour.nextSibling);
        moved(row);
        // Moving the row took the focus with it; keep it on a button of the moved row.
        const same = row.querySelector(`[data-move="${button.dataset.move}"]`);
        const other = row.querySelector(`[data-move="${up ? "down" : "up"}"]`);
        (same.disabled ? other : same).focus();
    });

    const sortable = Sortable.create(body, {
        handle: ".policy-handle",
        draggable: "tr",
        animation: 150,
        ghostClass: "policy-ghost",
        chosenClass: "policy-chosen",
        // Mouse and touch events rather than native drag and drop: the same on every browser.
        forceFallback: true,
        onEnd: (event) => {
            if (event.oldIndex !== event.newIndex) {
                moved(event.item);
            }
        },
    });

    refresh();
})();
