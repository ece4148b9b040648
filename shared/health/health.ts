// Health, in two views of one collection:
// - `publicHealth` (GET /api/health, anonymous): ok/degraded and which part, nothing else. No account, tenant id,
//   site id, queue content or error text: anyone on the internet can call it.
// - `detailedHealth` (GET /api/manage/health, function key): per tenant and service user, queue backlog and age,
//   poison counts, the newest poison messages (what failed, for which issue) and the reachability details.
// The same queue and service-user state is logged every few minutes by the opsReport timer (shared/health/
// opsReport.ts), which is what the Azure alerts and the workbook read.
import { ConfigError } from '../config.js';
import type { Runtime } from '../runtime.js';
import { ensureError } from '../errors.js';
import { summariseIdentityHealth, type TenantHealth } from '../identity/tokens.js';
import { allQueueNames, poisonQueueName } from '../storage/queues.js';
import { readEntity, tableNames } from '../storage/tables.js';

type Check = { ok: boolean; detail?: string };

/** A visible message older than this means the queue's function is not keeping up (or not running). */
export const backlogDegradedAfterSeconds = 15 * 60;

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

export interface QueueState {
  queue: string;
  /** Approximate count, invisible (deferred, running) messages included. */
  messages: number;
  poisonMessages: number;
  /** Age of the oldest message a function could pick up now (peeked, so visible ones only); 0 when none. */
  oldestMessageAgeSeconds: number;
}

/** Counts and the oldest visible message of every job queue and its poison twin; -1 where a count failed. */
export async function collectQueueState(deps: Pick<Runtime, 'queues' | 'clock'>): Promise<QueueState[]> {
  const now = deps.clock.now().getTime();
  return Promise.all(
    allQueueNames.map(async (queue) => {
      const [messages, poisonMessages, peeked] = await Promise.all([
        deps.queues.approximateCount(queue).catch(() => -1),
        deps.queues.approximateCount(poisonQueueName(queue)).catch(() => -1),
        // Peek returns up to 32 visible messages, roughly oldest first (not guaranteed): take the oldest seen.
        deps.queues.peek(queue, 32).catch(() => []),
      ]);
      const oldest = Math.min(...peeked.map((m) => m.insertedOn?.getTime() ?? now), now);
      return { queue, messages, poisonMessages, oldestMessageAgeSeconds: Math.max(0, Math.round((now - oldest) / 1000)) };
    }),
  );
}

export type HealthPart = 'storage' | 'secretStore' | 'serviceUsers' | 'poisonQueues' | 'backlog';

export interface DetailedHealth {
  status: 'ok' | 'degraded';
  checkedAt: string;
  parts: Record<HealthPart, 'ok' | 'degraded'>;
  storage: { tables: Check; queues: Check };
  secretStore: { kind: string } & Check;
  configured: { entraApp: boolean; keyVault: boolean; graphBaseUrl: string; authorityHost: string };
  /** Settings the app read but ignored because the host's rule prefers another (names only). */
  configuration: { ok: true; ignoredSettings: readonly string[] };
  queues: QueueState[];
  identity?: { ok: boolean; error?: string; tenants: TenantHealth[] };
  /** The newest poison messages per queue: which job failed for which issue (no message content beyond that). */
  recentFailures: { queue: string; insertedOn?: string; dequeueCount: number; jobId?: string; action?: string; siteId?: string; issueKey?: string }[];
}

export async function detailedHealth(deps: Runtime): Promise<DetailedHealth> {
  const [tables, queuesCheck, secrets] = await Promise.all([
    check(async () => readEntity(await deps.tables.table(tableNames.sites), 'health', 'probe')),
    check(() => deps.queues.approximateCount(allQueueNames[0]!)),
    check(() => deps.secrets.get('health-probe')),
  ]);
  const queues = queuesCheck.ok ? await collectQueueState(deps) : [];
  const identity = tables.ok
    ? await summariseIdentityHealth(deps).catch((e: unknown) => ({ ok: false, error: ensureError(e).name, tenants: [] }))
    : undefined;
  const recentFailures: DetailedHealth['recentFailures'] = [];
  for (const q of queues.filter((s) => s.poisonMessages > 0)) {
    const peeked = await deps.queues.peek(poisonQueueName(q.queue), 5).catch(() => []);
    for (const m of peeked) {
      const body = (m.body ?? {}) as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : undefined);
      recentFailures.push({
        queue: poisonQueueName(q.queue),
        insertedOn: m.insertedOn?.toISOString(),
        dequeueCount: m.dequeueCount,
        jobId: str(body.jobId),
        action: str(body.action),
        siteId: str(body.siteId),
        issueKey: str(body.issueKey),
      });
    }
  }
  const parts: DetailedHealth['parts'] = {
    storage: tables.ok && queuesCheck.ok ? 'ok' : 'degraded',
    secretStore: secrets.ok ? 'ok' : 'degraded',
    serviceUsers: identity?.ok ? 'ok' : 'degraded',
    poisonQueues: queues.some((q) => q.poisonMessages !== 0) ? 'degraded' : 'ok',
    backlog: queues.some((q) => q.oldestMessageAgeSeconds > backlogDegradedAfterSeconds) ? 'degraded' : 'ok',
  };
  return {
    status: Object.values(parts).every((p) => p === 'ok') ? 'ok' : 'degraded',
    checkedAt: deps.clock.now().toISOString(),
    parts,
    storage: { tables, queues: queuesCheck },
    secretStore: { kind: deps.secrets.kind, ...secrets },
    configured: {
      entraApp: Boolean(deps.config.entra.clientId && (deps.config.entra.clientSecret || deps.config.entra.clientCertificateSecretName)),
      keyVault: Boolean(deps.config.keyVaultUri),
      graphBaseUrl: deps.config.graphBaseUrl,
      authorityHost: deps.config.authorityHost,
    },
    configuration: { ok: true, ignoredSettings: deps.config.storage.ignoredSettings },
    queues,
    identity,
    recentFailures,
  };
}

/** What the anonymous endpoint may say: the verdict and which part, nothing that names or counts anything. */
export function publicHealth(detail: DetailedHealth): Pick<DetailedHealth, 'status' | 'checkedAt' | 'parts'> {
  return { status: detail.status, checkedAt: detail.checkedAt, parts: { ...detail.parts } };
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
export async function healthOrConfigurationReport(
  runtime: () => Runtime,
  view: 'public' | 'detailed',
  now: () => Date = () => new Date(),
) {
  let deps: Runtime;
  try {
    deps = runtime();
  } catch (e) {
    if (e instanceof ConfigError) return configurationFailureReport(e, now());
    throw e;
  }
  return view === 'public' ? publicHealth(await detailedHealth(deps)) : detailedHealth(deps);
}
