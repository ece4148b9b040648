// The whole bridge on one machine for end-to-end tests: the app in the local Functions host (a child process,
// real HTTP), real Azurite, and the fake Graph, Jira and Entra. `connect()` does what an admin does, through the
// app's public and admin routes only: consent for a feature, service-user sign-in, site registration, secrets,
// project settings.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startApp, type RunningApp } from '../../dev/testing.js';
import { signBody } from '../../shared/jira/signature.js';
import type { ProjectSettingsInput } from '../../shared/rules/projectSettings.js';
import { FakeEntra } from '../fakes/entra.js';
import { FakeGraph, type FakeUser } from '../fakes/graph.js';
import { FakeJira } from '../fakes/jira.js';
import { allQueueNames } from '../../shared/storage/queues.js';
import { resetQueues, storageConnectionString, uniqueName } from './storage.js';

export const TEST_CLIENT_ID = '0f1e2d3c-4b5a-4697-8877-665544332211';

export interface Bridge {
  app: RunningApp;
  baseUrl: string;
  graph: FakeGraph;
  jira: FakeJira;
  entra: FakeEntra;
  tenantId: string;
  serviceUser: FakeUser;
  siteId: string;
  webhookSecret: string;
  automationToken: string;
  /** Admin API call (JSON in, JSON out); asserts nothing. */
  admin(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Signs and posts a webhook body like Jira does. */
  webhook(body: unknown, options?: { deliveryId?: string; secret?: string; rawBody?: Buffer | string; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  automation(action: string, body: unknown, options?: { token?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  configureProject(projectKey: string, settings?: Partial<ProjectSettingsInput>): Promise<void>;
  /** Consent + service-user sign-in for another feature (chats is done by connect()). */
  connectFeature(feature: string, user?: FakeUser): Promise<void>;
  stop(): Promise<void>;
}

export interface BridgeOptions {
  env?: Record<string, string>;
  /** Features to consent to and sign a service user in for (default: chats). */
  features?: string[];
  /** false: start the app and the fakes only; the test does the admin's set-up itself (e.g. in the console). */
  setup?: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Follows redirects by hand (each hop is one of our servers), returning the final response. `headersFor` adds
 * headers per hop (the function key goes to the app only, never to the fake Entra).
 */
async function followRedirects(url: string, headersFor: (url: string) => Record<string, string> = () => ({}), hops = 5): Promise<Response> {
  let current = url;
  for (let i = 0; i < hops; i++) {
    const response = await fetch(current, { redirect: 'manual', headers: headersFor(current) });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.arrayBuffer();
    current = new URL(location, current).toString();
  }
  throw new Error(`too many redirects from ${url}`);
}

export async function startBridge(options: BridgeOptions = {}): Promise<Bridge> {
  // Scopes are enforced as Graph does, so a feature that asks for too little fails here, not in a customer's tenant.
  const graph = new FakeGraph({ enforceScopes: true });
  const jira = new FakeJira();
  const entra = new FakeEntra({ clientId: TEST_CLIENT_ID });
  const closers: (() => Promise<void>)[] = [];
  const g = await graph.start();
  closers.push(g.close);
  const j = await jira.start();
  closers.push(j.close);
  const e = await entra.start();
  closers.push(e.close);

  const tenantId = graph.tenantId;
  entra.addTenant({ id: tenantId, domains: ['contoso.example'] });
  const serviceUser = graph.addUser({ displayName: 'Bridge Service', userPrincipalName: 'bridge.service@contoso.example' });
  entra.addUser(serviceUser);

  // Test files share one Azurite; the app starts on empty queues so its idle checks are about this file's work.
  await resetQueues(allQueueNames);
  const port = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'bridge-'));
  const app = await startApp({
    port,
    env: {
      AzureWebJobsStorage: storageConnectionString(),
      PUBLIC_BASE_URL: publicBaseUrl,
      GRAPH_BASE_URL: g.baseUrl,
      AUTHORITY_HOST: e.origin,
      ENTRA_CLIENT_ID: TEST_CLIENT_ID,
      ENTRA_CLIENT_SECRET: entra.clientSecret,
      // The home tenant admins sign in to the console with (the same fake tenant here).
      ENTRA_TENANT_ID: tenantId,
      LOCAL_SECRETS_FILE: path.join(dataDir, 'secrets.json'),
      SETTINGS_CACHE_SECONDS: '0',
      LOG_LEVEL: 'debug',
      // Set by the Bicep in Azure; without it the host puts the keep-alive timer in error.
      TOKEN_KEEPALIVE_SCHEDULE: '0 17 */6 * * *',
      ...options.env,
    },
  });
  closers.unshift(async () => {
    await app.stop();
  });

  const json = async (response: Response) => {
    const text = await response.text();
    try {
      return text ? JSON.parse(text) : undefined;
    } catch {
      return text;
    }
  };
  // authLevel 'function' routes need the host's function key, as in Azure; the anonymous ones get no key.
  const keyFor = (url: string): Record<string, string> => (url.startsWith(app.baseUrl) ? { 'x-functions-key': app.functionKey } : {});
  const admin: Bridge['admin'] = async (method, route, body) => {
    const response = await app.fetch(`/api/manage/${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: await json(response) };
  };

  const siteId = uniqueName('site').toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40).replace(/-+$/, '');
  const bridge: Bridge = {
    app,
    baseUrl: app.baseUrl,
    graph,
    jira,
    entra,
    tenantId,
    serviceUser,
    siteId,
    webhookSecret: '',
    automationToken: '',
    admin,
    async webhook(body, opts = {}) {
      const raw = opts.rawBody ?? JSON.stringify(body);
      const response = await fetch(`${app.baseUrl}/api/jira/events?site=${bridge.siteId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=UTF-8',
          'x-hub-signature': signBody(opts.secret ?? bridge.webhookSecret, raw),
          ...(opts.deliveryId ? { 'x-atlassian-webhook-identifier': opts.deliveryId } : {}),
          ...opts.headers,
        },
        body: raw,
      });
      return { status: response.status, body: await json(response) };
    },
    async automation(action, body, opts = {}) {
      const response = await fetch(`${app.baseUrl}/api/jira/automation/${action}?site=${bridge.siteId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token ?? bridge.automationToken}`, ...opts.headers },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await json(response) };
    },
    async configureProject(projectKey, settings = {}) {
      const r = await admin('PUT', `sites/${siteId}/projects/${projectKey}`, { tenantId, fieldIds: jira.fieldIds, ...settings });
      assert.equal(r.status, 200, `project settings refused: ${JSON.stringify(r.body)}`);
    },
    async connectFeature(feature, user = serviceUser) {
      const consent = await followRedirects(`${app.baseUrl}/api/consent/start?tenant=${tenantId}&feature=${feature}&site=${siteId}`, keyFor);
      assert.equal(consent.status, 200, `consent for ${feature} failed: ${await consent.text()}`);
      await consent.arrayBuffer().catch(() => undefined);
      entra.signInAs(user.id);
      const signIn = await followRedirects(`${app.baseUrl}/api/service-user/start?tenant=${tenantId}&feature=${feature}`, keyFor);
      assert.equal(signIn.status, 200, `service-user sign-in for ${feature} failed: ${await signIn.text()}`);
    },
    async stop() {
      for (const close of closers) await close().catch(() => undefined);
    },
  };

  try {
    entra.redirectUris = [`${publicBaseUrl}/api/consent/callback`, `${publicBaseUrl}/api/auth/callback`, `${publicBaseUrl}/api/console/auth/callback`];
    if (options.setup === false) return bridge;
    const site = await admin('PUT', `sites/${siteId}`, { jiraBaseUrl: j.baseUrl, jiraEmail: jira.credentials.email, jiraApiToken: jira.credentials.apiToken });
    assert.equal(site.status, 201, `site registration failed: ${JSON.stringify(site.body)}`);
    const secret = await admin('POST', `sites/${siteId}/secrets/webhook-secret`);
    assert.equal(secret.status, 201);
    bridge.webhookSecret = secret.body.webhookSecret;
    const token = await admin('POST', `sites/${siteId}/secrets/automation-token`);
    assert.equal(token.status, 201);
    bridge.automationToken = token.body.automationToken;
    for (const feature of options.features ?? ['chats']) await bridge.connectFeature(feature);
  } catch (error) {
    console.error(app.logs.slice(-40).join('\n'));
    await bridge.stop();
    throw error;
  }
  return bridge;
}
