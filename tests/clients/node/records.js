#!/usr/bin/env node
// Drives a live slaweb server with node-zendesk's clients for tickets, ticket audits, jobs,
// ticket metrics, users, ticket fields, groups, organizations and brands, and prints ONE JSON
// object describing what each library call returned, for
// tests/clients/test_node_zendesk_records.py.
//
// Usage: node records.js BASE_URL EMAIL TOKEN SEED_JSON
//   SEED_JSON names the records the test made first:
//   {"customer": id, "agent": id, "group": id, "organization": id, "field": id,
//    "option": id, "brand": id}
//
// Every step is recorded even when it fails ({ok: false, error, statusCode, body}); the exit
// code is 0 when the JSON was printed, so the Python side asserts on the content, step by step.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const {createClient} = require('node-zendesk');

const clientVersion = JSON.parse(
  fs.readFileSync(path.join(path.dirname(require.resolve('node-zendesk')), '..', 'package.json')),
).version;

const [baseUrlArg, email, token, seedArg] = process.argv.slice(2);
if (!baseUrlArg || !email || !token || !seedArg) {
  process.stderr.write('usage: node records.js BASE_URL EMAIL TOKEN SEED_JSON\n');
  process.exit(2);
}
const baseUrl = baseUrlArg.replace(/\/+$/, '');
const seed = JSON.parse(seedArg);
const endpointUri = `${baseUrl}/api/v2`;

// Every HTTP exchange, in order: what the library sent, the status and the JSON it got back.
const requests = [];

function instrument(api) {
  api.on('debug::request', ({detail}) => {
    requests.push({
      method: detail.method,
      uri: detail.uri,
      body: detail.body === undefined ? null : JSON.parse(detail.body),
    });
  });
  api.on('debug::response', ({detail}) => {
    const last = requests.at(-1);
    if (last && last.status === undefined) {
      last.status = detail.status;
      last.location = detail.headers.get('location');
    }
  });
  api.on('debug::result', ({detail}) => {
    const last = requests.at(-1);
    if (last && last.response_json === undefined && typeof detail === 'object') {
      last.response_json = detail;
    }
  });
  return api;
}

const client = createClient({username: email, token, endpointUri});
const api = {
  tickets: instrument(client.tickets),
  ticketaudits: instrument(client.ticketaudits),
  jobstatuses: instrument(client.jobstatuses),
  ticketmetrics: instrument(client.ticketmetrics),
  users: instrument(client.users),
  ticketfields: instrument(client.ticketfields),
  groups: instrument(client.groups),
  organizations: instrument(client.organizations),
  brand: instrument(client.brand),
};
// A second tickets client that asks for side-loads (include=users,organizations,groups): the
// library then puts the records on each ticket (ticket.requester, ticket.organization, ...).
const sideLoading = instrument(createClient({username: email, token, endpointUri}).tickets);
sideLoading.setSideLoad(['users', 'organizations', 'groups']);

function plain(value) {
  if (value instanceof Error) {
    return {error_object: value.message, statusCode: value.statusCode ?? null};
  }
  return value === undefined ? null : value;
}

const results = {};

