// Local stand-in for the Azure Functions host: the host's side of the language worker (./worker.ts). Starts the
// worker, forwards invocations, enforces `functionTimeout` and restarts the worker when an invocation exceeds it
// or the worker dies, failing every invocation that was in flight on it, as the real host does:
// - Microsoft.Azure.WebJobs FunctionExecutor logs "Timeout value of {timeout} exceeded by function '{name}' (Id:
//   '{id}'). Initiating cancellation." and hands the FunctionTimeoutException to the host's exception handler;
// - Azure/azure-functions-host src/WebJobs.Script.WebHost/WebScriptHostExceptionHandler.cs `OnTimeoutExceptionAsync`
//   logs "A function timeout has occurred. Restarting worker process executing invocationId '{id}'.", restarts the
//   worker (`RestartWorkerWithInvocationIdAsync`), then "Attempt to restart language worker process(es) completed.".
// The invocations that die with the worker fail like any failed invocation: HTTP answers 500, a queue message is
// released and retried with a higher dequeue count (or poisoned at maxDequeueCount), a timer waits for its next
// occurrence.

import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostLog, type InvocationResponse, type RpcTypedData } from './core.js';
import type { FunctionRegistration } from './registration.js';
import type { HostToWorker, WorkerToHost } from './worker.js';

const workerFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');

interface Pending {
  resolve(response: InvocationResponse): void;
  reject(error: Error): void;
  timer?: NodeJS.Timeout;
  worker: ChildProcess;
}

export interface WorkerOptions {
  root: string;
  functionsGlob?: string;
  env: NodeJS.ProcessEnv;
  /** host.json `functionTimeout` in ms; undefined or <= 0: unlimited. */
  functionTimeoutMs?: number;
}

export interface Worker {
  /** What the app's files registered (from the first start). */
  readonly registrations: FunctionRegistration[];
  readonly inFlight: number;
  invoke(name: string, trigger: RpcTypedData, triggerMetadata: Record<string, RpcTypedData> | undefined, reason: string): Promise<InvocationResponse>;
  stop(graceMs: number): Promise<void>;
}

/** "00:00:01.5" style, as the host prints a TimeSpan. */
function formatTimeSpan(ms: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const s = Math.floor(ms / 1000);
  const frac = ms % 1000 ? `.${String(ms % 1000).padStart(3, '0')}` : '';
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}${frac}`;
}

export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const pending = new Map<string, Pending>();
  let stopping = false;
  let current: ChildProcess;
  let ready: Promise<FunctionRegistration[]>;

  const spawnWorker = (): Promise<FunctionRegistration[]> => {
    const child = fork(workerFile, [], {
      cwd: options.root,
      env: { ...options.env, DEVHOST_ROOT: options.root, DEVHOST_FUNCTIONS: options.functionsGlob ?? '' },
      // Logs go straight to the host's own stdout/stderr; `advanced` keeps Uint8Array bodies as bytes.
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    current = child;
    const registered = new Promise<FunctionRegistration[]>((resolve, reject) => {
      child.on('message', (message: WorkerToHost) => {
        if (message.type === 'registered') resolve(message.registrations as FunctionRegistration[]);
        else if (message.type === 'failed') reject(new Error(message.message));
        else settle(message);
      });
      child.once('exit', (code, signal) => {
        reject(new Error(`Worker process exited (code ${code}, signal ${signal}) before it registered the functions.`));
        failAll(child, new Error('The language worker process exited.'));
        if (!stopping && child === current && !restarting) {
          hostLog(`Language worker process exited unexpectedly (code ${code}, signal ${signal}); restarting it.`);
          void restart();
        }
      });
    });
    registered.catch(() => undefined);
    return registered;
  };

  const settle = (message: Extract<WorkerToHost, { type: 'result' | 'error' }>) => {
    const p = pending.get(message.id);
    if (!p) return; // Answered after its worker was declared dead: the caller already got the failure.
    pending.delete(message.id);
    clearTimeout(p.timer);
    if (message.type === 'result') p.resolve(message.response);
    else p.reject(new Error(message.message));
  };

  const failAll = (worker: ChildProcess, error: Error) => {
    for (const [id, p] of pending) {
      if (p.worker !== worker) continue;
      pending.delete(id);
      clearTimeout(p.timer);
      p.reject(error);
    }
  };

  let restarting: Promise<void> | undefined;
  const restart = (): Promise<void> => {
    restarting ??= (async () => {
      const old = current;
      old.removeAllListeners('exit');
      failAll(old, new Error('The language worker process was restarted.'));
      old.kill('SIGKILL');
      ready = spawnWorker();
      try {
        await ready;
      } catch (err) {
        hostLog(`Worker restart failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      restarting = undefined;
    })();
    return restarting;
  };

  ready = spawnWorker();
  const registrations = await ready;

  return {
    registrations,
    get inFlight() {
      return pending.size;
    },
    async invoke(name, trigger, triggerMetadata, reason) {
      await (restarting ?? Promise.resolve());
      await ready;
      const worker = current;
      const id = randomUUID();
      return new Promise<InvocationResponse>((resolve, reject) => {
        const p: Pending = { resolve, reject, worker };
        const timeoutMs = options.functionTimeoutMs;
        if (timeoutMs && timeoutMs > 0) {
          p.timer = setTimeout(() => {
            if (!pending.has(id)) return;
            hostLog(`Timeout value of ${formatTimeSpan(timeoutMs)} exceeded by function 'Functions.${name}' (Id: '${id}'). Initiating cancellation.`);
            hostLog(`A function timeout has occurred. Restarting worker process executing invocationId '${id}'.`);
            if (worker !== current) return;
            void restart().then(() => hostLog('Attempt to restart language worker process(es) completed.'));
          }, timeoutMs);
        }
        pending.set(id, p);
        const message: HostToWorker = { type: 'invoke', id, name, trigger, triggerMetadata, reason };
        worker.send(message, (err) => {
          if (err && pending.delete(id)) {
            clearTimeout(p.timer);
            reject(err);
          }
        });
      });
    },
    async stop(graceMs) {
      stopping = true;
      await (restarting ?? Promise.resolve());
      const worker = current;
      if (worker.exitCode !== null || worker.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const message: HostToWorker = { type: 'stop' };
      worker.send(message, () => undefined);
      const kill = setTimeout(() => worker.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(kill);
    },
  };
}
