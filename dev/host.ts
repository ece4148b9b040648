// Local stand-in for the Azure Functions host (dev and tests only; never deployed, not app code).
//
// Azure Functions Core Tools cannot be installed here, so this drives `@azure/functions` v4 directly. Like the real
// host, it runs the app in a separate worker process (./worker.ts, which supplies `@azure/functions-core` and
// imports the compiled function files named by package.json `main`) and keeps the HTTP server, queue listeners and
// timers itself: it applies the host's registration rules (./registration.ts), serves HTTP triggers on
// http://localhost:PORT/<routePrefix>/<route> with function keys, runs queue triggers from Storage with the host's
// semantics (./queues.ts), timer triggers on their NCRONTAB schedules (./ncrontab.ts), and restarts the worker
// when an invocation exceeds host.json `functionTimeout` (./workerProcess.ts).
//
//   node dist/dev/host.js [--port 7071] [--settings-defaults local.settings.sample.json]
// Environment: PORT; DEVHOST_FUNCTIONS (a `dir/*.js` glob replacing package.json `main`, for tests);
// DEVHOST_HOST_JSON (path of host.json); DEVHOST_NO_LOCAL_SETTINGS=1 (do not read local.settings.json);
// DEVHOST_FUNCTION_KEY (the key `authLevel: 'function'` routes accept; without it a random one is made and printed);
// DEVHOST_SHUTDOWN_GRACE_MS (how long to let running invocations finish on SIGINT/SIGTERM, default 10000).

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, hostLog, type FunctionInfo } from './core.js';
import { authorized, compileRoute, findRoute, readBody, requestPath, toRpcRequest, writeRpcResponse } from './http.js';
import { parseSchedule, resolveAppSettings, type Schedule } from './ncrontab.js';
import type { QueueListener } from './queues.js';
import { parseTimeSpan } from './timespan.js';
import { inErrorLine, unresolved, validateRegistrations, type RegistrationError } from './registration.js';
import { startWorker } from './workerProcess.js';

export { expandGlob, loadFunctions } from './load.js';

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
  /** The key `authLevel: 'function'` routes accept (header `x-functions-key` or `?code=`). Default: random. */
  functionKey?: string;
}

