// Static checks over the function registrations (STYLE.md "Shape"; the azure-functions-nodejs-library e2e app
// checks auth levels the same way): the URLs admins paste into Jira and Entra (DESIGN §4) never move, only the
// callers that prove who they are some other way (HMAC, bearer token, signed state, Graph's clientState) are
// anonymous, every queue the app declares has exactly one consumer, and host.json agrees with the job runner.
//
// The compiled function files are imported into this process with the dev host's `loadFunctions` (it supplies the
// `@azure/functions-core` module the library needs), one file at a time, so each registration is traced back to
// the file that made it. Nothing is served and no trigger runs.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';
import { loadFunctions, type FunctionInfo } from '../../../dev/testing.js';
import { maxDequeueCount } from '../../../shared/jobs/runJob.js';
import { allQueueNames } from '../../../shared/storage/queues.js';
import { repoRoot } from '../../support/repoRoot.js';

/** HTTP functions callers reach without a function key; each authenticates the caller itself (DESIGN §4). */
// selfLinkStart: the signed, expiring invitation in an issue's internal note is the authorisation.
// invitation: the signed, expiring, single-use invitation is the authorisation (no key in links for others).
// consolePage, consoleRoutes: the console's signed session cookie (and for changes the CSRF token) is the
// authorisation; its API dispatches into the same admin handlers (functions/lib/manage.ts).
const anonymous = new Set(['jiraEvents', 'jiraAutomation', 'health', 'consentCallback', 'authCallback', 'selfLinkStart', 'consolePage', 'consoleRoutes', 'invitation']);
/** Graph change notifications authenticate with `clientState` (DESIGN §4); whatever the function is called. */
const isGraphNotifications = (f: FunctionInfo) => f.route === 'graph/notifications' || /graphnotification/i.test(f.name);

/** DESIGN §4: the exact URL templates (under `/api/`), by function name. */
const publicRoutes: Record<string, string> = {
  jiraEvents: 'jira/events',
  jiraAutomation: 'jira/automation/{action}',
  consentStart: 'consent/start',
  consentCallback: 'consent/callback',
  serviceUserStart: 'service-user/start',
  authCallback: 'auth/callback',
  health: 'health',
  consolePage: 'console',
  consoleRoutes: 'console/{*path}',
  invitation: 'invitation',
};

