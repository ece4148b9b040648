#!/usr/bin/env node
// `npm run bench`: a first benchmark of the bridge on this machine (issue 2). Not a test: it measures and prints,
// it asserts no thresholds.
//
//   node scripts/bench.mjs [--n 500] [--c 16] [--runs 5] [--chats 3] [--people 20] [--no-build]
//
//   --n, --c     signed webhooks sent, and how many clients send them in parallel (each waits for its answer)
//   --runs       cold-start samples per variant (fresh `node` process each)
//   --chats      groups of people for the Graph-requests-per-chat count (two chats per group)
//   --people     mappable people per chat (assignee, reporter, request participants, responders; at most 20)
//   --no-build   skip `tsc` and measure what dist/ holds
//
// What it measures, all in one run (details in scripts/bench/app.mjs and scripts/bench/coldStart.mjs):
//   1. acknowledgement latency p50/p99 and throughput of POST /api/jira/events over real HTTP to the app in the
//      local Functions host (dist/dev/host.js), against real Azurite, each request on the full verify → validate →
//      decide → enqueue path;
//   2. the baseline measured in the same run: `sendMessage` of the same body (base64) to the same Azurite queue
//      with the same N and C, and the ratio ack / baseline;
//   3. outer Graph requests per created chat, from the fake Graph's request log, first with people never seen
//      and then again with the same people (their user mappings are stored);
//   4. cold start: the time to import every compiled function module (dist/functions/*.js) in a fresh process
//      against the deployment bundle that scripts/bundle.mjs builds, median of --runs each, and their ratio.
//
// Set-up mirrors scripts/test.mjs: one in-memory Azurite on free ports and a throwaway CA + server certificate,
// handed to a child process (scripts/bench/app.mjs) in TEST_* env vars and NODE_EXTRA_CA_CERTS (read by Node only
// at start-up, hence a child). The child runs in its own process group, so stopping the group also stops the
// dev host it starts. A table goes to stdout; the JSON goes to bench-results/bench-<timestamp>.json (git-ignored).
// Loopback only; nothing leaves the machine.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { root, startAzurite, writeTlsEnv } from './lib/localInfra.mjs';
import { median } from './bench/stats.mjs';

const require = createRequire(import.meta.url);
const log = (message) => process.stderr.write(`[bench] ${message}\n`);

function parseArgs(argv) {
  const options = { n: 500, c: 16, runs: 5, chats: 3, people: 20, build: true };
  const integer = (flag, value, min, max = Number.MAX_SAFE_INTEGER) => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < min || number > max) throw new Error(`${flag} must be an integer from ${min} to ${max}, not ${value}`);
    return number;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--n') options.n = integer(flag, value(), 1);
    else if (flag === '--c') options.c = integer(flag, value(), 1, 512);
    else if (flag === '--runs') options.runs = integer(flag, value(), 1, 50);
    else if (flag === '--chats') options.chats = integer(flag, value(), 0, 20);
    else if (flag === '--people') options.people = integer(flag, value(), 1, 20);
    else if (flag === '--no-build') options.build = false;
    else throw new Error(`unknown argument ${argv[i]}; usage: node scripts/bench.mjs [--n 500] [--c 16] [--runs 5] [--chats 3] [--people 20] [--no-build]`);
  }
  return options;
}

/** Running children; `group` when the child leads its own process group (its descendants go with it). */
const children = new Map();
let azurite;
let workDir;

/** Signals a child, and for a group leader every process in its group; false if none was left. */
function signalChild(child, group, signal) {
  try {
    process.kill(group ? -child.pid : child.pid, signal);
    return true;
  } catch {
    return false; // ESRCH: already gone
  }
}

/** Spawns a process (in its own process group with `group`); resolves with its exit code and collected stdout. */
function run(command, args, { env = process.env, stdio = 'inherit', group = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env, stdio, detached: group });
    children.set(child, group);
    let stdout = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      children.delete(child);
      // A group leader that exited may leave descendants (a dev host whose parent crashed): stop them too.
      if (group) signalChild(child, true, 'SIGKILL');
      resolve({ code: code ?? (signal ? 128 : 1), stdout });
    });
  });
}

async function build() {
  const { code } = await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json']);
  if (code === 0) return;
  // tsc still emits on type errors (noEmitOnError is off); someone else's half-done file should not stop a bench.
  if (!existsSync(path.join(root, 'dist', 'dev', 'testing.js'))) throw new Error(`tsc exit ${code} and no dist/: nothing to measure`);
  log(`tsc exit ${code} (type errors above); measuring what dist/ holds`);
}