export interface RunningHost {
  url: string;
  /** The functions that run (in-error and disabled ones left out). */
  functions: FunctionInfo[];
  /** Functions the host refused, with the host's message. */
  errors: RegistrationError[];
  functionKey: string;
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

/** host.json `functionTimeout`; Flex Consumption's default is 30 minutes (Microsoft Learn, "host.json reference",
 * functionTimeout; "Flex Consumption plan hosting", "Function app timeout duration"). "-1" means unbounded. */
export function functionTimeoutMs(hostJson: { functionTimeout?: unknown }): number | undefined {
  const value = hostJson.functionTimeout;
  if (value === undefined || value === null) return 30 * 60_000;
  if (value === '-1' || value === -1) return undefined;
  return parseTimeSpan(value, 30 * 60_000);
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
    functionTimeout?: unknown;
  };
  const routePrefix = (hostJson.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
  const functionKey = options.functionKey || randomBytes(24).toString('base64url');

  const starting = startWorker({
    root,
    functionsGlob: options.functionsGlob,
    env: process.env,
    functionTimeoutMs: functionTimeoutMs(hostJson),
  });
  starting.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  // The Storage SDK loads here while the worker process imports the app (start-up time: the two run in parallel).
  const { queueSettings, startQueueListener } = await import('./queues.js');
  const worker = await starting;

  // The host's registration rules; %SETTING% in a queue name or schedule is resolved from the app settings
  // (Microsoft Learn, "Azure Functions binding expression patterns", "Binding expressions - app settings").
  const { valid, errors } = validateRegistrations(worker.registrations, { setting: (name) => process.env[name] });
  const infos: FunctionInfo[] = [];
  for (const registration of valid) {
    const trigger = Object.values(registration.bindings).find((b) => /trigger$/i.test(b.type))!;
    const info = describe(registration.name, trigger as Parameters<typeof describe>[1]);
    if (info.queueName !== undefined) {
      const missing = /%([^%]+)%/.exec(info.queueName.replace(/%([^%]+)%/g, (m, name: string) => process.env[name] ?? m))?.[1];
      if (missing) {
        errors.push({ name: info.name, message: unresolved(info.name, missing) });
        continue;
      }
      info.queueName = resolveAppSettings(info.queueName);
    }
    infos.push(info);
  }
  for (const error of errors) hostLog(inErrorLine(error));

  // `AzureWebJobs.<name>.Disabled=true` switches one function off, as on the real host (the benchmark uses it to
  // measure acknowledgements without the queue work running beside them).
  // https://learn.microsoft.com/azure/azure-functions/disable-function
  const disabled = (f: FunctionInfo) => /^(true|1)$/i.test(process.env[`AzureWebJobs.${f.name}.Disabled`] ?? '');
  const functions = infos.filter((f) => !disabled(f));
  const invoke = worker.invoke.bind(worker);

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
    const target = req.url ?? '/';
    if (target === '/_devhost/status' && req.method === 'GET') {
      const queues = [...new Set(listeners.map((l) => l.fn.queueName))];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ inFlight: inFlight + listeners.reduce((n, l) => n + l.listener.inFlight, 0), queues, functions, errors }));
      return;
    }
    const resolved = requestPath(target);
    let url: URL;
    try {
      if ('error' in resolved) throw new Error(resolved.error);
      // The URL the function sees; WHATWG parsing resolves dot segments the same way. Built from a string that
      // starts with the scheme, so a target like `//other/x` stays a path.
      url = new URL(`http://${req.headers.host ?? 'localhost'}${target.startsWith('/') ? target : resolved.path}`);
    } catch {
      // Kestrel refuses such a request (for example `%00` in the path, or a bad Host) with 400 before routing.
      return refuse(400);
    }
    const prefix = routePrefix === '' ? '/' : `/${routePrefix}/`;
    const pathname = resolved.path.replace(/\/+$/, '');
    if (!(pathname + '/').startsWith(prefix)) return refuse(404);
    const match = findRoute(routes, (req.method ?? 'GET').toUpperCase(), pathname.slice(prefix.length).replace(/^\/+/, ''));
    if (!match) return refuse(404);
    if (!authorized(match.route.fn.authLevel, req, url, functionKey)) return refuse(401);
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
        // The host answers a failed invocation (the function threw, or its worker was restarted) with an empty
        // 500; the error is in the log.
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      }
    });

    function refuse(status: number) {
      req.resume();
      res.writeHead(status).end();
    }
  });

  // Queues
  const settings = queueSettings(hostJson);
  const listeners: { fn: FunctionInfo; listener: QueueListener }[] = [];
  for (const fn of functions.filter((f) => /^queueTrigger$/i.test(f.triggerType))) {
    listeners.push({ fn, listener: await startQueueListener(fn, settings, invoke) });
  }

  // Timers
  const timers: NodeJS.Timeout[] = [];
  let stopping = false;
  for (const fn of functions.filter((f) => /^timerTrigger$/i.test(f.triggerType))) {
    let schedule: Schedule;
    try {
      schedule = parseSchedule(resolveAppSettings(fn.schedule ?? ''));
    } catch (err) {
      // Like the real host: a function whose binding cannot be used is "in error"; the others still run.
      const error = { name: fn.name, message: err instanceof Error ? err.message : String(err) };
      errors.push(error);
      hostLog(inErrorLine(error));
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
  printFunctions(functions.filter((f) => !errors.some((e) => e.name === f.name)), url, routePrefix);
  process.stdout.write(`Function key (header x-functions-key or ?code=): ${functionKey}\n`);
  // Machine-readable, for dev/testing.ts; an IP literal because `localhost` may resolve to ::1 first.
  process.stdout.write(`DEVHOST_LISTENING http://127.0.0.1:${port}\n`);

  const graceMs = options.shutdownGraceMs ?? 10_000;
  return {
    url,
    functions,
    errors,
    functionKey,
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
      await worker.stop(graceMs);
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
    functionKey: process.env.DEVHOST_FUNCTION_KEY,
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
