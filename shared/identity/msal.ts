// MSAL confidential-client applications for one customer tenant, the app's own client credential, and the cache
// plugin that keeps each service user's serialized MSAL token cache in the secret store.
//
// Why a cache plugin and not a stored refresh token: "MSAL Node does not return the refresh token to the user.
// Instead we manage the refresh token through the cache" (msal-node docs/faq.md), and the recommended pattern is
// an ICachePlugin whose afterCacheAccess saves the cache when `cacheHasChanged` (msal-node docs/caching.md). Every
// refresh rotates the refresh token and changes the cache, so the newest token is what ends up stored
// (../shared/graph-contract.md §11).
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import {
  AuthError,
  ConfidentialClientApplication,
  LogLevel,
  type Configuration,
  type ICachePlugin,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  type TokenCacheContext,
} from '@azure/msal-node';
import type { Config } from '../config.js';
import { PermanentError } from '../errors.js';
import type { Logger } from '../log.js';
import { secretName, type SecretStore } from '../secrets/secretStore.js';

/** The Graph resource a token is for. It stays the public-cloud id even when GRAPH_BASE_URL points elsewhere. */
export const graphResource = 'https://graph.microsoft.com';
/** Application permissions can only be requested statically (Entra v2-admin-consent: "you must use /.default"). */
export const graphDefaultScope = `${graphResource}/.default`;

/** Secret-store entry the admin API writes the app's client credential to (JSON, see `StoredClientCredential`). */
export const clientCredentialSecretName = 'entra-client-credential';

export type StoredClientCredential = { kind: 'secret'; clientSecret: string } | { kind: 'certificate'; pem: string };

type ClientCredential = Pick<Configuration['auth'], 'clientSecret' | 'clientCertificate'>;

interface MsalDeps {
  config: Config;
  secrets: SecretStore;
  log: Logger;
}

/** Name of the secret holding one service user's MSAL cache (per tenant and account, DESIGN §5). */
export function tokenCacheSecretName(tenantId: string, objectId: string): string {
  return secretName('msal-cache', tenantId, objectId);
}

/**
 * The app's client credential, in this order: the certificate named by ENTRA_CLIENT_CERTIFICATE_SECRET_NAME, the
 * credential an admin stored through the admin API, then ENTRA_CLIENT_SECRET. A certificate is PEM holding the
 * certificate and its private key (the format Key Vault exports for PEM certificates).
 */
export async function resolveClientCredential(deps: MsalDeps): Promise<ClientCredential> {
  const { entra } = deps.config;
  if (entra.clientCertificateSecretName) {
    const pem = await deps.secrets.get(entra.clientCertificateSecretName);
    if (!pem) {
      throw new PermanentError(
        `the secret ${entra.clientCertificateSecretName} named by ENTRA_CLIENT_CERTIFICATE_SECRET_NAME does not exist`,
        'client_credential_missing',
      );
    }
    return { clientCertificate: certificateFromPem(pem) };
  }
  const stored = await deps.secrets.get(clientCredentialSecretName);
  if (stored) {
    const parsed = JSON.parse(stored) as StoredClientCredential;
    if (parsed.kind === 'certificate') return { clientCertificate: certificateFromPem(parsed.pem) };
    return { clientSecret: parsed.clientSecret };
  }
  if (entra.clientSecret) return { clientSecret: entra.clientSecret };
  throw new PermanentError(
    'no Entra client credential: set ENTRA_CLIENT_SECRET, ENTRA_CLIENT_CERTIFICATE_SECRET_NAME, or store one with PUT /api/manage/tenants/app-credential',
    'client_credential_missing',
  );
}

/** MSAL's certificate credential: SHA-256 thumbprint (hex) and the PEM private key, plus x5c for SN+I. */
export function certificateFromPem(pem: string): NonNullable<ClientCredential['clientCertificate']> {
  const certMatch = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  const keyMatch = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem);
  if (!certMatch || !keyMatch) {
    throw new PermanentError('the client certificate must be PEM with a CERTIFICATE and a PRIVATE KEY block', 'client_certificate_invalid');
  }
  const cert = new X509Certificate(certMatch[0]);
  // Entra client assertions are RS256/PS256: MSAL signs with an RSA key only.
  if (createPrivateKey(keyMatch[0]).asymmetricKeyType !== 'rsa') {
    throw new PermanentError('the client certificate must have an RSA private key (Entra app certificates are RSA)', 'client_certificate_invalid');
  }
  if (!cert.checkPrivateKey(createPrivateKey(keyMatch[0]))) {
    throw new PermanentError('the private key does not belong to the certificate', 'client_certificate_invalid');
  }
  return {
    thumbprintSha256: createHash('sha256').update(cert.raw).digest('hex').toUpperCase(),
    privateKey: keyMatch[0],
    x5c: certMatch[0],
  };
}

