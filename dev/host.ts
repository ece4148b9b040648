// Local stand-in for the Azure Functions host (dev and tests only; never deployed, not app code).
//
// Azure Functions Core Tools cannot be installed here, so this drives `@azure/functions` v4 directly: it supplies
// `@azure/functions-core` (./core.ts), imports the compiled function files named by package.json `main`, serves
// HTTP triggers on http://localhost:PORT/<routePrefix>/<route>, runs queue triggers from Storage with the host's
// semantics (./queues.ts) and timer triggers on their NCRONTAB schedules (./ncrontab.ts).
//
//   node dist/dev/host.js [--port 7071] [--settings-defaults local.settings.sample.json]
// Environment: PORT; DEVHOST_FUNCTIONS (a `dir/*.js` glob replacing package.json `main`, for tests);
// DEVHOST_HOST_JSON (path of host.json); DEVHOST_NO_LOCAL_SETTINGS=1 (do not read local.settings.json);
// DEVHOST_SHUTDOWN_GRACE_MS (how long to let running invocations finish on SIGINT/SIGTERM, default 10000).

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { hostLog, installCoreApi, invoke, listFunctions, runAppHooks, type FunctionInfo } from './core.js';
import { compileRoute, findRoute, readBody, toRpcRequest, writeRpcResponse } from './http.js';
import { parseSchedule, resolveAppSettings, type Schedule } from './ncrontab.js';
import { queueSettings, startQueueListener, type QueueListener } from './queues.js';

export interface HostOptions {
  /** Directory holding package.json, host.json and local.settings.json. Default: process.cwd(). */
  root?: string;
  port?: number;
  /** `dir/*.js` glob (relative to root) replacing package.json `main`. */
  functionsGlob?: string;
  hostJsonPath?: string;
  loadLocalSettings?: boolean;
  /** Settings file (local.settings.json format) whose `Values` fill in settings that are still unset. */
  settingsDefaultsFile?: string;
  shutdownGraceMs?: number;
}

export interface RunningHost {
  url: string;
  functions: FunctionInfo[];
  stop(): Promise<void>;
}

/**
 * Like `func`: `Values` from local.settings.json go into the environment; variables already set win. With
 * `defaultsFile` (npm start passes local.settings.sample.json, which lists every setting with a safe local
 * default), settings still unset are taken from there. Returns the names taken from the defaults file.
 */
export function loadLocalSettings(root: string, defaultsFile?: string): string[] {
  const apply = (file: string): string[] => {
    if (!existsSync(file)) return [];
    const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> }).Values ?? {};
    const applied: string[] = [];
    for (const [key, value] of Object.entries(values)) {
      if (process.env[key] === undefined && value !== null && value !== undefined) {
        process.env[key] = String(value);
        applied.push(key);
      }
    }
    return applied;
  };
  apply(path.join(root, 'local.settings.json'));
  return defaultsFile ? apply(path.resolve(root, defaultsFile)) : [];
}