async function step(name, fn) {
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

const idOf = (stepResult, key) =>
  stepResult.ok && stepResult.result ? (key ? stepResult.result[key].id : stepResult.result.id) : null;

async function tickets() {
  const created = await step('ticket_create', () =>
    api.tickets.create({
      ticket: {
        subject: 'Printer on fire',
        comment: {body: 'It is on fire.'},
        requester_id: seed.customer,
        group_id: seed.group,
        priority: 'high',
        external_id: 'node-1',
        custom_fields: [{id: seed.field, value: 'gold'}],
      },
    }),
  );
  const ticketId = idOf(created);
  const second = await step('ticket_create_html', () =>
    api.tickets.create({
      ticket: {
        subject: 'Second',
        comment: {html_body: '<p>Second <b>one</b></p>'},
        requester: {name: 'New Customer', email: 'new.customer@example.com'},
      },
    }),
  );
  const secondId = idOf(second);
  await step('ticket_update', () =>
    api.tickets.update(ticketId, {
      ticket: {status: 'open', assignee_id: seed.agent, comment: {body: 'Looking', public: false}},
    }),
  );
  await step('ticket_show', () => api.tickets.show(ticketId));
  await step('ticket_show_many', () => api.tickets.showMany([secondId, ticketId]));
  await step('ticket_list', () => api.tickets.list());
  await step('ticket_list_sorted', () => api.tickets.listWithFilter('sort', '-id'));
  await step('ticket_list_external_id', () => api.tickets.listWithFilter('external_id', 'node-1'));
  await step('ticket_show_side_loaded', () => sideLoading.show(ticketId));
  await step('ticket_comments', () => api.tickets.getComments(ticketId));

  const audits = await step('audit_list', () => api.ticketaudits.list(ticketId));
  const lastAudit = audits.ok ? audits.result.at(-1) : null;
  await step('audit_show', () => api.ticketaudits.show(ticketId, lastAudit && lastAudit.id));

  await step('metric_of_ticket', () => api.ticketmetrics.list(ticketId));
  await step('metric_list', () => api.ticketmetrics.listAll());
  await step('metric_show', () => api.ticketmetrics.show(ticketId));

  const createMany = await step('ticket_create_many', () =>
    api.tickets.createMany({
      tickets: [
        {subject: 'Bulk 1', comment: {body: 'one'}, requester_id: seed.customer},
        {subject: 'Bulk 2', comment: {body: 'two'}, requester_id: seed.customer},
        {subject: 'Bulk 3', comment: {body: 'three'}, requester_id: 999999999},
      ],
    }),
  );
  const createJob = createMany.ok ? createMany.result.job_status.id : null;
  // JobStatuses.watch polls job_statuses/{id} until completed, failed or killed.
  await step('job_watch_create', () => api.jobstatuses.watch(createJob, 100, 5));
  const updateMany = await step('ticket_update_many', () =>
    api.tickets.updateMany([ticketId, secondId], {ticket: {status: 'pending'}}),
  );
  const updateJob = updateMany.ok ? updateMany.result.job_status.id : null;
  await step('job_watch_update', () => api.jobstatuses.watch(updateJob, 100, 5));
  await step('job_show', () => api.jobstatuses.show(createJob));
  await step('job_show_many', () => api.jobstatuses.showMany([createJob, updateJob]));
  await step('job_list', () => api.jobstatuses.list());
  await step('ticket_show_many_after_update_many', () =>
    api.tickets.showMany([ticketId, secondId]),
  );
  results.ids = {ticket: ticketId, second: secondId, create_job: createJob, update_job: updateJob};
}

async function users() {
  await step('user_me', () => api.users.me());
  const upserted = await step('user_create_or_update_new', () =>
    api.users.createOrUpdate({user: {name: 'Upserted', email: 'upserted@example.com'}}),
  );
  await step('user_create_or_update_existing', () =>
    api.users.createOrUpdate({
      user: {email: 'upserted@example.com', name: 'Upserted Again', external_id: 'crm-7'},
    }),
  );
  const upsertedId = idOf(upserted);
  await step('user_show_many', () => api.users.showMany([seed.customer, upsertedId]));
  await step('user_search_query', () => api.users.search({query: 'Upserted'}));
  await step('user_search_external_id', () => api.users.search({external_id: 'crm-7'}));
  await step('user_delete', () => api.users.delete(upsertedId));
  await step('user_show_deleted', () => api.users.show(upsertedId));
  results.ids.upserted_user = upsertedId;
}

async function records() {
  // Ticket fields and their options.
  await step('field_list', () => api.ticketfields.list());
  await step('field_show', () => api.ticketfields.show(seed.field));
  const text = await step('field_create', () =>
    api.ticketfields.create({ticket_field: {type: 'text', title: 'Order number'}}),
  );
  const textId = idOf(text);
  await step('field_update', () =>
    api.ticketfields.update(textId, {ticket_field: {title: 'Order no.'}}),
  );
  const option = await step('option_create', () =>
    api.ticketfields.createOrUpdateOption(seed.field, {
      custom_field_option: {name: 'Platinum', value: 'platinum'},
    }),
  );
  const optionId = idOf(option, 'custom_field_option');
  await step('option_list', () => api.ticketfields.listOptions(seed.field));
  await step('option_show', () => api.ticketfields.showOption(seed.field, optionId));
  await step('option_delete', () => api.ticketfields.deleteOption(seed.field, optionId));
  await step('field_delete', () => api.ticketfields.delete(textId));
  await step('field_show_deleted', () => api.ticketfields.show(textId));

  // Groups.
  const group = await step('group_create', () => api.groups.create({group: {name: 'Night shift'}}));
  const groupId = idOf(group);
  await step('group_update', () =>
    api.groups.update(groupId, {group: {description: 'After hours'}}),
  );
  await step('group_show', () => api.groups.show(groupId));
  await step('group_list', () => api.groups.list());
  await step('group_delete', () => api.groups.delete(groupId));
  await step('group_list_after_delete', () => api.groups.list());

  // Organizations.
  const organization = await step('organization_create', () =>
    api.organizations.create({organization: {name: 'Acme', organization_fields: {plan: 'gold'}}}),
  );
  const organizationId = idOf(organization);
  await step('organization_update', () =>
    api.organizations.update(organizationId, {organization: {name: 'Acme Inc'}}),
  );
  await step('organization_show', () => api.organizations.show(organizationId));
  await step('organization_list', () => api.organizations.list());
  await step('organization_delete', () => api.organizations.delete(organizationId));
  await step('organization_show_deleted', () => api.organizations.show(organizationId));

  // Brands. node-zendesk's brand.update takes the body first and the id second.
  const brand = await step('brand_create', () =>
    api.brand.create({brand: {name: 'Second brand', subdomain: 'second'}}),
  );
  const brandId = idOf(brand, 'brand');
  await step('brand_update', () => api.brand.update({brand: {name: 'Renamed brand'}}, brandId));
  await step('brand_show', () => api.brand.show(brandId));
  await step('brand_list', () => api.brand.list());
  await step('brand_delete', () => api.brand.delete(brandId));
  await step('brand_show_deleted', () => api.brand.show(brandId));
  Object.assign(results.ids, {
    field: textId,
    option: optionId,
    group: groupId,
    organization: organizationId,
    brand: brandId,
  });
}

async function main() {
  await tickets();
  await users();
  await records();
  const output = {
    client: 'node-zendesk',
    client_version: clientVersion,
    node_version: process.versions.node,
    endpoint_uri: endpointUri,
    results,
    requests,
  };
  process.stdout.write(JSON.stringify(output) + '\n');
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
