"""The incremental metric event export against a live slaweb, followed by real clients after
bursts of 1,500 events in one second (as a recompute or an import writes them).

zenpy follows the time-based form with its own generator (`Zenpy.ticket_metric_events`).
node-zendesk has no metric events method, and its `getAll` never asks for a second page of an
incremental export, so the node script loops the way its users do: `get` with the last
`end_time`, and `get` of `next_page`.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from itertools import count, islice
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction

from tests.clients.conftest import NODE_DIR, Account, ZenpyHarness
from tickets.models import TicketMetricEvent
from tickets.sla.publishing import publish
from tickets.sla.store import EVENT_COLUMNS, insert_rows

pytestmark = pytest.mark.clients

_instances = count(1)


@pytest.fixture
def no_hold_back(settings: Any) -> None:
    settings.SLAWEB_EXPORT_HOLD_BACK_SECONDS = 0


def write_events(number: int, moment: datetime) -> None:
    """`number` events dated `moment`, written and published in one transaction."""
    rows = [
        (1, "reply_time", next(_instances), "apply_sla", moment, 0, None, None, False)
        for _ in range(number)
    ]
    with transaction.atomic():
        insert_rows(TicketMetricEvent, EVENT_COLUMNS, rows)
        publish()


def burst(second: datetime, sizes: list[int]) -> None:
    """Transactions of `sizes` events, all dated and published within `second`."""
    for n, size in enumerate(sizes):
        moment = second + timedelta(milliseconds=100 + n)
        with time_machine.travel(moment, tick=False):
            write_events(size, second)


def in_publish_order() -> list[int]:
    return list(TicketMetricEvent.objects.order_by("published_seq").values_list("id", flat=True))


def whole_second(moment: datetime) -> int:
    return int(moment.replace(microsecond=0).timestamp())


def wait_for_next_second() -> None:
    time.sleep(1.05 - time.time() % 1)


def test_zenpy_follows_a_1500_event_second_to_the_end_once(
    zenpy_api: ZenpyHarness, account: Account, no_hold_back: None
) -> None:
    # An hour ago: zenpy follows next_page (it stops early only within 5 minutes of now).
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    burst(past - timedelta(seconds=1), [300])
    burst(past, [750, 750])
    burst(past + timedelta(seconds=1), [200])
    total = 2000

    events = zenpy_api.client.ticket_metric_events(start_time=whole_second(past) - 10)
    ids = [event.id for event in islice(events, total + 1)]
    assert ids == in_publish_order()
    assert next(events, None) is None
    gets = [e for e in zenpy_api.exchanges if e.method == "GET"]
    assert [len(e.response_json["ticket_metric_events"]) for e in gets] == [1800, 200]
    assert gets[1].url == gets[0].response_json["next_page"]
    assert events.end_time == whole_second(past) + 2
    assert events.end_of_stream is True

    # Now: 1,500 in one second. Resumed from end_time, as zenpy's users do between runs.
    write_events(1500, datetime.now(UTC))
    wait_for_next_second()
    resumed = zenpy_api.client.ticket_metric_events(start_time=events.end_time)
    new = [event.id for event in islice(resumed, 1501)]
    assert new == in_publish_order()[total:]
    assert len(new) == 1500
    assert next(resumed, None) is None

    # And from there: nothing, and it stops.
    again = zenpy_api.client.ticket_metric_events(start_time=resumed.end_time)
    assert list(islice(again, 1)) == []
    assert zenpy_api.exchanges[-1].response_json["next_page"] == zenpy_api.exchanges[-1].url


NODE_LOOP = r"""
'use strict';
const {createClient} = require('node-zendesk');
const [baseUrl, email, token, start] = process.argv.slice(2);
const client = createClient({username: email, token, endpointUri: `${baseUrl}/api/v2`});
const api = client.ticketmetrics;
const path = (startTime) => ['incremental', 'ticket_metric_events', {start_time: startTime}];

async function byEndTime() {
  const ids = [];
  const pages = [];
  let startTime = Number(start);
  for (let n = 0; n < 50; n++) {
    const {result} = await api.get(path(startTime));
    ids.push(...result.ticket_metric_events.map((event) => event.id));
    pages.push(result.count);
    startTime = result.end_time;
    if (result.end_of_stream) return {ids, pages, end_time: startTime};
  }
  return {ids, pages, looping: true};
}

async function byNextPage() {
  const ids = [];
  let url = null;
  for (let n = 0; n < 50; n++) {
    const {result} = await api.get(url ?? path(Number(start)));
    ids.push(...result.ticket_metric_events.map((event) => event.id));
    if (result.next_page === url) return {ids, requests: n + 1};
    url = result.next_page;
  }
  return {ids, looping: true};
}

(async () => {
  const all = await api.getAll(path(Number(start)));
  const getAllIds = all.flatMap((page) => page.ticket_metric_events.map((event) => event.id));
  const endTime = await byEndTime();
  const nextPage = await byNextPage();
  console.log(JSON.stringify({getAllIds, endTime, nextPage}));
})().catch((error) => {
  console.log(JSON.stringify({error: String(error), body: error.result ?? null}));
});
"""


def test_node_zendesk_users_loop_to_the_end_once(
    node_bin: str,
    server_url: str,
    account: Account,
    no_hold_back: None,
    tmp_path: Path,
) -> None:
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    burst(past - timedelta(seconds=1), [300])
    burst(past, [750, 750])
    burst(past + timedelta(seconds=1), [200])
    script = tmp_path / "metric_events.js"
    script.write_text(NODE_LOOP)
    completed = subprocess.run(
        [node_bin, str(script), server_url, account.email, account.token, "0"],
        cwd=NODE_DIR,
        env={**os.environ, "NODE_PATH": str(NODE_DIR / "node_modules"), "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout.strip().splitlines()[-1])
    assert "error" not in output, output
    everything = in_publish_order()
    # node-zendesk's own pager stops after the first page of an incremental export.
    assert output["getAllIds"] == everything[:1800]
    assert output["endTime"]["ids"] == everything
    assert output["endTime"]["pages"] == [1800, 200]
    assert output["endTime"]["end_time"] == whole_second(past) + 2
    assert output["nextPage"]["ids"] == everything
    assert output["nextPage"]["requests"] == 3  # the empty page repeats the URL
