// The one place that reads process.env. Every setting is validated once, at start-up, and a missing or malformed
// one fails with its name, so a misconfigured Function App says what to fix instead of failing on first use.
import { z } from 'zod';
import { guidPattern } from './ids.js';

/**
 * The storage the Functions host uses for its triggers, resolved the way the host resolves `AzureWebJobsStorage`,
 * so the app's own table and queue clients always talk to the same account as the host:
 * - a non-empty `AzureWebJobsStorage` value (the exact-match setting) is a connection string and wins; any
 *   `AzureWebJobsStorage__…` settings beside it are ignored (reported in `ignoredSettings`);
 * - otherwise the connection is identity-based: `__queueServiceUri` / `__tableServiceUri` where given, else built
 *   from `__accountName` (public cloud only, as in the host).
 * Source: Microsoft Learn, "Azure Functions reference", "Connecting to host storage with an identity" and "Common
 * properties for identity-based connections" (../shared/contracts/functions-host.md, Flex Consumption table).
 */
export interface StorageConfig {
  /** Connection string (local: Azurite). When set, the identity-based fields below are unset. */
  connectionString?: string;
  /** Identity-based connection in Azure (`AzureWebJobsStorage__accountName`), reached with managed identity. */
  accountName?: string;
  /** Service URIs of the identity-based connection, always set in that mode (given, or built from the account). */
  queueServiceUri?: string;
  tableServiceUri?: string;
  /** `AzureWebJobsStorage__…` settings present but ignored because the connection string wins (names only). */
  ignoredSettings: string[];
  /** Client id of the user-assigned managed identity used for storage (`AzureWebJobsStorage__clientId`). */
  managedIdentityClientId?: string;
}

export interface Config {
  storage: StorageConfig;
  /** Key Vault for secrets; when absent the local file secret store is used (local runs only: refused in Azure). */
  keyVaultUri?: string;
  /** One of `azureHostMarkers` is set: this process runs on a Function App instance, not on a developer machine. */
  runningInAzure: boolean;
  localSecretsFile: string;
  /** Client id of the app's user-assigned managed identity (Key Vault, storage). */
  managedIdentityClientId?: string;
  /** How the app reaches Azure resources: its managed identity in Azure, the Azure CLI login for local runs. */
  azureCredential: 'managed-identity' | 'azure-cli';
  /** Public origin of this app, e.g. https://func-abc.azurewebsites.net: redirect URIs, links, notification URL. */
  publicBaseUrl: string;
  graphBaseUrl: string;
  authorityHost: string;
  entra: {
    clientId?: string;
    clientSecret?: string;
    /** Name of a secret-store entry holding a PEM certificate + private key, used instead of the client secret. */
    clientCertificateSecretName?: string;
    /** The deploying organisation's (home) tenant: admins sign in to the console there (ENTRA_TENANT_ID). */
    homeTenantId?: string;
  };
  console: {
    /** `npm start` only: a one-time sign-in link printed at start, usable from this machine (loopback) only. */
    localSignIn: boolean;
    /** Lifetime of a console session cookie. */
    sessionMinutes: number;
  };
  jira: {
    /** Largest webhook / Automation body accepted (bytes); larger bodies get 413 before parsing. */
    maxBodyBytes: number;
  };
  /** How long site and project settings (and their secrets) may be served from memory on the webhook path. */
  settingsCacheSeconds: number;
  oauthStateTtlSeconds: number;
  /** NCRONTAB (six fields) for the service-user token keep-alive timer. */
  tokenKeepAliveSchedule: string;
  opsReportSchedule: string;
  /** Refresh a service user's token when its last successful refresh is older than this. */
  tokenKeepAliveMaxAgeHours: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Deadline (ms) of one outbound request per service. Each is well under the chat-link reservation lease
   * (createChat.ts `reservationLeaseSeconds`, 120 s) and far under host.json `functionTimeout` (10 min): when an
   * invocation passes functionTimeout the host restarts the whole worker and every invocation on it dies
   * (../shared/contracts/functions-host.md "Timeouts and workers"), so a hung call must fail on its own first.
   */
  timeouts: { graphMs: number; jiraMs: number; keyVaultMs: number; entraMs: number };
}

