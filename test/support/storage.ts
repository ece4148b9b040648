// Azurite helpers: unique names so tests never see each other's data, resets, and "wait until queue work is done".
// The runner's connection string has http endpoints, which @azure/data-tables refuses to send a shared key over
// unless `allowInsecureConnection` is set (HARNESS-NOTES: needed for explicit connection strings, unlike
// UseDevelopmentStorage=true). @azure/storage-queue has no such option and accepts http as is.
import { randomBytes } from 'node:crypto';
import { TableClient, TableServiceClient } from '@azure/data-tables';
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { testEnv } from './env.js';
import { waitFor, type WaitOptions } from './wait.js';

const insecure = { allowInsecureConnection: true } as const;

export function storageConnectionString(): string {
  return testEnv().storageConnectionString;
}

/**
 * A name valid for both a table (letters and digits, starts with a letter) and a queue (lowercase, digits,
 * hyphens), 3–63 characters: `prefix` lower-cased with non-alphanumerics dropped, plus 10 random hex characters.
 */
export function uniqueName(prefix = 't'): string {
  let base = prefix.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!/^[a-z]/.test(base)) base = `t${base}`;
  return `${base.slice(0, 40)}${randomBytes(5).toString('hex')}`;
}

export function tableServiceClient(): TableServiceClient {
  return TableServiceClient.fromConnectionString(storageConnectionString(), insecure);
}

export function tableClient(tableName: string): TableClient {
  return TableClient.fromConnectionString(storageConnectionString(), tableName, insecure);
}

export function queueServiceClient(): QueueServiceClient {
  return QueueServiceClient.fromConnectionString(storageConnectionString());
}

export function queueClient(queueName: string): QueueClient {
  return queueServiceClient().getQueueClient(queueName);
}

/** Creates the tables if needed and deletes every entity in them (faster and race-free compared with drop + create). */
export async function resetTables(tableNames: readonly string[]): Promise<void> {
  await Promise.all(
    tableNames.map(async (name) => {
      const client = tableClient(name);
      await client.createTable();
      const deletes: Array<Promise<unknown>> = [];
      for await (const entity of client.listEntities({ queryOptions: { select: ['PartitionKey', 'RowKey'] } })) {
        deletes.push(client.deleteEntity(entity.partitionKey as string, entity.rowKey as string));
      }
      await Promise.all(deletes);
    }),
  );
}

/** Creates the queues if needed and removes every message in them. */
export async function resetQueues(queueNames: readonly string[]): Promise<void> {
  await Promise.all(
    queueNames.map(async (name) => {
      const client = queueClient(name);
      await client.createIfNotExists();
      await client.clearMessages();
    }),
  );
}

/** Deletes every table and queue in the Azurite account (for suites that want a blank account). */
export async function resetStorageAccount(): Promise<void> {
  const tables = tableServiceClient();
  const tableNames: string[] = [];
  for await (const table of tables.listTables()) if (table.name) tableNames.push(table.name);
  const queues = queueServiceClient();
  const queueNames: string[] = [];
  for await (const queue of queues.listQueues()) queueNames.push(queue.name);
  await Promise.all([...tableNames.map((n) => tables.deleteTable(n)), ...queueNames.map((n) => queues.deleteQueue(n))]);
}

/** Messages in a queue, counting invisible ones (in flight or waiting to be retried). 0 if the queue is absent. */
export async function queueLength(queueName: string): Promise<number> {
  try {
    const properties = await queueClient(queueName).getProperties();
    return properties.approximateMessagesCount ?? 0;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return 0;
    throw error;
  }
}

/**
 * Waits until every named queue is empty — including messages that are in flight (a handler deletes its message
 * only after it succeeds) — so "queue work finished" holds when this resolves. Pass the poison queues too if a
 * test expects nothing to land there, or check them separately with `queueLength`.
 */
export async function waitForQueuesEmpty(queueNames: readonly string[], options?: WaitOptions): Promise<void> {
  await waitFor(
    `queues ${queueNames.join(', ')} to be empty`,
    async () => {
      const lengths = await Promise.all(queueNames.map(queueLength));
      return lengths.every((n) => n === 0) || false;
    },
    options,
  );
}

/** Reads (without removing) up to 32 messages, decoding the Functions host's default base64 encoding. */
export async function peekQueueMessages(queueName: string, { base64 = true } = {}): Promise<string[]> {
  const { peekedMessageItems } = await queueClient(queueName).peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((m) => (base64 ? Buffer.from(m.messageText, 'base64').toString('utf8') : m.messageText));
}
