// A fake Azure Key Vault (secrets only) over HTTPS, speaking the REST surface `@azure/keyvault-secrets` calls —
// node_modules/@azure/keyvault-secrets/dist/esm/api/operations.js: PUT/GET/PATCH /secrets/{name}[/{version}],
// GET /secrets and /secrets/{name}/versions (paged with nextLink), DELETE /secrets/{name} (soft delete),
// GET/DELETE /deletedsecrets/{name}, GET /deletedsecrets, POST /deletedsecrets/{name}/recover — including the
// authentication challenge: Key Vault clients first send no token, get 401 with a `WWW-Authenticate` naming the
// tenant's authority and the resource, and retry with a token for `https://vault.azure.net/.default`
// (HARNESS-NOTES; @azure/keyvault-common challenge policy).
//
//   const vault = new FakeKeyVault();
//   const { vaultUrl, close } = await vault.start();
//   const client = new SecretClient(vaultUrl, fakeCredential, { disableChallengeResourceVerification: true });
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, startServer, type StartedServer } from '../support/http.js';

export interface FakeKeyVaultOptions {
  /** Tenant named in the challenge (default a fixed test tenant). */
  tenantId?: string;
  /** Authority host named in the challenge (default https://login.microsoftonline.com). */
  authorityHost?: string;
  /** Decides whether a bearer token is accepted (default: any non-empty token). */
  acceptToken?: (token: string) => boolean;
  /** Items per list page before a nextLink (Key Vault's default and maximum maxresults is 25). */
  pageSize?: number;
  /** Days a deleted secret stays recoverable (Key Vault default 90). */
  recoverableDays?: number;
  /** Purge protection on (as the project's Bicep deploys): purging a deleted secret is refused with 403. */
  purgeProtection?: boolean;
}

export interface FakeSecretVersion {
  version: string;
  value: string;
  contentType: string | null;
  tags: Record<string, string>;
  enabled: boolean;
  notBefore: number | null;
  expires: number | null;
  created: number;
  updated: number;
}

export interface FakeSecret {
  name: string;
  /** Oldest first; the last one is the current version. */
  versions: FakeSecretVersion[];
  /** Set while soft-deleted. */
  deleted?: { deletedDate: number; scheduledPurgeDate: number };
}

export interface RecordedKeyVaultRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Whether a bearer token was sent (the challenge's first request has none). */
  hadToken: boolean;
  status: number;
  /** JSON body with any secret `value` replaced by `[redacted]`. */
  body: unknown;
}

interface Failure {
  method?: string;
  pathPattern?: RegExp;
  status: number;
  retryAfterSeconds?: number;
  remaining: number;
}

class VaultError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly innerCode?: string,
  ) {
    super(message);
  }
}

export const DEFAULT_VAULT_TENANT_ID = 'a1b2c3d4-0000-4000-8000-00000000aaaa';

/** Secret names: 1–127 alphanumerics and dashes (Key Vault naming rules). */
const NAME = /^[0-9a-zA-Z-]{1,127}$/;

export class FakeKeyVault {
  readonly secrets = new Map<string, FakeSecret>();
  readonly requests: RecordedKeyVaultRequest[] = [];
  private server: StartedServer | undefined;
  private readonly failures: Failure[] = [];
  private readonly hangs: Array<{ method?: string; pathPattern?: RegExp; remaining: number }> = [];
  private readonly options: Required<FakeKeyVaultOptions>;

  constructor(options: FakeKeyVaultOptions = {}) {
    this.options = {
      purgeProtection: options.purgeProtection ?? false,
      tenantId: options.tenantId ?? DEFAULT_VAULT_TENANT_ID,
      authorityHost: options.authorityHost ?? 'https://login.microsoftonline.com',
      acceptToken: options.acceptToken ?? ((token) => token.length > 0),
      pageSize: options.pageSize ?? 25,
      recoverableDays: options.recoverableDays ?? 90,
    };
  }

