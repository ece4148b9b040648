// Every outbound call has a deadline (issue 10): Graph, Jira, Key Vault and Entra each give up when their fake
// server never answers, and a POST /chats that never answers still ends in exactly one chat after the queue's
// retries. When an invocation passes functionTimeout the real host restarts the whole worker, killing every
// invocation on it (../shared/contracts/functions-host.md "Timeouts and workers"), so the client must stop first.
// Deadlines come from the app settings (GRAPH_TIMEOUT_SECONDS etc.), kept short here so the file stays quick; each
// test also has a node:test timeout, so a client that waits forever fails instead of hanging the run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TokenCredential } from '@azure/identity';
import { AuthError } from '@azure/msal-node';
import { loadConfig } from '../../shared/config.js';
import { DeadlineError, ThrottledError } from '../../shared/errors.js';
import { readChatLink } from '../../shared/chats/chatLinks.js';
import { createGraph } from '../../shared/graph/client.js';
import { createMsalApp, graphDefaultScope } from '../../shared/identity/msal.js';
import { createJiraApi } from '../../shared/jira/client.js';
import { memoryLogger } from '../../shared/log.js';
import { KeyVaultSecretStore } from '../../shared/secrets/keyVaultSecretStore.js';
import { MemorySecretStore } from '../../shared/secrets/secretStore.js';
import { abandonedGraceSeconds, ensureChatForIssue, reservationLeaseSeconds } from '../../shared/workflows/createChat.js';
import type { WorkflowDeps } from '../../shared/jobs/deps.js';
import { FakeEntra } from '../fakes/entra.js';
import { FakeGraph } from '../fakes/graph.js';
import { FakeJira } from '../fakes/jira.js';
import { FakeKeyVault } from '../fakes/keyVault.js';
import { waitFor } from '../support/wait.js';
import { newJobId, startWorkflowHarness, type WorkflowHarness } from '../support/workflowHarness.js';

const limit = { timeout: 20_000 };
const credential: TokenCredential = { getToken: async () => ({ token: 'vault-token', expiresOnTimestamp: Date.now() + 3600_000 }) };

describe('a POST /chats that never answers', () => {
  let h: WorkflowHarness;
  let next = 500;
  before(async () => {
    // 2 s: short for the hung call, long enough for every other call on a busy 2-core machine.
    h = await startWorkflowHarness({ env: { GRAPH_TIMEOUT_SECONDS: '2' } });
  });
  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  function newIncident() {
    const key = `HANG-${next++}`;
    const agent = h.graph.addUser({ displayName: `Agent ${key}`, mail: `agent.${key.toLowerCase()}@contoso.example` });
    const jiraAgent = h.jira.addUser({ displayName: agent.displayName, emailAddress: agent.mail!, emailVisible: true });
    const issue = h.jira.addJsmIssue({ key, summary: 'Checkout is down', assignee: jiraAgent });
    return { key, issue };
  }
  const chatsOf = (key: string) => h.graph.chatsWithTopic(new RegExp(`\\[${key}\\]`));

  it('Graph created the chat but the answer never came: the attempt times out as "unsure", the retry adopts the chat (exactly one)', limit, async () => {
    const { key, issue } = newIncident();
    const job = { siteId: h.siteId, issueKey: key, kind: 'incident' as const, jobId: newJobId() };
    h.graph.hang({ method: 'POST', pathPattern: '/chats' });
    const error = await ensureChatForIssue(h.deps, h.context(), job).catch((e: unknown) => e);
    assert.ok(error instanceof DeadlineError, `expected DeadlineError, got ${String(error)}`);
    assert.equal(error.setting, 'GRAPH_TIMEOUT_SECONDS');
    assert.equal(h.graph.requestsTo('POST', '/chats').filter((r) => r.hung).length, 1, 'the POST really hung');
    assert.equal(chatsOf(key).length, 1, 'Graph did create it');
    const row = await readChatLink(h.deps, h.siteId, issue.id);
    assert.equal(row?.state, 'creating');
    assert.ok(row?.abandonedAt, 'the timed-out attempt is marked unsure, exactly like a dropped connection');

    // The queue's retries: within the grace it waits, after it it looks for the chat and adopts it.
    await assert.rejects(ensureChatForIssue(h.deps, h.context(), job), ThrottledError);
    h.clock.advance(abandonedGraceSeconds + 1);
    const recovered = await ensureChatForIssue(h.deps, h.context(), job);
    assert.equal(recovered.created, false);
    assert.equal(chatsOf(key).length, 1, 'no second chat');
    assert.equal(recovered.chatId, chatsOf(key)[0]!.id);
    assert.equal(chatsOf(key)[0]!.messages.length, 1, 'the first message is posted once');
    assert.equal(h.graph.count('POST', '/chats'), h.graph.requestsTo('POST', '/chats').length);
  });

  it('the first message POST that never answers (but was posted) is not posted twice by the retry', limit, async () => {
    const { key } = newIncident();
    const job = { siteId: h.siteId, issueKey: key, kind: 'incident' as const, jobId: newJobId() };
    h.graph.hang({ method: 'POST', pathPattern: '/chats/*/messages' });
    await assert.rejects(ensureChatForIssue(h.deps, h.context(), job), DeadlineError);
    assert.equal(chatsOf(key)[0]?.messages.length, 1, 'Graph did post it');
    await ensureChatForIssue(h.deps, h.context(), job);
    assert.equal(chatsOf(key).length, 1);
    assert.equal(chatsOf(key)[0]!.messages.length, 1, 'the retry looked before posting again');
  });

  it('Graph stalled before creating anything: the retry finds no chat and creates exactly one', limit, async () => {
    const { key } = newIncident();
    const job = { siteId: h.siteId, issueKey: key, kind: 'incident' as const, jobId: newJobId() };
    h.graph.hang({ method: 'POST', pathPattern: '/chats', afterProcessing: false });
    await assert.rejects(ensureChatForIssue(h.deps, h.context(), job), DeadlineError);
    assert.equal(chatsOf(key).length, 0);
    h.clock.advance(abandonedGraceSeconds + 1);
    const created = await ensureChatForIssue(h.deps, h.context(), job);
    assert.equal(created.created, true);
    assert.equal(chatsOf(key).length, 1);
  });
});