/** Thrown at start-up; the message names the setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly setting: string,
    message: string,
    /** Names (never values) of settings still holding an unresolved `@Microsoft.KeyVault(...)` reference. */
    readonly unresolvedKeyVaultReferences: string[] = [],
  ) {
    super(`configuration setting ${setting}: ${message}`);
  }
}

/**
 * Environment variables the platform sets on a Function App instance and a developer machine does not:
 * WEBSITE_INSTANCE_ID (App Service; the host's `IsAppService`), WEBSITE_SITE_NAME (every App Service site),
 * WEBSITE_POD_NAME, and CONTAINER_NAME together with LEGION_SERVICE_HOST (Linux and Flex Consumption "on Legion").
 * CONTAINER_NAME alone is not enough: container runtimes set it too (the host also requires LEGION_SERVICE_HOST).
 * Sources: Azure/azure-functions-host src/WebJobs.Script/Environment/EnvironmentExtensions.cs (`IsAppService`,
 * `IsLinuxConsumptionOnLegion`, `IsFlexConsumptionSku`); projectkudu/kudu wiki "Azure runtime environment".
 */
export const azureHostMarkers = ['WEBSITE_INSTANCE_ID', 'WEBSITE_SITE_NAME', 'WEBSITE_POD_NAME', 'CONTAINER_NAME+LEGION_SERVICE_HOST'] as const;

export function isAzureHost(env: Record<string, string | undefined>): boolean {
  const set = (name: string) => Boolean(env[name]?.trim());
  return azureHostMarkers.some((marker) => marker.split('+').every(set));
}

/**
 * A setting the platform could not resolve keeps the literal `@Microsoft.KeyVault(...)` text as its value
 * (Microsoft Learn, "Use Key Vault references as app settings"); the app would otherwise use that text as a
 * secret or URL. Returns the names only: the reference itself names the vault and secret.
 */
export function unresolvedKeyVaultReferences(env: Record<string, string | undefined>): string[] {
  return Object.keys(env)
    .filter((name) => /^\s*@Microsoft\.KeyVault\(/i.test(env[name] ?? ''))
    .sort();
}

const httpUrl = (allowHttp: boolean) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'https:' || (allowHttp && u.protocol === 'http:');
      } catch {
        return false;
      }
    }, allowHttp ? 'must be an http(s) URL' : 'must be an https URL')
    .transform((v) => v.replace(/\/+$/, ''));

const positiveInt = z.coerce.number().int().positive();
/**
 * Seconds (fractions allowed, so tests can keep deadlines short). At most 60: two deadlines must fit inside the
 * 120 s chat-link lease (a worker reads the people, then POSTs /chats, while holding the reservation).
 */
const deadlineSeconds = (fallback: number) =>
  z.coerce.number().positive('must be a positive number of seconds').max(60, 'must be at most 60 seconds (the chat-link lease is 120 s)').default(fallback);
const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

