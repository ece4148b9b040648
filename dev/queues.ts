// Local stand-in for the Azure Functions host: the Storage queue trigger.
//
// Mirrors the WebJobs storage extension's listener (host.json `extensions.queues`, documented at
// https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#host-json and
// https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger#poison-messages):
// poll with backoff up to `maxPollingInterval`; take `batchSize` messages and fetch again once the running count
// drops to `newBatchThreshold`; lease each running message for 10 minutes and renew it; on failure make it visible
// after `visibilityTimeout`; after the `maxDequeueCount`th failure copy it to `<queue>-poison` and delete it.

import { QueueServiceClient, type QueueClient, type DequeuedMessageItem } from '@azure/storage-queue';
import { parseTimeSpan } from './timespan.js';
import { hostLog, type FunctionInfo, type InvocationResponse, type RpcTypedData } from './core.js';

/** Runs one invocation on the worker (./workerProcess.ts). */
export type Invoker = (
  name: string,
  trigger: RpcTypedData,
  triggerMetadata: Record<string, RpcTypedData> | undefined,
  reason: string,
) => Promise<InvocationResponse>;

export interface QueueSettings {
  maxPollingIntervalMs: number;
  visibilityTimeoutMs: number;
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  messageEncoding: 'base64' | 'none';
}

const LEASE_SECONDS = 10 * 60;
const MIN_POLL_MS = 100;

/** Parses the `extensions.queues` object of host.json, with the extension's defaults. */
export function queueSettings(hostJson: unknown): QueueSettings {
  const q = ((hostJson as { extensions?: { queues?: Record<string, unknown> } })?.extensions?.queues ?? {}) as Record<
    string,
    unknown
  >;
  const batchSize = typeof q.batchSize === 'number' ? q.batchSize : 16;
  return {
    maxPollingIntervalMs: parseTimeSpan(q.maxPollingInterval, 60_000),
    visibilityTimeoutMs: parseTimeSpan(q.visibilityTimeout, 0),
    batchSize,
    newBatchThreshold: typeof q.newBatchThreshold === 'number' ? q.newBatchThreshold : Math.floor(batchSize / 2),
    maxDequeueCount: typeof q.maxDequeueCount === 'number' ? q.maxDequeueCount : 5,
    messageEncoding: q.messageEncoding === 'none' ? 'none' : 'base64',
  };
}

export { parseTimeSpan };

const clients = new Map<string, QueueServiceClient>();

/** The queue service for a binding's `connection` setting name, read from the environment like the host does. */
export function queueServiceFor(connection: string, env: NodeJS.ProcessEnv = process.env): QueueServiceClient {
  const existing = clients.get(connection);
  if (existing) return existing;
  const value = env[connection];
  if (!value) {
    if (env[`${connection}__queueServiceUri`] || env[`${connection}__accountName`]) {
      throw new Error(`Connection "${connection}" is identity-based; the dev host needs a connection string.`);
    }
    throw new Error(`Connection setting "${connection}" is not set (queue trigger connection string).`);
  }
  const client = QueueServiceClient.fromConnectionString(value);
  clients.set(connection, client);
  return client;
}

export interface QueueListener {
  readonly inFlight: number;
  /** Stops fetching; waits up to `graceMs` for running messages, then releases the leases of the rest. */
  stop(graceMs: number): Promise<void>;
}

interface Running {
  message: DequeuedMessageItem;
  popReceipt: string;
}

