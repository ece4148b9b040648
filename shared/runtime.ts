// Builds the real dependencies once per process, for the function modules. Workflows take these as `deps` and
// never build their own, so tests can hand them fakes.
import { AzureCliCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { loadConfig, type Config } from './config.js';
import { createLogger, invocationSink, type Logger } from './log.js';
import { createQueueAccess, type QueueAccess } from './storage/queueAccess.js';
import { createTableAccess, type TableAccess } from './storage/tables.js';
import { KeyVaultSecretStore } from './secrets/keyVaultSecretStore.js';
import { LocalFileSecretStore } from './secrets/localFileSecretStore.js';
import type { SecretStore } from './secrets/secretStore.js';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface Runtime {
  config: Config;
  log: Logger;
  tables: TableAccess;
  queues: QueueAccess;
  secrets: SecretStore;
  clock: Clock;
}

let runtime: Runtime | undefined;

/**
 * The process-wide runtime, built on first use from `process.env` (validated by loadConfig). A configuration
 * the app refuses (ConfigError) is not cached: every function that needs the runtime refuses to run with that
 * error, /api/health names the setting, and the app recovers once the setting is fixed (the platform restarts the
 * app when app settings change). Never call it at module scope: an import that throws would take every function
 * of the bundle down with it, /api/health included; use `lazily`.
 */
export function getRuntime(): Runtime {
  runtime ??= createRuntime(loadConfig());
  return runtime;
}

/** `make()` once, on first call; a failure is not remembered, so a later call tries again. */
export function lazily<T>(make: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: make() }).v;
}

export function createRuntime(config: Config, overrides: Partial<Runtime> & { credential?: TokenCredential } = {}): Runtime {
  // The credential is created only when something needs it: a local run with a connection string and the local
  // secret store never constructs one, so it never probes for a managed identity.
  let credential = overrides.credential;
  const azureCredential = (): TokenCredential =>
    (credential ??=
      config.azureCredential === 'azure-cli'
        ? new AzureCliCredential()
        : new ManagedIdentityCredential(config.managedIdentityClientId ? { clientId: config.managedIdentityClientId } : {}));
  const needsCredential = !config.storage.connectionString;

  return {
    config,
    log: overrides.log ?? createLogger(invocationSink, config.logLevel),
    tables: overrides.tables ?? createTableAccess(config.storage, needsCredential ? azureCredential() : undefined),
    queues: overrides.queues ?? createQueueAccess(config.storage, needsCredential ? azureCredential() : undefined),
    secrets:
      overrides.secrets ??
      (config.keyVaultUri
        ? new KeyVaultSecretStore(config.keyVaultUri, azureCredential(), { timeoutMs: config.timeouts.keyVaultMs })
        : new LocalFileSecretStore(config.localSecretsFile)),
    clock: overrides.clock ?? systemClock,
  };
}
