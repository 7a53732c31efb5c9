#!/usr/bin/env node
// Drives a live slaweb server with node-zendesk's SLA policies client (client.policies) and
// prints ONE JSON object describing what the client returned, for tests/clients/test_node_zendesk.py.
//
// Usage: node sla_policies.js BASE_URL EMAIL TOKEN [SCENARIO]
//   or set SLAWEB_BASE_URL, SLAWEB_EMAIL, SLAWEB_TOKEN (and SLAWEB_SCENARIO).
//   BASE_URL is the server root, e.g. http://127.0.0.1:8000 (node-zendesk gets BASE_URL/api/v2
//   as its `endpointUri`, so nothing goes to *.zendesk.com).
// Scenarios:
//   crud (default): definitions, list, create x2, show, update (title only), update with the
//                   whole fetched object, reorder, list, delete, show of the deleted id (404,
//                   both error modes), list.
//   list:           only client.policies.list(), to check it follows next_page across pages.
//
// Every step is recorded even when it fails ({error, statusCode, body}); the exit code is 0
// when the JSON was printed, so the Python side asserts on the content, step by step.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const {createClient} = require('node-zendesk');

// The package's "exports" map hides package.json; read it next to the resolved entry point.
const clientVersion = JSON.parse(
  fs.readFileSync(path.join(path.dirname(require.resolve('node-zendesk')), '..', 'package.json')),
).version;

const [baseUrlArg, emailArg, tokenArg, scenarioArg] = process.argv.slice(2);
const baseUrl = (baseUrlArg || process.env.SLAWEB_BASE_URL || '').replace(/\/+$/, '');
const email = emailArg || process.env.SLAWEB_EMAIL;
const token = tokenArg || process.env.SLAWEB_TOKEN;
const scenario = scenarioArg || process.env.SLAWEB_SCENARIO || 'crud';

if (!baseUrl || !email || !token) {
  process.stderr.write('usage: node sla_policies.js BASE_URL EMAIL TOKEN [crud|list]\n');
  process.exit(2);
}

const endpointUri = `${baseUrl}/api/v2`;

// Every HTTP exchange the policies client makes, in order: what it sent and what came back.
const requests = [];

function makeClient(extra = {}) {
  const client = createClient({username: email, token, endpointUri, ...extra});
  const policies = client.policies;
  // Listeners get {type, detail}; detail is what the transporter is about to send / got back.
  policies.on('debug::request', ({detail}) => {
    requests.push({
      method: detail.method,
      uri: detail.uri,
      body: detail.body === undefined ? null : JSON.parse(detail.body),
    });
  });
  policies.on('debug::response', ({detail}) => {
    const last = requests.at(-1);
    if (last && last.status === undefined) {
      last.status = detail.status;
      last.content_type = detail.headers.get('content-type');
      last.location = detail.headers.get('location');
    }
  });
  return policies;
}

const policies = makeClient();
// Same client, but errors are the library's original Error (statusCode + parsed body).
const policiesOriginalErrors = makeClient({throwOriginalException: true});

// What node-zendesk handed back, made JSON-safe: its "result" can be an Error object
// (it returns, not throws, `new Error("No Content")` for 204 and
// `new Error("Zendesk returned an empty result")` for a null body).
function plain(value) {
  if (value instanceof Error) {
    return {error_object: value.message, statusCode: value.statusCode ?? null};
  }
  return value === undefined ? null : value;
}

async function step(name, results, fn) {
  try {
    const value = await fn();
    if (value && typeof value === 'object' && 'response' in value && 'result' in value) {
      results[name] = {ok: true, status: value.response.status, result: plain(value.result)};
    } else {
      results[name] = {ok: true, result: plain(value)};
    }
  } catch (error) {
    results[name] = {
      ok: false,
      error: String(error && error.message),
      statusCode: error && error.statusCode !== undefined ? error.statusCode : null,
      body: error && error.result !== undefined ? plain(error.result) : null,
    };
  }
  return results[name];
}

function policyBody(title, brandId, minutes) {
  return {
    sla_policy: {
      title,
      description: `created by node-zendesk ${clientVersion}`,
      filter: {
        all: [{field: 'brand_id', operator: 'is', value: brandId}],
        any: [{field: 'current_tags', operator: 'includes', value: 'vip'}],
      },
      policy_metrics: [
        {priority: 'urgent', metric: 'first_reply_time', target: minutes, business_hours: false},
        {priority: 'high', metric: 'requester_wait_time', target: minutes * 4, business_hours: true},
      ],
    },
  };
}

async function crud() {
  const results = {};

  const definitions = await step('definitions', results, () => policies.getDefinitions());
  // The brand to filter on comes from the definitions the server generated from live data.
  let brandId = null;
  try {
    const all = definitions.result.definitions.all;
    brandId = all.find((item) => item.value === 'brand_id').values.list[0].value;
  } catch {
    brandId = null;
  }
  results.brand_id_from_definitions = brandId;

  await step('list_before', results, () => policies.list());
  const createdA = await step('create_a', results, () =>
    policies.create(policyBody('Node A', brandId, 30)),
  );
  const createdB = await step('create_b', results, () =>
    policies.create(policyBody('Node B', brandId, 60)),
  );
  const idA = createdA.ok ? createdA.result.sla_policy.id : null;
  const idB = createdB.ok ? createdB.result.sla_policy.id : null;
  results.ids = {a: idA, b: idB};

  await step('show_a', results, () => policies.show(idA));
  await step('update_a', results, () =>
    policies.update(idA, {sla_policy: {title: 'Node A (renamed)'}}),
  );
  // Read-modify-write: send back everything show() returned (url, id, timestamps,
  // metric_settings...) with one field changed.
  await step('update_a_roundtrip', results, async () => {
    const {result: fetched} = await policies.show(idA);
    fetched.sla_policy.description = 'edited in place';
    return policies.update(idA, fetched);
  });
  await step('reorder', results, () => policies.reorder([idB, idA]));
  await step('list_after_reorder', results, () => policies.list());
  await step('delete_b', results, () => policies.delete(idB));
  await step('show_deleted', results, () => policies.show(idB));
  await step('show_deleted_original_error', results, () => policiesOriginalErrors.show(idB));
  await step('list_after_delete', results, () => policies.list());
  return results;
}

async function listOnly() {
  const results = {};
  await step('list', results, () => policies.list());
  return results;
}

async function main() {
  const scenarios = {crud, list: listOnly};
  if (!scenarios[scenario]) {
    throw new Error(`unknown scenario ${scenario}`);
  }
  const results = await scenarios[scenario]();
  const output = {
    client: 'node-zendesk',
    client_version: clientVersion,
    node_version: process.versions.node,
    endpoint_uri: endpointUri,
    scenario,
    results,
    requests,
  };
  process.stdout.write(JSON.stringify(output) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
