// The measurements that need the running app, started by scripts/bench.mjs in a child process whose environment
// already holds what the test runner would give a test (Azurite connection string, test certificate paths,
// NODE_EXTRA_CA_CERTS: Node reads that one only at start-up, hence the separate process).
//
// It starts the whole bridge the way the end-to-end tests do (test/support/bridge.ts: the app in the local
// Functions host, fake Graph/Jira/Entra, a registered site with a webhook secret, a connected tenant and service
// user) and then measures:
//   ack       N signed webhooks for a JSM incident, C clients in parallel, each on the full verify → validate →
//             decide → enqueue path (a project whose rules want the event, a fresh delivery id per request).
//             The app's queue triggers work off those events meanwhile, as one instance does in Azure, so the
//             ack shares the CPU with its own follow-up work; the drain time afterwards is reported separately
//   baseline  the same body, base64, sent N times with C in parallel to the same Azurite queue (`jira-events`)
//             with @azure/storage-queue `sendMessage`: the floor any acknowledgement that enqueues must pay
//   graph     outer Graph requests (a `$batch` counts once, as on the wire) per chat created for an issue with up
//             to 20 mappable people, then for a second issue with the same people (their mappings are stored)
//   chatToJira  a `/note` in an issue's chat → Graph's change notification → the comment on the Jira issue, one
//             message at a time (the delay a responder sees), and the notification's acknowledgement alone
// and writes the numbers as JSON to BENCH_RESULT_FILE. BENCH_OPTIONS holds `{ n, c, chats, people }`.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { QueueClient } from '@azure/storage-queue';
import { startApp } from '../../dist/dev/testing.js';
import { startBridge } from '../../dist/test/support/bridge.js';
import { jiraFixturesDir } from '../../dist/test/support/repoRoot.js';
import { signBody } from '../../dist/shared/jira/signature.js';
import { queueNames } from '../../dist/shared/storage/queues.js';
import { waitFor } from '../../dist/test/support/wait.js';
import { summarize } from './stats.mjs';

const options = JSON.parse(process.env.BENCH_OPTIONS ?? '{}');
const n = options.n ?? 500;
const c = options.c ?? 16;
const chatGroups = options.chats ?? 3;
const peoplePerChat = Math.min(options.people ?? 20, 20);
const resultFile = process.env.BENCH_RESULT_FILE;
const storage = process.env.TEST_STORAGE_CONNECTION_STRING;
/** Requests before each timed run, not counted: connection set-up, JIT, the settings cache's first read. */
const warmUp = Math.min(20, n);
/** How long the burst's queue work (N events fanned out into chat jobs) may take to drain. */
const drainTimeoutMs = 150_000;

const log = (message) => process.stderr.write(`[bench] ${message}\n`);

/** A real captured Jira Cloud webhook envelope carrying the given issue (as test/integration/walkingSkeleton does). */
function webhookFor(issue) {
  const body = JSON.parse(readFileSync(path.join(jiraFixturesDir(), 'issue_created.kanban.json'), 'utf8'));
  body.issue = { ...body.issue, id: issue.id, key: issue.key, fields: { ...body.issue.fields, ...issue.fields } };
  return body;
}

/**
 * Runs `once(i)` for i = 0..count-1 with `concurrency` callers, each starting its next call when the previous
 * one finished (closed loop, like C webhook senders). Latencies of failed calls are left out and counted.
 */
async function load(count, concurrency, once) {
  const latencies = [];
  const failures = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        try {
          await once(i);
          latencies.push(performance.now() - t);
        } catch (error) {
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
    }),
  );
  const wallMs = performance.now() - start;
  return { ...summarize(latencies), wallMs, throughputPerSecond: (latencies.length / wallMs) * 1000, errors: failures.length, errorSamples: [...new Set(failures)].slice(0, 3) };
}