  async start(): Promise<{ vaultUrl: string; close: () => Promise<void> }> {
    this.server = await startServer((req, res) => this.handle(req, res), { https: true });
    return { vaultUrl: this.vaultUrl, close: () => this.close() };
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  /** `https://127.0.0.1:PORT` (no trailing slash), the vault URI to configure. */
  get vaultUrl(): string {
    if (!this.server) throw new Error('FakeKeyVault is not started: call start() first');
    return this.server.origin;
  }

  /** Seeds a secret (a new version if it exists). */
  setSecret(name: string, value: string, options: { contentType?: string; tags?: Record<string, string> } = {}): FakeSecretVersion {
    return this.putVersion(name, value, options.contentType ?? null, options.tags ?? {}, {});
  }

  /** The current value of a live (not deleted) secret, for assertions. */
  secretValue(name: string): string | undefined {
    const secret = this.secrets.get(name.toLowerCase());
    return secret && !secret.deleted ? secret.versions.at(-1)?.value : undefined;
  }

  /** The next matching request(s) fail with `status` (Key Vault error shape; `Retry-After` if given). */
  failNext(rule: { method?: string; pathPattern?: RegExp; status: number; retryAfterSeconds?: number; times?: number }): void {
    this.failures.push({ ...rule, remaining: rule.times ?? 1 });
  }

  /** The next matching authenticated request(s) are never answered (held open until the client gives up). */
  hangNext(rule: { method?: string; pathPattern?: RegExp; times?: number }): void {
    this.hangs.push({ ...rule, remaining: rule.times ?? 1 });
  }

  count(method: string, pathPattern?: RegExp): number {
    return this.requests.filter((r) => r.method === method && (!pathPattern || pathPattern.test(r.path))).length;
  }

  private putVersion(
    name: string,
    value: string,
    contentType: string | null,
    tags: Record<string, string>,
    attributes: { enabled?: boolean; nbf?: number; exp?: number },
  ): FakeSecretVersion {
    const key = name.toLowerCase();
    const now = Math.floor(Date.now() / 1000);
    const secret = this.secrets.get(key) ?? { name, versions: [] };
    const version: FakeSecretVersion = {
      version: randomBytes(16).toString('hex'),
      value,
      contentType,
      tags,
      enabled: attributes.enabled ?? true,
      notBefore: attributes.nbf ?? null,
      expires: attributes.exp ?? null,
      created: now,
      updated: now,
    };
    secret.versions.push(version);
    this.secrets.set(key, secret);
    return version;
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = raw.toString('utf8');
    }
    const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const record: RecordedKeyVaultRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      hadToken: Boolean(token),
      status: 0,
      body: redact(body),
    };
    this.requests.push(record);
    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const out: Record<string, string> = {
        'x-ms-request-id': randomBytes(16).toString('hex'),
        'x-ms-keyvault-service-version': '1.9.0.0',
        ...headers,
      };
      if (payload !== undefined) out['content-type'] = 'application/json; charset=utf-8';
      res.writeHead(status, out);
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };
    const sendError = (e: VaultError, headers: Record<string, string> = {}) =>
      send(e.status, { error: { code: e.code, message: e.message, ...(e.innerCode ? { innererror: { code: e.innerCode } } : {}) } }, headers);

    // The challenge (Key Vault answers it before looking at anything else).
    if (!token || !this.options.acceptToken(token)) {
      return sendError(new VaultError(401, 'Unauthorized', token ? 'AKV10032: Invalid issuer.' : 'AKV10000: Request is missing a Bearer or PoP token.'), {
        'www-authenticate': `Bearer authorization="${this.options.authorityHost}/${this.options.tenantId}", resource="https://vault.azure.net"`,
      });
    }
    if (!url.searchParams.get('api-version')) {
      return sendError(new VaultError(400, 'BadParameter', 'The request URI must contain an api-version query parameter.'));
    }
    const hangIndex = this.hangs.findIndex((f) => (!f.method || f.method === method) && (!f.pathPattern || f.pathPattern.test(url.pathname)));
    const hang = this.hangs[hangIndex];
    if (hang) {
      hang.remaining -= 1;
      if (hang.remaining <= 0) this.hangs.splice(hangIndex, 1);
      return;
    }
    const failureIndex = this.failures.findIndex((f) => (!f.method || f.method === method) && (!f.pathPattern || f.pathPattern.test(url.pathname)));
    const failure = this.failures[failureIndex];
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) this.failures.splice(failureIndex, 1);
      const code = failure.status === 429 ? 'Throttled' : 'ServiceUnavailable';
      return sendError(new VaultError(failure.status, code, `Injected failure (${failure.status}).`), failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {});
    }
    try {
      const result = this.route(method, url, body);
      send(result.status, result.body);
    } catch (error) {
      if (error instanceof VaultError) return sendError(error);
      return sendError(new VaultError(500, 'InternalServerError', `fake Key Vault failed: ${(error as Error).message}`));
    }
  }

  private route(method: string, url: URL, body: unknown): { status: number; body?: unknown } {
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [collection, name, third, fourth] = segments;
    if (collection === 'secrets') {
      if (name === undefined) {
        if (method === 'GET') return this.list(url, [...this.secrets.values()].filter((s) => !s.deleted).map((s) => this.item(s, s.versions.at(-1))));
      } else if (third === 'versions' && fourth === undefined && method === 'GET') {
        const secret = this.live(name);
        return this.list(url, secret.versions.map((v) => ({ ...this.item(secret, v), id: this.secretId(secret, v) })));
      } else if (fourth === undefined) {
        if (method === 'PUT' && third === undefined) return { status: 200, body: this.set(name, body) };
        if (method === 'GET') return { status: 200, body: this.bundle(this.live(name), third) };
        if (method === 'PATCH') return { status: 200, body: this.update(name, third, body) };
        if (method === 'DELETE' && third === undefined) return { status: 200, body: this.softDelete(name) };
      }
    } else if (collection === 'deletedsecrets') {
      if (name === undefined && method === 'GET') {
        return this.list(url, [...this.secrets.values()].filter((s) => s.deleted).map((s) => this.deletedItem(s)));
      }
      if (name !== undefined && third === undefined) {
        const secret = this.deletedSecret(name);
        if (method === 'GET') return { status: 200, body: { ...this.bundle(secret, undefined, true), ...this.deletedInfo(secret) } };
        if (method === 'DELETE') {
          if (this.options.purgeProtection) {
            throw new VaultError(403, 'Forbidden', `Operation "purge" is not allowed because purge protection is enabled for this vault.`);
          }
          this.secrets.delete(name.toLowerCase());
          return { status: 204 };
        }
      }
      if (name !== undefined && third === 'recover' && method === 'POST') {
        const secret = this.deletedSecret(name);
        delete secret.deleted;
        return { status: 200, body: this.bundle(secret) };
      }
    }
    throw new VaultError(405, 'BadParameter', `The fake Key Vault does not implement ${method} ${url.pathname}.`);
  }

  private set(name: string, body: unknown) {
    if (!NAME.test(name)) {
      throw new VaultError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
    }
    const b = (body ?? {}) as { value?: unknown; contentType?: unknown; tags?: Record<string, string>; attributes?: { enabled?: boolean; nbf?: number; exp?: number } };
    if (typeof b.value !== 'string') throw new VaultError(400, 'BadParameter', 'Property value is required.');
    const existing = this.secrets.get(name.toLowerCase());
    if (existing?.deleted) {
      throw new VaultError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        'ObjectIsDeletedButRecoverable',
      );
    }
    this.putVersion(name, b.value, typeof b.contentType === 'string' ? b.contentType : null, b.tags ?? {}, b.attributes ?? {});
    return this.bundle(this.live(name));
  }

  private update(name: string, version: string | undefined, body: unknown) {
    const secret = this.live(name);
    const v = this.version(secret, version);
    const b = (body ?? {}) as { contentType?: string; tags?: Record<string, string>; attributes?: { enabled?: boolean; nbf?: number; exp?: number } };
    if (b.contentType !== undefined) v.contentType = b.contentType;
    if (b.tags !== undefined) v.tags = b.tags;
    if (b.attributes?.enabled !== undefined) v.enabled = b.attributes.enabled;
    if (b.attributes?.nbf !== undefined) v.notBefore = b.attributes.nbf;
    if (b.attributes?.exp !== undefined) v.expires = b.attributes.exp;
    v.updated = Math.floor(Date.now() / 1000);
    const { value: _value, ...withoutValue } = this.bundle(secret, v.version, true);
    return withoutValue;
  }

  private softDelete(name: string) {
    const secret = this.live(name);
    const now = Math.floor(Date.now() / 1000);
    secret.deleted = { deletedDate: now, scheduledPurgeDate: now + this.options.recoverableDays * 86400 };
    const { value: _value, ...withoutValue } = this.bundle(secret, undefined, true);
    return { ...withoutValue, ...this.deletedInfo(secret) };
  }

  private live(name: string): FakeSecret {
    const secret = this.secrets.get(name.toLowerCase());
    if (!secret || secret.deleted) {
      throw new VaultError(404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`);
    }
    return secret;
  }

  private deletedSecret(name: string): FakeSecret {
    const secret = this.secrets.get(name.toLowerCase());
    if (!secret?.deleted) throw new VaultError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
    return secret;
  }

  private version(secret: FakeSecret, version: string | undefined): FakeSecretVersion {
    const v = version ? secret.versions.find((x) => x.version === version) : secret.versions.at(-1);
    if (!v) throw new VaultError(404, 'SecretNotFound', `A secret with (name/id) ${secret.name}/${version} was not found in this key vault.`);
    return v;
  }

  private secretId(secret: FakeSecret, v: FakeSecretVersion): string {
    return `${this.vaultUrl}/secrets/${secret.name}/${v.version}`;
  }

  private attributes(v: FakeSecretVersion) {
    return {
      enabled: v.enabled,
      ...(v.notBefore !== null ? { nbf: v.notBefore } : {}),
      ...(v.expires !== null ? { exp: v.expires } : {}),
      created: v.created,
      updated: v.updated,
      recoveryLevel: 'Recoverable+Purgeable',
      recoverableDays: this.options.recoverableDays,
    };
  }

  /** SecretBundle. A disabled version refuses reads with Forbidden / SecretDisabled, as Key Vault does. */
  private bundle(secret: FakeSecret, version?: string, allowDisabled = false) {
    const v = this.version(secret, version);
    if (!v.enabled && !allowDisabled) {
      throw new VaultError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
    }
    return {
      value: v.value,
      ...(v.contentType !== null ? { contentType: v.contentType } : {}),
      id: this.secretId(secret, v),
      attributes: this.attributes(v),
      tags: v.tags,
    };
  }

  private item(secret: FakeSecret, v: FakeSecretVersion | undefined) {
    return {
      id: `${this.vaultUrl}/secrets/${secret.name}`,
      attributes: v ? this.attributes(v) : {},
      ...(v?.contentType ? { contentType: v.contentType } : {}),
      tags: v?.tags ?? {},
    };
  }

  private deletedInfo(secret: FakeSecret) {
    return {
      recoveryId: `${this.vaultUrl}/deletedsecrets/${secret.name}`,
      deletedDate: secret.deleted?.deletedDate,
      scheduledPurgeDate: secret.deleted?.scheduledPurgeDate,
    };
  }

  private deletedItem(secret: FakeSecret) {
    return { ...this.item(secret, secret.versions.at(-1)), ...this.deletedInfo(secret) };
  }

  /** One page of a list, with a nextLink carrying the offset (Key Vault uses an opaque $skiptoken). */
  private list(url: URL, items: unknown[]) {
    const requested = Number(url.searchParams.get('maxresults') ?? this.options.pageSize);
    const size = Math.max(1, Math.min(requested, this.options.pageSize));
    const offset = Number(url.searchParams.get('$skiptoken') ?? 0);
    const page = items.slice(offset, offset + size);
    let nextLink: string | null = null;
    if (offset + size < items.length) {
      const next = new URL(url.pathname, this.vaultUrl);
      next.searchParams.set('api-version', url.searchParams.get('api-version') ?? '');
      next.searchParams.set('$skiptoken', String(offset + size));
      next.searchParams.set('maxresults', String(size));
      nextLink = next.href;
    }
    return { status: 200, body: { value: page, nextLink } };
  }
}

function redact(body: unknown): unknown {
  if (body && typeof body === 'object' && 'value' in body) return { ...(body as object), value: '[redacted]' };
  return body;
}
