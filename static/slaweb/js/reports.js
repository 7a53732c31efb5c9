// The SLA reports dashboard: draws two charts (Chart.js) from the numbers the server put in
// #sla-chart-data, the same numbers as the tables under them, and one sparkline per service
// level objective from #sla-objectives-data (its daily rate against its target). Colours are
// read from the admin's CSS variables, and the charts are redrawn when the theme changes.
"use strict";

(() => {
    if (typeof window.Chart === "undefined") {
        return;
    }
    const source = document.getElementById("sla-chart-data");
    const data = source ? JSON.parse(source.textContent) : null;
    const objectivesSource = document.getElementById("sla-objectives-data");
    const objectives = objectivesSource ? JSON.parse(objectivesSource.textContent) : [];
    const charts = [];

    function colours() {
        const style = getComputedStyle(document.documentElement);
        const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
        return {
            text: read("--body-fg", "#333"),
            quiet: read("--body-quiet-color", "#666"),
            grid: read("--hairline-color", "#e8e8e8"),
            achieved: read("--message-success-bg", "#dfd"),
            achievedEdge: read("--primary", "#79aec8"),
            breached: read("--error-fg", "#ba2121"),
            rate: read("--link-fg", "#417893"),
        };
    }

    function percentAxis(c) {
        return {
            min: 0,
            max: 100,
            ticks: { color: c.quiet, callback: (value) => `${value}%` },
            grid: { color: c.grid },
        };
    }

    function baseOptions(c) {
        return {
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            plugins: { legend: { labels: { color: c.text } } },
            scales: {
                x: { ticks: { color: c.quiet }, grid: { color: c.grid } },
            },
        };
    }

    function groupsChart(canvas, c) {
        const options = baseOptions(c);
        options.scales.y = percentAxis(c);
        return new window.Chart(canvas, {
            type: "bar",
            data: {
                labels: data.groups.labels,
                datasets: [
                    {
                        label: "Achieved %",
                        data: data.groups.achieved_percent,
                        backgroundColor: c.achieved,
                        borderColor: c.achievedEdge,
                        borderWidth: 1,
                    },
                ],
            },
            options,
        });
    }

    function seriesChart(canvas, c) {
        const options = baseOptions(c);
        options.scales.y = {
            beginAtZero: true,
            position: "left",
            ticks: { color: c.quiet, precision: 0 },
            grid: { color: c.grid },
            title: { display: true, text: "Targets", color: c.quiet },
        };
        options.scales.rate = { ...percentAxis(c), position: "right", grid: { drawOnChartArea: false } };
        return new window.Chart(canvas, {
            data: {
                labels: data.series.labels,
                datasets: [
                    {
                        type: "bar",
                        label: "Achieved",
                        data: data.series.achieved,
                        backgroundColor: c.achieved,
                        borderColor: c.achievedEdge,
                        borderWidth: 1,
                        stack: "targets",
                    },
                    {
                        type: "bar",
                        label: "Breached",
                        data: data.series.breached,
                        backgroundColor: c.breached,
                        stack: "targets",
                    },
                    {
                        type: "line",
                        label: "Achieved %",
                        data: data.series.achieved_percent,
                        borderColor: c.rate,
                        backgroundColor: c.rate,
                        yAxisID: "rate",
                        spanGaps: true,
                    },
                ],
            },
            options,
        });
    }

    // No axes, legend or tooltips: the table row beside it has the numbers.
    function sparkline(canvas, objective, c) {
        return new window.Chart(canvas, {
            type: "line",
            data: {
                labels: objective.days,
                datasets: [
                    {
                        label: "Daily rate",
                        data: objective.rates,
                        borderColor: c.rate,
                        borderWidth: 1.5,
                        pointRadius: 1.5,
                        spanGaps: true,
                    },
                    {
                        label: "Target",
                        data: objective.days.map(() => objective.target),
                        borderColor: c.breached,
                        borderWidth: 1,
                        borderDash: [3, 3],
                        pointRadius: 0,
                    },
                ],
            },
            options: {
                responsive: false,
                animation: false,
                events: [],
                plugins: { legend: { display: false }, tooltip: { enabled: false } },
                scales: { x: { display: false }, y: { display: false, min: 0, max: 100 } },
            },
        });
    }

    function draw() {
        while (charts.length) {
            charts.pop().destroy();
        }
        const c = colours();
        const groups = document.getElementById("sla-chart-groups");
        const series = document.getElementById("sla-chart-series");
        if (data && groups) {
            charts.push(groupsChart(groups, c));
        }
        if (data && series) {
            charts.push(seriesChart(series, c));
        }
        for (const objective of objectives) {
            const canvas = document.getElementById(`sla-objective-spark-${objective.id}`);
            if (canvas) {
                charts.push(sparkline(canvas, objective, c));
            }
        }
    }

    draw();
    // The admin's theme button sets data-theme on <html>; the system theme can change too.
    new MutationObserver(draw).observe(document.documentElement, {
        attributes: true,
        attributeFilter: ["data-theme"],
    });
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", draw);
})();