/** (d) Median time to import the app in a fresh process, unbundled and bundled. */
async function coldStart(runs) {
  const bundleDir = path.join(workDir, 'bundle');
  const bundled = await run(process.execPath, [path.join(root, 'scripts', 'bundle.mjs'), '--out', bundleDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const variants = { unbundled: ['unbundled'] };
  if (bundled.code === 0) variants.bundle = ['bundle', path.join(bundleDir, 'main.js')];
  else log(`scripts/bundle.mjs failed (exit ${bundled.code}); cold start measured unbundled only`);

  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, { importMs: [], processMs: [], registered: 0 }]));
  // Interleaved, so drift on a shared machine hits both variants alike.
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(variants)) {
      const t = performance.now();
      const { code, stdout } = await run(process.execPath, [path.join(root, 'scripts', 'bench', 'coldStart.mjs'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      const processMs = performance.now() - t;
      if (code !== 0) throw new Error(`cold-start sample (${name}) failed with exit ${code}`);
      const sample = JSON.parse(stdout.trim().split('\n').pop());
      samples[name].importMs.push(sample.importMs);
      samples[name].processMs.push(processMs);
      samples[name].registered = sample.registered;
    }
  }
  const result = {};
  for (const [name, s] of Object.entries(samples)) {
    result[name] = { ...s, medianImportMs: median(s.importMs), medianProcessMs: median(s.processMs) };
  }
  if (result.bundle) {
    result.bundleBytes = readFileSync(path.join(bundleDir, 'main.js')).length;
    result.ratioImport = result.unbundled.medianImportMs / result.bundle.medianImportMs;
    result.ratioProcess = result.unbundled.medianProcessMs / result.bundle.medianProcessMs;
  }
  return result;
}

// ---- output ----

const ms = (x) => (Number.isFinite(x) ? x.toFixed(x < 10 ? 2 : 1) : 'n/a');
const num = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

function table(title, header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [`\n${title}`, line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

function report(results) {
  const { options, app, coldStart: cold } = results;
  const out = [];
  const { ack, ackUnderLoad, baseline } = app;
  const ratioRow = (label, a) => [label, num(a.p50Ms / baseline.p50Ms, 2) + 'x', num(a.p99Ms / baseline.p99Ms, 2) + 'x', num(a.throughputPerSecond / baseline.throughputPerSecond, 2) + 'x', ''];
  out.push(
    table(`Jira webhook acknowledgement vs bare enqueue (N=${options.n}, C=${options.c}, same Azurite, bodies of about ${app.bodyBytes ?? "?"} bytes, each a distinct event)`, ['measured', 'p50 ms', 'p99 ms', 'req/s', 'errors'], [
      ['baseline: sendMessage', ms(baseline.p50Ms), ms(baseline.p99Ms), num(baseline.throughputPerSecond), baseline.errors],
      ['ack: POST /api/jira/events', ms(ack.p50Ms), ms(ack.p99Ms), num(ack.throughputPerSecond), ack.errors],
      ratioRow('ratio ack / baseline', ack),
      ...(app.hostHop
        ? [
            ['host hop: trivial HTTP function', ms(app.hostHop.p50Ms), ms(app.hostHop.p99Ms), num(app.hostHop.throughputPerSecond), app.hostHop.errors],
            ['ratio ack / (hop + enqueue), p50', num(ack.p50Ms / (app.hostHop.p50Ms + baseline.p50Ms), 2) + 'x', '', '', ''],
          ]
        : []),
      ['ack while the app works', ms(ackUnderLoad.p50Ms), ms(ackUnderLoad.p99Ms), num(ackUnderLoad.throughputPerSecond), ackUnderLoad.errors],
      ratioRow('ratio (app working) / baseline', ackUnderLoad),
    ]),
  );
  out.push('ack: the queue functions switched off (AzureWebJobs.eventJobs.Disabled), so the app does only what an acknowledgement does; "while the app works": the same instance also fans the events out into chat jobs.');
  out.push(`after the burst: ${app.drain.events} events worked off in ${num(app.drain.seconds)} s; chats for the issue: ${app.drain.chatsForIssue}`);
  if (app.graph.chats.length) {
    out.push(
      table('Graph requests per created chat (outer requests: a $batch counts once)', ['issue', 'people', 'members', 'graph req', '$batch', 'inner', 'jira req', 'webhook→idle ms'], app.graph.chats.map((r) => [
        `${r.issueKey} (${r.round})`, r.people, r.members, r.graphRequests, r.batchRequests, r.innerBatchRequests, r.jiraRequests, ms(r.webhookToIdleMs),
      ])),
    );
    out.push(`mean Graph requests per chat: ${num(app.graph.meanFirst)} with new people, ${num(app.graph.meanSecond)} with stored mappings`);
    out.push(`calls for ${app.graph.chats[0].issueKey}: ${app.graph.chats[0].calls.join(', ')}`);
    const second = app.graph.chats.find((r) => r.round === 'second');
    if (second) out.push(`calls for ${second.issueKey}: ${second.calls.join(', ')}`);
  }
  if (app.chatToJira) {
    const c2j = app.chatToJira;
    out.push(
      table(`Chat → Jira: /note in the chat → Graph notification → Jira comment (${c2j.messages} messages, one at a time)`, ['measured', 'p50 ms', 'p99 ms', 'max ms'], [
        ['notification acknowledged (202)', ms(c2j.notificationAck.p50Ms), ms(c2j.notificationAck.p99Ms), ms(c2j.notificationAck.maxMs)],
        ['notification → comment in Jira', ms(c2j.notificationToComment.p50Ms), ms(c2j.notificationToComment.p99Ms), ms(c2j.notificationToComment.maxMs)],
      ]),
    );
  }
  const coldRows = [['unbundled dist/functions/*.js', cold.unbundled]];
  if (cold.bundle) coldRows.push([`bundle (${(cold.bundleBytes / 1024).toFixed(0)} KiB)`, cold.bundle]);
  out.push(
    table(`Cold start: loading the app in a fresh node process (median of ${options.runs})`, ['variant', 'import ms', 'process ms', 'functions'], [
      ...coldRows.map(([name, s]) => [name, ms(s.medianImportMs), ms(s.medianProcessMs), s.registered]),
      ...(cold.bundle ? [['ratio unbundled / bundle', num(cold.ratioImport, 2) + 'x', num(cold.ratioProcess, 2) + 'x', '']] : []),
    ]),
  );
  out.push('(import ms: first import to last, in the process; process ms: spawn to exit, including Node start-up)');
  const m = results.machine;
  out.push(`machine: ${m.cpus} CPU(s) ${m.cpuModel ?? ''}, Node ${m.node}, load average ${m.loadAverageAtEnd.join(' ')} at the end (a shared machine skews everything above)`);
  return out.join('\n');
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const started = new Date();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'jira-m365-bench-'));

  // Azurite and the certificate do not depend on the build.
  const storage = startAzurite(workDir);
  azurite = storage;
  storage.ready.catch(() => {});
  const tls = writeTlsEnv(workDir);
  tls.catch(() => {});
  if (options.build) await build();
  const [{ connectionString }, tlsEnv] = await Promise.all([storage.ready, tls]);

  const resultFile = path.join(workDir, 'app-result.json');
  const t = performance.now();
  const child = await run(process.execPath, ['--enable-source-maps', path.join(root, 'scripts', 'bench', 'app.mjs')], {
    group: true,
    env: {
      ...process.env,
      ...tlsEnv,
      TEST_STORAGE_CONNECTION_STRING: connectionString,
      BENCH_OPTIONS: JSON.stringify(options),
      BENCH_RESULT_FILE: resultFile,
    },
  });
  if (child.code !== 0) throw new Error(`the app measurements failed (exit ${child.code})`);
  const app = JSON.parse(readFileSync(resultFile, 'utf8'));
  log(`app measurements took ${num((performance.now() - t) / 1000)} s`);
  // Nothing else should compete with the cold-start samples.
  await storage.stop();

  log(`cold start: ${options.runs} run(s) per variant ...`);
  const cold = await coldStart(options.runs);

  const results = {
    startedAt: started.toISOString(),
    options,
    machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1), loadAverageAtEnd: os.loadavg().map((x) => +x.toFixed(2)) },
    app,
    coldStart: cold,
  };
  console.log(report(results));
  const dir = path.join(root, 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nJSON: ${path.relative(process.cwd(), file)}`);
}

async function cleanUp() {
  const running = [...children];
  const exited = running.map(([child]) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve))));
  // SIGTERM first: the app child stops its dev host and fakes; whatever is left after 5 s is killed.
  for (const [child, group] of running) signalChild(child, group, 'SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
  await Promise.race([Promise.all(exited), timeout]);
  for (const [child, group] of running) signalChild(child, group, 'SIGKILL');
  await azurite?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true }).catch(() => {});
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}
await cleanUp();