/** Every app setting, its default, and its validation. `local.settings.sample.json` lists the same names. */
const settings = {
  AzureWebJobsStorage: optionalString,
  AzureWebJobsStorage__accountName: optionalString,
  AzureWebJobsStorage__queueServiceUri: httpUrl(true).optional(),
  AzureWebJobsStorage__tableServiceUri: httpUrl(true).optional(),
  AzureWebJobsStorage__clientId: optionalString,
  AZURE_CLIENT_ID: optionalString,
  KEY_VAULT_URI: httpUrl(false).optional(),
  AZURE_CREDENTIAL: z.enum(['managed-identity', 'azure-cli']).default('managed-identity'),
  LOCAL_SECRETS_FILE: z.string().trim().min(1).default('.local/secrets.json'),
  PUBLIC_BASE_URL: httpUrl(true).default('http://localhost:7071'),
  GRAPH_BASE_URL: httpUrl(false).default('https://graph.microsoft.com/v1.0'),
  AUTHORITY_HOST: httpUrl(false).default('https://login.microsoftonline.com'),
  ENTRA_CLIENT_ID: z
    .string()
    .trim()
    .regex(guidPattern, 'must be the application (client) id, a GUID')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  ENTRA_CLIENT_SECRET: optionalString,
  ENTRA_CLIENT_CERTIFICATE_SECRET_NAME: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,127}$/, 'must be a Key Vault secret name (letters, digits, -)')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  ENTRA_TENANT_ID: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be the home tenant id, a GUID')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  CONSOLE_LOCAL_SIGN_IN: z.enum(['true', 'false']).default('false'),
  CONSOLE_SESSION_MINUTES: positiveInt.max(720).default(30),
  JIRA_MAX_BODY_BYTES: positiveInt.default(1_048_576),
  SETTINGS_CACHE_SECONDS: z.coerce.number().int().min(0).default(30),
  OAUTH_STATE_TTL_SECONDS: positiveInt.default(600),
  TOKEN_KEEPALIVE_SCHEDULE: z
    .string()
    .trim()
    .refine((v) => v.split(/\s+/).length === 6, 'must be an NCRONTAB expression with six fields')
    .default('0 17 */6 * * *'),
  TOKEN_KEEPALIVE_MAX_AGE_HOURS: positiveInt.default(24),
  // The opsReport timer reads it as %OPS_REPORT_SCHEDULE%; the alerts' 15-minute windows assume about 5 minutes.
  OPS_REPORT_SCHEDULE: z
    .string()
    .trim()
    .refine((v) => v.split(/\s+/).length === 6, 'must be an NCRONTAB expression with six fields')
    .default('0 */5 * * * *'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  GRAPH_TIMEOUT_SECONDS: deadlineSeconds(30),
  JIRA_TIMEOUT_SECONDS: deadlineSeconds(30),
  KEY_VAULT_TIMEOUT_SECONDS: deadlineSeconds(10),
  ENTRA_TIMEOUT_SECONDS: deadlineSeconds(15),
} as const;

export const settingNames = Object.keys(settings) as (keyof typeof settings)[];

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const unresolved = unresolvedKeyVaultReferences(env);
  if (unresolved.length) {
    throw new ConfigError(
      unresolved[0]!,
      `is an unresolved Key Vault reference (the platform could not read the secret; check that the secret exists, the app's keyVaultReferenceIdentity has the Key Vault Secrets User role, and the vault's network rules). Unresolved: ${unresolved.join(', ')}`,
      unresolved,
    );
  }
  const values: Record<string, unknown> = {};
  for (const name of settingNames) {
    const raw = env[name];
    const parsed = settings[name].safeParse(raw === '' && name !== 'AzureWebJobsStorage' ? undefined : raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(name, issue?.message ?? 'is malformed');
    }
    values[name] = parsed.data;
  }
  const v = values as { [K in keyof typeof settings]: z.output<(typeof settings)[K]> };

  const storage = resolveStorage(env, v);
  const runningInAzure = isAzureHost(env);
  if (runningInAzure && !v.KEY_VAULT_URI) {
    // The local file store would write tokens and secrets under the package mount, which is read-only on Flex
    // Consumption (only the temp folder is writable, and it is per instance): every instance would lose them.
    throw new ConfigError('KEY_VAULT_URI', 'is required when running in Azure (the local secret file is for local runs only; the package mount is read-only)');
  }
  if (v.ENTRA_CLIENT_SECRET && !v.ENTRA_CLIENT_ID) {
    throw new ConfigError('ENTRA_CLIENT_ID', 'is required when ENTRA_CLIENT_SECRET is set');
  }

  // The local sign-in link bypasses Entra; it exists for a laptop only. An app whose public origin is not this
  // machine must never offer it, whatever its settings say.
  if (v.CONSOLE_LOCAL_SIGN_IN === 'true' && !isLoopbackOrigin(v.PUBLIC_BASE_URL)) {
    throw new ConfigError('CONSOLE_LOCAL_SIGN_IN', 'may be true only when PUBLIC_BASE_URL is http://localhost or http://127.0.0.1 (a local run)');
  }

  return deepFreeze({
    storage: { ...storage, managedIdentityClientId: storage.connectionString ? undefined : (v.AzureWebJobsStorage__clientId ?? v.AZURE_CLIENT_ID) },
    keyVaultUri: v.KEY_VAULT_URI,
    runningInAzure,
    localSecretsFile: v.LOCAL_SECRETS_FILE,
    managedIdentityClientId: v.AZURE_CLIENT_ID ?? v.AzureWebJobsStorage__clientId,
    azureCredential: v.AZURE_CREDENTIAL,
    publicBaseUrl: v.PUBLIC_BASE_URL,
    graphBaseUrl: v.GRAPH_BASE_URL,
    authorityHost: v.AUTHORITY_HOST,
    entra: {
      clientId: v.ENTRA_CLIENT_ID,
      clientSecret: v.ENTRA_CLIENT_SECRET,
      clientCertificateSecretName: v.ENTRA_CLIENT_CERTIFICATE_SECRET_NAME,
      homeTenantId: v.ENTRA_TENANT_ID?.toLowerCase(),
    },
    console: { localSignIn: v.CONSOLE_LOCAL_SIGN_IN === 'true', sessionMinutes: v.CONSOLE_SESSION_MINUTES },
    jira: { maxBodyBytes: v.JIRA_MAX_BODY_BYTES },
    settingsCacheSeconds: v.SETTINGS_CACHE_SECONDS,
    oauthStateTtlSeconds: v.OAUTH_STATE_TTL_SECONDS,
    tokenKeepAliveSchedule: v.TOKEN_KEEPALIVE_SCHEDULE,
    opsReportSchedule: v.OPS_REPORT_SCHEDULE,
    tokenKeepAliveMaxAgeHours: v.TOKEN_KEEPALIVE_MAX_AGE_HOURS,
    logLevel: v.LOG_LEVEL,
    timeouts: {
      graphMs: Math.round(v.GRAPH_TIMEOUT_SECONDS * 1000),
      jiraMs: Math.round(v.JIRA_TIMEOUT_SECONDS * 1000),
      keyVaultMs: Math.round(v.KEY_VAULT_TIMEOUT_SECONDS * 1000),
      entraMs: Math.round(v.ENTRA_TIMEOUT_SECONDS * 1000),
    },
  });
}

