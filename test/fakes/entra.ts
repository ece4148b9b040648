// A fake Microsoft identity platform (Entra ID v2 endpoints) over HTTPS on 127.0.0.1, speaking the wire format
// msal-node and the app expect (../shared/graph-contract.md §11; Entra docs v2-oauth2-auth-code-flow,
// v2-admin-consent, refresh-tokens):
//   GET  /{tenant}/v2.0/.well-known/openid-configuration      OIDC metadata (msal-node reads it per authority)
//   GET  /common/discovery/instance                           instance discovery (aliases)
//   GET  /{tenant}/oauth2/v2.0/authorize                      the test drives it: 302 to redirect_uri with code+state
//   POST /{tenant}/oauth2/v2.0/token                          authorization_code (+PKCE), refresh_token (rotating),
//                                                             client_credentials (consented tenants only)
//   GET  /{tenant}/v2.0/adminconsent                          302 with admin_consent=True&tenant=…, or an error
// Access tokens come from makeTestToken (test/fakes/tokens.ts), so the fake Graph reads the same claims.
//
//   const entra = new FakeEntra({ clientId });
//   const tenant = entra.addTenant({ id: graph.tenantId });
//   entra.addUser(serviceUser);                 // a FakeUser from the fake Graph, or { id, tenantId, userPrincipalName }
//   const { origin } = await entra.start();     // AUTHORITY_HOST
//   entra.signInAs(serviceUser.id);             // who the next authorize request signs in
import { createHash, createPublicKey, randomBytes, randomUUID, verify, constants, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, startServer, type StartedServer } from '../support/http.js';
import { makeTestToken } from './tokens.js';

export interface FakeEntraTenant {
  id: string;
  domains: string[];
  /** The app's service principal exists here (an admin consented): client credentials work. */
  consented: boolean;
  /** Delegated Graph permissions an admin granted (bare names, e.g. `Chat.Create`); compared case-insensitively. */
  delegatedGrants: Set<string>;
  /** Application permissions granted through `/.default` admin consent. */
  appRoles: string[];
  /**
   * The tenant's user consent setting (Entra ID → Enterprise applications → Consent and permissions). When set, an
   * authorize request for delegated permissions neither an admin nor the user has granted shows the consent prompt:
   * `allow` lets the user consent for themselves (to permissions that need no admin), `block` shows "Need admin
   * approval" (AADSTS90094), from which the user can only return to the app without consent. Unset: the prompt is
   * not modelled (the token simply carries what was granted), as the older tests expect.
   */
  userConsent?: 'allow' | 'block';
}

export interface FakeEntraUser {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  displayName?: string;
  /** Values of the app's app roles assigned to the user (Enterprise applications → Users and groups). */
  appRoles?: string[];
}

export interface RecordedEntraRequest {
  method: string;
  /** e.g. `/contoso-tenant-id/oauth2/v2.0/token`. */
  path: string;
  tenant: string;
  endpoint: 'openid-configuration' | 'instance-discovery' | 'authorize' | 'token' | 'adminconsent' | 'other';
  query: Record<string, string>;
  /** Token request form fields; secret values (client_secret, code, refresh_token, code_verifier, client_assertion) are replaced by `<present>`. */
  form: Record<string, string>;
  status: number;
  /** For token requests: the OAuth error answered, if any. */
  error?: string;
}

export interface FakeEntraOptions {
  clientId: string;
  /** Accepted client secret (default: random, read it from `clientSecret`). */
  clientSecret?: string;
  /** PEM certificate whose key signs client assertions (in addition to the secret). */
  clientCertificatePem?: string;
  /** Redirect URIs registered on the app; empty accepts any (default empty). */
  redirectUris?: string[];
  /** Application permissions the app registration lists, granted by a `/.default` admin consent. */
  appRoles?: string[];
  accessTokenLifetimeSeconds?: number;
}

type ConsentBehaviour = { error: string; description: string } | 'accept';

interface IssuedCode {
  userId: string;
  tenantId: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scopes: string[];
  nonce?: string;
  expiresAt: number;
  used: boolean;
}