export async function startQueueListener(fn: FunctionInfo, settings: QueueSettings, invoke: Invoker): Promise<QueueListener> {
  const queueName = fn.queueName;
  if (!queueName) throw new Error(`Queue function "${fn.name}" has no queueName.`);
  const service = queueServiceFor(fn.connection ?? 'AzureWebJobsStorage');
  const queue = service.getQueueClient(queueName);
  await queue.createIfNotExists();
  const poison = service.getQueueClient(`${queueName}-poison`);

  const running = new Set<Running>();
  let stopped = false;
  let wake: (() => void) | undefined;
  let delay = MIN_POLL_MS;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  // The extension's QueueProcessor `CopyMessageToPoisonQueueAsync` logs this warning for both ways a message gets
  // there (Azure/azure-sdk-for-net sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/QueueProcessor.cs).
  async function toPoison(message: DequeuedMessageItem, popReceipt: string): Promise<void> {
    hostLog(`Message has reached MaxDequeueCount of ${settings.maxDequeueCount}. Moving message to queue '${queueName}-poison'.`);
    await poison.createIfNotExists();
    // The message text is copied as stored (still base64), so the poison message decodes like the original.
    await poison.sendMessage(message.messageText);
    await queue.deleteMessage(message.messageId, popReceipt);
  }

  async function handle(entry: Running): Promise<void> {
    const { message } = entry;
    // Fetched once more than allowed (its last attempt died with its worker or host before settling): the host
    // moves it without invoking the function (QueueProcessor `BeginProcessingMessageAsync`).
    if (message.dequeueCount > settings.maxDequeueCount) {
      await toPoison(message, entry.popReceipt);
      return;
    }
    // Each update returns a new pop receipt; settling must wait for a renewal in progress and use its receipt.
    let renewal: Promise<void> = Promise.resolve();
    const renew = setInterval(() => {
      renewal = queue
        .updateMessage(message.messageId, entry.popReceipt, message.messageText, LEASE_SECONDS)
        .then((r) => {
          if (r.popReceipt) entry.popReceipt = r.popReceipt;
        })
        .catch((err: unknown) => hostLog(`Lease renewal of message ${message.messageId} failed: ${String(err)}`));
    }, (LEASE_SECONDS / 2) * 1000);
    let failure: unknown;
    try {
      const text =
        settings.messageEncoding === 'base64' ? decodeBase64(message.messageText) : message.messageText;
      await invoke(fn.name, { string: text }, triggerMetadata(message, entry.popReceipt, text), `New queue message detected on '${queueName}'.`);
    } catch (err) {
      failure = err;
    } finally {
      clearInterval(renew);
      await renewal;
    }
    if (failure === undefined) {
      await queue.deleteMessage(message.messageId, entry.popReceipt);
    } else if (message.dequeueCount >= settings.maxDequeueCount) {
      await toPoison(message, entry.popReceipt);
    } else {
      await queue.updateMessage(
        message.messageId,
        entry.popReceipt,
        message.messageText,
        Math.round(settings.visibilityTimeoutMs / 1000),
      );
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      if (running.size > settings.newBatchThreshold) {
        await sleep(settings.maxPollingIntervalMs);
        continue;
      }
      let received: DequeuedMessageItem[] = [];
      try {
        const r = await queue.receiveMessages({ numberOfMessages: settings.batchSize, visibilityTimeout: LEASE_SECONDS });
        received = r.receivedMessageItems;
      } catch (err) {
        hostLog(`Polling '${queueName}' failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (stopped) {
        // Fetched during shutdown: give them straight back.
        await Promise.allSettled(received.map((m) => queue.updateMessage(m.messageId, m.popReceipt, m.messageText, 0)));
        break;
      }
      for (const message of received) {
        const entry: Running = { message, popReceipt: message.popReceipt };
        running.add(entry);
        handle(entry)
          .catch((err: unknown) => hostLog(`Settling message ${message.messageId} on '${queueName}' failed: ${String(err)}`))
          .finally(() => {
            running.delete(entry);
            delay = MIN_POLL_MS;
            wake?.();
          });
      }
      delay = received.length > 0 ? MIN_POLL_MS : Math.min(delay * 2, settings.maxPollingIntervalMs);
      if (received.length === 0) await sleep(delay);
    }
  }

  const loopDone = loop();

  return {
    get inFlight() {
      return running.size;
    },
    async stop(graceMs: number) {
      stopped = true;
      wake?.();
      await loopDone;
      const deadline = Date.now() + graceMs;
      while (running.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // Still running: release the lease so another host instance (or the next start) takes the message.
      await Promise.allSettled(
        [...running].map((e) => queue.updateMessage(e.message.messageId, e.popReceipt, e.message.messageText, 0)),
      );
    },
  };
}

function decodeBase64(text: string): string {
  // The extension rejects text that is not valid base64 instead of guessing (the failure counts as a dequeue).
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error('Message is not valid base64; set extensions.queues.messageEncoding to "none" for plain text.');
  }
  return Buffer.from(text, 'base64').toString('utf8');
}

/** Trigger metadata with the host's PascalCase names; the library camel-cases them for `context.triggerMetadata`. */
function triggerMetadata(m: DequeuedMessageItem, popReceipt: string, text: string): Record<string, { string?: string; int?: number }> {
  return {
    QueueTrigger: { string: text },
    Id: { string: m.messageId },
    DequeueCount: { int: m.dequeueCount },
    InsertionTime: { string: m.insertedOn.toISOString() },
    ExpirationTime: { string: m.expiresOn.toISOString() },
    NextVisibleTime: { string: m.nextVisibleOn.toISOString() },
    PopReceipt: { string: popReceipt },
  };
}

/** Approximate message count (visible and invisible) of a queue; 0 when it does not exist. */
export async function approximateCount(queue: QueueClient): Promise<number> {
  try {
    return (await queue.getProperties()).approximateMessagesCount ?? 0;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return 0;
    throw err;
  }
}