/** Checks a credential an admin wants to store, so a typo fails at the admin API and not in a job. */
export function validateStoredCredential(value: StoredClientCredential): void {
  if (value.kind === 'certificate') certificateFromPem(value.pem);
  else if (!value.clientSecret || value.clientSecret.length < 8) throw new PermanentError('clientSecret is too short', 'client_secret_invalid');
}

export function authorityFor(config: Config, tenant: string): string {
  return `${config.authorityHost}/${encodeURIComponent(tenant)}`;
}

/**
 * A confidential client whose authority is one customer tenant. For a host MSAL does not know (a national cloud
 * it has no metadata for, or the test authority), `knownAuthorities` makes it trust the host and read the tenant's
 * `/v2.0/.well-known/openid-configuration` instead of asking the public cloud's instance discovery.
 */
export async function createMsalApp(
  deps: MsalDeps,
  tenant: string,
  cachePlugin?: ICachePlugin,
  /** Wraps MSAL's HTTP client (the self-link sign-in keeps `offline_access` out of its requests); the deadline stays. */
  wrapNetwork?: (base: INetworkModule) => INetworkModule,
): Promise<ConfidentialClientApplication> {
  const clientId = deps.config.entra.clientId;
  if (!clientId) throw new PermanentError('ENTRA_CLIENT_ID is not set: the Microsoft 365 connection needs an Entra app registration', 'client_id_missing');
  const host = new URL(deps.config.authorityHost).host;
  const publicHosts = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn']);
  const log = deps.log;
  return new ConfidentialClientApplication({
    auth: {
      clientId,
      authority: authorityFor(deps.config, tenant),
      ...(await resolveClientCredential(deps)),
      ...(publicHosts.has(host) ? {} : { knownAuthorities: [host] }),
    },
    cache: cachePlugin ? { cachePlugin } : undefined,
    system: {
      networkClient: (wrapNetwork ?? ((base: INetworkModule) => base))(deadlineNetworkClient(deps.config.timeouts.entraMs)),
      loggerOptions: {
        piiLoggingEnabled: false,
        logLevel: LogLevel.Warning,
        loggerCallback: (level, message, containsPii) => {
          if (containsPii) return;
          if (level === LogLevel.Error) log.warn('msal.error', { message });
          else log.debug('msal.log', { message });
        },
      },
    },
  });
}

/**
 * MSAL's network module with a deadline on every request. msal-node's own HttpClient (7.2.1,
 * dist/network/HttpClient.mjs) sets a timeout only when a caller passes one to a GET, and "timeout functionality is
 * not exposed for POST requests": a token request to a stalled Entra endpoint would wait until functionTimeout.
 * A timeout surfaces as an AuthError `network_error`, which token refresh already treats as transient (never as
 * needs-reauth). Answers are read the way HttpClient reads them (JSON body, plain header map).
 */
export function deadlineNetworkClient(timeoutMs: number): INetworkModule {
  async function send<T>(method: 'GET' | 'POST', url: string, options: NetworkRequestOptions | undefined, timeout?: number): Promise<NetworkResponse<T>> {
    const ms = Math.min(timeout && timeout > 0 ? timeout : timeoutMs, timeoutMs);
    const signal = AbortSignal.timeout(ms);
    try {
      const response = await fetch(url, {
        method,
        headers: options?.headers,
        ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
        signal,
      });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => (headers[name] = value));
      return { headers, body: (await response.json()) as T, status: response.status };
    } catch (e) {
      if (signal.aborted) {
        throw new AuthError('network_error', '', `Entra ${method} ${new URL(url).pathname} gave no answer within ${ms / 1000} s (ENTRA_TIMEOUT_SECONDS)`);
      }
      if (e instanceof SyntaxError) throw new AuthError('token_parsing_error', '', `Entra answered ${method} ${new URL(url).pathname} with a body that is not JSON`);
      throw new AuthError('network_error', '', `Entra ${method} ${new URL(url).pathname} failed: ${(e as Error).message}`);
    }
  }
  return {
    sendGetRequestAsync: (url, options, timeout) => send('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => send('POST', url, options),
  };
}