interface IssuedRefreshToken {
  userId: string;
  tenantId: string;
  clientId: string;
  revoked: boolean;
  issuedAt: number;
}

const oidc = new Set(['openid', 'profile', 'offline_access', 'email']);
/**
 * Delegated Graph permissions marked "Admin consent required: Yes" in the Microsoft Graph permissions reference
 * (learn.microsoft.com/graph/permissions-reference), among those this app may ask for; a user cannot consent to them.
 * The Mail.* ones of mail-in, User.Read and MailboxSettings.Read need no admin.
 */
const adminOnlyScopes = new Set(['user.read.all', 'directory.read.all']);
const GRAPH = 'https://graph.microsoft.com/';

export class FakeEntra {
  readonly clientId: string;
  clientSecret: string;
  readonly tenants = new Map<string, FakeEntraTenant>();
  readonly users = new Map<string, FakeEntraUser>();
  readonly requests: RecordedEntraRequest[] = [];
  /** Every refresh token issued, in order (tests check that the stored cache holds the newest). */
  readonly refreshTokens = new Map<string, IssuedRefreshToken>();
  readonly issuedRefreshTokenOrder: string[] = [];
  redirectUris: string[];
  appRoles: string[];
  accessTokenLifetimeSeconds: number;
  /** What the next admin-consent requests answer. */
  consentBehaviour: ConsentBehaviour = 'accept';
  /** Tenant an admin "belongs to" when the consent link names `organizations`. */
  organizationsTenant?: string;
  /** Delegated permissions users granted for themselves (user consent: an oauth2PermissionGrant with consentType Principal), per user id, lower-case. */
  readonly userGrants = new Map<string, Set<string>>();

  private clientKey?: KeyObject;
  private readonly codes = new Map<string, IssuedCode>();
  private readonly refreshFailures = new Map<string, { error: string; code: number; description: string }>();
  private nextSignIn?: string;
  private authorizeError?: { error: string; description: string };
  private tokenHangs = 0;
  private server?: StartedServer;

  constructor(options: FakeEntraOptions) {
    this.clientId = options.clientId;
    this.clientSecret = options.clientSecret ?? `fake-secret-${randomBytes(12).toString('hex')}`;
    this.redirectUris = options.redirectUris ?? [];
    this.appRoles = options.appRoles ?? [];
    this.accessTokenLifetimeSeconds = options.accessTokenLifetimeSeconds ?? 3600;
    if (options.clientCertificatePem) this.trustClientCertificate(options.clientCertificatePem);
  }

  // ---- seeding and switches --------------------------------------------------------------------------------

  addTenant(seed: Partial<Omit<FakeEntraTenant, 'delegatedGrants'>> & { delegatedGrants?: Iterable<string> } = {}): FakeEntraTenant {
    const tenant: FakeEntraTenant = {
      id: (seed.id ?? randomUUID()).toLowerCase(),
      domains: seed.domains ?? [],
      consented: seed.consented ?? false,
      delegatedGrants: new Set([...(seed.delegatedGrants ?? [])].map((s) => s.toLowerCase())),
      appRoles: seed.appRoles ?? [],
      userConsent: seed.userConsent,
    };
    this.tenants.set(tenant.id, tenant);
    return tenant;
  }

  addUser(user: FakeEntraUser): FakeEntraUser {
    const u = { id: user.id, tenantId: user.tenantId.toLowerCase(), userPrincipalName: user.userPrincipalName, displayName: user.displayName, appRoles: user.appRoles };
    this.users.set(u.id, u);
    return u;
  }

  /** The user the next authorize request signs in (as if they picked that account and entered their password). */
  signInAs(userId: string): void {
    this.nextSignIn = userId;
  }

  /** The next `times` token requests are read and never answered (held open until the client gives up). */
  hangNextToken(times = 1): void {
    this.tokenHangs += times;
  }

  /** The next authorize request redirects back with this error instead of a code. */
  failNextAuthorize(error: string, description: string): void {
    this.authorizeError = { error, description };
  }

