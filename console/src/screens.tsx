// The console's screens. Each is backed by the admin API (through ./api.ts) and shows the API's errors in words.
import { useEffect, useState } from 'preact/hooks';
import { api, type Session } from './api.js';
import { Copy, Field, Notice, Problem, Secret, Select, useAction } from './ui.js';

export const features = ['chats', 'meetings', 'bookings', 'mail', 'chat-to-jira', 'mail-in'];
const automationActions = ['incident-chat', 'customer-chat', 'epic-chat', 'chat', 'sync-members', 'meeting', 'stakeholder-update', 'booking', 'close-chat'];

export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): [T | undefined, unknown, () => void] {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setError(undefined);
    load().then(
      (d) => live && setData(d),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return [data, error, () => setN(n + 1)];
}

// ---- Overview -------------------------------------------------------------------------------------------------

const healthPartNames: Record<string, string> = {
  storage: 'storage',
  secretStore: 'the secret store',
  serviceUsers: 'service users',
  poisonQueues: 'poison queues',
  backlog: 'the job backlog',
};

export function Overview() {
  // The detailed health (GET /api/manage/health through the console's session): it answers 503 when degraded,
  // with the same body, so both answers are read.
  const [health, healthError] = useLoad(() => api('GET', 'health', undefined, undefined, [503]), []);
  const degraded = Object.entries((health?.parts ?? {}) as Record<string, string>).filter(([, state]) => state !== 'ok');
  const failures = (health?.recentFailures ?? []) as any[];
  const [users, usersError] = useLoad(() => api('GET', 'service-users'), []);
  const [poison, poisonError] = useLoad(() => api('GET', 'poison'), []);
  const counts = Object.entries((poison?.poisonQueues ?? {}) as Record<string, number>);
  return (
    <section aria-labelledby="h-overview">
      <h2 id="h-overview">Overview</h2>
      <h3>Health</h3>
      <Problem error={healthError} />
      {health && (
        <p>
          The app is <strong data-testid="health-status">{health.status === 'ok' ? 'healthy' : 'degraded'}</strong>
          {degraded.length > 0 && <>: {degraded.map(([part]) => healthPartNames[part] ?? part).join(', ')} need attention</>}.
        </p>
      )}
      <h3>Recent failures</h3>
      {health && (failures.length === 0 ? <p>No job has failed its last retry.</p> : (
        <table data-testid="recent-failures">
          <thead>
            <tr><th scope="col">When</th><th scope="col">Queue</th><th scope="col">Action</th><th scope="col">Site</th><th scope="col">Issue</th><th scope="col">Attempts</th></tr>
          </thead>
          <tbody>
            {failures.map((f) => (
              <tr>
                <td>{f.insertedOn ? new Date(f.insertedOn).toLocaleString() : ''}</td>
                <td>{f.queue}</td>
                <td>{f.action ?? ''}</td>
                <td>{f.siteId ?? ''}</td>
                <td>{f.issueKey ?? ''}</td>
                <td>{f.dequeueCount}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      {failures.length > 0 && <p>See an issue's audit trail and replay the messages in <a href="#/operations">Operations</a>.</p>}
      <h3>Service users</h3>
      <Problem error={usersError} />
      {users && users.serviceUsers.length === 0 && <p>No service user is signed in yet. Start with Sites, then Microsoft 365.</p>}
      {users && users.serviceUsers.length > 0 && (
        <table>
          <thead>
            <tr><th scope="col">Tenant</th><th scope="col">Feature</th><th scope="col">Account</th><th scope="col">State</th><th scope="col">Action</th></tr>
          </thead>
          <tbody>
            {users.serviceUsers.map((u: any) => (
              <tr>
                <td><code>{u.tenantId}</code></td>
                <td>{u.feature}</td>
                <td>{u.userPrincipalName}</td>
                <td class={u.status === 'active' ? 'ok' : 'bad'}>{u.status}{u.statusReason ? `: ${u.statusReason}` : ''}</td>
                <td>{u.status !== 'active' && <a href={`#/microsoft-365?tenant=${encodeURIComponent(u.tenantId)}&feature=${u.feature}`}>Re-authenticate</a>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Poison messages</h3>
      <Problem error={poisonError} />
      {poison && (counts.every(([, n]) => n === 0) ? <p>No message is waiting in a poison queue.</p> : (
        <ul>
          {counts.filter(([, n]) => n !== 0).map(([q, n]) => <li>{q}: {n} — <a href="#/operations">replay in Operations</a></li>)}
        </ul>
      ))}
    </section>
  );
}

// ---- Sites ----------------------------------------------------------------------------------------------------

export function Sites({ session }: { session: Session }) {
  const [sites, sitesError, reload] = useLoad(() => api('GET', 'sites'), []);
  const [siteId, setSiteId] = useState('');
  const [jiraBaseUrl, setJiraBaseUrl] = useState('');
  const [jiraEmail, setJiraEmail] = useState('');
  const [jiraApiToken, setJiraApiToken] = useState('');
  const [saved, setSaved] = useState('');
  const [busy, error, act] = useAction();
  return (
    <section aria-labelledby="h-sites">
      <h2 id="h-sites">Jira sites</h2>
      <Problem error={sitesError} />
      {sites?.sites.map((s: any) => <SiteCard key={s.siteId} site={s} session={session} onChanged={reload} />)}
      <form
        class="card"
        aria-labelledby="h-register"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const r = await api('PUT', `sites/${encodeURIComponent(siteId)}`, { jiraBaseUrl, jiraEmail, jiraApiToken });
            setSaved(`Site ${r.siteId} saved.`);
            setJiraApiToken('');
            reload();
          });
        }}
      >
        <h3 id="h-register">Register or update a site</h3>
        <Field label="Site id" name="siteId" value={siteId} onInput={setSiteId} hint="A short name you choose, e.g. acme. It appears in the webhook URL." required />
        <Field label="Jira base URL" name="jiraBaseUrl" value={jiraBaseUrl} onInput={setJiraBaseUrl} placeholder="https://acme.atlassian.net" required />
        <Field label="Jira account e-mail" name="jiraEmail" value={jiraEmail} onInput={setJiraEmail} type="email" required />
        <Field label="Jira API token" name="jiraApiToken" value={jiraApiToken} onInput={setJiraApiToken} type="password" hint="Kept in the secret store only; never shown again." required />
        <button type="submit" disabled={busy}>Save site</button>
        <Problem error={error} />
        {saved && <Notice>{saved}</Notice>}
      </form>
    </section>
  );
}

function SiteCard({ site, session, onChanged }: { site: any; session: Session; onChanged: () => void }) {
  // Each secret is kept on screen (for copying) until the page is left; the API never shows it again.
  const [shown, setShown] = useState<Record<string, any>>({});
  const [test, setTest] = useState<any>(undefined);
  const [busy, error, act] = useAction();
  const rotate = (kind: 'webhook-secret' | 'automation-token') =>
    act(async () => {
      const r = await api('POST', `sites/${site.siteId}/secrets/${kind}`);
      setShown((old) => ({ ...old, [kind]: r }));
      onChanged();
    });
  return (
    <article class="card" aria-labelledby={`site-${site.siteId}`}>
      <h3 id={`site-${site.siteId}`}>{site.siteId}</h3>
      <p>{site.jiraBaseUrl} as {site.jiraEmail}. Webhook secret: {site.webhookSecret}; Automation token: {site.automationToken}.</p>
      <div class="row">
        <button type="button" disabled={busy} onClick={() => rotate('webhook-secret')}>{site.webhookSecret === 'set' ? 'Rotate' : 'Create'} webhook secret</button>
        <button type="button" disabled={busy} onClick={() => rotate('automation-token')}>{site.automationToken === 'set' ? 'Rotate' : 'Create'} Automation token</button>
        <button type="button" class="secondary" disabled={busy} onClick={() => act(async () => setTest(await api('POST', `sites/${site.siteId}/test`)))}>Test Jira connection</button>
      </div>
      {test && (
        <p role="status" class={test.ok ? 'ok' : 'bad'} data-testid="jira-test">
          {test.ok ? `Connected to ${test.jiraBaseUrl} as ${test.displayName ?? test.accountId}.` : `Jira connection failed: ${test.reason}`}
        </p>
      )}
      <Problem error={error} />
      {Object.values(shown).map((r: any) => (
        <div class="shown-once" role="status">
          <p>{r.note}</p>
          {r.webhookSecret && <Secret label="Webhook secret" value={r.webhookSecret} testId="webhook-secret" />}
          {r.automationToken && <Secret label="Automation token" value={r.automationToken} testId="automation-token" />}
        </div>
      ))}
      <details>
        <summary>Jira webhook settings</summary>
        <p>In Jira: System → WebHooks → Create a WebHook.</p>
        <Secret label="URL" value={site.webhookUrl} />
        <p>Secret: the webhook secret above. Events: <strong>Issue created</strong> and <strong>Issue updated</strong>. Exclude body: off.</p>
      </details>
      <details>
        <summary>Jira Automation "Send web request" settings</summary>
        <p>Method POST, header <code>Authorization</code> = <code>Bearer &lt;Automation token&gt;</code>, body: Custom data.</p>
        <table>
          <thead><tr><th scope="col">Action</th><th scope="col">Web request URL</th><th scope="col">Custom data</th></tr></thead>
          <tbody>
            {automationActions.map((a) => {
              const url = `${session.publicBaseUrl}/api/jira/automation/${a}?site=${site.siteId}`;
              return (
                <tr>
                  <td>{a}</td>
                  <td><code>{url}</code> <Copy value={url} label={`${a} URL`} /></td>
                  <td><code>{a === 'stakeholder-update' ? '{ "issueKey": "{{issue.key}}", "message": "…" }' : '{ "issueKey": "{{issue.key}}" }'}</code></td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </details>
    </article>
  );
}

// ---- Microsoft 365 --------------------------------------------------------------------------------------------

function hashQuery(): URLSearchParams {
  return new URLSearchParams(location.hash.split('?')[1] ?? '');
}

export function Microsoft365() {
  const q = hashQuery();
  const [tenants, tenantsError, reload] = useLoad(() => api('GET', 'tenants'), []);
  const [sites] = useLoad(() => api('GET', 'sites'), []);
  const [tenant, setTenant] = useState(q.get('tenant') ?? '');
  const [feature, setFeature] = useState(q.get('feature') ?? 'chats');
  const [site, setSite] = useState('');
  const [mode, setMode] = useState('delegated');
  const [link, setLink] = useState<any>(undefined);
  const [busy, error, act] = useAction();
  const siteIds: string[] = (sites?.sites ?? []).map((s: any) => s.siteId);
  useEffect(() => {
    if (!site && siteIds[0]) setSite(siteIds[0]);
  }, [siteIds.join(',')]);
  const invite = (kind: 'consent' | 'sign-in', t = tenant, f = feature) =>
    act(async () => setLink(await api('POST', 'invitations', { kind, tenant: t, feature: f, ...(kind === 'consent' ? { site, mode } : {}) })));
  return (
    <section aria-labelledby="h-m365">
      <h2 id="h-m365">Microsoft 365</h2>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void invite('consent');
        }}
      >
        <h3>Connect a tenant (admin consent)</h3>
        <p>Makes a link for a Microsoft 365 administrator of the tenant. It asks only for the feature's permissions, works once and carries no key.</p>
        <Field label="Tenant id or verified domain" name="tenant" value={tenant} onInput={setTenant} placeholder="contoso.onmicrosoft.com" required />
        <Select label="Feature" name="feature" value={feature} onChange={setFeature} options={features} />
        <Select label="Jira site" name="site" value={site} onChange={setSite} options={siteIds.length ? siteIds : [['', 'register a site first']]} />
        <Select label="Mode" name="mode" value={mode} onChange={setMode} options={[['delegated', 'Delegated (service user)'], ['app', 'App-only (application permissions)']]} />
        <div class="row">
          <button type="submit" disabled={busy}>Create consent link</button>
          <button type="button" class="secondary" disabled={busy} onClick={() => void invite('sign-in')}>Create service-user sign-in link</button>
        </div>
        <Problem error={error} />
        {link && (
          <div class="shown-once" role="status">
            <p>{link.kind === 'consent' ? 'Consent' : 'Service-user sign-in'} link for {link.feature} in {link.tenant}, valid once until {new Date(link.expiresAt).toLocaleString()}:</p>
            <Secret label="Link" value={link.url} testId="invitation-link" />
            <p><a href={link.url} target="_blank" rel="noopener noreferrer" data-testid="open-invitation">Open it here</a> (if you are that administrator or the service account's owner) or send it.</p>
          </div>
        )}
      </form>
      <h3>Connected tenants</h3>
      <Problem error={tenantsError} />
      {tenants && tenants.tenants.length === 0 && <p>No tenant is connected yet.</p>}
      {tenants?.tenants.map((t: any) => <TenantCard tenant={t} onChanged={reload} onInvite={(f) => invite('sign-in', t.tenantId, f)} />)}
    </section>
  );
}

function TenantCard({ tenant, onChanged, onInvite }: { tenant: any; onChanged: () => void; onInvite: (feature: string) => void }) {
  const [result, setResult] = useState<any>(undefined);
  const [busy, error, act] = useAction();
  return (
    <article class="card" aria-labelledby={`t-${tenant.tenantId}`}>
      <h4 id={`t-${tenant.tenantId}`}>Tenant <code>{tenant.tenantId}</code></h4>
      <p>Sites: {tenant.sites.join(', ') || 'none'}.</p>
      <table>
        <thead><tr><th scope="col">Feature</th><th scope="col">Consent</th><th scope="col">Mode</th><th scope="col">Service user</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {Object.entries(tenant.features as Record<string, any>).map(([f, s]) => (
            <tr>
              <td>{f}</td>
              <td>{s.consentedAt ? `granted ${new Date(s.consentedAt).toLocaleDateString()}` : 'not granted'}</td>
              <td>{s.mode}</td>
              <td data-testid={`service-user-${f}`}>{s.serviceUser ? `${s.serviceUser.userPrincipalName} (${s.serviceUser.status})` : 'not signed in'}</td>
              <td class="row">
                <button type="button" class="secondary" disabled={busy} onClick={() => onInvite(f)}>Sign-in link</button>
                <button type="button" class="secondary" disabled={busy} onClick={() => act(async () => setResult(await api('POST', `tenants/${tenant.tenantId}/test?feature=${f}`)))}>Test connection</button>
                <button type="button" class="secondary" disabled={busy} onClick={() => act(async () => { setResult(await api('PUT', `tenants/${tenant.tenantId}/modes`, { feature: f, mode: s.mode === 'app' ? 'delegated' : 'app' })); onChanged(); })}>
                  {s.mode === 'app' ? 'Use delegated' : 'Use app-only'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={() => {
          if (confirm(`Disconnect tenant ${tenant.tenantId} from every site? Chats and messages in Teams stay.`)) void act(async () => { setResult(await api('DELETE', `tenants/${tenant.tenantId}`)); onChanged(); });
        }}
      >
        Disconnect
      </button>
      <Problem error={error} />
      {result && <pre class="result" role="status">{JSON.stringify(result, null, 2)}</pre>}
    </article>
  );
}

// ---- Projects -------------------------------------------------------------------------------------------------

const sampleIssue = { key: 'INC-42', summary: 'Checkout is down', priority: 'Highest', status: 'Open', issueType: 'Incident' };

function previewTopic(template: string): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in sampleIssue ? (sampleIssue as Record<string, string>)[k]! : m));
}

/** Checks the rules as the admin types: JSON, an array, each rule with `when` and `action` (the app checks the rest). */
function checkRules(text: string): string | undefined {
  if (!text.trim()) return undefined;
  let rules: unknown;
  try {
    rules = JSON.parse(text);
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
  if (!Array.isArray(rules)) return 'rules must be a JSON array of rules';
  const whens = ['created', 'updated', 'members-changed', 'fields-changed', 'resolved', 'reopened'];
  for (const [i, r] of rules.entries()) {
    if (!r || typeof r !== 'object') return `rule ${i + 1} is not an object`;
    if (!whens.includes((r as any).when)) return `rule ${i + 1}: "when" must be one of ${whens.join(', ')}`;
    if (typeof (r as any).action !== 'string') return `rule ${i + 1}: "action" is missing`;
  }
  return undefined;
}

function checkObject(text: string): string | undefined {
  if (!text.trim()) return undefined;
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? undefined : 'must be a JSON object';
  } catch (e) {
    return `not valid JSON: ${(e as Error).message}`;
  }
}

export function Projects() {
  const [sites] = useLoad(() => api('GET', 'sites'), []);
  const [tenants] = useLoad(() => api('GET', 'tenants'), []);
  const siteIds: string[] = (sites?.sites ?? []).map((s: any) => s.siteId);
  const [site, setSite] = useState('');
  const [key, setKey] = useState('');
  const [tenantId, setTenantId] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [topic, setTopic] = useState('[{key}] {summary}');
  const [rules, setRules] = useState('');
  const [other, setOther] = useState('');
  const [effective, setEffective] = useState<any>(undefined);
  const [issueKey, setIssueKey] = useState('');
  const [dry, setDry] = useState<any>(undefined);
  const [saved, setSaved] = useState('');
  const [busy, error, act] = useAction();
  useEffect(() => {
    if (!site && siteIds[0]) setSite(siteIds[0]);
  }, [siteIds.join(',')]);
  useEffect(() => {
    const first = tenants?.tenants?.[0]?.tenantId;
    if (!tenantId && first) setTenantId(first);
  }, [tenants]);
  const rulesProblem = checkRules(rules);
  const otherProblem = checkObject(other);
  const load = () =>
    act(async () => {
      const r = await api('GET', `sites/${site}/projects/${key}`);
      setTenantId(r.settings.tenantId);
      setEnabled(r.settings.enabled);
      setTopic(r.settings.topicTemplate);
      setRules(r.settings.rules?.length ? JSON.stringify(r.settings.rules, null, 2) : '');
      const { tenantId: _t, enabled: _e, topicTemplate: _p, rules: _r, ...rest } = r.settings;
      setOther(JSON.stringify(rest, null, 2));
      setEffective(r.effectiveRules);
    });
  return (
    <section aria-labelledby="h-projects">
      <h2 id="h-projects">Projects</h2>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          if (rulesProblem || otherProblem) return;
          void act(async () => {
            const body: any = { ...(other.trim() ? JSON.parse(other) : {}), tenantId, enabled, topicTemplate: topic };
            if (rules.trim()) body.rules = JSON.parse(rules);
            const r = await api('PUT', `sites/${site}/projects/${key}`, body);
            setEffective(r.effectiveRules);
            setSaved(`Project ${r.projectKey} saved.`);
          });
        }}
      >
        <Select label="Jira site" name="site" value={site} onChange={setSite} options={siteIds.length ? siteIds : [['', 'register a site first']]} />
        <Field label="Project key" name="projectKey" value={key} onInput={(v) => setKey(v.toUpperCase())} placeholder="INC" required />
        <div class="row"><button type="button" class="secondary" disabled={busy || !key} onClick={() => void load()}>Load settings</button></div>
        <Field label="Microsoft 365 tenant id" name="tenantId" value={tenantId} onInput={setTenantId} required />
        <div class="field checkbox">
          <input id="project-enabled" type="checkbox" checked={enabled} onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)} />
          <label for="project-enabled">Enabled (the bridge acts on this project's events)</label>
        </div>
        <Field label="Chat topic template" name="topicTemplate" value={topic} onInput={setTopic} hint="Placeholders: {key}, {summary}, {priority}, {status}, {issueType}." />
        <p>Preview: <strong data-testid="topic-preview">{previewTopic(topic)}</strong></p>
        <div class="field">
          <label for="project-rules">Rules (JSON; empty keeps the defaults)</label>
          <textarea id="project-rules" name="rules" rows={8} value={rules} aria-invalid={rulesProblem ? 'true' : 'false'} aria-describedby="rules-check" onInput={(e) => setRules((e.target as HTMLTextAreaElement).value)} />
          <small id="rules-check" class={rulesProblem ? 'bad' : 'ok'} role="status">{rulesProblem ?? (rules.trim() ? 'Rules look valid; the app checks them again on save.' : 'Default rules.')}</small>
        </div>
        <div class="field">
          <label for="project-other">Other settings (JSON object: fieldIds, memberFields, customerChatRequestTypes, stakeholders, …)</label>
          <textarea id="project-other" name="other" rows={5} value={other} aria-invalid={otherProblem ? 'true' : 'false'} aria-describedby="other-check" onInput={(e) => setOther((e.target as HTMLTextAreaElement).value)} />
          <small id="other-check" class={otherProblem ? 'bad' : 'ok'} role="status">{otherProblem ?? 'The app checks every field on save and names the one that is wrong.'}</small>
        </div>
        <button type="submit" disabled={busy || !!rulesProblem || !!otherProblem}>Save project</button>
        <Problem error={error} />
        {saved && <Notice>{saved}</Notice>}
        {effective && (
          <details>
            <summary>Effective rules ({effective.length})</summary>
            <pre class="result">{JSON.stringify(effective, null, 2)}</pre>
          </details>
        )}
      </form>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => setDry(await api('POST', 'dry-run', { siteId: site, automation: { action: 'chat', body: { issueKey } } })));
        }}
      >
        <h3>Dry run</h3>
        <p>What a "chat" action would do for a real issue: topic, members, who cannot be mapped, Graph calls. Nothing is written.</p>
        <Field label="Issue key" name="dryRunIssue" value={issueKey} onInput={(v) => setIssueKey(v.toUpperCase())} placeholder="INC-42" required />
        <button type="submit" disabled={busy}>Dry run</button>
        {dry && <pre class="result" role="status" data-testid="dry-run">{JSON.stringify(dry, null, 2)}</pre>}
      </form>
    </section>
  );
}

// ---- People ---------------------------------------------------------------------------------------------------

export function People() {
  const [tenants] = useLoad(() => api('GET', 'tenants'), []);
  const [tenant, setTenant] = useState('');
  const [unmapped, setUnmapped] = useState<any>(undefined);
  const [mappings, setMappings] = useState<any>(undefined);
  const [accountId, setAccountId] = useState('');
  const [user, setUser] = useState('');
  const [csv, setCsv] = useState('');
  const [message, setMessage] = useState('');
  const [busy, error, act] = useAction();
  useEffect(() => {
    const first = tenants?.tenants?.[0]?.tenantId;
    if (!tenant && first) setTenant(first);
  }, [tenants]);
  const refresh = () =>
    act(async () => {
      setUnmapped((await api('GET', `user-mappings/${tenant}?unmapped=true`)).unmapped);
      setMappings((await api('GET', `user-mappings/${tenant}`)).mappings);
    });
  useEffect(() => {
    if (tenant) void refresh();
  }, [tenant]);
  return (
    <section aria-labelledby="h-people">
      <h2 id="h-people">People</h2>
      <Field label="Tenant id" name="tenant" value={tenant} onInput={setTenant} />
      <Problem error={error} />
      {message && <Notice>{message}</Notice>}
      <h3>Could not be mapped</h3>
      {unmapped && unmapped.length === 0 && <p>Everyone the bridge met could be mapped.</p>}
      {unmapped && unmapped.length > 0 && (
        <table>
          <thead><tr><th scope="col">Jira account</th><th scope="col">Why</th><th scope="col">Map</th></tr></thead>
          <tbody>
            {unmapped.map((u: any) => (
              <tr>
                <td>{u.displayName ?? ''} <code>{u.accountId}</code></td>
                <td>{u.reason}</td>
                <td><button type="button" class="secondary" onClick={() => setAccountId(u.accountId)}>Map this person</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            await api('PUT', `user-mappings/${tenant}/${encodeURIComponent(accountId)}`, { user });
            setMessage(`${accountId} is mapped to ${user}.`);
            await refresh();
          });
        }}
      >
        <h3>Manual mapping</h3>
        <Field label="Atlassian accountId" name="accountId" value={accountId} onInput={setAccountId} required />
        <Field label="Microsoft user (object id or user principal name)" name="user" value={user} onInput={setUser} required />
        <button type="submit" disabled={busy}>Save mapping</button>
      </form>
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const r = await api('POST', `user-mappings/${tenant}`, csv, 'text/csv');
            setMessage(`Imported ${r.imported} mapping(s).`);
            await refresh();
          });
        }}
      >
        <h3>CSV</h3>
        <div class="field">
          <label for="csv-import">Import (columns accountId,user,guest)</label>
          <textarea id="csv-import" rows={4} value={csv} onInput={(e) => setCsv((e.target as HTMLTextAreaElement).value)} />
        </div>
        <div class="row">
          <button type="submit" disabled={busy || !csv.trim()}>Import CSV</button>
          <button
            type="button"
            class="secondary"
            disabled={busy || !tenant}
            onClick={() =>
              act(async () => {
                const text = await api<string>('GET', `user-mappings/${tenant}?format=csv`);
                const a = document.createElement('a');
                a.href = URL.createObjectURL(new Blob([typeof text === 'string' ? text : ''], { type: 'text/csv' }));
                a.download = `user-mappings-${tenant}.csv`;
                a.click();
              })
            }
          >
            Export CSV
          </button>
        </div>
      </form>
      {mappings && <p>{mappings.length} manual or learned mapping(s) stored.</p>}
    </section>
  );
}

// ---- Operations -----------------------------------------------------------------------------------------------

export function Operations() {
  const [poison, poisonError, reload] = useLoad(() => api('GET', 'poison'), []);
  const [queue, setQueue] = useState<any>(undefined);
  const [message, setMessage] = useState('');
  const [sites] = useLoad(() => api('GET', 'sites'), []);
  const siteIds: string[] = (sites?.sites ?? []).map((s: any) => s.siteId);
  const [site, setSite] = useState('');
  const [issueKey, setIssueKey] = useState('');
  const [audit, setAudit] = useState<any>(undefined);
  const [busy, error, act] = useAction();
  useEffect(() => {
    if (!site && siteIds[0]) setSite(siteIds[0]);
  }, [siteIds.join(',')]);
  const queues = Object.entries((poison?.poisonQueues ?? {}) as Record<string, number>);
  const base = (q: string) => q.replace(/-poison$/, '');
  return (
    <section aria-labelledby="h-ops">
      <h2 id="h-ops">Operations</h2>
      <h3>Poison messages</h3>
      <Problem error={poisonError} />
      {message && <Notice>{message}</Notice>}
      <table>
        <thead><tr><th scope="col">Queue</th><th scope="col">Messages</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {queues.map(([q, n]) => (
            <tr>
              <td>{q}</td>
              <td data-testid={`poison-${q}`}>{n}</td>
              <td class="row">
                <button type="button" class="secondary" disabled={busy || n === 0} onClick={() => act(async () => setQueue(await api('GET', `poison/${base(q)}`)))}>Show</button>
                <button type="button" disabled={busy || n === 0} onClick={() => act(async () => { const r = await api('POST', `poison/${base(q)}/replay`); setMessage(`Replayed ${r.replayed} message(s) from ${q}.`); setQueue(undefined); reload(); })}>
                  Replay all
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {queue && (
        <div class="card">
          <h4>{queue.queue}</h4>
          {queue.messages.map((m: any) => (
            <details>
              <summary>{m.messageId} (inserted {m.insertedOn}, {m.dequeueCount} attempts)</summary>
              <pre class="result">{JSON.stringify(m.body, null, 2)}</pre>
            </details>
          ))}
        </div>
      )}
      <form
        class="card"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => setAudit(await api('GET', `audit/${site}/${issueKey}`)));
        }}
      >
        <h3>Audit trail of an issue</h3>
        <Select label="Jira site" name="site" value={site} onChange={setSite} options={siteIds.length ? siteIds : [['', 'no site']]} />
        <Field label="Issue key" name="auditIssue" value={issueKey} onInput={(v) => setIssueKey(v.toUpperCase())} placeholder="INC-42" required />
        <button type="submit" disabled={busy}>Show audit trail</button>
      </form>
      <Problem error={error} />
      <BookingsCard sites={siteIds} />
      <MailCard />
      {audit && (audit.entries.length === 0 ? <p>No job has run for {audit.issueKey} yet.</p> : (
        <table data-testid="audit">
          <thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Detail</th></tr></thead>
          <tbody>
            {audit.entries.map((a: any) => (
              <tr>
                <td>{new Date(a.at).toLocaleString()}</td>
                <td>{a.action}</td>
                <td class={a.outcome === 'failed' ? 'bad' : 'ok'}>{a.outcome}</td>
                <td>{a.detail ?? ''}{a.graphRequestIds?.length ? ` (Graph request ${a.graphRequestIds.join(', ')})` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </section>
  );
}

function BookingsCard({ sites }: { sites: string[] }) {
  const [tenant, setTenant] = useState('');
  const [site, setSite] = useState('');
  const [project, setProject] = useState('');
  const [businesses, setBusinesses] = useState<any>(undefined);
  const [businessId, setBusinessId] = useState('');
  const [serviceId, setServiceId] = useState('');
  const [result, setResult] = useState<any>(undefined);
  const [busy, error, act] = useAction();
  useEffect(() => {
    if (!site && sites[0]) setSite(sites[0]);
  }, [sites.join(',')]);
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        void act(async () => setResult(await api('PUT', `bookings/projects/${site}/${project}`, { businessId, ...(serviceId ? { serviceId } : {}) })));
      }}
    >
      <h3>Bookings binding</h3>
      <p>Bind a Microsoft Bookings business (one the Bookings service user administers) to a JSM project.</p>
      <Field label="Tenant id" name="bookingsTenant" value={tenant} onInput={setTenant} />
      <div class="row">
        <button type="button" class="secondary" disabled={busy || !tenant} onClick={() => act(async () => setBusinesses(await api('GET', `bookings/businesses?tenant=${encodeURIComponent(tenant)}`)))}>
          List businesses
        </button>
      </div>
      {businesses && (
        <ul>
          {businesses.businesses.map((b: any) => (
            <li>{b.displayName} <code>{b.id}</code> <button type="button" class="secondary" onClick={() => setBusinessId(b.id)}>Use</button></li>
          ))}
          {businesses.businesses.length === 0 && <li>The service user administers no Bookings business.</li>}
        </ul>
      )}
      <Select label="Jira site" name="bookingsSite" value={site} onChange={setSite} options={sites.length ? sites : [['', 'no site']]} />
      <Field label="Project key" name="bookingsProject" value={project} onInput={(v) => setProject(v.toUpperCase())} required />
      <Field label="Business id" name="businessId" value={businessId} onInput={setBusinessId} required />
      <Field label="Default service id (optional)" name="serviceId" value={serviceId} onInput={setServiceId} />
      <button type="submit" disabled={busy}>Bind business</button>
      <Problem error={error} />
      {result && <pre class="result" role="status">{JSON.stringify(result, null, 2)}</pre>}
    </form>
  );
}

function MailCard() {
  const [tenant, setTenant] = useState('');
  const [from, setFrom] = useState('');
  const [result, setResult] = useState<any>(undefined);
  const [busy, error, act] = useAction();
  return (
    <form
      class="card"
      onSubmit={(e) => {
        e.preventDefault();
        void act(async () => setResult(await api('POST', `mail/test?tenant=${encodeURIComponent(tenant)}${from ? `&from=${encodeURIComponent(from)}` : ''}`)));
      }}
    >
      <h3>Mail test</h3>
      <p>Sends a test mail from the sender to itself and explains each step (consent, service user, permissions, Send As rights).</p>
      <Field label="Tenant id" name="mailTenant" value={tenant} onInput={setTenant} required />
      <Field label="Send as (optional shared mailbox)" name="mailFrom" value={from} onInput={setFrom} type="email" />
      <button type="submit" disabled={busy}>Send test mail</button>
      <Problem error={error} />
      {result && (
        <ul role="status" data-testid="mail-test">
          {(result.steps ?? []).map((s: any) => <li class={s.ok ? 'ok' : 'bad'}>{s.ok ? '✓' : '✗'} {s.step}: {s.detail}</li>)}
        </ul>
      )}
    </form>
  );
}
