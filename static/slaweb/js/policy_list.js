// The SLA policy list: drag rows by their handle (SortableJS) or use each row's Up and Down
// buttons. A move first shows what it would do to open tickets (the same impact preview as the
// policy editor, for the moved policy at its new position) and waits for Save or Cancel; the
// save goes through the admin's reorder view, which refuses it (409) when the order on the
// server is no longer the one this page started from. For a while after a save, Undo puts the
// previous order back through the same view.
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
    const impactUrl = bar.dataset.impactUrl;
    const csrfToken = bar.dataset.csrfToken;
    const confirmBox = document.getElementById("policy-order-confirm");
    const confirmText = document.getElementById("policy-order-impact");
    const confirmSave = document.getElementById("policy-order-save");
    const confirmCancel = document.getElementById("policy-order-cancel");
    const undoButton = document.getElementById("policy-order-undo");
    const UNDO_SECONDS = 15;

    const rows = () => Array.from(body.rows).filter((row) => row.querySelector(".policy-order"));
    // SLA policy ids are numbers; group SLA policy ids are text (ULIDs).
    const textIds = bar.dataset.idKind === "text";
    const idOf = (row) => {
        const id = row.querySelector(".policy-order").dataset.policyId;
        return textIds ? id : Number(id);
    };
    const titleOf = (row) => row.querySelector(".policy-order").dataset.policyTitle;
    const currentIds = () => rows().map(idOf);

    let saved = currentIds(); // the order the server has, as far as this page knows
    let saving = false;
    let queued = null; // a message for a save that waits for the one in flight
    let stopped = false; // after a conflict the page reloads; nothing more is sent
    let pending = null; // a move waiting for Save or Cancel: {message, before}
    let undoable = null; // {order, timer}: the order before the last save, while Undo is offered
    let previewRun = 0;
    let sortable = null;

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
            const locked = stopped || pending !== null;
            row.querySelector('[data-move="up"]').disabled = locked || index === 0;
            row.querySelector('[data-move="down"]').disabled = locked || index === all.length - 1;
        });
        if (sortable) {
            sortable.option("disabled", stopped || pending !== null);
        }
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

    async function post(target, payload) {
        const response = await fetch(target, {
            method: "POST",
            credentials: "same-origin",
            headers: {
                "Content-Type": "application/json",
                Accept: "application/json",
                "X-CSRFToken": csrfToken,
            },
            body: JSON.stringify(payload),
        });
        let answer = {};
        try {
            answer = await response.json();
        } catch (error) {
            answer = {};
        }
        return { response, answer };
    }

    function plural(count, one, many) {
        return `${count} ${count === 1 ? one : many}`;
    }

    function impactWords(impact) {
        const moved = impact.policy_changes;
        const kind = bar.dataset.impactNoun || "policy";
        const parts = [
            moved
                ? `Moves ${plural(moved, "open ticket", "open tickets")} to another ${kind}`
                : `Moves no open ticket to another ${kind}`,
        ];
        if (impact.target_changes) {
            parts.push(`changes the targets of ${impact.target_changes}`);
        }
        if (impact.newly_breached) {
            parts.push(`and ${impact.newly_breached} would become breached`);
        }
        return `${parts.join(", ")} (of ${plural(impact.open_tickets, "open ticket", "open tickets")}).`;
    }

    // A move is one policy at a new position: the editor's preview answers exactly that.
    async function previewMove(row) {
        const run = ++previewRun;
        const position = rows().indexOf(row) + 1;
        confirmText.textContent = "Working out the effect on open tickets…";
        confirmSave.disabled = true;
        try {
            const { response, answer } = await post(impactUrl, {
                id: idOf(row),
                [bar.dataset.impactKey || "sla_policy"]: { position },
            });
            if (run !== previewRun) {
                return;
            }
            if (!response.ok) {
                throw new Error(
                    (answer && answer.description) || `The server answered ${response.status}.`,
                );
            }
            confirmText.textContent = impactWords(answer.impact);
        } catch (error) {
            if (run !== previewRun) {
                return;
            }
            const reason =
                error instanceof TypeError ? "the server could not be reached" : error.message;
            confirmText.textContent = `The effect on open tickets is not known (${reason}).`;
        }
        confirmSave.disabled = false;
    }

    function ask(row) {
        const position = rows().indexOf(row) + 1;
        pending = {
            message: `Moved “${titleOf(row)}” to position ${position}.`,
            before: saved,
            row,
        };
        dropUndo();
        refresh();
        say(`Move “${titleOf(row)}” to position ${position}?`, "busy");
        confirmBox.hidden = false;
        confirmBox.focus();
        previewMove(row);
    }

    // The question is answered: the focus goes back to the row that moved.
    function settle() {
        const { row } = pending;
        pending = null;
        previewRun += 1;
        confirmBox.hidden = true;
        refresh();
        const button = Array.from(row.querySelectorAll(".policy-move")).find((b) => !b.disabled);
        if (button) {
            button.focus();
        }
    }

    function dropUndo() {
        if (undoable) {
            window.clearInterval(undoable.timer);
            undoable = null;
        }
        undoButton.hidden = true;
    }

    function offerUndo(order, message) {
        dropUndo();
        let left = UNDO_SECONDS;
        const show = () => {
            undoButton.textContent = `Undo (${left} s)`;
        };
        undoable = {
            order,
            timer: window.setInterval(() => {
                left -= 1;
                if (left <= 0) {
                    dropUndo();
                    say(message, "success");
                } else {
                    show();
                }
            }, 1000),
        };
        show();
        undoButton.hidden = false;
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

    let undoing = false;

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
            const before = saved;
            saved = answer.order;
            showShadows(answer.shadowed || {});
            if (queued === null) {
                say(`${message} Saved.`, "success");
                if (!undoing) {
                    offerUndo(before, `${message} Saved.`);
                }
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
        ask(row);
    }

    confirmSave.addEventListener("click", () => {
        const { message } = pending;
        settle();
        save(message);
    });
    confirmCancel.addEventListener("click", () => {
        const { before } = pending;
        settle();
        arrange(before);
        say("Nothing moved: the order is as it was.", "success");
    });
    undoButton.addEventListener("click", async () => {
        if (!undoable || saving) {
            return;
        }
        const { order } = undoable;
        dropUndo();
        arrange(order);
        undoing = true;
        try {
            // The undo is one more move: what the first recorded is history and stays.
            await save(
                "Undone: the previous order is back (breaches recorded meanwhile stay in the history).",
            );
        } finally {
            undoing = false;
        }
    });

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

    sortable = Sortable.create(body, {
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
        onStart: () => {
            dropUndo();
        },
    });

    refresh();
})();
