// GET /api/health: what an on-call responder or a monitor needs at a glance. Anonymous, so it carries no secret,
// no token, no user name: only reachability, which features are configured, token freshness and queue backlogs.
import { ConfigError } from '../config.js';
import type { Runtime } from '../runtime.js';
import { ensureError } from '../errors.js';
import { summariseIdentityHealth } from '../identity/tokens.js';
import { allQueueNames, poisonQueueName } from '../storage/queues.js';
import { readEntity, tableNames } from '../storage/tables.js';

type Check = { ok: boolean; detail?: string };

async function check(run: () => Promise<unknown>): Promise<Check> {
  try {
    await run();
    return { ok: true };
  } catch (e) {
    // Error names and codes only: an SDK message can quote a URL with a SAS or a connection detail.
    const error = ensureError(e) as Error & { code?: string; statusCode?: number };
    return { ok: false, detail: [error.name, error.code, error.statusCode].filter(Boolean).join(' ') };
  }
}

export async function healthReport(deps: Runtime) {
  const [tables, queues, secrets] = await Promise.all([
    check(async () => readEntity(await deps.tables.table(tableNames.sites), 'health', 'probe')),
    check(() => deps.queues.approximateCount(allQueueNames[0]!)),
    check(() => deps.secrets.get('health-probe')),
  ]);
  const poison: Record<string, number> = {};
  if (queues.ok) {
    await Promise.all(
      allQueueNames.map(async (q) => {
        const count = await deps.queues.approximateCount(poisonQueueName(q)).catch(() => -1);
        if (count !== 0) poison[poisonQueueName(q)] = count;
      }),
    );
  }
  const identity = tables.ok ? await summariseIdentityHealth(deps).catch((e: unknown) => ({ ok: false, error: ensureError(e).name, tenants: [] })) : undefined;
  const ok = tables.ok && queues.ok && secrets.ok && (identity?.ok ?? false);
  return {
    status: ok ? 'ok' : 'degraded',
    checkedAt: deps.clock.now().toISOString(),
    storage: { tables, queues },
    secretStore: { kind: deps.secrets.kind, ...secrets },
    configured: {
      entraApp: Boolean(deps.config.entra.clientId && (deps.config.entra.clientSecret || deps.config.entra.clientCertificateSecretName)),
      keyVault: Boolean(deps.config.keyVaultUri),
      graphBaseUrl: deps.config.graphBaseUrl,
      authorityHost: deps.config.authorityHost,
    },
    configuration: { ok: true, ignoredSettings: deps.config.storage.ignoredSettings },
    poisonMessages: poison,
    identity,
  };
}

/**
 * The health answer when the app refused its configuration at start-up (a ConfigError from loadConfig): no
 * dependency is checked, because none was built. It names the setting (and every unresolved Key Vault reference)
 * and says what is wrong, never a value: a ConfigError message carries names and rules only.
 */
export function configurationFailureReport(error: ConfigError, now: Date) {
  return {
    status: 'misconfigured' as const,
    checkedAt: now.toISOString(),
    configuration: {
      ok: false,
      setting: error.setting,
      message: error.message,
      unresolvedKeyVaultReferences: error.unresolvedKeyVaultReferences,
    },
  };
}

/** Builds the runtime (which validates the configuration) and reports on it, or on why it could not be built. */
export async function healthOrConfigurationReport(runtime: () => Runtime, now: () => Date = () => new Date()) {
  let deps: Runtime;
  try {
    deps = runtime();
  } catch (e) {
    if (e instanceof ConfigError) return configurationFailureReport(e, now());
    throw e;
  }
  return healthReport(deps);
}
