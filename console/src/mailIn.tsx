// Mail → Jira: a project's mail source (a mailbox folder whose new mail becomes issues and comments), per site.
// Backed by /api/manage/mail-in/{site}[/{project}[/test|/poll]] and the invitations API for the mail-in sign-in;
// every answer of the API is shown in words (test connection explains each failed step).
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import { Field, Notice, Problem, Secret, Select, useAction } from './ui.js';
import { useLoad } from './screens.js';

interface SourceForm {
  projectKey: string;
  tenantId: string;
  mailboxKind: 'me' | 'shared';
  sharedMailbox: string;
  folder: string;
  afterProcessing: 'mark-read' | 'move' | 'none';
  moveToFolder: string;
  issueType: string;
  createAs: 'issue' | 'request';
  serviceDeskId: string;
  requestTypeId: string;
  allowNewCustomers: boolean;
  maxAttachmentMb: string;
  blockedDomains: string;
  maxPerSenderPerHour: string;
  enabled: boolean;
}

const emptyForm = (tenantId = ''): SourceForm => ({
  projectKey: '',
  tenantId,
  mailboxKind: 'me',
  sharedMailbox: '',
  folder: 'inbox',
  afterProcessing: 'mark-read',
  moveToFolder: '',
  issueType: 'Task',
  createAs: 'issue',
  serviceDeskId: '',
  requestTypeId: '',
  allowNewCustomers: false,
  maxAttachmentMb: '10',
  blockedDomains: '',
  maxPerSenderPerHour: '20',
  enabled: true,
});

function formOf(s: any): SourceForm {
  return {
    projectKey: s.projectKey,
    tenantId: s.tenantId,
    mailboxKind: s.mailbox === 'me' ? 'me' : 'shared',
    sharedMailbox: s.mailbox === 'me' ? '' : s.mailbox,
    folder: s.folder,
    afterProcessing: s.afterProcessing,
    moveToFolder: s.moveToFolder ?? '',
    issueType: s.issueType,
    createAs: s.createAs,
    serviceDeskId: s.serviceDeskId ?? '',
    requestTypeId: s.requestTypeId ?? '',
    allowNewCustomers: !!s.allowNewCustomers,
    maxAttachmentMb: String(Math.round((s.maxAttachmentBytes / (1024 * 1024)) * 100) / 100),
    blockedDomains: (s.blockedDomains ?? []).join('\n'),
    maxPerSenderPerHour: String(s.maxPerSenderPerHour),
    enabled: !!s.enabled,
  };
}

/** The PUT body: only what the admin set (the API fills the defaults and names a wrong field). */
function bodyOf(f: SourceForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    tenantId: f.tenantId.trim(),
    mailbox: f.mailboxKind === 'me' ? 'me' : f.sharedMailbox.trim(),
    folder: f.folder.trim() || 'inbox',
    afterProcessing: f.afterProcessing,
    issueType: f.issueType.trim() || 'Task',
    createAs: f.createAs,
    maxAttachmentBytes: Math.round(Number(f.maxAttachmentMb) * 1024 * 1024),
    blockedDomains: f.blockedDomains.split(/[\s,]+/).map((d) => d.trim()).filter(Boolean),
    maxPerSenderPerHour: Number(f.maxPerSenderPerHour),
    enabled: f.enabled,
  };
  if (f.afterProcessing === 'move') body.moveToFolder = f.moveToFolder.trim();
  if (f.createAs === 'request') {
    body.serviceDeskId = f.serviceDeskId.trim();
    body.requestTypeId = f.requestTypeId.trim();
    body.allowNewCustomers = f.allowNewCustomers;
  }
  return body;
}

const afterProcessingWords: Record<string, string> = { 'mark-read': 'marked read', move: 'moved', none: 'left as it is' };

