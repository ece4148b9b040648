// Test helper for the local stand-in Functions host: runs `node dist/dev/host.js` as a child process.
//
// A child process per app keeps tests isolated: the app reads its configuration at module load, and the
// `@azure/functions` registrations are process-global.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QueueServiceClient } from '@azure/storage-queue';
import type { FunctionInfo } from './core.js';
import { approximateCount } from './queues.js';

export type { FunctionInfo } from './core.js';
/**
 * In-process alternative for static checks (e.g. "every HTTP route has the intended authLevel"): imports the
 * compiled function files into the calling process (package.json `main` unless a glob is given) and returns their
 * registrations, without serving anything. The app's modules load for real, so set the env they need first.
 */
export { loadFunctions } from './host.js';

export interface StartAppOptions {
  /** Environment for the app, on top of the test process's environment and the defaults below. */
  env?: Record<string, string | undefined>;
  /** 0 (default) picks a free port. */
  port?: number;
  /** `dir/*.js` glob relative to the repo root replacing package.json `main` (e.g. a fixture app). */
  functionsGlob?: string;
  /** host.json to use instead of the repo's. */
  hostJsonPath?: string;
  /**
   * How long to wait for `DEVHOST_LISTENING`. Default 60 s: the host starts two Node processes (itself and the
   * worker that imports the app), and on a shared 2-core machine one start has been seen to take over 20 s.
   */
  startTimeoutMs?: number;
  /** The function key the host accepts. Default: a fresh random one per app. */
  functionKey?: string;
}

export interface RunningApp {
  /** e.g. `http://127.0.0.1:41234`; HTTP functions are under `${baseUrl}/api/...`. */
  baseUrl: string;
  /** The functions the host runs (those in error, and disabled ones, are left out). */
  functions: FunctionInfo[];
  /** Functions the host refused at start-up, with the host's message. */
  errors: { name: string; message: string }[];
  /**
   * The key `authLevel: 'function'` routes need: send it as `x-functions-key` (or `?code=`), as Azure requires;
   * without it such a route answers 401.
   */
  functionKey: string;
  /**
   * `fetch` of `${baseUrl}${path}` with the function key in `x-functions-key`, as a caller that holds the key
   * (an admin, a script) sends it. For anonymous routes a plain `fetch` is the faithful call.
   */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** stdout and stderr lines of the host so far (function logs include function name and invocation id). */
  logs: string[];
  /** Status of the host: running invocations, its queue-triggered queue names, registrations. */
  status(): Promise<HostStatus>;
  /**
   * Resolves once no invocation runs and every queue in `queueNames` (default: all queues the app's queue
   * triggers listen on, not their `-poison` twins) has an approximate message count of 0 (which counts invisible
   * messages too), seen twice in a row. Rejects after `timeoutMs` (default 15 s) naming what was still busy.
   */
  waitForIdle(queueNames?: readonly string[], timeoutMs?: number): Promise<void>;
  /** SIGTERM (the host finishes running invocations), then waits for exit (SIGKILL after 15 s); the exit code. */
  stop(): Promise<number | null>;
}

export interface HostStatus {
  inFlight: number;
  queues: string[];
  functions: FunctionInfo[];
  errors: { name: string; message: string }[];
}

/** Repository root (this file compiles to dist/dev/testing.js). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function startApp(options: StartAppOptions = {}): Promise<RunningApp> {
  const storage = options.env?.AzureWebJobsStorage ?? process.env.TEST_STORAGE_CONNECTION_STRING;
  if (!storage) throw new Error('startApp needs TEST_STORAGE_CONNECTION_STRING (or env.AzureWebJobsStorage).');
  const functionKey = options.functionKey ?? randomBytes(24).toString('base64url');
  const env: Record<string, string | undefined> = {
    ...process.env,
    DEVHOST_FUNCTION_KEY: functionKey,
    AzureWebJobsStorage: storage,
    FUNCTIONS_WORKER_RUNTIME: 'node',
    DEVHOST_NO_LOCAL_SETTINGS: '1',
    DEVHOST_SHUTDOWN_GRACE_MS: '2000',
    PORT: String(options.port ?? 0),
    ...(options.functionsGlob ? { DEVHOST_FUNCTIONS: options.functionsGlob } : {}),
    ...(options.hostJsonPath ? { DEVHOST_HOST_JSON: path.resolve(repoRoot, options.hostJsonPath) } : {}),
    ...options.env,
  };
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'dev', 'host.js')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Dev host did not start in time. Output:\n${logs.join('\n')}`)),
      options.startTimeoutMs ?? 60_000,
    );
    const onLine = (line: string) => {
      logs.push(line);
      const m = /^DEVHOST_LISTENING (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    collectLines(child, onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Dev host exited with code ${code} before listening. Output:\n${logs.join('\n')}`));
    });
  });

  const status = async () => {
    const res = await fetch(`${baseUrl}/_devhost/status`);
    return (await res.json()) as HostStatus;
  };
  const { functions, errors, queues: appQueues } = await status();
  const queueService = QueueServiceClient.fromConnectionString(storage);

  return {
    baseUrl,
    functions,
    errors,
    functionKey,
    logs,
    fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('x-functions-key', functionKey);
      return fetch(`${baseUrl}${path}`, { ...init, headers });
    },
    status,
    async waitForIdle(queueNames = appQueues, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      let quietRounds = 0;
      let busy = '';
      while (Date.now() < deadline) {
        const s = await status();
        const counts = await Promise.all(queueNames.map((q) => approximateCount(queueService.getQueueClient(q))));
        busy = [
          s.inFlight > 0 ? `${s.inFlight} invocation(s) running` : '',
          ...queueNames.map((q, i) => (counts[i] ? `${counts[i]} message(s) in '${q}'` : '')),
        ]
          .filter(Boolean)
          .join(', ');
        // Twice in a row: a message can be between "deleted from the queue" and "its follow-up enqueued".
        quietRounds = busy === '' ? quietRounds + 1 : 0;
        if (quietRounds >= 2) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`App not idle after ${timeoutMs} ms: ${busy}`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(kill);
      }
      return child.exitCode;
    },
  };
}

function collectLines(child: ChildProcess, onLine: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
  }
}
