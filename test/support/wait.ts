// Polling for outcomes that happen asynchronously (queue work, a fake receiving a request). Fails with the
// caller's description and the last observed value, never silently after a fixed sleep.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 25 ms). */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns something other than `undefined`, `null` or `false`, and returns that value.
 * A probe that throws counts as "not yet"; on timeout the last error or value is in the message.
 *
 *   const chat = await waitFor('the chat for JSM-1', () => graph.chats.find((c) => c.topic.startsWith('JSM-1')));
 */
export async function waitFor<T>(
  description: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs = 10_000, intervalMs = 25 }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? `last error: ${last.message}` : `last value: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description} (${detail})`);
    }
    await sleep(intervalMs);
  }
}