export function MailIn() {
  const [sites] = useLoad(() => api('GET', 'sites'), []);
  const [tenants] = useLoad(() => api('GET', 'tenants'), []);
  const siteIds: string[] = (sites?.sites ?? []).map((s: any) => s.siteId);
  const [site, setSite] = useState('');
  useEffect(() => {
    if (!site && siteIds[0]) setSite(siteIds[0]);
  }, [siteIds.join(',')]);
  const [list, listError, reload] = useLoad(() => (site ? api('GET', `mail-in/${encodeURIComponent(site)}`) : Promise.resolve(undefined)), [site]);
  const firstTenant: string = tenants?.tenants?.[0]?.tenantId ?? '';
  const [form, setForm] = useState<SourceForm>(emptyForm());
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState('');
  const [busy, error, act] = useAction();
  useEffect(() => {
    if (!form.tenantId && firstTenant) setForm((f) => ({ ...f, tenantId: firstTenant }));
  }, [firstTenant]);
  const set = <K extends keyof SourceForm>(key: K) => (value: SourceForm[K]) => setForm((f) => ({ ...f, [key]: value }));
  const sources: any[] = list?.sources ?? [];
  return (
    <section aria-labelledby="h-mail-in">
      <h2 id="h-mail-in">Mail → Jira</h2>
      <p>A mailbox folder whose new mail becomes Jira issues (or JSM requests), and whose replies become comments. One source per project.</p>
      <Select label="Jira site" name="mailInSite" value={site} onChange={setSite} options={siteIds.length ? siteIds : [['', 'register a site first']]} />
      <MailInSignIn site={site} tenant={form.tenantId || firstTenant} />
      <h3>Sources</h3>
      <Problem error={listError} />
      {list && sources.length === 0 && <p data-testid="mail-in-empty">No project of {site} has a mail source yet.</p>}
      {sources.map((s) => (
        <SourceCard
          key={s.projectKey}
          source={s}
          onEdit={() => {
            setForm(formOf(s));
            setEditing(true);
            setSaved('');
            document.getElementById('mail-in-form')?.scrollIntoView();
          }}
          onChanged={reload}
        />
      ))}
      <form
        id="mail-in-form"
        class="card"
        aria-labelledby="h-mail-in-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(async () => {
            const r = await api('PUT', `mail-in/${encodeURIComponent(site)}/${encodeURIComponent(form.projectKey)}`, bodyOf(form));
            setSaved(`Mail source for ${r.projectKey} saved.`);
            setEditing(false);
            setForm(emptyForm(form.tenantId));
            reload();
          });
        }}
      >
        <h3 id="h-mail-in-form">{editing ? `Edit the mail source of ${form.projectKey}` : 'Add a mail source'}</h3>
        <Field label="Project key" name="mailInProject" value={form.projectKey} onInput={(v) => set('projectKey')(v.toUpperCase())} placeholder="HELP" required />
        <Field label="Microsoft 365 tenant id" name="mailInTenant" value={form.tenantId} onInput={set('tenantId')} required />
        <Select
          label="Mailbox"
          name="mailInMailbox"
          value={form.mailboxKind}
          onChange={(v) => set('mailboxKind')(v as SourceForm['mailboxKind'])}
          options={[['me', 'The signed-in account’s own mailbox'], ['shared', 'A shared mailbox the account has Full Access to']]}
        />
        {form.mailboxKind === 'shared' && <Field label="Shared mailbox address" name="mailInShared" type="email" value={form.sharedMailbox} onInput={set('sharedMailbox')} placeholder="support@contoso.com" required />}
        <Field label="Folder" name="mailInFolder" value={form.folder} onInput={set('folder')} hint="A well-known name (inbox, archive) or a folder id." />
        <Select
          label="After processing"
          name="mailInAfter"
          value={form.afterProcessing}
          onChange={(v) => set('afterProcessing')(v as SourceForm['afterProcessing'])}
          options={[['mark-read', 'Mark it read'], ['move', 'Move it to another folder'], ['none', 'Leave it as it is (needs no write permission)']]}
        />
        {form.afterProcessing === 'move' && <Field label="Move to folder" name="mailInMoveTo" value={form.moveToFolder} onInput={set('moveToFolder')} hint="A well-known name (archive) or a folder id." required />}
        <Select label="A new mail creates" name="mailInCreateAs" value={form.createAs} onChange={(v) => set('createAs')(v as SourceForm['createAs'])} options={[['issue', 'An issue'], ['request', 'A JSM request raised on behalf of the sender']]} />
        <Field label="Issue type" name="mailInIssueType" value={form.issueType} onInput={set('issueType')} hint="For issues, and for requests when the sender cannot be a customer." />
        {form.createAs === 'request' && (
          <>
            <Field label="Service desk id" name="mailInServiceDesk" value={form.serviceDeskId} onInput={set('serviceDeskId')} required />
            <Field label="Request type id" name="mailInRequestType" value={form.requestTypeId} onInput={set('requestTypeId')} required />
            <div class="field checkbox">
              <input id="mail-in-new-customers" name="mailInNewCustomers" type="checkbox" checked={form.allowNewCustomers} onChange={(e) => set('allowNewCustomers')((e.target as HTMLInputElement).checked)} />
              <label for="mail-in-new-customers">A sender without a Jira account becomes a new customer</label>
            </div>
          </>
        )}
        <Field label="Largest attachment uploaded (MB)" name="mailInMaxAttachment" value={form.maxAttachmentMb} onInput={set('maxAttachmentMb')} hint="Larger attachments are listed on the issue, not uploaded." />
        <div class="field">
          <label for="mail-in-blocked">Blocked sender domains (one per line)</label>
          <textarea id="mail-in-blocked" name="mailInBlocked" rows={3} value={form.blockedDomains} onInput={(e) => set('blockedDomains')((e.target as HTMLTextAreaElement).value)} />
        </div>
        <Field label="Most issues and comments per sender per hour" name="mailInRate" value={form.maxPerSenderPerHour} onInput={set('maxPerSenderPerHour')} />
        <div class="field checkbox">
          <input id="mail-in-enabled" name="mailInEnabled" type="checkbox" checked={form.enabled} onChange={(e) => set('enabled')((e.target as HTMLInputElement).checked)} />
          <label for="mail-in-enabled">Enabled (new mail is read)</label>
        </div>
        <div class="row">
          <button type="submit" disabled={busy || !site}>Save mail source</button>
          {editing && <button type="button" class="secondary" onClick={() => { setEditing(false); setForm(emptyForm(form.tenantId)); }}>Cancel</button>}
        </div>
        <Problem error={error} />
        {saved && <Notice>{saved}</Notice>}
      </form>
    </section>
  );
}