/**
 * Signed webhooks for one issue, each a distinct event (its own delivery id and, as Jira stamps every event, its own
 * `timestamp`), against one running app: the app deduplicates a signed body it has seen, so replaying one body would
 * measure the duplicate path. The bodies are made and signed before the clock starts.
 */
function webhookSender(bridge, raw, count) {
  const template = JSON.parse(raw);
  const url = `${bridge.baseUrl}/api/jira/events?site=${bridge.siteId}`;
  const bodies = Array.from({ length: count }, (_, i) => {
    const body = JSON.stringify({ ...template, timestamp: (template.timestamp ?? 0) + 1 + i + Math.floor(Math.random() * 1e9) });
    return { body, signature: signBody(bridge.webhookSecret, body) };
  });
  let next = 0;
  return async () => {
    const { body, signature } = bodies[next++ % bodies.length];
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=UTF-8', 'x-hub-signature': signature, 'x-atlassian-webhook-identifier': randomUUID() },
      body,
    });
    const text = await response.text();
    if (response.status !== 202 || JSON.parse(text).status !== 'accepted') throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  };
}

/** A configured project with one JSM incident whose webhook every request sends. */
async function seedBenchIssue(bridge) {
  await bridge.configureProject('BENCH');
  const { graph, jira } = bridge;
  const owner = jira.addUser({ displayName: 'Olive Owner', emailAddress: 'olive@contoso.example', emailVisible: true });
  graph.addUser({ displayName: 'Olive Owner', mail: 'olive@contoso.example' });
  const issue = jira.addJsmIssue({ key: 'BENCH-1', summary: 'Checkout latency above SLO', assignee: owner });
  return JSON.stringify(webhookFor(issue));
}

/**
 * Chat → Jira latency: a person writes `/note …` in an issue's chat, the fake Graph POSTs the change notification to
 * the app (as Graph does), and the clock stops when the fake Jira holds the comment. Sequential, one message at a
 * time: this is the delay a responder sees, not a throughput figure.
 */
async function chatToJiraLatency(bridge) {
  const { graph, jira } = bridge;
  const count = Math.max(5, Math.min(50, Math.round(n / 20)));
  log(`chat → Jira: ${count} /note messages, one at a time ...`);
  await bridge.connectFeature('chat-to-jira');
  await bridge.configureProject('NOTE', { chatToJira: { enabled: true } });
  const author = jira.addUser({ displayName: 'Nora Notes', emailAddress: 'nora@contoso.example', emailVisible: true });
  const authorGraph = graph.addUser({ displayName: 'Nora Notes', mail: 'nora@contoso.example' });
  jira.grant(author, 'NOTE', 'ADD_COMMENTS', 'BROWSE_PROJECTS');
  jira.addJsmIssue({ key: 'NOTE-1', summary: 'Chat to Jira latency', assignee: author });
  const created = await bridge.automation('incident-chat', { issueKey: 'NOTE-1' });
  if (created.status !== 202) throw new Error(`chat for NOTE-1 not accepted: ${created.status}`);
  await bridge.app.waitForIdle(undefined, 60_000);
  const chat = graph.chatsWithTopic(/NOTE-1/)[0];
  const subscription = await waitFor('the NOTE-1 chat subscription', () => [...graph.subscriptions.values()].find((x) => x.resource === `/chats/${chat.id}/messages`), { timeoutMs: 60_000 });
  const latencies = [];
  const ackMs = [];
  for (let i = 0; i < count; i++) {
    const before = jira.issue('NOTE-1').comments.length;
    const message = graph.postMessageAs(authorGraph, chat.id, `<p>/note measurement ${i}</p>`);
    const t = performance.now();
    const status = await graph.notify(subscription.id, { resource: `chats('${chat.id}')/messages('${message.id}')` });
    ackMs.push(performance.now() - t);
    if (status !== 202) throw new Error(`notification answered ${status}`);
    await waitFor(`the comment for message ${i}`, () => jira.issue('NOTE-1').comments.length > before, { timeoutMs: 60_000, intervalMs: 5 });
    latencies.push(performance.now() - t);
  }
  await bridge.app.waitForIdle(undefined, 60_000);
  return { messages: count, notificationToComment: summarize(latencies), notificationAck: summarize(ackMs), comments: jira.issue('NOTE-1').comments.length };
}

