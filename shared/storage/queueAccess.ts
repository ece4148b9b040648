// Sending to and inspecting Storage queues. Messages are JSON, base64-encoded, because the Functions host decodes
// queue messages as base64 by default (host.json `extensions.queues.messageEncoding`).
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import type { TokenCredential } from '@azure/identity';
import type { StorageConfig } from '../config.js';
import { poisonQueueName, type QueueName } from './queues.js';

export interface PeekedMessage {
  messageId: string;
  popReceipt: string;
  dequeueCount: number;
  insertedOn?: Date;
  body: unknown;
  /** The raw text when the body is not JSON (a message someone put there by hand). */
  rawText?: string;
}

export interface QueueAccess {
  /** Enqueue a JSON message; `delaySeconds` keeps it invisible that long (pacing, Retry-After). */
  send(queue: string, message: unknown, options?: { delaySeconds?: number }): Promise<{ messageId: string }>;
  /** Read up to `max` messages without removing them, hidden for `leaseSeconds` (admin listing and replay). */
  receive(queue: string, max: number, leaseSeconds: number): Promise<PeekedMessage[]>;
  peek(queue: string, max: number): Promise<PeekedMessage[]>;
  remove(queue: string, messageId: string, popReceipt: string): Promise<void>;
  approximateCount(queue: string): Promise<number>;
}

export function encodeMessage(message: unknown): string {
  return Buffer.from(JSON.stringify(message), 'utf8').toString('base64');
}

export function decodeMessage(text: string): { body: unknown; rawText?: string } {
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  try {
    return { body: JSON.parse(decoded) };
  } catch {
    return { body: undefined, rawText: decoded };
  }
}

export function createQueueAccess(storage: StorageConfig, credential?: TokenCredential): QueueAccess {
  const service = storage.connectionString
    ? QueueServiceClient.fromConnectionString(storage.connectionString)
    : new QueueServiceClient(requireEndpoint(storage.queueServiceUri), requireCredential(credential));
  const clients = new Map<string, Promise<QueueClient>>();

  function queue(name: string): Promise<QueueClient> {
    let p = clients.get(name);
    if (!p) {
      const client = service.getQueueClient(name);
      p = client.createIfNotExists().then(() => client);
      p.catch(() => clients.delete(name));
      clients.set(name, p);
    }
    return p;
  }

  const toPeeked = (m: { messageId: string; popReceipt?: string; dequeueCount: number; insertedOn?: Date; messageText: string }): PeekedMessage => ({
    messageId: m.messageId,
    popReceipt: m.popReceipt ?? '',
    dequeueCount: m.dequeueCount,
    insertedOn: m.insertedOn,
    ...decodeMessage(m.messageText),
  });

  return {
    async send(name, message, options) {
      const q = await queue(name);
      const r = await q.sendMessage(encodeMessage(message), {
        visibilityTimeout: options?.delaySeconds ? Math.min(Math.ceil(options.delaySeconds), 7 * 24 * 3600) : undefined,
      });
      return { messageId: r.messageId };
    },
    async receive(name, max, leaseSeconds) {
      const q = await queue(name);
      const r = await q.receiveMessages({ numberOfMessages: Math.min(max, 32), visibilityTimeout: leaseSeconds });
      return r.receivedMessageItems.map(toPeeked);
    },
    async peek(name, max) {
      const q = await queue(name);
      const r = await q.peekMessages({ numberOfMessages: Math.min(max, 32) });
      return r.peekedMessageItems.map((m) => toPeeked({ ...m, popReceipt: '' }));
    },
    async remove(name, messageId, popReceipt) {
      const q = await queue(name);
      await q.deleteMessage(messageId, popReceipt);
    },
    async approximateCount(name) {
      const q = await queue(name);
      const p = await q.getProperties();
      return p.approximateMessagesCount ?? 0;
    },
  };
}

/** loadConfig resolves the identity-based queue endpoint (given, or built from the account) the way the host does. */
function requireEndpoint(uri: string | undefined): string {
  if (!uri) throw new Error('queue storage needs a connection string or AzureWebJobsStorage__queueServiceUri');
  return uri;
}

function requireCredential(credential?: TokenCredential): TokenCredential {
  if (!credential) throw new Error('queue storage needs a credential for an identity-based connection');
  return credential;
}

export { poisonQueueName, type QueueName };