/** Expands package.json `main` style globs: a file, or `dir/*.js` (one `*` in the last segment). */
export function expandGlob(root: string, pattern: string): string[] {
  const abs = path.resolve(root, pattern);
  const dir = path.dirname(abs);
  const base = path.basename(abs);
  if (!base.includes('*')) return existsSync(abs) ? [abs] : [];
  if (dir.includes('*')) throw new Error(`Only "dir/*.js" globs are supported, not "${pattern}".`);
  const re = new RegExp('^' + base.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => re.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Supplies `@azure/functions-core`, imports the function files (package.json `main`, or `functionsGlob`) into this
 * process and returns what they registered. Registrations are process-wide: call it once per process.
 */
export async function loadFunctions(root: string = process.cwd(), functionsGlob?: string): Promise<FunctionInfo[]> {
  installCoreApi();
  const pattern =
    functionsGlob ?? (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main?: string }).main;
  if (!pattern) throw new Error('package.json has no "main" naming the function files.');
  const files = expandGlob(root, pattern);
  if (files.length === 0) throw new Error(`No function files match "${pattern}" (did the build run?).`);
  for (const file of files) await import(pathToFileURL(file).href);
  return listFunctions();
}

export async function startHost(options: HostOptions = {}): Promise<RunningHost> {
  const root = path.resolve(options.root ?? process.cwd());
  if (options.loadLocalSettings !== false) {
    const defaulted = loadLocalSettings(root, options.settingsDefaultsFile);
    if (defaulted.length > 0) {
      hostLog(`Using local defaults from ${options.settingsDefaultsFile} for: ${defaulted.join(', ')}`);
    }
  }
  // Embedded defaults so a fresh clone runs against Azurite without any local.settings.json.
  process.env.AzureWebJobsStorage ??= 'UseDevelopmentStorage=true';
  process.env.FUNCTIONS_WORKER_RUNTIME ??= 'node';

  const hostJson = JSON.parse(readFileSync(options.hostJsonPath ?? path.join(root, 'host.json'), 'utf8')) as {
    extensions?: { http?: { routePrefix?: string } };
  };
  const routePrefix = (hostJson.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');

  // `AzureWebJobs.<name>.Disabled=true` switches one function off, as on the real host (the benchmark uses it to
  // measure acknowledgements without the queue work running beside them).
  // https://learn.microsoft.com/azure/azure-functions/disable-function
  const loaded = await loadFunctions(root, options.functionsGlob);
  const disabled = (f: FunctionInfo) => /^(true|1)$/i.test(process.env[`AzureWebJobs.${f.name}.Disabled`] ?? '');
  const functions = loaded.filter((f) => !disabled(f));
  await runAppHooks('appStart');

  let inFlight = 0;
  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    try {
      return await work();
    } finally {
      inFlight--;
    }
  };

  // HTTP
  const routes = functions.filter((f) => /^httpTrigger$/i.test(f.triggerType)).map(compileRoute);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    if (url.pathname === '/_devhost/status' && req.method === 'GET') {
      const queues = [...new Set(listeners.map((l) => l.fn.queueName))];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ inFlight: inFlight + listeners.reduce((n, l) => n + l.listener.inFlight, 0), queues, functions }));
      return;
    }
    const prefix = routePrefix === '' ? '/' : `/${routePrefix}/`;
    const pathname = url.pathname.replace(/\/+$/, '');
    if (!(pathname + '/').startsWith(prefix)) return notFound();
    const match = findRoute(routes, (req.method ?? 'GET').toUpperCase(), pathname.slice(prefix.length).replace(/^\/+/, ''));
    if (!match) return notFound();
    void track(async () => {
      try {
        const body = await readBody(req);
        const response = await invoke(
          match.route.fn.name,
          toRpcRequest(req, url, match.params, body),
          undefined,
          `This function was programmatically called via the host APIs.`,
        );
        writeRpcResponse(res, response.returnValue);
      } catch {
        // The host answers an unhandled function error with an empty 500; the error is in the log above.
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      }
    });

    function notFound() {
      res.writeHead(404).end();
    }
  });

  // Queues
  const settings = queueSettings(hostJson);
  const listeners: { fn: FunctionInfo; listener: QueueListener }[] = [];
  for (const fn of functions.filter((f) => /^queueTrigger$/i.test(f.triggerType))) {
    listeners.push({ fn, listener: await startQueueListener(fn, settings) });
  }

  // Timers
  const timers: NodeJS.Timeout[] = [];
  let stopping = false;
  for (const fn of functions.filter((f) => /^timerTrigger$/i.test(f.triggerType))) {
    let schedule: Schedule;
    try {
      schedule = parseSchedule(resolveAppSettings(fn.schedule ?? ''));
    } catch (err) {
      // Like the real host: a function whose binding cannot be resolved is "in error"; the others still run.
      hostLog(`The '${fn.name}' function is in error and will not run: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    let last: Date | undefined;
    const fire = async (isPastDue: boolean, reason: string) => {
      const now = new Date();
      const next = schedule.next(now);
      // The host's TimerInfo, PascalCase; the library camel-cases it (`timer.scheduleStatus.next`).
      const timerInfo = {
        Schedule: { AdjustForDST: true },
        ScheduleStatus: { Last: (last ?? now).toISOString(), Next: next.toISOString(), LastUpdated: now.toISOString() },
        IsPastDue: isPastDue,
      };
      last = now;
      await track(() => invoke(fn.name, { json: JSON.stringify(timerInfo) }, undefined, reason)).catch(() => {
        // Logged by invoke(); a failing timer run waits for its next occurrence, like the host.
      });
    };
    const scheduleNext = () => {
      if (stopping) return;
      const due = schedule.next(new Date());
      const arm = () => {
        // setTimeout holds at most 2^31-1 ms (~24.8 days); a later occurrence is reached in steps.
        const wait = Math.min(due.getTime() - Date.now(), 2 ** 31 - 1);
        const t = setTimeout(() => {
          timers.splice(timers.indexOf(t), 1);
          if (Date.now() < due.getTime()) return arm();
          // The next occurrence is computed after this run completes, so runs of one timer never overlap.
          void fire(false, 'Timer fired at ' + due.toISOString()).then(scheduleNext);
        }, Math.max(wait, 0));
        timers.push(t);
      };
      arm();
    };
    if (fn.runOnStartup) void fire(false, 'Timer fired on startup (runOnStartup)').then(scheduleNext);
    else scheduleNext();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 7071, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://localhost:${port}`;
  printFunctions(functions, url, routePrefix);
  // Machine-readable, for dev/testing.ts; an IP literal because `localhost` may resolve to ::1 first.
  process.stdout.write(`DEVHOST_LISTENING http://127.0.0.1:${port}\n`);

  const graceMs = options.shutdownGraceMs ?? 10_000;
  return {
    url,
    functions,
    async stop() {
      stopping = true;
      timers.forEach(clearTimeout);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all(listeners.map((l) => l.listener.stop(graceMs)));
      const deadline = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      server.closeAllConnections();
      await closed;
      await runAppHooks('appTerminate');
    },
  };
}

function printFunctions(functions: FunctionInfo[], url: string, routePrefix: string): void {
  const lines = ['', 'Functions:', ''];
  for (const f of functions) {
    if (/^httpTrigger$/i.test(f.triggerType)) {
      const route = [routePrefix, f.route].filter(Boolean).join('/');
      lines.push(`        ${f.name}: [${(f.methods ?? []).join(',')}] ${url}/${route}`);
    } else {
      const detail = f.queueName ? ` (${f.queueName})` : f.schedule ? ` (${f.schedule})` : '';
      lines.push(`        ${f.name}: ${f.triggerType}${detail}`);
    }
    lines.push('');
  }
  process.stdout.write(lines.join('\n') + '\n');
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const portText = argValue('--port') ?? process.env.PORT;
  const host = await startHost({
    port: portText !== undefined ? Number(portText) : 7071,
    functionsGlob: process.env.DEVHOST_FUNCTIONS,
    hostJsonPath: process.env.DEVHOST_HOST_JSON,
    loadLocalSettings: process.env.DEVHOST_NO_LOCAL_SETTINGS !== '1',
    settingsDefaultsFile: argValue('--settings-defaults'),
    shutdownGraceMs: process.env.DEVHOST_SHUTDOWN_GRACE_MS ? Number(process.env.DEVHOST_SHUTDOWN_GRACE_MS) : undefined,
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    hostLog(`${signal}: stopping (finishing running invocations)`);
    host.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        hostLog(`Stop failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(`Dev host failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