// The bridge's test defaults re-read settings on every request and log at debug; measure what a deployment runs
// with instead (shared/config.ts defaults: settings cached for 30 s, info logs).
const deployedDefaults = { SETTINGS_CACHE_SECONDS: '30', LOG_LEVEL: 'info' };

async function main() {
  if (!storage || !resultFile) throw new Error('run through scripts/bench.mjs (TEST_STORAGE_CONNECTION_STRING / BENCH_RESULT_FILE missing)');
  const result = { bodyBytes: 0, hostHop: undefined, ack: undefined, ackUnderLoad: undefined, baseline: undefined, drain: undefined, graph: undefined };

  // ---- the host's own share: the same body POSTed to a trivial HTTP function (the dev host's test fixture) ----
  // An acknowledgement is one HTTP hop through the Functions host plus one enqueue; this row shows the hop alone,
  // so the report can tell the app's own cost from the parts every HTTP-triggered enqueue pays.
  log(`host hop: ${warmUp} warm-up + ${n} POSTs to a trivial function, ${c} in parallel ...`);
  const trivial = await startApp({ env: { AzureWebJobsStorage: storage }, functionsGlob: 'dist/test/fixtures/devhost-app/functions/*.js', hostJsonPath: 'test/fixtures/devhost-app/host.json' });
  try {
    const padding = 'x'.repeat(5000);
    const hop = async () => {
      // echo is authLevel function: the key travels with every request, as it must in Azure.
      const response = await fetch(`${trivial.baseUrl}/api/echo/1`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': trivial.functionKey }, body: JSON.stringify({ padding }) });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
    };
    await load(warmUp, c, hop);
    result.hostHop = await load(n, c, hop);
  } finally {
    await trivial.stop();
  }

  // ---- (a) and (b), isolated: the acknowledgement alone against the bare enqueue ----
  // The event fan-out is switched off (AzureWebJobs.eventJobs.Disabled, as on the real host), so the app does only
  // what an acknowledgement does (verify, validate, decide, enqueue) while the two are compared.
  log('starting the app with its queue work switched off ...');
  const quiet = await startBridge({ env: { ...deployedDefaults, 'AzureWebJobs.eventJobs.Disabled': 'true' } });
  const queue = new QueueClient(storage, queueNames.jiraEvents);
  try {
    const raw = await seedBenchIssue(quiet);
    result.bodyBytes = Buffer.byteLength(raw);
    await queue.createIfNotExists();
    const encoded = Buffer.from(raw, 'utf8').toString('base64');
    const enqueue = async () => {
      await queue.sendMessage(encoded);
    };
    const sendWebhook = webhookSender(quiet, raw, warmUp + n);
    log(`baseline: ${warmUp} warm-up + ${n} sendMessage, ${c} in parallel ...`);
    await load(warmUp, c, enqueue);
    result.baseline = await load(n, c, enqueue);
    log(`ack: ${warmUp} warm-up + ${n} signed webhooks, ${c} in parallel ...`);
    await load(warmUp, c, sendWebhook);
    result.ack = await load(n, c, sendWebhook);
  } finally {
    await quiet.stop();
    await queue.clearMessages().catch(() => undefined);
  }

  log('starting the app with all functions ...');
  const bridge = await startBridge({ env: deployedDefaults });
  const stopping = () => void bridge.stop().finally(() => process.exit(130));
  process.once('SIGTERM', stopping);
  process.once('SIGINT', stopping);
  try {
    const { graph, jira } = bridge;
    const sendWebhook = webhookSender(bridge, await seedBenchIssue(bridge), warmUp + n);

    // ---- (a) again, as one instance in Azure runs it: the app works off its own events at the same time ----
    log(`ack under load: ${warmUp} warm-up + ${n} signed webhooks, ${c} in parallel ...`);
    await load(warmUp, c, sendWebhook);
    result.ackUnderLoad = await load(n, c, sendWebhook);

    // Not part of the ack numbers: how long the app takes to work off the burst (events fanned out into chat jobs
    // for one issue, which all but the first find done), and that the burst made exactly one chat.
    log('waiting for the burst\'s queue work to drain ...');
    const drainStart = performance.now();
    await bridge.app.waitForIdle(undefined, drainTimeoutMs);
    result.drain = { seconds: (performance.now() - drainStart) / 1000, events: warmUp + n, chatsForIssue: graph.chatsWithTopic(/^\[BENCH-1\]/).length };

    // ---- (c): Graph requests per created chat ----
    log(`graph: ${chatGroups} group(s) of ${peoplePerChat} people, two chats each ...`);
    const chats = [];
    for (let g = 0; g < chatGroups; g++) {
      const people = Array.from({ length: peoplePerChat }, (_, i) => {
        const displayName = `Person G${g} N${i}`;
        const mail = `person.g${g}.n${i}@contoso.example`;
        graph.addUser({ displayName, mail });
        return jira.addUser({ displayName, emailAddress: mail, emailVisible: true });
      });
      for (const round of ['first', 'second']) {
        const key = `BENCH-${100 + g * 2 + (round === 'first' ? 0 : 1)}`;
        const seeded = jira.addJsmIssue({
          key,
          summary: `${round} chat for group ${g}`,
          assignee: people[0],
          reporter: people[1] ?? people[0],
          participants: people.slice(2, 2 + Math.ceil((people.length - 2) / 2)),
          responders: people.slice(2 + Math.ceil((people.length - 2) / 2)),
        });
        const graphBefore = graph.requests.length;
        const jiraBefore = jira.requests.length;
        const t = performance.now();
        const body = webhookFor(seeded);
        const ack = await bridge.webhook(body, { deliveryId: randomUUID() });
        if (ack.status !== 202 || ack.body?.status !== 'accepted') throw new Error(`webhook for ${key} not accepted: ${ack.status} ${JSON.stringify(ack.body)}`);
        await bridge.app.waitForIdle(undefined, 60_000);
        const elapsedMs = performance.now() - t;
        const requests = graph.requests.slice(graphBefore);
        const outer = requests.filter((r) => !r.batch);
        const created = graph.chatsWithTopic(new RegExp(`^\\[${key}\\]`));
        chats.push({
          issueKey: key,
          round,
          people: new Set([...people.map((p) => p.accountId)]).size,
          chats: created.length,
          members: created[0]?.members.length ?? 0,
          graphRequests: outer.length,
          batchRequests: outer.filter((r) => r.path === '/$batch').length,
          innerBatchRequests: requests.length - outer.length,
          calls: outer.map((r) => `${r.method} ${r.path.replace(/\/chats\/[^/]+/, '/chats/{id}')}`),
          jiraRequests: jira.requests.length - jiraBefore,
          webhookToIdleMs: elapsedMs,
        });
      }
    }
    // ---- (d): chat → Jira: a `/note` in the chat → Graph's change notification → the comment on the issue ----
    result.chatToJira = await chatToJiraLatency(bridge);

    graph.assertNoViolations();
    const mean = (round, key) => {
      const rows = chats.filter((r) => r.round === round);
      return rows.reduce((s, r) => s + r[key], 0) / (rows.length || 1);
    };
    result.graph = {
      chats,
      meanFirst: mean('first', 'graphRequests'),
      meanSecond: mean('second', 'graphRequests'),
    };
    writeFileSync(resultFile, JSON.stringify(result, null, 2));
  } catch (error) {
    log(`failed; last app log lines:\n${bridge.app.logs.slice(-30).join('\n')}`);
    throw error;
  } finally {
    await bridge.stop();
  }
}

try {
  await main();
} catch (error) {
  log(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exitCode = 1;
}
