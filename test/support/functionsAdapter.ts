// Calling a functions/ handler the way the Functions host does, in the test process: the real `HttpRequest`,
// `InvocationContext` and `Timer` objects of @azure/functions (their constructors are public and meant for tests),
// and the invocation log scope the app's preInvocation hook (functions/lib/invocation.ts) puts around every handler.
// The app builds its runtime from process.env on first use (shared/runtime.ts getRuntime), so `useAppEnv` must run
// before the first handler call: Azurite's connection string (no Azure credential is ever constructed) and a
// throwaway local secrets file. The @azure/functions library is in "test mode" here: `app.http(...)` registers
// nothing, so importing a function file only defines its handler.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import functionsLibrary from '@azure/functions';
import type { InvocationContext as Context, InvocationContextInit, Timer } from '@azure/functions';
import { inInvocationScope } from '../../functions/lib/invocation.js';
import { storageConnectionString } from './storage.js';

// The library is CommonJS and Node's ESM loader cannot see its classes as named exports.
export const { HttpRequest, InvocationContext } = functionsLibrary;

/** Sets the environment the app reads on its first getRuntime(); returns the local secrets file's path. */
export function useAppEnv(extra: Record<string, string> = {}): { secretsFile: string } {
  const secretsFile = path.join(mkdtempSync(path.join(tmpdir(), 'fn-adapter-')), 'secrets.json');
  Object.assign(process.env, {
    AzureWebJobsStorage: storageConnectionString(),
    LOCAL_SECRETS_FILE: secretsFile,
    PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
    ...extra,
  });
  delete process.env.KEY_VAULT_URI;
  return { secretsFile };
}

export interface LoggedLine {
  level: string;
  text: string;
}

/** A real InvocationContext whose log calls (context.log/warn/error) are kept in `lines`. */
export function invocation(functionName: string, init: Omit<InvocationContextInit, 'functionName' | 'logHandler'> = {}): { context: Context; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const context = new InvocationContext({
    invocationId: `inv-${Math.random().toString(16).slice(2, 10)}`,
    ...init,
    functionName,
    logHandler: (level, ...args) => lines.push({ level, text: args.map(String).join(' ') }),
  });
  return { context, lines };
}

/** Runs `handler(trigger, context)` as the host would, inside the invocation's log scope. */
export function invoke<T, R>(handler: (trigger: T, context: Context) => Promise<R>, trigger: T, context: Context): Promise<R> {
  return inInvocationScope(context, () => handler(trigger, context));
}

/** A timer trigger's payload as the host sends it (`isPastDue`, and the schedule status). */
export function timerTrigger(isPastDue = false): Timer {
  const now = new Date();
  return { isPastDue, schedule: { adjustForDST: false }, scheduleStatus: { last: new Date(now.getTime() - 300_000).toISOString(), next: new Date(now.getTime() + 300_000).toISOString(), lastUpdated: now.toISOString() } };
}

/** The JSON lines an invocation logged (the app logs one JSON object per line, shared/log.ts). */
export function loggedEvents(lines: LoggedLine[]): Array<Record<string, unknown> & { level: string; event: string }> {
  return lines.flatMap((l) => {
    try {
      const parsed = JSON.parse(l.text) as Record<string, unknown>;
      return typeof parsed.event === 'string' ? [{ ...parsed, level: String(parsed.level), event: parsed.event }] : [];
    } catch {
      return [];
    }
  });
}
