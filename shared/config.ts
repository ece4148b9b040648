// The one place that reads process.env. Every setting is validated once, at start-up, and a missing or malformed
// one fails with its name, so a misconfigured Function App says what to fix instead of failing on first use.
import { z } from 'zod';

export interface StorageConfig {
  /** Connection string (local: Azurite). Mutually exclusive with `accountName`. */
  connectionString?: string;
  /** Identity-based connection in Azure (`AzureWebJobsStorage__accountName`), reached with managed identity. */
  accountName?: string;
  /** Explicit service URIs (`AzureWebJobsStorage__queueServiceUri` / `__tableServiceUri`), e.g. sovereign clouds. */
  queueServiceUri?: string;
  tableServiceUri?: string;
  /** Client id of the user-assigned managed identity used for storage (`AzureWebJobsStorage__clientId`). */
  managedIdentityClientId?: string;
}

export interface Config {
  storage: StorageConfig;
  /** Key Vault for secrets; when absent the local file secret store is used (local runs only). */
  keyVaultUri?: string;
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
  /** Refresh a service user's token when its last successful refresh is older than this. */
  tokenKeepAliveMaxAgeHours: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** Thrown at start-up; the message names the setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`configuration setting ${setting}: ${message}`);
  }
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
    .regex(/^[0-9a-f-]{36}$/i, 'must be the application (client) id, a GUID')
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
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
} as const;

export const settingNames = Object.keys(settings) as (keyof typeof settings)[];

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
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

  if (!v.AzureWebJobsStorage && !v.AzureWebJobsStorage__accountName && !v.AzureWebJobsStorage__queueServiceUri) {
    throw new ConfigError(
      'AzureWebJobsStorage',
      'is missing: set a connection string locally (UseDevelopmentStorage=true) or AzureWebJobsStorage__accountName in Azure',
    );
  }
  if (v.AzureWebJobsStorage__queueServiceUri && !v.AzureWebJobsStorage__tableServiceUri) {
    throw new ConfigError('AzureWebJobsStorage__tableServiceUri', 'is required when __queueServiceUri is set');
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
    storage: {
      // An identity-based connection wins: in Azure the connection string must not exist at all.
      connectionString:
        v.AzureWebJobsStorage__accountName || v.AzureWebJobsStorage__queueServiceUri ? undefined : v.AzureWebJobsStorage,
      accountName: v.AzureWebJobsStorage__accountName,
      queueServiceUri: v.AzureWebJobsStorage__queueServiceUri,
      tableServiceUri: v.AzureWebJobsStorage__tableServiceUri,
      managedIdentityClientId: v.AzureWebJobsStorage__clientId ?? v.AZURE_CLIENT_ID,
    },
    keyVaultUri: v.KEY_VAULT_URI,
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
    tokenKeepAliveMaxAgeHours: v.TOKEN_KEEPALIVE_MAX_AGE_HOURS,
    logLevel: v.LOG_LEVEL,
  });
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