/** "Sign in with Microsoft" for mail-in: the consent link and the mailbox account's sign-in link, as the API makes them. */
function MailInSignIn({ site, tenant }: { site: string; tenant: string }) {
  const [link, setLink] = useState<any>(undefined);
  const [busy, error, act] = useAction();
  const invite = (kind: 'consent' | 'sign-in') => act(async () => setLink(await api('POST', 'invitations', { kind, tenant, feature: 'mail-in', ...(kind === 'consent' ? { site } : {}) })));
  return (
    <div class="card">
      <h3>Sign in with Microsoft</h3>
      <p>
        Mail is read by a signed-in account (its own mailbox, or a shared mailbox it has Full Access to). Consent asks only for the mail-in permissions (Mail.Read, and
        Mail.ReadWrite / Mail.Read.Shared to mark or move mail and to read a shared mailbox). Either a Microsoft 365 admin consents for the tenant and the mailbox account then
        signs in, or, where the tenant lets users consent, the mailbox owner just signs in and consents for their own account.
      </p>
      <div class="row">
        <button type="button" disabled={busy || !tenant || !site} onClick={() => void invite('consent')}>Create admin consent link</button>
        <button type="button" class="secondary" disabled={busy || !tenant} onClick={() => void invite('sign-in')}>Create mailbox sign-in link</button>
      </div>
      <Problem error={error} />
      {link && (
        <div class="shown-once" role="status">
          <p>{link.kind === 'consent' ? 'Admin consent' : 'Mailbox sign-in'} link for mail-in in {link.tenant}, valid once until {new Date(link.expiresAt).toLocaleString()}:</p>
          <Secret label="Link" value={link.url} testId="mail-in-link" />
          <p><a href={link.url} target="_blank" rel="noopener noreferrer" data-testid="open-mail-in-link">Sign in with Microsoft</a> (if you are that person) or send the link.</p>
        </div>
      )}
    </div>
  );
}