function resolveStorage(
  env: Record<string, string | undefined>,
  v: { AzureWebJobsStorage?: string; AzureWebJobsStorage__accountName?: string; AzureWebJobsStorage__queueServiceUri?: string; AzureWebJobsStorage__tableServiceUri?: string },
): Omit<StorageConfig, 'managedIdentityClientId'> {
  const identitySettings = Object.keys(env).filter((name) => /^AzureWebJobsStorage__/i.test(name) && env[name]?.trim());
  // The host's rule: when both exist, the exact-match setting wins (Microsoft Learn, functions-reference, host
  // storage connections; ../shared/contracts/functions-host.md). Microsoft.Extensions.Azure's ClientFactory uses a
  // non-blank section Value as the connection string before it looks at the section's `__` keys.
  if (v.AzureWebJobsStorage?.trim()) {
    return { connectionString: v.AzureWebJobsStorage, ignoredSettings: identitySettings.sort() };
  }
  const account = v.AzureWebJobsStorage__accountName;
  const queueServiceUri = v.AzureWebJobsStorage__queueServiceUri ?? (account && `https://${account}.queue.core.windows.net`);
  const tableServiceUri = v.AzureWebJobsStorage__tableServiceUri ?? (account && `https://${account}.table.core.windows.net`);
  if (!queueServiceUri && !tableServiceUri) {
    throw new ConfigError(
      'AzureWebJobsStorage',
      'is missing: set a connection string locally (UseDevelopmentStorage=true), or in Azure the identity-based AzureWebJobsStorage__queueServiceUri and __tableServiceUri (or __accountName in the public cloud)',
    );
  }
  // The app reads tables and queues; the host needs queues (and blobs). Both must be reachable the same way.
  if (!queueServiceUri) throw new ConfigError('AzureWebJobsStorage__queueServiceUri', 'is required for the identity-based connection (or set __accountName)');
  if (!tableServiceUri) throw new ConfigError('AzureWebJobsStorage__tableServiceUri', 'is required for the identity-based connection (or set __accountName)');
  return { accountName: account, queueServiceUri, tableServiceUri, ignoredSettings: [] };
}

/** True for an http(s) origin on this machine's loopback interface. */
export function isLoopbackOrigin(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
  } catch {
    return false;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