describe('the chat-link lease outlives every deadline', () => {
  let h: WorkflowHarness;
  before(async () => {
    h = await startWorkflowHarness();
  });
  after(async () => {
    h.graph.assertNoViolations();
    await h.close();
  });

  it('a worker that spent most of its lease reading people renews it before POST /chats, so no one takes over mid-call', limit, async () => {
    const agent = h.graph.addUser({ displayName: 'Agent Lease', mail: 'agent.lease@contoso.example' });
    const jiraAgent = h.jira.addUser({ displayName: agent.displayName, emailAddress: agent.mail!, emailVisible: true });
    const extra = h.jira.addUser({ displayName: 'Extra Person', emailAddress: 'extra.lease@contoso.example', emailVisible: true });
    h.graph.addUser({ displayName: 'Extra Person', mail: 'extra.lease@contoso.example' });
    const issue = h.jira.addJsmIssue({ key: 'LEASE-1', summary: 'Slow Jira', assignee: jiraAgent });
    // Reading the extra member from Jira takes (by the workflows' clock) longer than the whole lease: several slow
    // calls, each within its own deadline, can add up to that.
    const slowJira: WorkflowDeps = {
      ...h.deps,
      jiraFor: async (siteId) => {
        const api = await h.deps.jiraFor(siteId);
        return {
          ...api,
          baseUrl: api.baseUrl,
          getUser: async (accountId: string) => {
            if (accountId === extra.accountId) h.clock.advance(reservationLeaseSeconds + 10);
            return api.getUser(accountId);
          },
        };
      },
    };
    h.graph.delay(400, { method: 'POST', pathPattern: '/chats' });
    const first = ensureChatForIssue(slowJira, h.context(), {
      siteId: h.siteId,
      issueKey: issue.key,
      kind: 'incident',
      jobId: newJobId(),
      params: { members: [extra.accountId] },
    });
    // While the first worker's POST /chats is in flight, another delivery arrives.
    await waitFor('the first POST /chats in flight', () => h.graph.requestsTo('POST', '/chats').some((r) => r.status === 0));
    const second = await ensureChatForIssue(h.deps, h.context(), { siteId: h.siteId, issueKey: issue.key, kind: 'incident', jobId: newJobId() }).catch((e: unknown) => e);
    await first;
    h.graph.delay(0);
    assert.ok(second instanceof ThrottledError, `the second delivery waits for the renewed reservation, got ${String(second)}`);
    assert.equal(h.graph.chatsWithTopic(/\[LEASE-1\]/).length, 1, 'exactly one chat');
  });
});