function SourceCard({ source, onEdit, onChanged }: { source: any; onEdit: () => void; onChanged: () => void }) {
  const [test, setTest] = useState<any>(undefined);
  const [message, setMessage] = useState('');
  const [busy, error, act] = useAction();
  const path = `mail-in/${encodeURIComponent(source.siteId)}/${encodeURIComponent(source.projectKey)}`;
  const mailbox = source.mailbox === 'me' ? 'the signed-in account’s mailbox' : `the shared mailbox ${source.mailbox}`;
  const n = source.notifications ?? { state: 'none' };
  return (
    <article class="card" aria-labelledby={`mail-in-${source.projectKey}`} data-testid={`mail-source-${source.projectKey}`}>
      <h4 id={`mail-in-${source.projectKey}`}>{source.projectKey}{source.enabled ? '' : ' (off)'}</h4>
      <p>
        Folder <code>{source.folder}</code> of {mailbox} in tenant <code>{source.tenantId}</code>. New mail creates {source.createAs === 'request' ? `a JSM request (service desk ${source.serviceDeskId}, request type ${source.requestTypeId})` : `a ${source.issueType}`}; handled mail is{' '}
        {afterProcessingWords[source.afterProcessing]}{source.afterProcessing === 'move' ? ` to ${source.moveToFolder}` : ''}. Attachments up to {Math.round(source.maxAttachmentBytes / 1024 / 1024 * 100) / 100} MB; at most {source.maxPerSenderPerHour} per sender per hour
        {source.blockedDomains?.length ? `; blocked: ${source.blockedDomains.join(', ')}` : ''}.
      </p>
      <p>
        {source.lastPolledAt ? `Last checked ${new Date(source.lastPolledAt).toLocaleString()}` : 'Not checked yet'}
        {source.caughtUp ? ' (caught up)' : ''}. Notifications: {n.state}{n.expiresAt ? ` until ${new Date(n.expiresAt).toLocaleString()}` : ''}.
      </p>
      {source.lastError && <p class="bad">Last problem: {source.lastError}</p>}
      {n.lastError && <p class="bad">Notifications: {n.lastError}</p>}
      <div class="row">
        <button type="button" class="secondary" disabled={busy} onClick={() => act(async () => setTest(await api('POST', `${path}/test`)))}>Test connection</button>
        <button type="button" class="secondary" disabled={busy} onClick={() => act(async () => { await api('POST', `${path}/poll`); setMessage('A check of the folder was queued; new mail appears in Jira shortly.'); })}>Check now</button>
        <button type="button" class="secondary" disabled={busy} onClick={onEdit}>Edit</button>
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => {
            if (confirm(`Delete the mail source of ${source.projectKey}? Mail already handled stays handled.`)) void act(async () => { await api('DELETE', path); onChanged(); });
          }}
        >
          Delete
        </button>
      </div>
      <Problem error={error} />
      {message && <Notice>{message}</Notice>}
      {test && (
        <div role="status" data-testid="mail-in-test">
          <p class={test.ok ? 'ok' : 'bad'}>{test.ok ? 'The connection works.' : 'The connection does not work yet:'}</p>
          <ul>
            {test.steps.map((s: any) => <li class={s.ok ? 'ok' : 'bad'}>{s.ok ? '✓' : '✗'} {stepWords[s.step] ?? s.step}: {s.detail}</li>)}
          </ul>
        </div>
      )}
    </article>
  );
}

const stepWords: Record<string, string> = { consent: 'Consent', 'service-user': 'Signed-in account', scopes: 'Permissions', token: 'Token', folder: 'Folder' };