/**
 * ICachePlugin over the secret store for one (tenant, service user). MSAL calls beforeCacheAccess before reading
 * or writing its cache and afterCacheAccess after; we load the blob before and save it only when MSAL says it
 * changed (a new access token or a rotated refresh token). Key Vault encrypts secrets at rest, which covers MSAL's
 * advice to encrypt a confidential client's cache (msal-node docs/caching.md).
 *
 * The blob is also kept in this process for `memoSeconds`, so a job asking for several tokens reads Key Vault
 * once. A blob another instance rotated meanwhile is harmless: Entra does not revoke a refresh token when it
 * issues the next one (graph-contract §11 "Refresh"), so an older cached one still works and its rotation is
 * saved in turn.
 */
export class SecretStoreCachePlugin implements ICachePlugin {
  /** `secretName` is set after a sign-in redeems its code: the account (and so the name) is known only then. */
  constructor(
    private readonly secrets: SecretStore,
    public secretName?: string,
    private readonly memoSeconds = 0,
  ) {}

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!this.secretName) return;
    const memo = cacheMemo.get(this.secretName);
    const blob =
      memo && memo.store === this.secrets && Date.now() - memo.at < this.memoSeconds * 1000
        ? memo.blob
        : await this.secrets.get(this.secretName);
    if (blob) {
      context.tokenCache.deserialize(blob);
      if (this.memoSeconds > 0 && memo?.blob !== blob) cacheMemo.set(this.secretName, { blob, at: Date.now(), store: this.secrets });
    }
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!this.secretName || !context.cacheHasChanged) return;
    const blob = context.tokenCache.serialize();
    await this.secrets.set(this.secretName, blob, { contentType: 'application/json' });
    if (this.memoSeconds > 0) cacheMemo.set(this.secretName, { blob, at: Date.now(), store: this.secrets });
    else cacheMemo.delete(this.secretName);
  }
}

const cacheMemo = new Map<string, { blob: string; at: number; store: SecretStore }>();

/** Writes a token cache blob outside MSAL (after a sign-in) and drops any in-process copy of the old one. */
export async function storeTokenCache(secrets: SecretStore, name: string, blob: string): Promise<void> {
  await secrets.set(name, blob, { contentType: 'application/json' });
  cacheMemo.delete(name);
}

/** Deletes a token cache (disconnect, service user removed). */
export async function deleteTokenCache(secrets: SecretStore, name: string): Promise<void> {
  cacheMemo.delete(name);
  await secrets.delete(name);
}

/** AADSTS / OAuth error codes meaning the refresh token can no longer be used without the user (graph-contract §11). */
export function isReauthError(e: unknown): boolean {
  if (!e || typeof e !== 'object') return false;
  const { errorCode, subError, name } = e as { errorCode?: string; subError?: string; name?: string };
  if (name === 'InteractionRequiredAuthError') return true;
  return ['invalid_grant', 'interaction_required', 'consent_required', 'login_required', 'no_tokens_found', 'no_account_found'].includes(errorCode ?? '') ||
    ['consent_required', 'bad_token', 'token_expired', 'user_password_expired'].includes(subError ?? '');
}

/** A short, secret-free description of an MSAL error for statusReason / logs (AADSTS code, no token). */
export function describeAuthError(e: unknown): string {
  if (!e || typeof e !== 'object') return String(e);
  const { errorCode, errorMessage, message, errorNo } = e as { errorCode?: string; errorMessage?: string; message?: string; errorNo?: unknown };
  const aadsts = /AADSTS\d+/.exec(errorMessage ?? message ?? '')?.[0] ?? (typeof errorNo === 'string' && /^\d+$/.test(errorNo) ? `AADSTS${errorNo}` : undefined);
  return [errorCode, aadsts].filter(Boolean).join(' ') || (message ?? 'unknown error').slice(0, 200);
}
