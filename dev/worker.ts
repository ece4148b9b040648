// Local stand-in for the Azure Functions host: the language worker. The host (./host.ts) runs this file as a child
// process, as the real host runs the Node worker beside itself: the worker imports the app's function files and
// runs invocations the host forwards over IPC; the host keeps the HTTP server, queue listeners and timers. When an
// invocation exceeds `functionTimeout`, the host kills this process and starts a new one, so every invocation in
// flight here fails, as in Azure (Azure/azure-functions-host src/WebJobs.Script.WebHost/
// WebScriptHostExceptionHandler.cs `OnTimeoutExceptionAsync`: "Restarting worker process executing invocationId").
//
// Messages (structured clone, so request bodies stay bytes):
//   worker → host  { type: 'registered', registrations } once the files are imported and appStart hooks ran;
//                  { type: 'failed', message } if that threw; { type: 'result', id, response } / { type: 'error', id, message }
//   host → worker  { type: 'invoke', id, name, trigger, triggerMetadata, reason }; { type: 'stop' } (appTerminate, exit)

import { invoke, listRegistrations, runAppHooks, type InvocationResponse, type RpcTypedData } from './core.js';
import { loadFunctions } from './load.js';

export type HostToWorker =
  | {
      type: 'invoke';
      id: string;
      name: string;
      trigger: RpcTypedData;
      triggerMetadata?: Record<string, RpcTypedData>;
      reason: string;
    }
  | { type: 'stop' };

export type WorkerToHost =
  | { type: 'registered'; registrations: ReturnType<typeof listRegistrations> }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: string; response: InvocationResponse }
  | { type: 'error'; id: string; message: string };

function send(message: WorkerToHost): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  process.on('message', (message: HostToWorker) => {
    if (message.type === 'invoke') {
      invoke(message.name, message.trigger, message.triggerMetadata, message.reason, message.id).then(
        (response) => send({ type: 'result', id: message.id, response }),
        (err: unknown) => send({ type: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) }),
      );
    } else if (message.type === 'stop') {
      runAppHooks('appTerminate')
        .catch(() => undefined)
        .finally(() => process.exit(0));
    }
  });
  // The worker ends only when the host says so, kills it, or goes away: Ctrl+C in a terminal reaches the whole
  // process group, and the host must still finish (or fail) what runs here in order.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => undefined);
  process.on('disconnect', () => process.exit(0));
  try {
    await loadFunctions(process.env.DEVHOST_ROOT ?? process.cwd(), process.env.DEVHOST_FUNCTIONS || undefined);
    await runAppHooks('appStart');
    send({ type: 'registered', registrations: listRegistrations() });
  } catch (err) {
    send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exitCode = 1;
  }
}

void main();