  /** Removes the app's service principal / grants: client credentials and refreshes start failing for the tenant. */
  setConsented(tenantId: string, consented: boolean): void {
    const t = this.mustTenant(tenantId);
    t.consented = consented;
    if (!consented) {
      t.delegatedGrants.clear();
      t.appRoles = [];
    }
  }

  /** An admin revokes one delegated permission (Enterprise applications → Permissions). */
  revokeGrant(tenantId: string, scope: string): void {
    this.mustTenant(tenantId).delegatedGrants.delete(scope.toLowerCase());
  }

  /**
   * "Revoke sessions" for a user: every refresh token issued so far fails with invalid_grant AADSTS50173
   * (refresh-tokens doc: revoked by an admin revoking all refresh tokens for the user).
   */
  revokeRefreshTokens(userId: string): void {
    for (const rt of this.refreshTokens.values()) if (rt.userId === userId) rt.revoked = true;
  }

  /** Refresh-token redemptions for the user fail with this error until `clearRefreshFailure`. */
  failRefresh(userId: string, error: 'invalid_grant' | 'interaction_required', aadsts = error === 'invalid_grant' ? 700082 : 50076): void {
    const description =
      aadsts === 700082
        ? 'The refresh token has expired due to inactivity.'
        : aadsts === 50076
          ? 'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.'
          : 'The refresh token cannot be used.';
    this.refreshFailures.set(userId, { error, code: aadsts, description });
  }

  clearRefreshFailure(userId: string): void {
    this.refreshFailures.delete(userId);
  }

  trustClientCertificate(pem: string): void {
    this.clientKey = createPublicKey(pem);
  }

  get origin(): string {
    if (!this.server) throw new Error('FakeEntra is not started');
    return this.server.origin;
  }