/** `functions/<name>.ts` sources: one Azure Function per file directly under functions/ (helpers are in lib/). */
function functionSources(root: string): string[] {
  return readdirSync(path.join(root, 'functions'), { withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts'))
    .map((d) => d.name.replace(/\.ts$/, ''))
    .sort();
}

/** `hh:mm:ss` (host.json TimeSpan) in seconds. */
function timeSpanSeconds(value: string): number {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value);
  assert.ok(m, `${value} is not a hh:mm:ss TimeSpan`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

describe('function registrations', () => {
  const root = repoRoot();
  /** Function name → the source file (without extension) whose import registered it. */
  const registeredBy = new Map<string, string[]>();
  const loadErrors = new Map<string, string>();
  let functions: FunctionInfo[] = [];

  before(async () => {
    const storage = process.env.TEST_STORAGE_CONNECTION_STRING;
    assert.ok(storage, 'TEST_STORAGE_CONNECTION_STRING is not set: run through scripts/test.mjs');
    // The app reads its configuration when a function module loads; give it the runner's Azurite.
    process.env.AzureWebJobsStorage = storage;
    process.env.FUNCTIONS_WORKER_RUNTIME ??= 'node';
    let seen = new Set<string>();
    for (const file of functionSources(root)) {
      // Registrations are process-wide, so what a file registered is what is new after importing it. A file that
      // throws while loading (e.g. the library refusing a name registered twice) is reported by name below.
      try {
        const all = await loadFunctions(root, `dist/functions/${file}.js`);
        registeredBy.set(file, all.filter((f) => !seen.has(f.name)).map((f) => f.name));
        seen = new Set(all.map((f) => f.name));
        functions = all;
      } catch (error) {
        loadErrors.set(file, error instanceof Error ? error.message : String(error));
      }
    }
  });

  it('each functions/<name>.ts registers exactly one function, named <name>', () => {
    assert.deepEqual(Object.fromEntries(loadErrors), {}, 'every function file loads');
    assert.ok(registeredBy.size > 0, 'no function files found');
    for (const [file, names] of registeredBy) {
      assert.deepEqual(names, [file], `functions/${file}.ts registers ${JSON.stringify(names)}`);
    }
    assert.equal(functions.length, registeredBy.size, 'no function is registered from anywhere else');
  });

  it('every function file loads the invocation log scope first, and none builds the runtime at import', () => {
    for (const file of functionSources(root)) {
      const source = readFileSync(path.join(root, 'functions', `${file}.ts`), 'utf8');
      // The preInvocation hook that routes log lines to the invocation's logger (issue 11).
      assert.match(source, /^import '\.\/lib\/invocation\.js';$/m, `functions/${file}.ts does not import ./lib/invocation.js`);
      // A module-level getRuntime() throws on a refused configuration and unloads the whole bundle, /api/health too.
      assert.doesNotMatch(source, /^const \w+ = getRuntime\(\);$/m, `functions/${file}.ts builds the runtime at import`);
    }
  });

  it('only the self-authenticating endpoints are anonymous; admin, consent start and service-user start need a function key', () => {
    const http = functions.filter((f) => f.triggerType === 'httpTrigger');
    assert.ok(http.length > 0, 'no HTTP functions registered');
    for (const f of http) {
      const expected = anonymous.has(f.name) || isGraphNotifications(f) ? 'anonymous' : 'function';
      assert.equal(f.authLevel, expected, `${f.name} (route ${f.route}) has authLevel ${f.authLevel}`);
    }
    const byName = new Map(http.map((f) => [f.name, f]));
    for (const name of ['consentStart', 'serviceUserStart']) assert.equal(byName.get(name)?.authLevel, 'function', name);
    const admin = http.filter((f) => f.route?.startsWith('manage/'));
    assert.ok(admin.length > 0, 'no admin routes registered');
    for (const f of admin) assert.equal(f.authLevel, 'function', `${f.name} (route ${f.route}) must need the admin key`);
  });

  it('the public URLs of DESIGN §4 exist with their exact templates, and the admin API lives under manage/ (the real host refuses routes starting with admin)', () => {
    const byName = new Map(functions.map((f) => [f.name, f]));
    for (const [name, route] of Object.entries(publicRoutes)) {
      const f = byName.get(name);
      assert.ok(f, `${name} is not registered`);
      assert.equal(f.triggerType, 'httpTrigger', name);
      assert.equal(f.route, route, `${name} must answer at /api/${route}`);
    }
    const http = functions.filter((f) => f.triggerType === 'httpTrigger');
    for (const f of http) {
      assert.ok(f.route, `${f.name} has no explicit route (a rename would move its URL)`);
      const isAdmin = f.name.startsWith('admin');
      assert.equal(f.route.startsWith('manage/'), isAdmin, `${f.name}: route ${f.route} ${isAdmin ? 'must' : 'must not'} be under manage/`);
    }
    for (const f of http.filter(isGraphNotifications)) assert.equal(f.route, 'graph/notifications', f.name);
    // The real host refuses any route whose template, trimmed of '/' and lower-cased, starts with admin or runtime
    // ("The specified route conflicts with one or more built in routes"): ../shared/contracts/functions-host.md.
    for (const f of http) {
      const template = (f.route ?? f.name).replace(/^\/+|\/+$/g, '').toLowerCase();
      assert.ok(!/^(admin|runtime)/.test(template), `${f.name}: route ${f.route} would be refused by the Functions host`);
    }
    // Jira's webhook and Automation send POST; Microsoft's callbacks redirect the browser with GET.
    for (const name of ['jiraEvents', 'jiraAutomation']) assert.ok(byName.get(name)?.methods?.includes('POST'), `${name} accepts POST`);
    for (const name of ['consentCallback', 'authCallback', 'health']) assert.ok(byName.get(name)?.methods?.includes('GET'), `${name} accepts GET`);
  });

  it('every admin route is registered through manageHttp, so a console session reaches the same handler', async () => {
    // The console dispatches to the handlers manageHttp remembers (functions/lib/manage.ts); a manage/ route
    // registered with app.http directly answers with a function key but is a 404 for the console.
    const manage = (await import(pathToFileURL(path.join(root, 'dist/functions/lib/manage.js')).href)) as typeof import('../../../functions/lib/manage.js');
    const viaManage = new Set(manage.manageRoutes().map((r) => r.name));
    assert.ok(viaManage.size > 10, `only ${viaManage.size} routes seen through manageHttp`);
    const direct = functions.filter((f) => f.triggerType === 'httpTrigger' && f.route?.startsWith('manage/') && !viaManage.has(f.name));
    assert.deepEqual(direct.map((f) => `${f.name} (${f.route})`), []);
  });

  it('every queue in shared/storage/queues.ts has exactly one trigger, and every trigger binds to one of them', () => {
    const triggers = functions.filter((f) => f.triggerType === 'queueTrigger');
    const known = new Set<string>(allQueueNames);
    for (const f of triggers) {
      assert.ok(f.queueName && known.has(f.queueName), `${f.name} listens on ${f.queueName}, which is not in allQueueNames`);
      assert.equal(f.connection, 'AzureWebJobsStorage', `${f.name} uses the app's storage connection`);
    }
    for (const queue of allQueueNames) {
      const consumers = triggers.filter((f) => f.queueName === queue).map((f) => f.name);
      assert.equal(consumers.length, 1, `queue ${queue} has trigger(s) ${JSON.stringify(consumers)}`);
    }
  });

  it('host.json retries as often as the job runner expects, polls an idle queue within 2 s and reads base64 messages', () => {
    const host = JSON.parse(readFileSync(path.join(root, 'host.json'), 'utf8')) as {
      extensions?: { queues?: { maxDequeueCount?: number; maxPollingInterval?: string; messageEncoding?: string } };
    };
    const queues = host.extensions?.queues;
    assert.ok(queues, 'host.json has no extensions.queues');
    // runJob decides "last attempt, moved to poison" from this number; a mismatch mislabels or never poisons.
    assert.equal(queues.maxDequeueCount, maxDequeueCount);
    // The host's default backs off to 1 minute on an idle queue (issue 2 wants pick-up within about 2 s).
    assert.ok(queues.maxPollingInterval, 'maxPollingInterval is not set (the default is 1 minute)');
    assert.ok(timeSpanSeconds(queues.maxPollingInterval) <= 2, `maxPollingInterval ${queues.maxPollingInterval} is over 2 s`);
    assert.equal(queues.messageEncoding, 'base64', 'the app and the dev host send and read base64');
  });
});

/** Static and dynamic imports, `export ... from`, side-effect imports and require; `@azure/functions-core` too. */
const importsFunctionsLibrary = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]@azure\/functions(?:-core)?(?:\/[^'"]*)?['"]/;

describe('shared/ hosting independence', () => {
  it('no file under shared/ imports @azure/functions', () => {
    const root = repoRoot();
    const offenders: string[] = [];
    const files = readdirSync(path.join(root, 'shared'), { recursive: true, withFileTypes: true }).filter(
      (d) => d.isFile() && /\.[mc]?ts$/.test(d.name),
    );
    assert.ok(files.length > 0, 'no sources found under shared/');
    for (const d of files) {
      const file = path.join(d.parentPath, d.name);
      if (importsFunctionsLibrary.test(readFileSync(file, 'utf8'))) offenders.push(path.relative(root, file));
    }
    assert.deepEqual(offenders, [], 'shared/ must stay free of the hosting library (STYLE.md "Shape")');
  });

  it('the scan recognises the import forms it looks for', () => {
    for (const line of [
      "import { app } from '@azure/functions';",
      'import type { HttpRequest } from "@azure/functions";',
      "export { app } from '@azure/functions';",
      "await import('@azure/functions')",
      "import '@azure/functions';",
      "require('@azure/functions-core')",
    ]) {
      assert.ok(importsFunctionsLibrary.test(line), line);
    }
    assert.ok(!importsFunctionsLibrary.test("import { x } from '@azure/functions-extra';"));
    assert.ok(!importsFunctionsLibrary.test("import { QueueClient } from '@azure/storage-queue';"));
  });
});
