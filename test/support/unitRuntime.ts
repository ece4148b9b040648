// A Runtime for unit tests of shared/ modules that keep state in tables: real Azurite tables (the runner starts one),
// but tables of this runtime's own (the app's table names with a unique suffix), so code that lists a whole table
// (the keep-alive lists every service user) sees only this test's rows; a memory secret store, a test clock, a
// memory logger and recorded queue sends. ENTRA_* are set (MSAL builds its client from them) with the authority on
// 127.0.0.1, so nothing can leave the machine.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../shared/config.js';
import { memoryLogger } from '../../shared/log.js';
import { createRuntime, type Runtime } from '../../shared/runtime.js';
import { MemorySecretStore } from '../../shared/secrets/secretStore.js';
import { createTableAccess, type TableAccess } from '../../shared/storage/tables.js';
import { RecordingQueues } from './memoryWorkflow.js';
import { storageConnectionString } from './storage.js';
import { TestClock } from './workflowHarness.js';

export interface UnitRuntime extends Runtime {
  clock: TestClock;
  log: ReturnType<typeof memoryLogger>;
  queues: RecordingQueues;
  secrets: MemorySecretStore;
}

export function unitRuntime(env: Record<string, string> = {}): UnitRuntime {
  const config = loadConfig({
    AzureWebJobsStorage: storageConnectionString(),
    PUBLIC_BASE_URL: 'https://bridge.example.test',
    ENTRA_CLIENT_ID: '5f0e7c1a-1b2c-4d3e-8f40-1a2b3c4d5e6f',
    ENTRA_CLIENT_SECRET: 'unit-test-client-secret',
    AUTHORITY_HOST: 'https://127.0.0.1:9',
    ...env,
  });
  // Table names: 3-63 alphanumeric characters, starting with a letter (Azure Storage naming rules).
  const suffix = `u${randomBytes(4).toString('hex')}`;
  const shared = createTableAccess(config.storage);
  const tables: TableAccess = { table: (name) => shared.table(`${name}${suffix}` as typeof name) };
  const clock = new TestClock();
  const log = memoryLogger();
  const queues = new RecordingQueues();
  const secrets = new MemorySecretStore();
  return createRuntime(config, { tables, clock, log, queues, secrets }) as UnitRuntime;
}