  async start(): Promise<{ origin: string; close: () => Promise<void> }> {
    this.server = await startServer((req, res) => this.handle(req, res), { https: true });
    return { origin: this.server.origin, close: () => this.close() };
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  /** Refresh tokens issued to one user, oldest first. */
  refreshTokensOf(userId: string): string[] {
    return this.issuedRefreshTokenOrder.filter((rt) => this.refreshTokens.get(rt)?.userId === userId);
  }

  /** Latest recorded requests to one endpoint. */
  requestsTo(endpoint: RecordedEntraRequest['endpoint']): RecordedEntraRequest[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  // ---- HTTP ---------------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const query = Object.fromEntries(url.searchParams);
    const record: RecordedEntraRequest = { method: req.method ?? 'GET', path: url.pathname, tenant: parts[0] ?? '', endpoint: 'other', query, form: {}, status: 0 };
    this.requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
      res.end(text);
    };
    const redirect = (location: string) => {
      record.status = 302;
      res.writeHead(302, { location, 'cache-control': 'no-store' });
      res.end();
    };

    if (parts[0] === 'common' && parts[1] === 'discovery' && parts[2] === 'instance') {
      record.endpoint = 'instance-discovery';
      const host = url.host;
      return send(200, {
        tenant_discovery_endpoint: `${this.origin}/{tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    }
    const tenantSegment = parts[0] ?? '';
    const rest = parts.slice(1).join('/');
    if (rest === 'v2.0/.well-known/openid-configuration' && req.method === 'GET') {
      // `{tenant}` may be the tenant id or one of its domain names; the issuer always carries the tenant id
      // (`https://login.microsoftonline.com/{tid}/v2.0`), which is how a domain is resolved to its tenant. An unknown
      // tenant or domain answers 400 invalid_tenant AADSTS90002 "Tenant '…' not found".
      // https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
      // https://learn.microsoft.com/entra/identity-platform/reference-error-codes (AADSTS90002 InvalidTenantName)
      record.endpoint = 'openid-configuration';
      const tenant = this.resolveTenant(tenantSegment);
      if (!tenant && !['common', 'organizations', 'consumers'].includes(tenantSegment)) {
        return send(400, aadError('invalid_tenant', 90002, `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`));
      }
      const t = tenant?.id ?? '{tenantid}';
      const base = `${this.origin}/${tenantSegment}`;
      return send(200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${this.origin}/${tenantSegment}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${this.origin}/${t}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.origin}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'oid'],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      });
    }
    if (rest === 'oauth2/v2.0/authorize' && req.method === 'GET') {
      record.endpoint = 'authorize';
      return this.authorize(tenantSegment, url.searchParams, send, redirect);
    }
    if (rest === 'oauth2/v2.0/token' && req.method === 'POST') {
      record.endpoint = 'token';
      const form = new URLSearchParams((await readBody(req)).toString('utf8'));
      for (const [k, v] of form) record.form[k] = ['client_secret', 'code', 'refresh_token', 'code_verifier', 'client_assertion'].includes(k) ? '<present>' : v;
      if (this.tokenHangs > 0) {
        this.tokenHangs -= 1;
        return;
      }
      const { status, body } = this.token(tenantSegment, form, req.headers.authorization);
      if (status !== 200) record.error = (body as { error?: string }).error;
      return send(status, body);
    }
    if (rest === 'v2.0/adminconsent' && req.method === 'GET') {
      record.endpoint = 'adminconsent';
      return this.adminConsent(tenantSegment, url.searchParams, send, redirect);
    }
    return send(404, aadError('invalid_request', 900561, `The endpoint only accepts its documented methods and paths: ${req.method} ${url.pathname}`));
  }

  private authorize(
    tenantSegment: string,
    q: URLSearchParams,
    send: (status: number, body: unknown) => void,
    redirect: (location: string) => void,
  ): void {
    // Problems with the client or redirect URI are shown on Microsoft's own page, never redirected (auth-code-flow).
    if (q.get('client_id') !== this.clientId) return send(400, errorPage(700016, `Application with identifier '${q.get('client_id')}' was not found in the directory.`));
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!redirectUri || (this.redirectUris.length && !this.redirectUris.includes(redirectUri))) {
      return send(400, errorPage(50011, `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application.`));
    }
    const tenant = this.resolveTenant(tenantSegment);
    if (!tenant) return send(400, errorPage(90002, `Tenant '${tenantSegment}' not found.`));
    const back = new URL(redirectUri);
    const state = q.get('state');
    const fail = (error: string, description: string) => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      if (state) back.searchParams.set('state', state);
      redirect(back.toString());
    };
    if (this.authorizeError) {
      const e = this.authorizeError;
      this.authorizeError = undefined;
      return fail(e.error, e.description);
    }
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'AADSTS700054: response_type must be code.');
    const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scopes.includes('openid')) return fail('invalid_request', 'AADSTS900144: The request body must contain the following parameter: scope openid.');
    const challenge = q.get('code_challenge');
    if (!challenge || q.get('code_challenge_method') !== 'S256') {
      return fail('invalid_request', 'AADSTS9002325: Proof Key for Code Exchange is required (code_challenge with code_challenge_method=S256).');
    }
    const userId = this.nextSignIn;
    this.nextSignIn = undefined;
    const user = userId ? this.users.get(userId) : undefined;
    if (!user) return send(400, errorPage(50058, 'No account was chosen: the test must call signInAs(userId) before the authorize request.'));
    if (user.tenantId !== tenant.id) {
      return fail('invalid_request', `AADSTS50020: User account '${user.userPrincipalName}' from identity provider does not exist in tenant '${tenant.id}'.`);
    }
    if (tenant.userConsent) {
      // What neither an admin (tenant-wide) nor this user granted yet needs consent now.
      const grants = this.userGrants.get(user.id) ?? new Set<string>();
      const missing = scopes.map((s) => (s.startsWith(GRAPH) ? s.slice(GRAPH.length) : s)).filter((s) => !oidc.has(s)).map((s) => s.toLowerCase()).filter((s) => !tenant.delegatedGrants.has(s) && !grants.has(s));
      if (missing.length) {
        if (tenant.userConsent === 'block' || missing.some((s) => adminOnlyScopes.has(s))) {
          // "Need admin approval" (AADSTS90094: "An administrator of <tenant> has set a policy that prevents you from
          // granting <app> the permissions it is requesting", learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/troubleshoot-consent-issues).
          // Its only way back to the app is "Return to the application without granting consent", which redirects
          // with access_denied (auth-code-flow "Error codes": the resource owner denied consent).
          back.searchParams.set('error_subcode', 'cancel');
          return fail('access_denied', 'AADSTS65004: User declined to consent to access the app.');
        }
        // The user accepts the prompt: a grant for this user only, and the app's service principal now exists.
        for (const s of missing) grants.add(s);
        this.userGrants.set(user.id, grants);
        tenant.consented = true;
      }
    }
    const code = `code.${randomBytes(24).toString('base64url')}`;
    this.codes.set(code, {
      userId: user.id,
      tenantId: tenant.id,
      clientId: this.clientId,
      redirectUri,
      codeChallenge: challenge,
      scopes,
      nonce: q.get('nonce') ?? undefined,
      expiresAt: Date.now() + 10 * 60_000, // "The code lives about 10 minutes" (auth-code-flow)
      used: false,
    });
    back.searchParams.set('code', code);
    if (state) back.searchParams.set('state', state);
    back.searchParams.set('session_state', randomUUID());
    redirect(back.toString());
  }

  private adminConsent(
    tenantSegment: string,
    q: URLSearchParams,
    send: (status: number, body: unknown) => void,
    redirect: (location: string) => void,
  ): void {
    if (q.get('client_id') !== this.clientId) return send(400, errorPage(700016, `Application with identifier '${q.get('client_id')}' was not found.`));
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!redirectUri || (this.redirectUris.length && !this.redirectUris.includes(redirectUri))) {
      return send(400, errorPage(50011, `The redirect URI '${redirectUri}' does not match the redirect URIs configured for the application.`));
    }
    if (tenantSegment === 'common') return send(400, errorPage(90130, 'Admin consent requires a tenant: use the tenant id or organizations, not common.'));
    const tenant = tenantSegment === 'organizations' ? this.resolveTenant(this.organizationsTenant ?? '') : this.resolveTenant(tenantSegment);
    if (!tenant) return send(400, errorPage(90002, `Tenant '${tenantSegment}' not found.`));
    const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (!scopes.length) return send(400, errorPage(900144, "The request body must contain the following parameter: 'scope'."));
    const back = new URL(redirectUri);
    const state = q.get('state');
    // "admin_consent is True even on error" (graph-contract §11).
    back.searchParams.set('admin_consent', 'True');
    if (this.consentBehaviour !== 'accept') {
      back.searchParams.set('error', this.consentBehaviour.error);
      back.searchParams.set('error_description', this.consentBehaviour.description);
      if (state) back.searchParams.set('state', state);
      return redirect(back.toString());
    }
    tenant.consented = true;
    for (const s of scopes) {
      const bare = s.startsWith(GRAPH) ? s.slice(GRAPH.length) : s;
      if (bare === '.default') tenant.appRoles = [...this.appRoles];
      else if (!oidc.has(bare)) tenant.delegatedGrants.add(bare.toLowerCase());
    }
    back.searchParams.set('tenant', tenant.id);
    back.searchParams.set('scope', scopes.join(' '));
    if (state) back.searchParams.set('state', state);
    redirect(back.toString());
  }

  private token(tenantSegment: string, form: URLSearchParams, authorization?: string): { status: number; body: unknown } {
    const tenant = this.resolveTenant(tenantSegment);
    if (!tenant) return { status: 400, body: aadError('invalid_request', 90002, `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`) };
    const auth = this.authenticateClient(tenantSegment, form, authorization);
    if (auth) return { status: 401, body: auth };
    const grant = form.get('grant_type');
    if (grant === 'client_credentials') {
      if (!tenant.consented) {
        return {
          status: 400,
          body: aadError('unauthorized_client', 700016, `Application with identifier '${this.clientId}' was not found in the directory '${tenant.id}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`),
        };
      }
      const scope = form.get('scope') ?? '';
      if (!scope.endsWith('/.default')) return { status: 400, body: aadError('invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`) };
      const accessToken = makeTestToken({ tid: tenant.id, roles: tenant.appRoles, appid: this.clientId, exp: nowSeconds() + this.accessTokenLifetimeSeconds });
      return { status: 200, body: { token_type: 'Bearer', expires_in: this.accessTokenLifetimeSeconds, ext_expires_in: this.accessTokenLifetimeSeconds, access_token: accessToken } };
    }
    if (grant === 'authorization_code') {
      const code = this.codes.get(form.get('code') ?? '');
      if (!code || code.used || code.expiresAt < Date.now() || code.tenantId !== tenant.id) {
        return { status: 400, body: aadError('invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.') };
      }
      code.used = true;
      if (form.get('redirect_uri') !== code.redirectUri) return { status: 400, body: aadError('invalid_grant', 50148, 'The redirect_uri does not match the one used in the authorization request.') };
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) {
        return { status: 400, body: aadError('invalid_grant', 501481, 'The Code_Verifier does not match the code_challenge supplied in the authorization request.') };
      }
      // auth-code-flow, successful response: "refresh_token ... Only provided if offline_access scope was requested."
      const offline = code.scopes.includes('offline_access');
      return { status: 200, body: this.issueUserTokens(tenant, code.userId, (form.get('scope') ?? code.scopes.join(' ')).split(' '), code.nonce, offline) };
    }
    if (grant === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const rt = this.refreshTokens.get(presented);
      if (!rt || rt.tenantId !== tenant.id) return { status: 400, body: aadError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.') };
      if (rt.revoked) {
        return { status: 400, body: aadError('invalid_grant', 50173, `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.`) };
      }
      const failure = this.refreshFailures.get(rt.userId);
      if (failure) return { status: 400, body: aadError(failure.error, failure.code, failure.description, failure.error === 'interaction_required' ? 'basic_action' : undefined) };
      if (!tenant.consented) return { status: 400, body: aadError('invalid_grant', 65001, `The user or administrator has not consented to use the application with ID '${this.clientId}'. Send an interactive authorization request for this user and resource.`) };
      // Rotation: every use issues a new refresh token; the old one is not revoked (refresh-tokens doc).
      return { status: 200, body: this.issueUserTokens(tenant, rt.userId, (form.get('scope') ?? '').split(' ')) };
    }
    return { status: 400, body: aadError('unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`) };
  }

  private issueUserTokens(tenant: FakeEntraTenant, userId: string, requested: string[], nonce?: string, withRefreshToken = true) {
    const user = this.users.get(userId)!;
    // The token endpoint returns the scopes actually granted, which may be fewer than requested when an admin has
    // not granted (or revoked) some (OAuth 2.0 RFC 6749 §5.1 `scope`).
    const own = this.userGrants.get(userId);
    const granted = requested.filter(Boolean).filter((s) => {
      const bare = s.startsWith(GRAPH) ? s.slice(GRAPH.length) : s;
      return oidc.has(bare) || tenant.delegatedGrants.has(bare.toLowerCase()) || !!own?.has(bare.toLowerCase());
    });
    const graphScopes = granted.map((s) => (s.startsWith(GRAPH) ? s.slice(GRAPH.length) : s)).filter((s) => !oidc.has(s));
    const now = nowSeconds();
    const accessToken = makeTestToken({ tid: tenant.id, oid: user.id, scp: graphScopes.join(' '), appid: this.clientId, upn: user.userPrincipalName, exp: now + this.accessTokenLifetimeSeconds });
    const refreshToken = withRefreshToken ? `rt.${randomBytes(24).toString('base64url')}` : undefined;
    if (refreshToken) {
      this.refreshTokens.set(refreshToken, { userId, tenantId: tenant.id, clientId: this.clientId, revoked: false, issuedAt: Date.now() });
      this.issuedRefreshTokenOrder.push(refreshToken);
    }
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const idToken = `${b64({ typ: 'JWT', alg: 'RS256', kid: 'fake' })}.${b64({
      aud: this.clientId,
      iss: `${this.origin}/${tenant.id}/v2.0`,
      iat: now,
      nbf: now,
      exp: now + 3600,
      name: user.displayName ?? user.userPrincipalName,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      sub: createHash('sha256').update(`${user.id}|${this.clientId}`).digest('base64url').slice(0, 43),
      tid: tenant.id,
      ver: '2.0',
      // "roles": the app roles assigned to the user, present only when there are some (Entra ID token claims
      // reference, learn.microsoft.com/entra/identity-platform/id-token-claims-reference).
      ...(user.appRoles?.length ? { roles: [...user.appRoles] } : {}),
      ...(nonce ? { nonce } : {}),
    })}.c2ln`;
    return {
      token_type: 'Bearer',
      scope: granted.join(' '),
      expires_in: this.accessTokenLifetimeSeconds,
      ext_expires_in: this.accessTokenLifetimeSeconds,
      access_token: accessToken,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
      id_token: idToken,
      client_info: b64({ uid: user.id, utid: tenant.id }),
    };
  }

  /** Client authentication: client_secret (post or basic) or a certificate-signed client_assertion (RS256/PS256). */
  private authenticateClient(tenantSegment: string, form: URLSearchParams, authorization?: string): object | undefined {
    let clientId = form.get('client_id');
    let secret = form.get('client_secret');
    if (authorization?.startsWith('Basic ')) {
      const [id, s] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(s ?? '');
    }
    if (clientId !== this.clientId) return aadError('unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory.`);
    if (secret !== null) return secret === this.clientSecret ? undefined : aadError('invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    const assertion = form.get('client_assertion');
    if (assertion && form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      const [h, p, s] = assertion.split('.');
      if (!h || !p || !s || !this.clientKey) return aadError('invalid_client', 700027, 'Client assertion failed signature validation.');
      const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
      const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as { aud?: string; iss?: string; sub?: string; exp?: number };
      const data = Buffer.from(`${h}.${p}`);
      const signature = Buffer.from(s, 'base64url');
      const valid =
        header.alg === 'PS256'
          ? verify('sha256', data, { key: this.clientKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
          : header.alg === 'RS256' && verify('sha256', data, this.clientKey, signature);
      if (!valid) return aadError('invalid_client', 700027, 'Client assertion failed signature validation.');
      if (payload.iss !== this.clientId || payload.sub !== this.clientId) return aadError('invalid_client', 700023, 'Client assertion audience/issuer claim does not match.');
      if (!payload.aud?.endsWith(`/${tenantSegment}/oauth2/v2.0/token`)) return aadError('invalid_client', 700021, `Client assertion audience claim does not match Realm issuer.`);
      if ((payload.exp ?? 0) < nowSeconds()) return aadError('invalid_client', 700024, 'Client assertion is not within its valid time range.');
      return undefined;
    }
    return aadError('invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
  }

  private resolveTenant(segment: string): FakeEntraTenant | undefined {
    const s = segment.toLowerCase();
    return this.tenants.get(s) ?? [...this.tenants.values()].find((t) => t.domains.some((d) => d.toLowerCase() === s));
  }

  private mustTenant(id: string): FakeEntraTenant {
    const t = this.tenants.get(id.toLowerCase());
    if (!t) throw new Error(`FakeEntra has no tenant ${id}`);
    return t;
  }
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The token endpoint's error body (auth-code-flow "Error response": error, error_description, error_codes, …). */
export function aadError(error: string, code: number, message: string, suberror?: string) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    error,
    error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    ...(suberror ? { suberror } : {}),
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
}

function errorPage(code: number, message: string): string {
  return `<!doctype html><title>Sign in to your account</title><p>AADSTS${code}: ${message.replace(/[<>&"]/g, '')}</p>`;
}