describe('each client gives up at its deadline', () => {
  it('Graph: a GET that never answers ends in DeadlineError and is not retried past it', limit, async () => {
    const graph = new FakeGraph();
    const g = await graph.start();
    try {
      const user = graph.addUser({ displayName: 'Someone' });
      const client = createGraph({ baseUrl: g.baseUrl, getAccessToken: async () => graph.delegatedToken(user), timeoutMs: 300 });
      graph.hang({ method: 'GET', pathPattern: '/me', afterProcessing: false });
      const error = await client.get('/me').catch((e: unknown) => e);
      assert.ok(error instanceof DeadlineError, `expected DeadlineError, got ${String(error)}`);
      assert.match(error.message, /Graph GET \/me gave no answer within 0\.3 s \(GRAPH_TIMEOUT_SECONDS\)/);
      assert.equal(graph.count('GET', '/me'), 1, 'a timed-out attempt is not replayed inline');
      // The next call on the same client works: the deadline is per attempt, not a poisoned client.
      assert.equal((await client.get<{ id: string }>('/me')).body.id, user.id);
    } finally {
      await g.close();
    }
  });

  it('Jira: a call that never answers ends in DeadlineError', limit, async () => {
    const jira = new FakeJira();
    const j = await jira.start();
    try {
      const key = jira.addIssueFromWebhookFixture('issue_created.story.json').key;
      const config = loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', JIRA_TIMEOUT_SECONDS: '0.3' });
      const api = createJiraApi({ baseUrl: j.baseUrl, ...jira.credentials }, { timeoutMs: config.timeouts.jiraMs });
      jira.hangNext({ method: 'GET', pathPattern: /\/rest\/api\/3\/issue\// });
      const error = await api.getIssue(key).catch((e: unknown) => e);
      assert.ok(error instanceof DeadlineError, `expected DeadlineError, got ${String(error)}`);
      assert.equal(error.setting, 'JIRA_TIMEOUT_SECONDS');
      assert.equal(error.timeoutMs, 300);
      assert.equal((await api.getIssue(key)).key, key, 'the next call answers normally');
    } finally {
      await j.close();
    }
  });

  it('Key Vault: an operation that never answers ends in DeadlineError, retries included', limit, async () => {
    const vault = new FakeKeyVault();
    const v = await vault.start();
    try {
      const store = new KeyVaultSecretStore(v.vaultUrl, credential, { disableChallengeResourceVerification: true, timeoutMs: 500 });
      await store.set('deadline-probe', 'value');
      vault.hangNext({ method: 'GET', pathPattern: /\/secrets\/deadline-probe/, times: 10 });
      const error = await store.get('deadline-probe').catch((e: unknown) => e);
      assert.ok(error instanceof DeadlineError, `expected DeadlineError, got ${String(error)}`);
      assert.equal(error.setting, 'KEY_VAULT_TIMEOUT_SECONDS');
    } finally {
      await v.close();
    }
  });

  it('Entra: a token request that never answers ends in a transient AuthError (network_error), not needs-reauth', limit, async () => {
    const entra = new FakeEntra({ clientId: '0f1e2d3c-4b5a-4697-8877-665544332211', appRoles: ['Chat.Create'] });
    const e = await entra.start();
    try {
      const tenant = entra.addTenant();
      const config = loadConfig({
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        ENTRA_CLIENT_ID: entra.clientId,
        ENTRA_CLIENT_SECRET: entra.clientSecret,
        AUTHORITY_HOST: e.origin,
        ENTRA_TIMEOUT_SECONDS: '0.5',
      });
      const app = await createMsalApp({ config, secrets: new MemorySecretStore(), log: memoryLogger() }, tenant.id);
      entra.hangNextToken();
      const error = await app.acquireTokenByClientCredential({ scopes: [graphDefaultScope] }).catch((x: unknown) => x);
      assert.ok(error instanceof AuthError, `expected AuthError, got ${String(error)}`);
      assert.equal(error.errorCode, 'network_error');
      assert.match(error.errorMessage, /ENTRA_TIMEOUT_SECONDS/);
      assert.equal(entra.requests.filter((r) => r.endpoint === 'token').length, 1, 'the token request reached Entra once');
    } finally {
      await e.close();
    }
  });
});
